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


def _stage(
    console: Console, label: str, work: Callable[[], T], note: Callable[[T], str] = str
) -> T:
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    console.print(f"  {label:<28} {elapsed:6.1f} s  {note(result)}", highlight=False)
    return result


TIP_FIELDS = {
    "platform": "platform",
    "group name": "group_name",
    "invite link": "invite_link",
    "phone number seen in the group": "phones",
    "description": "description",
}


def tip_fields(text: str) -> dict[str, object]:
    """The synthetic tip's `Key: value` lines as the fields of the public reporting form."""
    fields: dict[str, object] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        name = TIP_FIELDS.get(key.strip().lower())
        if name:
            fields[name] = value.strip().lower() if name == "platform" else value.strip()
    return fields


def run_demo(home: Home, workdir: Path, seed: int, actor: str, console: Console) -> Path:
    """Tip -> synth -> case -> ingest -> lists -> match -> analyze -> reports; returns the HTML."""
    from casegraph.analysis.run import analyze_case
    from casegraph.exchange.investigations import investigation_status, set_status
    from casegraph.intake.inbox import submit_tip, triage_tip
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
    tip = _stage(
        console,
        "public tip received",
        lambda: submit_tip(
            demo_home, tip_fields((operation / "tip.txt").read_text()), actor="public"
        ),
        lambda result: f"receipt {result.receipt}",
    )
    case_name = DEMO_CASE if home.db_url is None else f"{DEMO_CASE}-{seed}-{int(time.time())}"
    case = _stage(
        console,
        "case created",
        lambda: demo_home.create_case(
            case_name, timezone=truth["timezone"], agency="EU", actor=actor
        ),
        lambda result: f"{result.name} ({result.backend}, {result.timezone})",
    )
    exports = sorted((operation / "exports").iterdir())
    _stage(
        console,
        "ingest exports",
        lambda: ingest_paths(case, exports, captured_by="undercover officer UC-1", actor=actor),
        lambda r: (
            f"{r.sources_added} sources, {r.messages} messages, {r.events} events, "
            f"{r.media} media, {len(r.warnings)} warning(s)"
        ),
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

        _stage(
            console,
            f"hash list {hash_list['name']}",
            import_list,
            lambda r: f"{r.added} entries ({r.format})",  # type: ignore[attr-defined]
        )
    _stage(console, "hash media", lambda: f"{hash_case_media(case)} file(s)")
    _stage(
        console,
        "match",
        lambda: match_case(case, actor=actor),
        lambda r: f"{r.matches} matches, {r.known_material} known material",
    )
    _stage(
        console,
        "analyze",
        lambda: analyze_case(case, actor=actor),
        lambda r: (
            f"{r.chats_with_parent} break-offs, {r.clusters} media clusters, "
            f"{len(r.countries)} countries"
        ),
    )
    _stage(console, "evidence verify", lambda: "ok" if verify_evidence(case).ok else "FAILED")
    _stage(
        console,
        "tip triaged",
        lambda: (
            triage_tip(
                demo_home, tip.receipt, "case_opened", actor, case=case_name, reason="demo"
            ).status
        ),
    )
    if any(view.country == "ES" for view in investigation_status(case)):
        _stage(
            console,
            "ES investigation referred",
            lambda: (
                set_status(
                    case, "ES", status="referred", actor=actor, reason="demo: referred to ES"
                ).status
            ),
        )

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
        lambda size: f"{size:,} characters",
    )
    _stage(
        console,
        "report html",
        lambda: html_path.write_text(render_html(case), encoding="utf-8"),
        lambda size: f"{size:,} characters",
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


def print_logins(home: Home, console: Console, url: str) -> None:
    """Seed the demo users and say how to log in."""
    from casegraph.web.demo import seed_demo_users

    console.print(f"[bold]web workspace[/bold] {url}  (public reporting page: {url}report)")
    for username, password, role in seed_demo_users(home):
        console.print(f"  login {username:<12} password {password:<20} {role}")
