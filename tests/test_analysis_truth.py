"""Against `casegraph synth` truth (seeds 7 and 11): lineage, first posters, countries."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from casegraph.analysis.run import analyze_case
from casegraph.report.json_view import build_report
from casegraph.store.cases import Home, dispose_engines

ingest = pytest.importorskip("casegraph.store.ingest", reason="store.ingest is not written yet")
synth = pytest.importorskip("casegraph.synth")


@pytest.fixture(scope="module", params=[7, 11])
def analysed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp(f"truth{request.param}")
    outdir = synth.generate(root / "op", seed=request.param, scale="small")
    truth = json.loads((Path(outdir) / "truth.json").read_text("utf-8"))
    case = Home(root / "home").create_case("op-truth", timezone=truth["timezone"])
    exports = sorted((Path(outdir) / "exports").iterdir())
    ingest.ingest_paths(case, exports, captured_by="test")
    analyze_case(case)
    yield truth, build_report(case)
    dispose_engines()


def test_lineage_is_exactly_the_truth(analysed: Any) -> None:
    truth, report = analysed
    title_of = {c["id"]: c["title"] for c in truth["chats"]}
    ours = {c["title"]: c["parent"] for c in report["chats"]}
    our_titles = {c["id"]: c["title"] for c in report["chats"]}
    for chat in truth["chats"]:
        expected = title_of.get(chat["parent"]) if chat["parent"] else None
        got = ours[chat["title"]]
        assert (our_titles[got] if got else None) == expected, chat["title"]


def _minute(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(second=0, microsecond=0)


def _truth_identifiers(truth: dict[str, Any], report: dict[str, Any]) -> dict[str, str]:
    """Our account id -> the truth's identifier for it.

    A WhatsApp export shows a contact the exporting phone had saved by that saved name, never
    by number, so such an account is known only by its name: it is the truth account whose
    display names hold that name (the synthetic names are unique).
    """
    by_name: dict[str, list[str]] = {}
    for account in truth["accounts"]:
        for name in account["names"]:
            by_name.setdefault(name, []).append(account["identifier"])
    mapped = {}
    for account in report["accounts"]:
        if account["identifier_kind"] == "name":
            candidates = by_name.get(account["identifier"], [])
            mapped[account["id"]] = candidates[0] if len(candidates) == 1 else account["identifier"]
        else:
            mapped[account["id"]] = account["identifier"]
    return mapped


def test_first_poster_matches_the_truth_for_95_percent(analysed: Any) -> None:
    truth, report = analysed
    identifier = _truth_identifiers(truth, report)
    first = {m["sha256"]: m["first_seen"] for m in report["media"]}
    checked = [m for m in truth["media"] if m["sha256"] in first and first[m["sha256"]]]
    truth_title = {c["id"]: c["title"] for c in truth["chats"]}
    our_title = {c["id"]: c["title"] for c in report["chats"]}

    def same_posting(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
        return (
            identifier.get(ours["account"]) == theirs["account"]
            and our_title[ours["chat"]] == truth_title[theirs["chat"]]
            and _minute(ours["at"]) == _minute(theirs["at"])  # Android exports keep minutes
        )

    right = sum(same_posting(first[m["sha256"]], m["first_seen"]) for m in checked)
    assert len(checked) == len(truth["media"])  # every file the truth lists was seen
    assert right / len(checked) >= 0.95


def test_countries_match_the_truth_for_95_percent(analysed: Any) -> None:
    truth, report = analysed
    ours = {a["identifier"]: a["country"] for a in report["accounts"]}
    known = [a for a in truth["accounts"] if a["identifier"] in ours and a["country"]]
    right = sum(ours[a["identifier"]] == a["country"] for a in known)
    assert known and right / len(known) >= 0.95


def test_phone_accounts_land_in_exactly_their_country_investigation(analysed: Any) -> None:
    truth, report = analysed
    identifier = {a["id"]: a["identifier"] for a in report["accounts"]}
    for country, members in truth["countries"].items():
        phones = {m for m in members if m.startswith("+")}
        investigation = next(i for i in report["investigations"] if i["country"] == country)
        ours = {identifier[a] for a in investigation["accounts"] if identifier[a].startswith("+")}
        assert ours == phones, country
