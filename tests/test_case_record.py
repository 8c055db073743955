"""`Case.record`: an audit entry for an act that changes no case data, in one call."""

from __future__ import annotations

from pathlib import Path

from casegraph.store.cases import Home, dispose_engines


def test_record_appends_one_audit_entry_with_its_details(tmp_path: Path) -> None:
    case = Home(tmp_path / "home").create_case("op-record", timezone="UTC", actor="tester")
    try:
        with case.read() as session:
            before = case.audit.count(session)
        case.record("analyst", "referral.download", "investigation:ES", "for the partner", {"n": 2})
        with case.read() as session:
            assert case.audit.count(session) == before + 1
            last = case.audit.entries(session, limit=1)[0]
        assert (last.actor, last.action, last.target) == (
            "analyst",
            "referral.download",
            "investigation:ES",
        )
        assert last.reason == "for the partner"
    finally:
        dispose_engines()
