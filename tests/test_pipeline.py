"""The synthetic operation through every stage, checked against its own ground truth."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from casegraph.store.cases import Home

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def truth(synth_small: Path) -> dict[str, Any]:
    return json.loads((synth_small / "truth.json").read_text())


@pytest.fixture
def pipeline(run_cli: Cli, synth_small: Path, truth: dict[str, Any]) -> dict[str, Any]:
    """Runs the CLI as a user would; returns the JSON report."""
    assert run_cli("case", "create", "op", "--timezone", truth["timezone"])[0] == 0
    exports = [str(p) for p in sorted((synth_small / "exports").iterdir())]
    code, out, err = run_cli("ingest", "op", *exports, "--captured-by", "UC-1")
    assert code == 0, err
    for hash_list in truth["hash_lists"]:
        args = ["hashlist", "import", "op", str(synth_small / hash_list["file"])]
        args += ["--name", hash_list["name"]]
        if hash_list.get("negative"):
            args.append("--negative")
        assert run_cli(*args)[0] == 0
    assert run_cli("match", "op")[0] == 0
    assert run_cli("analyze", "op")[0] == 0
    code, out, _ = run_cli("report", "op", "--format", "json")
    assert code == 0
    report: dict[str, Any] = json.loads(out)
    return report


def _chat_by_title(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {chat["title"]: chat for chat in report["chats"]}


def test_every_truth_chat_is_reported_with_its_message_and_event_counts(
    pipeline: dict[str, Any], truth: dict[str, Any]
) -> None:
    chats = _chat_by_title(pipeline)
    for expected in truth["chats"]:
        chat = chats[expected["title"]]
        assert chat["messages"] == expected["messages"], expected["title"]
        assert chat["events"] == expected["events"], expected["title"]


def test_accounts_are_the_truths_identifiers(
    pipeline: dict[str, Any], truth: dict[str, Any]
) -> None:
    reported = {a["identifier"] for a in pipeline["accounts"]}
    assert {a["identifier"] for a in truth["accounts"]} <= reported


def test_expected_matches_are_found_and_nothing_else(
    pipeline: dict[str, Any], truth: dict[str, Any]
) -> None:
    found = Counter((m["media_sha256"], m["list"], m["entry"]) for m in pipeline["matches"])
    expected = Counter(
        (m["media_sha256"], m["list"], m["entry"]) for m in truth["expected_matches"]
    )
    assert found == expected


def test_every_chat_parent_is_the_truths_parent(
    pipeline: dict[str, Any], truth: dict[str, Any]
) -> None:
    chats = _chat_by_title(pipeline)
    by_truth_id = {c["id"]: chats[c["title"]]["id"] for c in truth["chats"]}
    for expected in truth["chats"]:
        want = by_truth_id[expected["parent"]] if expected["parent"] else None
        assert chats[expected["title"]]["parent"] == want, expected["title"]


def test_reingesting_the_same_exports_changes_nothing(
    pipeline: dict[str, Any], run_cli: Cli, synth_small: Path
) -> None:
    exports = [str(p) for p in sorted((synth_small / "exports").iterdir())]
    code, out, _ = run_cli("ingest", "op", *exports)
    assert code == 0 and "ingested 0 source(s)" in out
    code, again, _ = run_cli("report", "op", "--format", "json")
    report = json.loads(again)
    assert [c["messages"] for c in report["chats"]] == [c["messages"] for c in pipeline["chats"]]
    assert report["sources"] == pipeline["sources"]


def test_custody_and_audit_hold_after_the_whole_pipeline(
    pipeline: dict[str, Any], run_cli: Cli
) -> None:
    assert run_cli("evidence", "verify", "op")[0] == 0
    code, out, _ = run_cli("audit", "verify", "op")
    assert code == 0 and "chain intact" in out


def test_account_ids_are_stable_across_cases(
    pipeline: dict[str, Any], run_cli: Cli, synth_small: Path, home: Home
) -> None:
    run_cli("case", "create", "op2", "--timezone", "Europe/Madrid")
    exports = [str(p) for p in sorted((synth_small / "exports").iterdir())]
    run_cli("ingest", "op2", *exports)
    report = json.loads(run_cli("report", "op2")[1])
    assert {a["id"] for a in report["accounts"]} == {a["id"] for a in pipeline["accounts"]}
    assert {c["id"] for c in report["chats"]} == {c["id"] for c in pipeline["chats"]}


def test_demo_runs_end_to_end(home: Home, tmp_path: Path, run_cli: Cli) -> None:
    workdir = tmp_path / "demo"
    code, _, err = run_cli("demo", "--workdir", str(workdir), "--no-serve")
    assert code == 0, err
    html = (workdir / "reports" / "case.html").read_text()
    report = json.loads((workdir / "reports" / "case.json").read_text())
    assert report["chats"] and report["matches"]
    assert "<html" in html.lower() and report["case"]["name"] in html
    shutil.rmtree(workdir)


def test_an_analysts_recorded_country_wins_and_survives_reanalysis(
    pipeline: dict[str, Any], run_cli: Cli
) -> None:
    telegram_user = next(
        a for a in pipeline["accounts"] if a["identifier"].startswith("user") and not a["country"]
    )
    code, _, err = run_cli(
        "person", "facts", "op", telegram_user["identifier"], "--country", "MX", "--reason", "ISP"
    )
    assert code == 0, err
    assert run_cli("analyze", "op")[0] == 0
    report = json.loads(run_cli("report", "op")[1])
    account = next(a for a in report["accounts"] if a["id"] == telegram_user["id"])
    assert account["country"] == "MX" and account["country_reasons"][0]["kind"] == "recorded"
    mexico = next(i for i in report["investigations"] if i["country"] == "MX")
    assert telegram_user["id"] in mexico["accounts"]
