"""analyze_case over a hand-built case: results land in the tables, re-runs change nothing,
analysts' decisions and facts survive."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from casegraph.analysis.decisions import record_person_decision, record_person_facts
from casegraph.analysis.run import analyze_case
from casegraph.errors import InputError
from casegraph.report.json_view import build_report
from casegraph.store.cases import Case, Home
from casegraph.store.schema import (
    AccountRow,
    AuditRow,
    ChatRow,
    EntityRow,
    InvestigationAccountRow,
    InvestigationRow,
    MediaRow,
    MessageRow,
)
from test_analysis_builder import BuiltCase, build_operation


@pytest.fixture
def built(home: Home) -> tuple[Case, BuiltCase]:
    case = home.create_case("op-run", timezone="Europe/Madrid")
    return case, build_operation(case)


def test_break_off_gets_its_parent_and_the_unrelated_chat_none(
    built: tuple[Case, BuiltCase],
) -> None:
    case, ids = built
    analyze_case(case)
    with case.read() as s:
        chats = {c.id: c for c in s.scalars(select(ChatRow))}
    assert chats[ids.chats["breakoff"]].parent_id == ids.chats["parent"]
    assert chats[ids.chats["parent"]].parent_id is None
    assert chats[ids.chats["unrelated"]].parent_id is None  # shares a sticker, not people
    kinds = {e["kind"] for e in chats[ids.chats["breakoff"]].parent_evidence}
    assert {"creator_prior_member", "invite_link_posted_in_parent"} <= kinds
    assert chats[ids.chats["breakoff"]].created_by == ids.accounts["+525512340102"]


def test_sticker_and_its_variant_share_a_cluster(built: tuple[Case, BuiltCase]) -> None:
    case, ids = built
    analyze_case(case)
    with case.read() as s:
        cluster = {m.id: m.cluster for m in s.scalars(select(MediaRow))}
    assert cluster[ids.media["sticker"]] == cluster[ids.media["variant"]]
    assert cluster[ids.media["photo"]] != cluster[ids.media["sticker"]]


def test_countries_follow_phones_and_investigations_split_by_country(
    built: tuple[Case, BuiltCase],
) -> None:
    case, _ = built
    analyze_case(case)
    report = build_report(case)
    country = {a["identifier"]: a["country"] for a in report["accounts"]}
    assert country["+525512340102"] == "MX" and country["+5511987650103"] == "BR"
    assert country["user1000001"] is None  # writes Italian: a suggestion, not a country
    reasons = next(a for a in report["accounts"] if a["identifier"] == "user1000001")
    assert reasons["country_reasons"][0]["suggested"] == "IT"
    by_country = {i["country"]: len(i["accounts"]) for i in report["investigations"]}
    assert by_country == {"BR": 1, "ES": 2, "IT": 1, "MX": 1, "unattributed": 2}


def test_key_actors_name_the_first_poster_of_matched_media(built: tuple[Case, BuiltCase]) -> None:
    case, _ = built
    analyze_case(case)
    report = build_report(case)
    reasons = {a["account"]: " ".join(a["reasons"]) for a in report["key_actors"]}
    italian = next(a for a in report["accounts"] if a["identifier"] == "+393123450104")
    assert "first posted matched media" in reasons[italian["id"]]
    ranks = [a["rank"] for a in report["key_actors"]]
    assert ranks == list(range(1, len(ranks) + 1))
    assert all(
        a["person"] == italian["person"]
        for a in report["key_actors"]
        if a["account"] == italian["id"]
    )


def test_entities_are_stored_per_message_with_raw_and_normalised_value(
    built: tuple[Case, BuiltCase],
) -> None:
    case, ids = built
    analyze_case(case)
    with case.read() as s:
        rows = s.execute(
            select(EntityRow.kind, EntityRow.value, EntityRow.normalized, MessageRow.chat_id).join(
                MessageRow, EntityRow.message_id == MessageRow.id
            )
        ).all()
    invites = [r for r in rows if r.kind == "whatsapp_invite"]
    assert invites and all(r.normalized == ids.invite_link for r in invites)
    assert {r.chat_id for r in invites} == {ids.chats["parent"]}
    analyze_case(case)
    with case.read() as s:
        assert s.scalar(select(func.count()).select_from(EntityRow)) == len(rows)


def test_accounts_carry_their_network_metrics(built: tuple[Case, BuiltCase]) -> None:
    case, ids = built
    analyze_case(case)
    with case.read() as s:
        metrics = {r.id: r.metrics for r in s.scalars(select(AccountRow))}
    spanish = metrics[ids.accounts["+34600000101"]]
    assert set(spanish) == {"degree", "betweenness", "pagerank", "core", "community"}
    assert spanish["degree"] > 0 and spanish["pagerank"] > 0


def test_the_audit_entry_keeps_counts_and_versions_only(built: tuple[Case, BuiltCase]) -> None:
    case, _ = built
    result = analyze_case(case)
    with case.read() as s:
        details = s.scalars(select(AuditRow.details).where(AuditRow.action == "analysis.run")).one()
    assert details["persons"] == result.persons and details["key_actors"] == result.key_actors
    assert details["entities"] == result.entities > 0
    assert "casegraph" in details["versions"] and "networkx" in details["versions"]
    assert all(not isinstance(v, list) for v in details.values())


def test_rerunning_changes_nothing(built: tuple[Case, BuiltCase]) -> None:
    case, _ = built
    analyze_case(case)
    first = build_report(case)
    analyze_case(case)
    second = build_report(case)
    for section in ("chats", "accounts", "persons", "media", "investigations"):
        assert first[section] == second[section]


def test_analyst_merge_and_recorded_facts_survive_a_rerun(built: tuple[Case, BuiltCase]) -> None:
    case, _ = built
    analyze_case(case)
    accounts = {a["identifier"]: a for a in build_report(case)["accounts"]}
    telegram, spanish = accounts["user1000002"], accounts["+34600000101"]
    record_person_decision(
        case, "merge", [telegram["id"], spanish["id"]], "analyst-1", "same alias"
    )
    analyze_case(case)
    accounts = {a["identifier"]: a for a in build_report(case)["accounts"]}
    person = accounts["user1000002"]["person"]
    assert person == accounts["+34600000101"]["person"]
    assert accounts["user1000002"]["country"] == "ES"
    record_person_facts(case, person, "analyst-1", date_of_birth="2007-05-01", country="PT")
    analyze_case(case)
    analyze_case(case)
    report = build_report(case)
    accounts = {a["identifier"]: a for a in report["accounts"]}
    assert accounts["user1000002"]["person"] == person
    assert (
        accounts["user1000002"]["country"] == "PT" and accounts["+34600000101"]["country"] == "PT"
    )
    persons = {p["id"]: p for p in report["persons"]}
    assert persons[person]["minor"] is True and persons[person]["age_at_activity"] == 16
    others = [p for p in report["persons"] if p["id"] != person]
    assert all(p["age_at_activity"] is None and p["minor"] is None for p in others)


def test_decisions_on_unknown_accounts_are_refused(built: tuple[Case, BuiltCase]) -> None:
    case, _ = built
    with pytest.raises(InputError, match="no account acct-nope"):
        record_person_decision(case, "merge", ["acct-nope", "acct-nada"], "analyst-1")
    with pytest.raises(InputError, match="at least two accounts"):
        record_person_decision(case, "merge", ["+34600000101", "+34600000101"], "analyst-1")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        record_person_facts(case, "person-x", "analyst-1", date_of_birth="1st May")


def test_phone_accounts_keep_their_identifier_country(built: tuple[Case, BuiltCase]) -> None:
    case, _ = built
    analyze_case(case)
    with case.read() as s:
        rows = s.scalars(select(AccountRow).where(AccountRow.identifier_kind == "phone")).all()
    assert all(r.country == r.phone_country and r.country_reasons for r in rows)


def test_moved_and_referred_accounts_stay_where_they_were_put(
    built: tuple[Case, BuiltCase],
) -> None:
    case, ids = built
    analyze_case(case)
    mexican, brazilian = ids.accounts["+525512340102"], ids.accounts["+5511987650103"]
    with case.mutate("analyst-1", "test.move", "case:op-run") as s:
        spain = s.scalars(select(InvestigationRow).where(InvestigationRow.country == "ES")).one()
        s.execute(
            delete(InvestigationAccountRow).where(
                InvestigationAccountRow.account_id.in_([mexican, brazilian])
            )
        )
        s.add(
            InvestigationAccountRow(
                investigation_id=spain.id, account_id=mexican, assigned_by="analyst"
            )
        )
        s.add(
            InvestigationAccountRow(
                investigation_id=spain.id, account_id=brazilian, assigned_by="referral"
            )
        )
    analyze_case(case)
    by_country = {i["country"]: i["accounts"] for i in build_report(case)["investigations"]}
    keys = {a["identifier"]: a["id"] for a in build_report(case)["accounts"]}
    assert keys["+525512340102"] in by_country["ES"] and keys["+5511987650103"] in by_country["ES"]
    assert "MX" not in by_country and "BR" not in by_country  # emptied, still only proposed


def test_analysts_may_name_accounts_and_persons_by_identifier(
    built: tuple[Case, BuiltCase],
) -> None:
    case, _ = built
    analyze_case(case)
    named = record_person_decision(
        case, "merge", ["user1000001", "+393123450104"], "analyst-1", "same alias"
    )
    analyze_case(case)
    accounts = {a["identifier"]: a for a in build_report(case)["accounts"]}
    assert named == sorted([accounts["user1000001"]["id"], accounts["+393123450104"]["id"]])
    person = record_person_facts(case, "user1000001", "analyst-1", age=15)
    assert person == accounts["+393123450104"]["person"] == accounts["user1000001"]["person"]
    analyze_case(case)
    persons = {p["id"]: p for p in build_report(case)["persons"]}
    assert persons[person]["age"] == 15 and persons[person]["minor"] is True
