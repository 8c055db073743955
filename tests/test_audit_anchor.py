"""With PostgreSQL the chain head is anchored in the database too, where every machine sees it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from casegraph.store.cases import Home
from casegraph.store.schema import AuditAnchorRow

pytestmark = pytest.mark.postgres


def _machines(tmp_path: Path, pg_url: str) -> tuple[Home, Home]:
    """Two homes (two machines' disks) over one PostgreSQL database."""
    return Home(tmp_path / "machine-a", db_url=pg_url), Home(tmp_path / "machine-b", db_url=pg_url)


def test_the_database_anchor_follows_the_newest_entry_whoever_wrote_it(
    tmp_path: Path, pg_url: str, case_name: str
) -> None:
    machine_a, machine_b = _machines(tmp_path, pg_url)
    machine_a.create_case(case_name)
    on_b = machine_b.open_case(case_name)
    for n in range(3):
        with on_b.mutate("analyst", "note.add", f"note:{n}"):
            pass
    with on_b.read() as session:
        anchored = session.execute(
            select(AuditAnchorRow.seq).where(AuditAnchorRow.case_id == on_b.id)
        ).scalar_one()
    assert anchored == on_b.audit.count(on_b.sessions()) == 4


def test_entries_cut_from_the_end_are_caught_on_a_machine_whose_file_anchor_is_stale(
    tmp_path: Path, pg_url: str, case_name: str
) -> None:
    machine_a, machine_b = _machines(tmp_path, pg_url)
    on_a = machine_a.create_case(case_name)  # machine A's audit.head names entry 1
    on_b = machine_b.open_case(case_name)
    for n in range(3):
        with on_b.mutate("analyst", "note.add", f"note:{n}"):
            pass
    with on_a.sessions() as session, session.begin():
        session.execute(
            text("delete from audit_entries where case_id = :case and seq > 2"), {"case": on_a.id}
        )
    with on_a.read() as session:
        problems = [p.problem for p in on_a.audit.verify(session)]
    assert any("removed from the end" in p and "database anchor" in p for p in problems)
