"""The report's overlap fields through a limited scope: source file names withheld, counts of
visible messages only, proposals only when all they name is visible."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from casegraph.access.scope import Scope
from casegraph.report.json_view import build_report
from casegraph.store.cases import Case, Home
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import AccountRow, ChatRow
from device_fixtures import ZONE_NAME, A, B, group_plan, write_export


def _names_and_numbers(home: Home, tmp_path: Path) -> Case:
    case = home.create_case("names", timezone=ZONE_NAME)
    android = write_export(tmp_path / "android", group_plan())
    ios = write_export(tmp_path / "ios", group_plan("ios-es-12h"), contact_names=True)
    ingest_paths(case, [android, ios], captured_by="officers")
    return case


def _scope(case: Case, identifiers: set[str]) -> Scope:
    with case.read() as session:
        accounts = frozenset(
            session.scalars(
                select(AccountRow.id).where(
                    AccountRow.case_id == case.id, AccountRow.identifier.in_(identifiers)
                )
            )
        )
        chats = frozenset(session.scalars(select(ChatRow.id).where(ChatRow.case_id == case.id)))
    return Scope(investigations=frozenset(), accounts=accounts, chats=chats, countries=frozenset())


def test_a_limited_reader_sees_no_source_file_names(home: Home, tmp_path: Path) -> None:
    case = _names_and_numbers(home, tmp_path)
    (full,) = build_report(case)["chats"]
    (limited,) = build_report(case, _scope(case, {A}))["chats"]
    assert all(s["filename"].endswith(".zip") for s in full["sources"])
    assert [s["filename"] for s in limited["sources"]] == [None, None]


def test_a_limited_reader_counts_only_visible_messages_per_source(
    home: Home, tmp_path: Path
) -> None:
    case = _names_and_numbers(home, tmp_path)
    (full,) = build_report(case)["chats"]
    (limited,) = build_report(case, _scope(case, {A}))["chats"]
    assert 0 < limited["messages"] < full["messages"]
    assert all(s["messages"] <= limited["messages"] for s in limited["sources"])
    assert limited["overlap"]["messages_in_several_sources"] <= limited["messages"]


def test_a_proposal_naming_an_account_outside_the_scope_is_withheld(
    home: Home, tmp_path: Path
) -> None:
    case = _names_and_numbers(home, tmp_path)
    assert len(build_report(case)["person_proposals"]) == 2
    assert build_report(case, _scope(case, {B}))["person_proposals"] == []
    (shown,) = build_report(case, _scope(case, {B, "Berta Ruiz"}))["person_proposals"]
    assert "Berta Ruiz" in shown["reason"]
