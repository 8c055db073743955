"""Derived page data kept in memory until the case changes.

Every change to a case goes through `Case.mutate`, which appends to its audit chain, so the
newest audit sequence number is the case's version: one indexed lookup tells whether
aggregates over a million messages can be reused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casegraph.store.cases import Case
from casegraph.store.schema import AuditRow
from casegraph.web.access import Scope

T = TypeVar("T")
MAX_ENTRIES = 512
_entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
_lock = threading.Lock()


def case_version(session: Session, case: Case) -> int:
    return int(
        session.scalar(select(func.max(AuditRow.seq)).where(AuditRow.case_id == case.id)) or 0
    )


def scope_key(scope: Scope) -> Hashable:
    if not scope.limited:
        return "all"
    return (tuple(sorted(scope.investigations or ())), tuple(sorted(scope.countries or ())))


def cached(
    session: Session,
    case: Case,
    scope: Scope,
    name: str,
    args: Hashable,
    compute: Callable[[], T],
) -> T:
    """`compute()` once per case version, scope and arguments."""
    key = (str(case.directory), case.name, name, args, scope_key(scope))
    version = case_version(session, case)
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] == version:
            _entries.move_to_end(key)
            return hit[1]
    value = compute()
    with _lock:
        _entries[key] = (version, value)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value
