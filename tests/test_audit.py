"""The audit chain detects every kind of tampering done directly in the database."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from sqlalchemy import text

from casegraph.store.cases import Case, Home


def _case_with_entries(home: Home, name: str, n: int = 5) -> Case:
    case = home.create_case(name)
    for i in range(n):
        with case.mutate("analyst-1", "note.add", f"note:{i}", reason=f"step {i}"):
            pass
    return case


def _verify(case: Case) -> list[str]:
    with case.read() as session:
        return [f"{p.seq}: {p.problem}" for p in case.audit.verify(session)]


def _tamper(case: Case, sql: str, **params: object) -> None:
    with case.sessions() as session, session.begin():
        session.execute(text(sql), {"case": case.id, **params})


def test_an_untouched_chain_verifies(any_home: Home, case_name: str) -> None:
    case = _case_with_entries(any_home, case_name)
    assert _verify(case) == []


def test_every_entry_commits_to_the_previous_one(home: Home) -> None:
    case = _case_with_entries(home, "chain")
    with case.read() as session:
        rows = case.audit.entries(session)
    assert [r.seq for r in rows] == list(range(1, 7))
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(rows))


def _swap_entries_2_and_4(case: Case) -> None:
    _tamper(case, "update audit_entries set seq = -1 where case_id = :case and seq = 2")
    _tamper(case, "update audit_entries set seq = 2 where case_id = :case and seq = 4")
    _tamper(case, "update audit_entries set seq = 4 where case_id = :case and seq = -1")


TAMPERING: dict[str, Callable[[Case], None]] = {
    "edited": lambda c: _tamper(
        c, "update audit_entries set reason = 'nothing' where case_id = :case and seq = 3"
    ),
    "edited actor": lambda c: _tamper(
        c, "update audit_entries set actor = 'someone' where case_id = :case and seq = 2"
    ),
    "deleted": lambda c: _tamper(c, "delete from audit_entries where case_id = :case and seq = 3"),
    "deleted last": lambda c: _tamper(
        c, "delete from audit_entries where case_id = :case and seq = 6"
    ),
    "inserted": lambda c: _tamper(
        c,
        "insert into audit_entries (case_id, seq, at, actor, action, target, reason, details,"
        " prev_hash, entry_hash) select case_id, 7, at, actor, action, target, 'forged',"
        " details, prev_hash, entry_hash from audit_entries where case_id = :case and seq = 3",
    ),
    "reordered": _swap_entries_2_and_4,
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_tampering_is_detected(any_home: Home, case_name: str, kind: str) -> None:
    case = _case_with_entries(any_home, case_name)
    TAMPERING[kind](case)
    assert _verify(case) != []


def test_a_removed_anchor_is_reported(home: Home) -> None:
    case = _case_with_entries(home, "anchor")
    case.audit.anchor.unlink()
    assert any("anchor" in problem for problem in _verify(case))


def test_cli_audit_verify_exits_non_zero_on_tampering(
    home: Home, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    case = _case_with_entries(home, "cli")
    assert run_cli("audit", "verify", "cli")[0] == 0
    _tamper(case, "update audit_entries set target = 'x' where case_id = :case and seq = 4")
    code, out, err = run_cli("audit", "verify", "cli")
    assert code == 1
    assert "entry 4" in out and "broken" in err
