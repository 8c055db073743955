"""Edits to the rows a source became are caught: by digest, and by name with --deep."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text

from casegraph.store.cases import Case, Home
from casegraph.store.custody import verify_rows
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import ChatEventRow, MessageRow, SourceRow

GROUP = (
    '13/03/24, 09:00 - +34 600 000 111 created group "Night Owls"\n'
    "13/03/24, 09:01 - +34 600 000 111 added +34 600 000 222\n"
    "13/03/24, 09:02 - +34 600 000 222: hola\n"
    "14/03/24, 10:00 - +34 600 000 111: buenas\n"
    "15/03/24, 11:00 - +34 600 000 222 left\n"
)
NAME = "WhatsApp Chat with Night Owls.txt"


def _ingested(home: Home, name: str, tmp_path: Path) -> Case:
    case = home.create_case(name, timezone="Europe/Madrid", agency="ES")
    export = tmp_path / NAME
    export.write_text(GROUP, encoding="utf-8")
    ingest_paths(case, [export], "officer")
    return case


def _sql(case: Case, sql: str) -> None:
    with case.sessions() as session, session.begin():
        session.execute(text(sql), {"case": case.id})


def _message_seq(case: Case, body: str) -> int:
    with case.read() as session:
        return int(
            session.scalar(
                select(MessageRow.seq).where(MessageRow.case_id == case.id, MessageRow.text == body)
            )
            or 0
        )


def test_an_untouched_case_matches_its_evidence_on_every_format(
    home: Home, synth_small: Path
) -> None:
    case = home.create_case("synth", timezone="Europe/Madrid", agency="ES")
    ingest_paths(case, [synth_small / "exports"], "officer")
    report = verify_rows(case, deep=True)
    assert report.problems == [] and report.unrecorded == []
    with case.read() as session:
        formats = set(session.scalars(select(SourceRow.format)))
    assert {f.split("-")[0] for f in formats} >= {"whatsapp", "telegram"}


def test_an_edited_message_is_caught_and_named(
    any_home: Home, case_name: str, tmp_path: Path
) -> None:
    case = _ingested(any_home, case_name, tmp_path)
    assert verify_rows(case).ok
    seq = _message_seq(case, "buenas")
    _sql(case, "update messages set text = 'TAMPERED' where text = 'buenas' and case_id = :case")
    quick = verify_rows(case)
    assert [p.source for p in quick.problems] == [NAME]
    assert "changed since ingest" in quick.problems[0].problem
    deep = verify_rows(case, deep=True)
    named = [p.problem for p in deep.problems if "differs from the evidence" in p.problem]
    assert len(named) == 1
    assert f"message {seq} (line 4) differs from the evidence in: text" in named[0]


def test_a_deleted_event_is_caught_and_named(
    any_home: Home, case_name: str, tmp_path: Path
) -> None:
    case = _ingested(any_home, case_name, tmp_path)
    with case.read() as session:
        seq = session.scalar(
            select(ChatEventRow.seq).where(
                ChatEventRow.case_id == case.id, ChatEventRow.type == "left"
            )
        )
    _sql(case, "delete from chat_events where type = 'left' and case_id = :case")
    deep = verify_rows(case, deep=True)
    assert not deep.ok
    assert any(
        p.problem.endswith(f"event {seq} of the evidence is missing from the database")
        for p in deep.problems
    )


def test_evidence_verify_fails_on_edited_rows(
    home: Home, run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    case = _ingested(home, "op", tmp_path)
    assert run_cli("evidence", "verify", "op")[0] == 0
    _sql(case, "update messages set text = 'TAMPERED' where text = 'hola' and case_id = :case")
    code, out, err = run_cli("evidence", "verify", "op", "--deep")
    assert code == 1
    assert NAME in out and "differs from the evidence in: text" in out.replace("\n", " ")
    assert "no longer match their evidence" in err


@pytest.mark.parametrize("column", ["account_id", "sent_at"])
def test_reattributed_or_redated_messages_are_caught(
    home: Home, tmp_path: Path, column: str
) -> None:
    case = _ingested(home, "op", tmp_path)
    value = "NULL" if column == "account_id" else "'2020-01-01 00:00:00.000000'"
    _sql(case, f"update messages set {column} = {value} where text = 'hola' and case_id = :case")
    deep = verify_rows(case, deep=True)
    expected = "author" if column == "account_id" else "sent_at"
    assert any(
        p.problem.endswith(f"differs from the evidence in: {expected}") for p in deep.problems
    )
