"""The synthetic operation ingested for real, worked in Chromium: the public tip that started
it reaches the analyst linked to the case; a referral opens the case to Spain's liaison
officer and to nobody else. Screenshots land in out/screenshots/web-synth-*.png."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casegraph.store.cases import Home, dispose_engines
from casegraph.web.app import create_app
from web_fixtures import PASSWORDS, LiveServer, seed_users

pytestmark = pytest.mark.browser


def _tip_fields(tip_text: str) -> dict[str, str]:
    """The synthetic operation's tip.txt as the member of the public would type it."""
    lines = dict(line.split(": ", 1) for line in tip_text.splitlines() if ": " in line)
    return {
        "platform": lines["Platform"].lower(),
        "group_name": lines["Group name"],
        "invite_link": lines["Invite link"],
        "phones": lines["Phone number seen in the group"],
        "description": lines["Description"],
    }


@pytest.fixture(scope="module")
def operation(
    synth_small: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, Any]]]:
    from casegraph.analysis.run import analyze_case
    from casegraph.store.ingest import ingest_paths
    from casegraph.store.matching import hash_case_media, import_hash_list, match_case

    truth = json.loads((synth_small / "truth.json").read_text())
    home = Home(tmp_path_factory.mktemp("synth-web") / "home")
    case = home.create_case("op-synth", timezone=truth["timezone"])
    ingest_paths(case, sorted((synth_small / "exports").iterdir()), captured_by="e2e")
    hash_case_media(case)
    for hash_list in truth["hash_lists"]:
        import_hash_list(case, synth_small / hash_list["file"], negative=hash_list["negative"])
    match_case(case)
    analyze_case(case)
    seed_users(home)
    truth["tip"] = _tip_fields((synth_small / "tip.txt").read_text())
    with LiveServer(create_app(home)) as server:
        yield server.url, truth
    dispose_engines()


def _login(browser: Any, url: str, username: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS.get(username, "liaison-pass-123"))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_the_operation_from_tip_to_referral(
    browser: Any, screenshots: Path, operation: tuple[str, dict[str, Any]]
) -> None:
    url, truth = operation
    tip = truth["tip"]
    public = browser.new_page()
    public.goto(f"{url}/report")
    public.select_option("select[name=platform]", tip["platform"])
    for field in ("group_name", "invite_link", "description"):
        public.locator(f"[name={field}]").fill(tip[field])
    public.fill("textarea[name=phones]", tip["phones"])
    public.click("button[type=submit]")
    receipt = public.text_content("#receipt").strip()

    analyst = _login(browser, url, "analyst")
    analyst.goto(f"{url}/tips")
    row = analyst.locator("#tips tr", has_text=receipt)
    assert row.locator("td.linked").text_content().strip() == "op-synth"
    analyst.goto(f"{url}/tips/{receipt}")
    assert "is a chat title in the case" in analyst.text_content("#links")

    analyst.goto(f"{url}/dashboard")
    investigations = analyst.request.get(f"{url}/api/dashboard").json()["investigations"]
    assert "ES" in {i["country"] for i in investigations}
    assert analyst.locator("#investigations tbody tr").count() == len(investigations)
    analyst.screenshot(path=str(screenshots / "web-synth-dashboard.png"), full_page=True)

    analyst.goto(f"{url}/cases/op-synth/chats")
    analyst.click(f"#chats a:text-is('{tip['group_name']}')")
    assert analyst.locator("#messages li").count() > 10
    analyst.screenshot(path=str(screenshots / "web-synth-timeline.png"), full_page=True)

    analyst.goto(f"{url}/cases/op-synth/graph")
    analyst.wait_for_selector("#graph[data-nodes] canvas")
    assert int(analyst.get_attribute("#graph", "data-nodes")) > len(truth["chats"])
    analyst.screenshot(path=str(screenshots / "web-synth-graph.png"), full_page=True)

    analyst.goto(f"{url}/cases/op-synth/lineage")
    parents = {c["title"]: c["parent"] for c in truth["chats"]}
    nested = analyst.locator("#lineage ul ul li > a").all_text_contents()
    assert nested and all(parents.get(title) for title in nested)
    analyst.screenshot(path=str(screenshots / "web-synth-lineage.png"), full_page=True)

    analyst.goto(f"{url}/cases/op-synth/investigations")
    es_row = analyst.locator("#investigations tr[data-country=ES]")
    es_row.locator("select[name=status]").select_option("referred")
    es_row.locator("button").click()

    liaison = _login(browser, url, "liaison")
    liaison.goto(f"{url}/cases/op-synth/accounts")
    countries = set(liaison.locator("#accounts tbody td:nth-child(4)").all_text_contents())
    assert countries == {"ES"}
    liaison.screenshot(path=str(screenshots / "web-synth-liaison.png"), full_page=True)
    foreign = liaison.request.get(f"{url}/api/cases/op-synth/investigations/FR/referral")
    assert foreign.status == 404
    other = _login(browser, url, "liaison-mx")
    assert other.request.get(f"{url}/api/cases/op-synth").status == 404
