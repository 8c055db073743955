"""Overlap folding and row custody together: folding a new source's duplicates into rows other
sources wrote (and naming a device owner's messages) is recorded, so `evidence verify` and
`evidence verify --deep` still pass, and tampering is still caught afterwards."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import select, text

from casegraph.store.cases import Case, Home
from casegraph.store.custody import verify_rows
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import MessageRow, MessageSourceRow
from device_fixtures import ZONE_NAME, android_db, group_plan, ios_db, write_export


def _overlapping(home: Home, tmp_path: Path, name: str) -> Case:
    """Two officers' exports of one group (entries 8-11 in both), then both seized phones."""
    plan = group_plan()
    case = home.create_case(name, timezone=ZONE_NAME)
    first = write_export(tmp_path / "officer1", replace(plan, entries=plan.entries[:12]))
    second = write_export(
        tmp_path / "officer2", replace(plan, entries=plan.entries[8:], variant="ios-es-12h")
    )
    ingest_paths(case, [first, second], captured_by="officers")
    ingest_paths(case, [android_db(tmp_path / "android"), ios_db(tmp_path / "ios")], "lab")
    return case


def test_overlapping_exports_and_device_databases_verify(home: Home, tmp_path: Path) -> None:
    case = _overlapping(home, tmp_path, "overlap")
    with case.read() as session:
        assert session.scalar(select(MessageSourceRow.id).limit(1)) is not None  # folds happened
    quick = verify_rows(case)
    assert quick.problems == [] and quick.unrecorded == []
    assert verify_rows(case, deep=True).problems == []


def test_a_device_owners_messages_named_by_a_later_export_verify(
    home: Home, tmp_path: Path
) -> None:
    case = home.create_case("owner", timezone=ZONE_NAME)
    ingest_paths(case, [android_db(tmp_path / "phone")], captured_by="lab")
    ingest_paths(case, [write_export(tmp_path / "export", group_plan())], captured_by="officer")
    assert verify_rows(case).problems == []
    assert verify_rows(case, deep=True).problems == []


def test_an_edit_of_a_folded_message_is_still_caught(home: Home, tmp_path: Path) -> None:
    case = _overlapping(home, tmp_path, "tamper")
    with case.read() as session:
        folded = session.scalar(
            select(MessageRow.id)
            .join(MessageSourceRow, MessageSourceRow.message_id == MessageRow.id)
            .where(MessageRow.case_id == case.id, MessageRow.kind == "text")
            .limit(1)
        )
    with case.sessions() as session, session.begin():
        session.execute(
            text("update messages set text = 'TAMPERED' where id = :id"), {"id": folded}
        )
    assert not verify_rows(case).ok
    deep = verify_rows(case, deep=True)
    assert any("differs from the evidence in: text" in p.problem for p in deep.problems)


def test_a_deleted_fold_link_is_caught(home: Home, tmp_path: Path) -> None:
    case = _overlapping(home, tmp_path, "unlinked")
    with case.sessions() as session, session.begin():
        link = session.scalar(select(MessageSourceRow.id).limit(1))
        session.execute(text("delete from message_sources where id = :id"), {"id": link})
    assert not verify_rows(case).ok
    deep = verify_rows(case, deep=True)
    assert any("missing from the database" in p.problem for p in deep.problems)
