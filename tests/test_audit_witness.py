"""A signed audit head kept outside the installation catches a chain cut short or rewritten."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from casegraph.store.audit import GENESIS, entry_hash
from casegraph.store.cases import Case, Home
from casegraph.store.schema import AuditRow
from casegraph.store.witness import check_witness, signed_audit_head


def _case(home: Home, name: str, entries: int = 4) -> Case:
    case = home.create_case(name)
    for i in range(entries):
        with case.mutate("analyst-1", "note.add", f"note:{i}"):
            pass
    return case


def _problems(case: Case, witness: dict[str, Any]) -> list[str]:
    return [p.problem for p in check_witness(case, witness)]


def _chain_problems(case: Case) -> list[str]:
    with case.read() as session:
        return [p.problem for p in case.audit.verify(session)]


def _cut_last_entry_and_reanchor(case: Case) -> None:
    """What an insider does: delete the newest entry and rewrite both anchors to match
    (audit.head, and on PostgreSQL the database's anchor row)."""
    with case.sessions() as session, session.begin():
        last = session.scalar(select(func.max(AuditRow.seq)).where(AuditRow.case_id == case.id))
        session.execute(
            text("delete from audit_entries where case_id = :case and seq = :seq"),
            {"case": case.id, "seq": last},
        )
        session.execute(text("delete from audit_anchors where case_id = :case"), {"case": case.id})
    with case.read() as session:
        case.audit.write_anchor(session)


def _rewrite_chain_from(case: Case, seq: int, reason: str) -> None:
    """Edit entry `seq` and recompute every hash after it, then re-anchor: a perfect forgery
    as far as the database and audit.head can tell."""
    with case.sessions() as session, session.begin():
        rows = session.scalars(
            select(AuditRow).where(AuditRow.case_id == case.id).order_by(AuditRow.seq)
        ).all()
        prev = GENESIS
        for row in rows:
            if row.seq == seq:
                row.reason = reason
            row.prev_hash = prev
            row.entry_hash = entry_hash(
                prev, row.seq, row.at, row.actor, row.action, row.target, row.reason,
                row.details or {},
            )  # fmt: skip
            prev = row.entry_hash
    with case.read() as session:
        case.audit.write_anchor(session)


def test_a_witnessed_head_holds_while_the_chain_only_grows(any_home: Home, case_name: str) -> None:
    case = _case(any_home, case_name)
    witness = signed_audit_head(case)
    with case.mutate("analyst-1", "note.add", "note:later"):
        pass
    assert _problems(case, witness) == []


def test_cutting_the_last_entry_and_reanchoring_is_caught(any_home: Home, case_name: str) -> None:
    case = _case(any_home, case_name)
    witness = signed_audit_head(case)
    _cut_last_entry_and_reanchor(case)
    assert _chain_problems(case) == []  # the chain and its anchor alone cannot tell
    seq = witness["seq"]
    assert _problems(case, witness) == [
        f"entry {seq}, witnessed on {witness['signed_at']}, is gone: entries {seq}..{seq} "
        "were removed"
    ]


def test_a_recomputed_chain_is_caught(home: Home) -> None:
    case = _case(home, "op")
    witness = signed_audit_head(case)
    _rewrite_chain_from(case, 2, "nothing happened")
    assert _chain_problems(case) == []
    assert _problems(case, witness) == [
        f"entry {witness['seq']} differs from its head witnessed on {witness['signed_at']}"
    ]


@pytest.mark.parametrize("field", ["seq", "entry_hash", "case"])
def test_an_altered_witness_does_not_verify(home: Home, field: str) -> None:
    case = _case(home, "op")
    witness = signed_audit_head(case)
    witness[field] = {"seq": 1, "entry_hash": "0" * 64, "case": "other"}[field]
    assert _problems(case, witness) == [
        "the witness's signature does not verify: the witness file was altered"
    ]


def test_a_head_signed_by_another_installation_is_refused(tmp_path: Path) -> None:
    ours = _case(Home(tmp_path / "ours"), "op")
    theirs = _case(Home(tmp_path / "theirs"), "op")
    problems = _problems(ours, signed_audit_head(theirs))
    assert len(problems) == 1 and "not by this installation's witness key" in problems[0]


def test_cli_show_head_then_verify_with_the_witness(
    home: Home, run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    assert run_cli("case", "create", "op")[0] == 0
    code, out, _err = run_cli("audit", "show", "op", "--head")
    assert code == 0
    head = json.loads(out)
    assert head["format"] == "casegraph-audit-head/1" and head["case"] == "op"
    kept = tmp_path / "head.json"
    kept.write_text(out, encoding="utf-8")
    code, out, _err = run_cli("audit", "verify", "op", "--witness", str(kept))
    assert code == 0 and "consistent with 1 witnessed head(s)" in out
    _cut_last_entry_and_reanchor(home.open_case("op"))
    code, out, err = run_cli("audit", "verify", "op", "--witness", str(kept))
    assert code == 1 and "were removed" in out and "is broken" in err
