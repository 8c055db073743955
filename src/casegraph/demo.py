"""`casegraph demo`: a benign synthetic operation carried through every pipeline stage."""

from __future__ import annotations

import errno
import json
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from casegraph.errors import CaseError
from casegraph.store.cases import Case, Home

T = TypeVar("T")
DEMO_CASE = "demo"
# Written into the work folder; lists what the demo made there, the only things it replaces.
MARKER = ".casegraph-demo.json"
LABEL_WIDTH = 20  # stage lines fit 80 columns: 2 + 20 + 8 + up to 50 of note


@dataclass(frozen=True)
class DemoRun:
    home: Home
    case: Case
    html: Path


def _stage(
    console: Console, label: str, work: Callable[[], T], note: Callable[[T], str] = str
) -> T:
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    console.print(f"  {label:<{LABEL_WIDTH}} {elapsed:5.1f} s  {note(result)}", highlight=False)
    return result


def check_port_free(host: str, port: int) -> None:
    """Refuse a busy port now, before a pipeline whose web workspace could not start."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
            raise CaseError(
                f"port {port} on {host} {why}; choose another with --port "
                f"(make demo PORT={port + 1}) or stop what listens there"
            ) from exc


def prepare_workdir(workdir: Path, own_home: bool) -> list[str]:
    """Empty what an earlier demo made in `workdir`, nothing else; returns what this run makes.

    A folder with other content and no demo marker is refused: the demo never deletes what
    it did not create.
    """
    if workdir.exists() and not workdir.is_dir():
        raise CaseError(f"--workdir {workdir} is a file; choose a new or empty folder")
    marker = workdir / MARKER
    made_before: list[str] = []
    if marker.is_file():
        try:
            made_before = list(json.loads(marker.read_text(encoding="utf-8"))["made"])
        except (ValueError, KeyError, TypeError) as exc:
            raise CaseError(
                f"{marker} is not a demo marker the demo can read; remove it or choose "
                "another --workdir"
            ) from exc
    elif workdir.is_dir() and any(workdir.iterdir()):
        raise CaseError(
            f"--workdir {workdir} already holds files the demo did not make; "
            "choose a new or empty folder (the demo never deletes what it did not create)"
        )
    for name in made_before:
        if name in ("operation", "reports", "home") and (workdir / name).is_dir():
            shutil.rmtree(workdir / name)
    made = ["operation", "reports", *(["home"] if own_home else [])]
    workdir.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"made": made}) + "\n", encoding="utf-8")
    return made


def _free_case_name(home: Home) -> str:
    """`demo`, or `demo-2`, `demo-3` … when a home already holds earlier demo cases."""
    taken = set(home.case_names())
    number = 1
    while (name := DEMO_CASE if number == 1 else f"{DEMO_CASE}-{number}") in taken:
        number += 1
    return name


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


def run_demo(
    home: Home | None,
    workdir: Path,
    seed: int,
    actor: str,
    console: Console,
    db_url: str | None = None,
) -> DemoRun:
    """Tip -> synth -> case -> ingest -> lists -> match -> analyze -> reports.

    The case goes into `home`, or into WORKDIR/home when it is None.
    """
    from casegraph.analysis.run import analyze_case
    from casegraph.exchange.investigations import investigation_status, set_status
    from casegraph.intake.inbox import submit_tip, triage_tip
    from casegraph.report.html import render_html
    from casegraph.report.json_view import build_report
    from casegraph.report.summary import MATCHED_MEDIA, case_summary
    from casegraph.store.custody import verify_evidence
    from casegraph.store.ingest import ingest_paths
    from casegraph.store.matching import hash_case_media, import_hash_list, match_case
    from casegraph.synth import generate

    started = time.perf_counter()
    prepare_workdir(workdir, own_home=home is None)
    demo_home = home if home is not None else Home(workdir / "home", db_url=db_url)
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
    case_name = _free_case_name(demo_home)
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
            f"{r.sources_added} sources, {r.messages} messages, {r.media} media"
            + (f", {len(r.warnings)} warnings" if r.warnings else "")
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
    _stage(console, "hash media", lambda: f"{hash_case_media(case, actor=actor)} file(s)")
    _stage(
        console,
        "match",
        lambda: match_case(case, actor=actor),
        lambda r: f"{r.known_material} {MATCHED_MEDIA} (known material)",
    )
    _stage(
        console,
        "analyze",
        lambda: analyze_case(case, actor=actor),
        lambda r: (
            f"{r.chats_with_parent} break-offs, {r.clusters} clusters, {len(r.countries)} countries"
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
            "ES investigation",
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
            f"{summary[k]} {k}" for k in ("chats", "accounts", "messages", "media", MATCHED_MEDIA)
        ),
        highlight=False,
    )
    console.print(f"done in {time.perf_counter() - started:.1f} s", highlight=False)
    console.print(f"  HTML report: {html_path}", highlight=False, soft_wrap=True)
    console.print(f"  JSON report: {json_path}", highlight=False, soft_wrap=True)
    console.print(
        f"  explore:     casegraph --home {demo_home.root} case show {case_name}",
        highlight=False,
        soft_wrap=True,
    )
    return DemoRun(demo_home, case, html_path)


def print_logins(home: Home, console: Console, url: str | None) -> None:
    """Seed the demo users and say how to log in (and, when serving, where and how to stop)."""
    from casegraph.web.demo import seed_demo_users

    logins = seed_demo_users(home)
    if url is None:
        console.print(
            f"[bold]web workspace[/bold]: casegraph --home {home.root} serve", soft_wrap=True
        )
    else:
        console.print(f"[bold]web workspace[/bold] {url}  (public reporting page: {url}report)")
    for username, password, role in logins:
        console.print(f"  login {username:<12} password {password:<20} {role}", highlight=False)
    if url is not None:
        console.print("Ctrl-C stops the web workspace.")
