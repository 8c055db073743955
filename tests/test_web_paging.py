"""The one pagination helper: page N's rows and whether another page follows."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.orm import Session

from casegraph.web.paging import page_of, slice_of


def test_slice_of_gives_the_page_and_says_whether_more_follow() -> None:
    items = list(range(5))
    assert slice_of(items, 1, 2) == ([0, 1], True)
    assert slice_of(items, 3, 2) == ([4], False)
    assert slice_of(items, 4, 2) == ([], False)


def test_page_of_reads_one_row_past_the_page_to_know() -> None:
    numbers = Table("numbers", MetaData(), Column("n", Integer))
    engine = create_engine("sqlite://")
    numbers.create(engine)
    query = select(numbers.c.n).order_by(numbers.c.n)
    with Session(engine) as session:
        session.execute(insert(numbers), [{"n": i} for i in range(5)])
        rows, more = page_of(session, query, 2, 2)
        assert ([r[0] for r in rows], more) == ([2, 3], True)
        rows, more = page_of(session, query, 3, 2)
        assert ([r[0] for r in rows], more) == ([4], False)
