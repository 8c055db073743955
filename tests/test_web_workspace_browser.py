"""The workspace pages in Debian's Chromium over the synthetic operation, run through the real
pipeline: what each page says, per role, and no Content-Security-Policy violation.
Screenshots land in out/screenshots/workspace-<role>-<page>.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casegraph.store.cases import Home, dispose_engines
from casegraph.web.app import create_app
from web_fixtures import PASSWORDS, LiveServer, seed_users

pytestmark = pytest.mark.browser

CSP_WATCH = (
    "window.cspViolations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.fixture(scope="module")
def site(synth_small: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import json

    from casegraph.analysis.run import analyze_case
    from casegraph.exchange.investigations import set_status
    from casegraph.store.ingest import ingest_paths
    from casegraph.store.matching import hash_case_media, import_hash_list, match_case

    truth = json.loads((synth_small / "truth.json").read_text())
    home = Home(tmp_path_factory.mktemp("workspace-web") / "home")
    case = home.create_case("op-synth", timezone=truth["timezone"])
    ingest_paths(case, sorted((synth_small / "exports").iterdir()), captured_by="e2e")
    hash_case_media(case)
    for hash_list in truth["hash_lists"]:
        import_hash_list(case, synth_small / hash_list["file"], negative=hash_list["negative"])
    match_case(case)
    analyze_case(case)
    set_status(case, "ES", status="referred", actor="analyst", reason="test")
    seed_users(home)
    # one browser logs in many times here; the login limit is tested elsewhere
    with LiveServer(create_app(home, logins_per_minute=600, login_burst=100)) as server:
        yield server.url
    dispose_engines()


@pytest.fixture(autouse=True)
def _close_pages(browser: Any) -> Iterator[None]:
    """Each test's pages are closed after it: a page left drawing slows the next test's."""
    yield
    for context in browser.contexts:
        context.close()


def _login(browser: Any, url: str, username: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(CSP_WATCH)
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS.get(username, "liaison-pass-123"))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _shot(page: Any, screenshots: Path, role: str, name: str) -> None:
    assert page.evaluate("window.cspViolations") == [], name
    page.screenshot(path=str(screenshots / f"workspace-{role}-{name}.png"), full_page=True)


def test_the_dashboard_shows_investigations_and_the_triage_queue(
    browser: Any, screenshots: Path, site: str
) -> None:
    page = _login(browser, site, "analyst")
    page.goto(f"{site}/dashboard")
    countries = page.locator("#investigations tbody tr td:nth-child(2) a").all_text_contents()
    assert countries and "unattributed" not in countries
    href = page.locator("#investigations tbody tr td:nth-child(2) a").first.get_attribute("href")
    assert href == f"/cases/op-synth/investigations#investigation-{countries[0]}"
    _shot(page, screenshots, "analyst", "dashboard")
    page.goto(f"{site}/cases/op-synth/investigations")
    assert page.locator("form[action$='/unattributed/status']").count() == 0
    _shot(page, screenshots, "analyst", "investigations")


def test_the_auditor_and_an_unreferred_liaison_see_only_what_they_may(
    browser: Any, screenshots: Path, site: str
) -> None:
    auditor = _login(browser, site, "auditor")
    auditor.goto(f"{site}/cases/op-synth/audit")
    assert auditor.locator(".casenav a").all_text_contents() == ["Audit"]
    _shot(auditor, screenshots, "auditor", "case-audit")
    missing = auditor.goto(f"{site}/no-such-page")
    assert missing.status == 404 and auditor.locator("h1").text_content() == "404"
    _shot(auditor, screenshots, "auditor", "not-found")
    nothing = _login(browser, site, "liaison-mx")
    nothing.goto(f"{site}/dashboard")
    assert "Nothing has been referred to MX yet" in nothing.text_content("#empty-reason")
    _shot(nothing, screenshots, "liaison-mx", "dashboard")


def test_chats_accounts_and_an_account_read_as_an_analyst_would(
    browser: Any, screenshots: Path, site: str
) -> None:
    page = _login(browser, site, "analyst")
    page.goto(f"{site}/cases/op-synth/chats")
    parents = page.locator("#chats td.parent a").all_text_contents()
    assert parents and not any(p.startswith("chat-") for p in parents)
    _shot(page, screenshots, "analyst", "chats")

    page.goto(f"{site}/cases/op-synth/accounts?sort=matched")
    matched = [int(t) for t in page.locator("#accounts td.matched").all_text_contents()]
    assert matched == sorted(matched, reverse=True) and matched[0] > 0
    page.click("#accounts th a:text('Key-actor score')")
    first = page.locator("#accounts tbody tr").first
    assert "(#1)" in first.locator("td.score").text_content()
    _shot(page, screenshots, "analyst", "accounts")

    first.locator("td:first-child a").click()
    assert page.locator("#country-reasons li").count() >= 1
    reasons = page.locator("#country-reasons li").all_text_contents()
    assert all(r[0].isupper() and r.endswith(".") and "{" not in r for r in reasons)
    assert page.locator("#merge-form").count() == 1 and page.locator("#split-form").count() == 1
    _shot(page, screenshots, "analyst", "account")


def test_the_key_actors_page_explains_and_links(browser: Any, screenshots: Path, site: str) -> None:
    page = _login(browser, site, "analyst")
    page.goto(f"{site}/cases/op-synth/key-actors")
    rows = page.locator("#key-actors tbody tr")
    assert rows.count() >= 3
    assert [int(t) for t in page.locator("#key-actors td.rank").all_text_contents()][:3] == [
        1,
        2,
        3,
    ]
    top = rows.first
    assert top.locator("ul.reasons li").count() >= 1
    assert top.locator("a[href*='/accounts/']").count() == 1
    assert top.locator("a[href*='/chats/']").count() >= 1
    _shot(page, screenshots, "analyst", "key-actors")
    page.click("#key-actors th a:text('Messages')")
    counts = [int(t) for t in page.locator("#key-actors tbody td:nth-child(5)").all_text_contents()]
    assert counts == sorted(counts, reverse=True)

    liaison = _login(browser, site, "liaison")
    liaison.goto(f"{site}/cases/op-synth/key-actors")
    _shot(liaison, screenshots, "liaison-es", "key-actors")


def test_the_network_marks_key_actors_explains_colours_and_opens_a_panel(
    browser: Any, screenshots: Path, site: str
) -> None:
    page = _login(browser, site, "analyst")
    page.goto(f"{site}/cases/op-synth/graph")
    page.wait_for_selector("#graph[data-nodes] canvas")
    assert page.locator("#legend li").count() == 7
    key_actors = page.evaluate("window.casegraphGraph.nodes('.key').length")
    assert key_actors >= 3
    named = page.evaluate("window.casegraphGraph.nodes('.named').map(n => n.data('rank'))")
    assert sorted(named) == list(range(1, min(key_actors, 8) + 1))  # the top ones are named
    first = page.evaluate(
        "window.casegraphGraph.nodes().map(n => [n.id(), n.position('x')]).slice(0, 5)"
    )
    _shot(page, screenshots, "analyst", "network")
    page.evaluate(
        "window.casegraphGraph.nodes('.key').sort((a, b) => a.data('rank') - b.data('rank'))"
        "[0].emit('tap')"
    )
    panel = page.locator("#node-panel")
    assert "key actor #1" in panel.text_content()
    assert panel.locator("a[href*='/accounts/']").count() >= 1
    assert panel.locator("a[href*='/chats/']").count() >= 1
    _shot(page, screenshots, "analyst", "network-panel")
    page.reload()
    page.wait_for_selector("#graph[data-nodes] canvas")
    again = page.evaluate(
        "window.casegraphGraph.nodes().map(n => [n.id(), n.position('x')]).slice(0, 5)"
    )
    assert again == first  # the seeded layout does not move between visits


def test_the_timeline_reads_in_the_cases_time_zone_with_events_in_place(
    browser: Any, screenshots: Path, site: str
) -> None:
    for role, username in (("analyst", "analyst"), ("liaison-es", "liaison")):
        page = _login(browser, site, username)
        page.goto(f"{site}/cases/op-synth/chats")
        page.locator("#chats tbody tr td:first-child a").first.click()
        kinds = page.locator("#messages > li").evaluate_all("items => items.map(i => i.className)")
        assert kinds[0] == "day" and "event" in kinds
        first_event = kinds.index("event")
        assert any(k.startswith("msg") for k in kinds[first_event:])  # among, not apart
        times = page.locator("#messages li.msg time").all_text_contents()
        assert times and all(len(t) == 5 and t[2] == ":" for t in times)
        assert "Times are in " in page.text_content("#zone")
        assert page.locator("#chat-activity svg rect").count() >= 1
        _shot(page, screenshots, role, "timeline")


def test_cascades_are_pictures_with_known_material_flagged(
    browser: Any, screenshots: Path, site: str
) -> None:
    for role, username in (("analyst", "analyst"), ("liaison-es", "liaison")):
        page = _login(browser, site, username)
        page.goto(f"{site}/cases/op-synth/cascades")
        sections = page.locator("section.cascade")
        assert sections.count() >= 1
        assert sections.first.locator("svg.cascade circle.first").count() >= 2
        assert sections.first.locator("p.first a[href*='/accounts/']").count() == 1
        headings = " ".join(page.locator("section.cascade h2").all_text_contents())
        assert "cluster-" not in headings
        if role == "analyst":
            assert page.locator("section.cascade.known .flag.known").count() >= 1
        _shot(page, screenshots, role, "cascades")


def test_the_map_shades_countries_offline_and_links_their_investigations(
    browser: Any, screenshots: Path, site: str
) -> None:
    for role, username in (("analyst", "analyst"), ("liaison-es", "liaison")):
        page = _login(browser, site, username)
        page.goto(f"{site}/map")
        page.wait_for_selector("#map[data-drawn] svg.world")
        assert page.locator("#map path.country").count() > 150  # the whole world is drawn
        linked = page.locator("#map a[data-country]").evaluate_all(
            "links => links.map(a => a.getAttribute('data-country'))"
        )
        assert "ES" in linked
        if role == "liaison-es":
            assert linked == ["ES"]
        es = page.locator("#map a[data-country=ES]").get_attribute("href")
        assert es == "/cases/op-synth/investigations#investigation-ES"
        _shot(page, screenshots, role, "map")


def test_media_rows_link_where_posted_and_name_categories(
    browser: Any, screenshots: Path, site: str
) -> None:
    for role, username in (("analyst", "analyst"), ("liaison-es", "liaison")):
        page = _login(browser, site, username)
        page.goto(f"{site}/cases/op-synth/media")
        chats = page.locator("#media td.chats a").all_text_contents()
        accounts = page.locator("#media td.accounts a").all_text_contents()
        assert chats and not any(c.startswith("chat-") for c in chats), role
        assert accounts and not any(a.startswith("account-") for a in accounts), role
        known = page.locator("#media tr.matched td.known").all_text_contents()
        assert known and all(k.startswith("category ") for k in known), role
        assert page.locator("#media tr.matched img").count() == 0, role
        assert "known: " not in page.text_content("#media")
        _shot(page, screenshots, role, "media")
