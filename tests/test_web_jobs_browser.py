"""In Chromium: an analyst builds a case from the browser alone, jobs and all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from casegraph.store.cases import Home, dispose_engines
from casegraph.web.app import create_app
from web_fixtures import PASSWORDS, LiveServer, seed_users

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Home]]:
    home = Home(Path(tmp_path_factory.mktemp("jobs-browser")) / "home")
    seed_users(home, "analyst")
    with LiveServer(create_app(home, job_worker=True)) as server:
        yield server.url, home
    dispose_engines()


def _upload(page: Any, form: str, path: Path) -> None:
    rows = page.locator("#jobs tbody tr[data-job]")
    before = rows.count()
    page.set_input_files(f"{form} input[type=file]", str(path))
    page.click(f"{form} button")
    expect(rows).to_have_count(before + 1, timeout=60_000)  # the page reloads with the job


def _wait_all_done(page: Any, jobs: int) -> None:
    rows = page.locator("#jobs tbody tr[data-job]")
    expect(rows).to_have_count(jobs, timeout=120_000)
    for n in range(jobs):
        expect(rows.nth(n)).to_have_attribute("data-status", "done", timeout=180_000)


def test_an_analyst_builds_a_case_from_the_browser(
    browser: Any, screenshots: Path, site: tuple[str, Home], synth_small: Path
) -> None:
    url, _home = site
    truth = json.loads((synth_small / "truth.json").read_text())
    parent, child = truth["chats"][0], truth["chats"][1]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", PASSWORDS["analyst"])
    page.click("button[type=submit]")
    page.goto(f"{url}/cases")
    page.fill("#new-case input[name=name]", "op-web")
    page.fill("#new-case input[name=agency]", "ES")
    page.click("#new-case button")
    page.wait_for_url("**/cases/op-web/jobs")

    page.fill("#upload-export input[name=captured_by]", "UC officer 4471")
    page.fill("#upload-export input[name=device]", "unit phone 2")
    _upload(page, "#upload-export", synth_small / parent["export"])
    _upload(page, "#upload-export", synth_small / child["export"])
    _upload(page, "#upload-hashlist", synth_small / "hashlists" / "known.vics.json")
    _wait_all_done(page, 3)
    page.screenshot(path=str(screenshots / "web-jobs-uploaded.png"), full_page=True)

    page.click("#run-match")
    _wait_all_done(page, 4)
    page.click("#run-analyze")
    _wait_all_done(page, 5)
    expect(page.locator("#jobs tbody tr").first).to_contain_text("analyze finished")
    page.screenshot(path=str(screenshots / "web-jobs-done.png"), full_page=True)

    page.goto(f"{url}/cases/op-web/chats")
    expect(page.locator("main")).to_contain_text(parent["title"])
    expect(page.locator("main")).to_contain_text(child["title"])
    page.goto(f"{url}/cases/op-web/lineage")
    expect(page.locator("main")).to_contain_text(child["title"])
    expect(page.locator("main")).to_contain_text(parent["title"])
    page.screenshot(path=str(screenshots / "web-jobs-lineage.png"), full_page=True)
    page.goto(f"{url}/api/cases/op-web/media")
    matched = [m for m in json.loads(page.text_content("body"))["media"] if m["matched"]]
    assert matched, "the uploaded list matched nothing"
