"""`casegraph demo`: a benign synthetic operation carried through every pipeline stage."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from casegraph.store.cases import Home

T = TypeVar("T")
DEMO_CASE = "demo"


def _stage(console: Console, label: str, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = work()
    console.print(f"  {label:<28} {time.perf_counter() - started:6.1f} s  {result}")
    return result


def run_demo(home: Home, workdir: Path, seed: int, actor: str, console: Console) -> Path:
    """Synth -> case -> ingest -> hash lists -> match -> analyze -> reports; returns the HTML."""
    from casegraph.analysis.run import analyze_case
    from casegraph.report.html import render_html
    from casegraph.report.json_view import build_report
    from casegraph.report.summary import case_summary
    from casegraph.store.custody import verify_evidence
    from casegraph.store.ingest import ingest_paths
    from casegraph.store.matching import hash_case_media, import_hash_list, match_case
    from casegraph.synth import generate

    started = time.perf_counter()
    demo_home = Home(workdir / "home", db_url=home.db_url)
    if workdir.exists():  # the demo's own scratch folder: start clean every run
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    console.print(f"[bold]casegraph demo[/bold] (seed {seed}) in {workdir}")

    operation = _stage(
        console,
        "synthetic operation",
        lambda: generate(workdir / "operation", seed=seed, scale="small"),
    )
    truth = json.loads((operation / "truth.json").read_text())
    case_name = DEMO_CASE if home.db_url is None else f"{DEMO_CASE}-{seed}-{int(time.time())}"
    case = _stage(
        console,
        "case created",
        lambda: demo_home.create_case(
            case_name, timezone=truth["timezone"], agency="EU", actor=actor
        ),
    )
    exports = sorted((operation / "exports").iterdir())
    _stage(
        console,
        "ingest exports",
        lambda: ingest_paths(case, exports, captured_by="undercover officer UC-1", actor=actor),
    )
    for hash_list in truth["hash_lists"]:

        def import_list(hl: dict[str, Any] = hash_list) -> object:
            return import_hash_list(
                case,
                operation / hl["file"],
                name=hl["name"],
                negative=hl.get("negative", False),
                actor=actor,
            )

        _stage(console, f"hash list {hash_list['name']}", import_list)
    _stage(console, "hash media", lambda: f"{hash_case_media(case)} file(s)")
    _stage(console, "match", lambda: match_case(case, actor=actor))
    _stage(console, "analyze", lambda: analyze_case(case, actor=actor))
    _stage(console, "evidence verify", lambda: "ok" if verify_evidence(case).ok else "FAILED")

    reports = workdir / "reports"
    reports.mkdir()
    json_path = reports / "case.json"
    html_path = reports / "case.html"
    _stage(
        console,
        "report json",
        lambda: json_path.write_text(
            json.dumps(build_report(case), indent=2, ensure_ascii=False), encoding="utf-8"
        ),
    )
    _stage(
        console,
        "report html",
        lambda: html_path.write_text(render_html(case), encoding="utf-8"),
    )
    summary = case_summary(case)
    console.print(
        "  "
        + ", ".join(
            f"{summary[k]} {k}" for k in ("chats", "accounts", "messages", "media", "matches")
        )
    )
    console.print(f"done in {time.perf_counter() - started:.1f} s")
    console.print(f"  HTML report: {html_path}")
    console.print(f"  JSON report: {json_path}")
    console.print(f"  explore:     casegraph --home {demo_home.root} case show {case_name}")
    return html_path
