"""Tips stored: receipts, public status, duplicates, auto-linking to cases, triage, audit."""

from __future__ import annotations

import pytest

from casegraph.errors import InputError
from casegraph.intake.inbox import get_tip, list_tips, public_status, submit_tip, triage_tip
from casegraph.intake.ledger import installation_audit
from casegraph.store.cases import Home
from web_fixtures import ES_PHONES, INVITE, PARENT_TITLE, build_case


def test_a_tip_gets_a_receipt_and_a_public_status(any_home: Home) -> None:
    result = submit_tip(any_home, {"platform": "telegram", "group_name": "Canal Nuevo"})
    assert result.status == "new"
    assert public_status(any_home, result.receipt.lower()) == "received and being handled"
    with any_home.installation_sessions()() as session:
        assert installation_audit(any_home).verify(session) == []


def test_unknown_receipts_reveal_nothing(home: Home) -> None:
    assert public_status(home, "TIP-AAAA-BBBB") is None
    assert public_status(home, "' or 1=1 --") is None


def test_a_tip_naming_a_case_phone_is_linked_to_that_case(home: Home) -> None:
    build_case(home)
    result = submit_tip(home, {"platform": "whatsapp", "phones": ES_PHONES[1]})
    assert result.status == "linked"
    assert [link.case for link in result.links] == ["op-alpha"]
    assert "phone +34600000102 is an account in the case" in result.links[0].reasons


def test_an_invite_link_found_in_messages_links_the_tip(home: Home) -> None:
    build_case(home)
    result = submit_tip(home, {"platform": "whatsapp", "invite_link": INVITE.lower()[8:]})
    view = get_tip(home, result.receipt)
    assert view is not None and view.linked_cases == []  # codes are case-sensitive
    exact = submit_tip(home, {"platform": "whatsapp", "invite_link": INVITE})
    assert get_tip(home, exact.receipt).linked_cases == ["op-alpha"]  # type: ignore[union-attr]


def test_a_group_title_links_the_tip(home: Home) -> None:
    build_case(home)
    result = submit_tip(home, {"platform": "whatsapp", "group_name": PARENT_TITLE.upper()})
    assert result.links[0].reasons == [
        f"group name {PARENT_TITLE.upper()!r} is a chat title in the case"
    ]


def test_a_tip_about_nothing_known_stays_new(home: Home) -> None:
    build_case(home)
    result = submit_tip(home, {"platform": "whatsapp", "phones": "+34600999999"})
    assert (result.status, result.links) == ("new", [])


def test_a_second_report_of_the_same_group_is_kept_as_a_duplicate(home: Home) -> None:
    first = submit_tip(home, {"platform": "whatsapp", "invite_link": "chat.whatsapp.com/Q1"})
    second = submit_tip(
        home, {"platform": "whatsapp", "invite_link": "https://chat.whatsapp.com/Q1"}
    )
    assert second.status == "duplicate"
    assert {t.receipt: t.reports for t in list_tips(home)} == {first.receipt: 2, second.receipt: 2}


def test_triage_to_case_opened_creates_the_case_and_is_audited(home: Home) -> None:
    result = submit_tip(home, {"platform": "signal", "group_name": "Grupo Tres"})
    view = triage_tip(home, result.receipt, "case_opened", "analyst", "op-tres", "credible")
    assert view.status == "case_opened" and view.linked_cases == ["op-tres"]
    assert home.exists("op-tres")
    with home.installation_sessions()() as session:
        log = installation_audit(home)
        actions = [(e.actor, e.action) for e in log.entries(session)]
        assert ("analyst", "tip.triage") in actions
        assert log.verify(session) == []


def test_triage_refuses_unknown_status_and_missing_case(home: Home) -> None:
    result = submit_tip(home, {"platform": "signal", "group_name": "Grupo"})
    with pytest.raises(InputError, match="status 'maybe' is not one of"):
        triage_tip(home, result.receipt, "maybe", "analyst")
    with pytest.raises(InputError, match="no case 'op-none'"):
        triage_tip(home, result.receipt, "linked", "analyst", "op-none")
    with pytest.raises(InputError, match="no tip with receipt"):
        triage_tip(home, "TIP-ZZZZ-ZZZZ", "no_action", "analyst")


def test_the_case_index_notices_new_evidence(home: Home) -> None:
    submit_tip(home, {"platform": "whatsapp", "phones": ES_PHONES[0]})  # no case yet
    build_case(home)
    assert submit_tip(home, {"platform": "whatsapp", "phones": ES_PHONES[0]}).links
