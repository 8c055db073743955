"""Investigations: moving people, status, outcome figures for the dashboard (both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casegraph.errors import CaseError
from casegraph.exchange.investigations import (
    dashboard_totals,
    investigation_status,
    move_accounts,
    record_outcome,
    set_status,
)
from casegraph.store.cases import Home
from casegraph.store.schema import AuditRow, InvestigationRow
from exchange_fixtures import AgencyHomes, Operation, build_operation


@pytest.fixture
def op(any_home: Home, tmp_path: Path) -> Iterator[Operation]:
    homes = AgencyHomes(any_home)
    yield build_operation(homes.home(tmp_path / "coordinator"))
    homes.close()


def test_an_analyst_resolves_an_unattributed_account(op: Operation) -> None:
    view = move_accounts(op.case, ["user900000001"], "MX", reason="same alias as the MX target")
    unattributed = investigation_status(op.case, "unattributed")[0]
    assert op.accounts["user900000001"] in view.accounts
    assert unattributed.accounts == []


def test_moving_into_a_new_country_creates_its_investigation(op: Operation) -> None:
    view = move_accounts(op.case, [op.accounts["+34600000102"]], "pt", reason="lives in Porto")
    assert (view.country, view.status, view.accounts) == (
        "PT",
        "proposed",
        [op.accounts["+34600000102"]],
    )
    assert op.accounts["+34600000102"] not in investigation_status(op.case, "ES")[0].accounts


def test_a_move_is_audited_with_where_the_account_came_from(op: Operation) -> None:
    move_accounts(op.case, ["+525550000201"], "ES", reason="analyst decision")
    with op.case.read() as session:
        entry = session.scalars(
            select(AuditRow).where(AuditRow.action == "investigation.move")
        ).one()
    assert entry.details["moved"] == [{"account": op.accounts["+525550000201"], "from": "MX"}]
    assert entry.reason == "analyst decision"


def test_a_move_needs_a_reason_and_a_known_account(op: Operation) -> None:
    with pytest.raises(CaseError, match="--reason"):
        move_accounts(op.case, ["+525550000201"], "ES")
    with pytest.raises(CaseError, match="no account '\\+34699999999'"):
        move_accounts(op.case, ["+34699999999"], "ES", reason="x")


def test_status_moves_forward_and_not_back(op: Operation) -> None:
    assert set_status(op.case, "ES", "acknowledged", agency="Unidad ES").status == "acknowledged"
    with pytest.raises(CaseError, match="cannot go back to referred"):
        set_status(op.case, "ES", "referred")
    with pytest.raises(CaseError, match="unknown"):
        set_status(op.case, "ES", "finished")


def test_outcome_figures_feed_the_dashboard(op: Operation) -> None:
    record_outcome(op.case, "ES", arrests=2, suspects=3, minors=1, suspect_ages=[34, 41, 17])
    record_outcome(op.case, "MX", arrests=1, suspects=1, suspect_ages=[29])
    views = investigation_status(op.case)
    es = next(v for v in views if v.country == "ES")
    assert (es.status, es.arrests, es.suspects, es.minors, es.suspect_ages) == (
        "arrests_made",
        2,
        3,
        1,
        [34, 41, 17],
    )
    totals = dashboard_totals(views)
    assert (totals["arrests"], totals["suspects"], totals["minors"]) == (3, 4, 1)
    assert (totals["suspect_age_min"], totals["suspect_age_max"]) == (17, 41)
    assert totals["investigations"] == 2 and totals["unattributed_accounts"] == 1


def test_negative_figures_are_refused(op: Operation) -> None:
    with pytest.raises(CaseError, match="cannot be negative"):
        record_outcome(op.case, "ES", arrests=-1)


def test_suspect_ages_live_on_the_investigation_and_not_in_the_audit(op: Operation) -> None:
    record_outcome(op.case, "ES", arrests=1, suspects=2, suspect_ages=[34, 17], reason="report")
    with op.case.read() as session:
        row = session.scalars(
            select(InvestigationRow).where(InvestigationRow.country == "ES")
        ).one()
        entry = session.scalars(
            select(AuditRow).where(AuditRow.action == "investigation.outcome")
        ).one()
    assert row.suspect_ages == [34, 17]
    assert "suspect_ages" not in entry.details and entry.details["ages_recorded"] == 2
    assert entry.reason == "report"


def test_a_later_outcome_without_ages_keeps_the_recorded_ages(op: Operation) -> None:
    record_outcome(op.case, "ES", arrests=1, suspects=1, suspect_ages=[29])
    view = record_outcome(op.case, "ES", arrests=2, suspects=2)
    assert (view.arrests, view.suspects, view.suspect_ages) == (2, 2, [29])


def test_more_minors_than_suspects_is_refused(op: Operation) -> None:
    with pytest.raises(CaseError, match="cannot exceed suspects"):
        record_outcome(op.case, "ES", suspects=1, minors=2)
