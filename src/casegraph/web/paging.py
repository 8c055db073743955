"""One page of a query: the rows of page N and whether another page follows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

T = TypeVar("T")


def page_of(
    session: Session, query: Select[*tuple[Any, ...]], page: int, size: int
) -> tuple[list[Any], bool]:
    """Rows `(page - 1) * size` onwards (at most `size`) as `session.execute` returns them,
    and whether there are more; one row past the page is read to know."""
    page = max(1, page)
    rows = list(session.execute(query.offset((page - 1) * size).limit(size + 1)).all())
    return rows[:size], len(rows) > size


def slice_of(items: Sequence[T], page: int, size: int) -> tuple[list[T], bool]:
    """The same over a list already in memory (sorted in Python)."""
    start = (max(1, page) - 1) * size
    return list(items[start : start + size]), len(items) > start + size
