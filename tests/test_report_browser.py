"""The HTML report as a colleague opens it: in Chromium, offline, with no media in it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def report_html(run_cli: Cli, synth_small: Path, tmp_path: Path) -> Path:
    truth = json.loads((synth_small / "truth.json").read_text())
    run_cli("case", "create", "op", "--timezone", truth["timezone"])
    run_cli("ingest", "op", *[str(p) for p in sorted((synth_small / "exports").iterdir())])
    for hash_list in truth["hash_lists"]:
        args = ["--name", hash_list["name"]] + (["--negative"] if hash_list.get("negative") else [])
        run_cli("hashlist", "import", "op", str(synth_small / hash_list["file"]), *args)
    run_cli("match", "op")
    run_cli("analyze", "op")
    target = tmp_path / "op.html"
    code, _, err = run_cli("report", "op", "--format", "html", "--out", str(target))
    assert code == 0, err
    return target


def test_report_renders_offline_with_its_sections(
    browser: Any, screenshots: Path, report_html: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(report_html.as_uri())
    headings = [h.strip().lower() for h in page.locator("h2").all_inner_texts()]
    page.screenshot(path=str(screenshots / "report-top.png"))
    page.screenshot(path=str(screenshots / "report-full.png"), full_page=True)
    page.close()
    for section in ("summary", "chats", "matches", "lineage", "country", "network", "cascades"):
        assert any(section in heading for heading in headings), (section, headings)
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    assert errors == []


def test_report_contains_no_image_of_any_media(report_html: Path, synth_small: Path) -> None:
    html = report_html.read_text()
    truth = json.loads((synth_small / "truth.json").read_text())
    for media in truth["media"]:
        for name in media["files"]:
            member = name.split("!")[-1].rsplit("/", 1)[-1]
            assert f'src="{member}' not in html
    assert "image/webp" not in html and "image/jpeg" not in html


def test_report_prints_to_a_readable_pdf(
    browser: Any, screenshots: Path, report_html: Path, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
    page.goto(report_html.as_uri())
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible()  # the on-screen menu is left off paper
    assert page.locator("thead").count() >= 8  # table headers repeat on every page
    body_size = page.evaluate("getComputedStyle(document.body).fontSize")
    page.screenshot(path=str(screenshots / "report-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    assert body_size != "14px"  # the print size, not the screen's
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pdf.startswith(b"%PDF") and pages >= 2
    (tmp_path / "op.pdf").write_bytes(pdf)


def test_report_figures_as_a_reader_sees_them(
    browser: Any, screenshots: Path, report_html: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(report_html.as_uri())
    for section in ("network", "cascades", "key-actors", "persons", "accounts"):
        page.locator(f"section#{section}").screenshot(
            path=str(screenshots / f"report-{section}.png")
        )
    persons = page.locator("section#persons").inner_text()
    network = page.locator("section#network").inner_text()
    panels = page.locator("section#cascades tr[id^=cascade-]").count()
    page.close()
    assert "person-" not in persons
    assert "Key actors in the figure: 1 " in network
    assert panels > 8  # every cascade, not the first eight
