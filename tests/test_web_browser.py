"""End to end in Debian's Chromium: a tip from the public to the analyst, the main pages,
a liaison officer's boundary and an audited reveal. Screenshots land in out/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from casegraph.store.cases import Home, dispose_engines
from casegraph.web.app import create_app
from web_fixtures import (
    ES_PHONES,
    INVITE,
    MX_PHONES,
    PASSWORDS,
    Built,
    LiveServer,
    build_case,
    seed_users,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Home, Built]]:
    home = Home(Path(tmp_path_factory.mktemp("browser")) / "home")
    built = build_case(home)
    seed_users(home)
    with LiveServer(create_app(home)) as server:
        yield server.url, home, built
    dispose_engines()


def _login(browser: Any, url: str, username: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS.get(username, "liaison-pass-123"))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_a_public_tip_reaches_the_analyst_linked_to_its_case(
    browser: Any, screenshots: Path, site: tuple[str, Home, Built]
) -> None:
    url, _, built = site
    public = browser.new_page(viewport={"width": 1000, "height": 900})
    public.goto(f"{url}/report")
    public.select_option("select[name=platform]", "whatsapp")
    public.fill("input[name=invite_link]", INVITE)
    public.fill("textarea[name=phones]", "+34 600 000 999")
    public.fill("textarea[name=description]", "A group trading stickers and worse; I left it.")
    public.screenshot(path=str(screenshots / "web-public-report.png"), full_page=True)
    public.click("button[type=submit]")
    receipt = public.text_content("#receipt").strip()
    assert receipt.startswith("TIP-")
    public.screenshot(path=str(screenshots / "web-public-receipt.png"), full_page=True)
    public.goto(f"{url}/report/status?receipt={receipt}")
    assert "being handled" in public.text_content("#status")

    analyst = _login(browser, url, "analyst")
    analyst.goto(f"{url}/tips")
    row = analyst.locator("#tips tr", has_text=receipt)
    assert row.locator("td.status").text_content() == "linked"
    assert row.locator("td.linked").text_content().strip() == built.case
    analyst.screenshot(path=str(screenshots / "web-tips-inbox.png"), full_page=True)


def test_the_main_pages_render_with_data(
    browser: Any, screenshots: Path, site: tuple[str, Home, Built]
) -> None:
    url, _, built = site
    page = _login(browser, url, "analyst")
    page.goto(f"{url}/dashboard")
    expect(page.locator("svg.chart rect").nth(2 - 1)).to_be_attached()
    expect(page.locator("#investigations tbody tr")).to_have_count(2)
    page.screenshot(path=str(screenshots / "web-dashboard.png"), full_page=True)

    page.goto(f"{url}/cases/{built.case}/chats/{built.chats['Sunrise Stickers']}")
    expect(page.locator("#messages li.msg")).to_have_count(30)
    expect(page.locator("#messages li.event")).to_have_count(2)
    page.screenshot(path=str(screenshots / "web-chat-timeline.png"), full_page=True)
    page.fill("#search input[name=q]", "palabraunica")
    page.click("#search button")
    page.wait_for_selector("#messages li:has-text('palabraunica')")
    expect(page.locator("#messages li.msg")).to_have_count(1)

    page.goto(f"{url}/cases/{built.case}/graph")
    page.wait_for_selector("#graph[data-nodes] canvas")
    assert page.get_attribute("#graph", "data-nodes") == "7"  # 2 chats + 5 accounts
    page.screenshot(path=str(screenshots / "web-network-graph.png"), full_page=True)

    page.goto(f"{url}/cases/{built.case}/lineage")
    child = page.locator("#lineage ul ul li a")
    assert child.text_content() == "Sunrise Stickers Reserve"
    page.screenshot(path=str(screenshots / "web-lineage.png"), full_page=True)


def test_a_liaison_officer_stays_within_their_country(
    browser: Any, screenshots: Path, site: tuple[str, Home, Built]
) -> None:
    url, _, built = site
    page = _login(browser, url, "liaison")
    page.goto(f"{url}/cases/{built.case}/accounts")
    shown = set(page.locator("#accounts tbody td:first-child").all_text_contents())
    assert shown == set(ES_PHONES)
    page.screenshot(path=str(screenshots / "web-liaison-accounts.png"), full_page=True)
    response = page.goto(f"{url}/cases/{built.case}/accounts/{built.accounts[MX_PHONES[1]]}")
    assert response.status == 404
    api = page.request.get(f"{url}/api/cases/{built.case}/investigations/MX/referral")
    assert api.status == 404


def test_a_reveal_is_audited_and_counted(
    browser: Any, screenshots: Path, site: tuple[str, Home, Built]
) -> None:
    url, home, built = site
    page = _login(browser, url, "reviewer")
    page.goto(f"{url}/cases/{built.case}/media")
    expect(page.locator("tr.matched .withheld")).to_have_count(1)
    page.screenshot(path=str(screenshots / "web-media.png"), full_page=True)
    form = page.locator(f"form[action$='{built.plain_media}/reveal']")
    form.locator("input[name=reason]").fill("confirm the sticker named in the tip")
    form.locator("button").click()
    page.wait_for_selector(".revealed img")
    assert page.text_content("#exposures") == "1"
    page.screenshot(path=str(screenshots / "web-reveal.png"), full_page=True)
    case = home.open_case(built.case)
    with case.read() as session:
        last = case.audit.entries(session, limit=1)[0]
    assert (last.actor, last.action) == ("reviewer", "media.reveal")
