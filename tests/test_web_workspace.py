"""The workspace as an analyst reads it: the triage queue, links to each country's
investigation, menus that offer only what a role may open, an explained empty workspace,
the HTML error page for unknown addresses and one matched-media count everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casegraph.model import account_key
from casegraph.report.summary import MATCHED_MEDIA, case_summary
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.db import utcnow
from casegraph.store.schema import AccountRow, InvestigationAccountRow, InvestigationRow
from web_fixtures import Built, build_case, login, make_client, seed_users

UNPLACED = "+999 555 0100"  # a synthetic number no country plan claims


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, Built]]:
    home = Home(Path(tmp_path_factory.mktemp("workspace")) / "home")
    built = build_case(home)
    case = home.open_case(built.case)
    with case.mutate("fixture", "fixture.unattributed", "case:op-alpha") as s:
        account = AccountRow(
            case_id=case.id,
            key=account_key("whatsapp", UNPLACED, case.id_secret),
            platform="whatsapp",
            identifier=UNPLACED,
            identifier_kind="phone",
            names=["Sin pais"],
        )
        queue = InvestigationRow(
            case_id=case.id, country="unattributed", status="proposed", created_at=utcnow()
        )
        s.add_all([account, queue])
        s.flush()
        s.add(InvestigationAccountRow(investigation_id=queue.id, account_id=account.id))
    seed_users(home)
    yield home, built
    dispose_engines()


def _client(world: tuple[Home, Built], username: str) -> Any:
    client = make_client(world[0])
    login(client, username)
    return client


def test_unattributed_accounts_are_a_triage_queue_not_an_investigation(
    world: tuple[Home, Built],
) -> None:
    client = _client(world, "analyst")
    data = client.get("/api/dashboard").json()
    assert [row["country"] for row in data["investigations"]] == ["ES", "MX"]
    assert data["totals"]["investigations"] == 2
    assert data["triage"] == [{"case": "op-alpha", "accounts": 1}]
    page = client.get("/dashboard").text
    assert "Triage queue" in page and "1 account in op-alpha" in page
    assert 'href="/cases/op-alpha/accounts?country=unattributed"' in page
    investigations = client.get("/cases/op-alpha/investigations").text
    assert "/investigations/unattributed/status" not in investigations
    assert 'id="triage-queue"' in investigations


def test_the_triage_queue_lists_the_accounts_without_a_country(
    world: tuple[Home, Built],
) -> None:
    client = _client(world, "analyst")
    shown = client.get("/api/cases/op-alpha/accounts?country=unattributed").json()["accounts"]
    assert [a["identifier"] for a in shown] == [UNPLACED]


def test_dashboard_rows_link_to_the_countrys_investigation(world: tuple[Home, Built]) -> None:
    page = _client(world, "analyst").get("/dashboard").text
    assert 'href="/cases/op-alpha/investigations#investigation-ES"' in page
    assert (
        'id="investigation-ES"'
        in _client(world, "analyst").get("/cases/op-alpha/investigations").text
    )


def test_the_auditors_menu_offers_only_the_audit_pages(world: tuple[Home, Built]) -> None:
    page = _client(world, "auditor").get("/cases/op-alpha/audit").text
    menu = page[page.index('<nav class="casenav">') : page.index("</nav>", page.index("casenav"))]
    assert 'href="/cases/op-alpha/audit"' in menu
    for refused in ("/chats", "/accounts", "/graph", "/media", "/investigations"):
        assert f"/cases/op-alpha{refused}" not in menu
    assert 'href="/dashboard"' not in page


def test_a_liaison_officer_with_nothing_referred_is_told_why(world: tuple[Home, Built]) -> None:
    client = _client(world, "liaison-mx")  # the MX investigation is only proposed
    for page in ("/dashboard", "/cases"):
        text = client.get(page).text
        assert "Nothing has been referred to MX yet" in text
        assert "op-alpha" not in text


def test_unknown_addresses_get_the_html_error_page_outside_the_api(
    world: tuple[Home, Built],
) -> None:
    client = _client(world, "analyst")
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>404</h1>" in page.text and 'href="/dashboard"' in page.text
    api = client.get("/api/no/such/thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_the_overview_counts_matched_media_as_case_show_does(world: tuple[Home, Built]) -> None:
    home, built = world
    counts = _client(world, "analyst").get(f"/api/cases/{built.case}").json()["counts"]
    assert counts["matched media"] == case_summary(home.open_case(built.case))[MATCHED_MEDIA]
    assert counts["matched media"] == 1
