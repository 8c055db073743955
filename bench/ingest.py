"""Ingest throughput against whatstk's parse alone, two inputs, alternating in one run.

Inputs: (1) a 200,000-message chat from whatstk's own `ChatGenerator` (dates spread over
decades: its inter-message gaps are heavy-tailed; Android `dd/mm/yyyy, HH:MM - ` headers) and
(2) the large synth chat (`synth.large`'s "Weekend League" export, 1,000,000 messages;
`--synth-messages` scales it). Per round and input, one after the other:

- whatstk `df_from_whatsapp` with the explicit header format (the baseline, parse only);
- casegraph's parse alone (`parse_whatsapp_bulk`, every record consumed, in this process);
- `casegraph ingest` as a CLI process into a fresh SQLite case (start-up included);
- `casegraph ingest` as a CLI process into PostgreSQL (COPY) when `--pg-url` answers.

Rates are best-of-rounds; ratios are casegraph / whatstk on the same input. Peak RSS is the CLI
process's (its forked parser included, from wait4). Then the floors (`ingest_floor.py`): the
CLI's start-up with three messages, and the store's bare insert of the input's ready-made rows,
per backend; their sum against whatstk's best time is the best ratio any parser could give the
CLI on this machine. Then the adversarial check of issue 12:
per locale, lines shaped like the start of every system template, 1 MB each, classified, and
a chat of such lines parsed; printed as seconds per MB.

    PYTHONPATH=src .venv/bin/python bench/ingest.py [--whatstk-messages 200000]
        [--synth-messages 1000000] [--rounds 2] [--workdir DIR] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

WHATSTK_HFORMAT = "%d/%m/%Y, %H:%M - %name:"
CASE_ZONE = "Europe/Madrid"
MEGABYTE = 1 << 20
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


# ---- inputs ------------------------------------------------------------------------------


def write_whatstk_chat(path: Path, messages: int) -> None:
    from whatstk.whatsapp.generation import ChatGenerator

    ChatGenerator(size=messages, seed=100).generate(
        filepath=str(path), hformat=WHATSTK_HFORMAT, last_timestamp=datetime(2024, 1, 1)
    )


def write_synth_chat(folder: Path, messages: int) -> Path:
    """The large synth operation's big chat, alone (the rest of the operation is media)."""
    from casegraph.synth import large
    from casegraph.synth.people import make_person

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    taken: set[str] = set()
    members = [make_person(rng, f"bg{n}", "ES", taken) for n in range(large.BIG_CHAT_MEMBERS)]
    large.BIG_CHAT_MESSAGES = messages  # the generator's own size knob
    plan = large._big_chat(folder, 7, members)
    return folder.parent / plan.export


# ---- runs --------------------------------------------------------------------------------


def run_whatstk(path: Path, hformat: str) -> tuple[float, int]:
    from whatstk.whatsapp.parser import df_from_whatsapp

    start = time.perf_counter()
    frame = df_from_whatsapp(str(path), hformat=hformat, max_size=None)
    return time.perf_counter() - start, len(frame)


def run_parse(path: Path) -> tuple[float, int]:
    from casegraph.ingest.whatsapp import parse_whatsapp_bulk

    start = time.perf_counter()
    parsed = parse_whatsapp_bulk(
        lambda: path.open("rb"), file_name=path.name, tz=ZoneInfo(CASE_ZONE)
    )
    for _ in parsed.records:
        pass
    return time.perf_counter() - start, parsed.messages


# Runs the CLI and reports its wait4 peak RSS. A small launcher process, because Linux carries
# ru_maxrss across exec from the parent: forked straight from this (pandas-heavy) process, the
# CLI would report this process's peak instead of its own.
LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
_, status, usage = os.wait4(process.pid, 0)
seconds = time.perf_counter() - start
errors = process.stderr.read().decode() + process.stdout.read().decode()
print(json.dumps({"seconds": seconds, "rss_kb": usage.ru_maxrss,
                  "code": os.waitstatus_to_exitcode(status), "errors": errors[-2000:]}))
"""


def _casegraph(*arguments: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, its forked parser included) of one CLI process."""
    command = [str(Path(sys.executable).with_name("casegraph")), *arguments]
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    if outcome["code"] != 0:
        raise SystemExit(f"casegraph {' '.join(arguments)} failed: {outcome['errors']}")
    return float(outcome["seconds"]), outcome["rss_kb"] / 1024


def run_cli(path: Path, workdir: Path, db_url: str | None) -> tuple[float, float]:
    env = dict(os.environ, CASEGRAPH_HOME=str(Path(tempfile.mkdtemp(dir=workdir))))
    if db_url:
        env["CASEGRAPH_DB_URL"] = db_url
    _casegraph("case", "create", "bench", "--timezone", CASE_ZONE, "--agency", "ES", env=env)
    return _casegraph("ingest", "bench", str(path), "--captured-by", "bench", env=env)


def pg_schema_url(base: str) -> tuple[str, Any] | None:
    """A URL whose search_path is a fresh schema, and a callable dropping it; None if down."""
    from sqlalchemy import create_engine, text

    from casegraph.store.db import normalise_url

    try:
        admin = create_engine(normalise_url(base), connect_args={"connect_timeout": 3})
        schema = f"cg_bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as connection:
            connection.execute(text(f"create schema {schema}"))
    except Exception as exc:  # any connection problem: PostgreSQL rows are skipped
        print(f"PostgreSQL at {base} not used: {str(exc).splitlines()[0]}")
        return None

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


# ---- floors --------------------------------------------------------------------------------


@contextmanager
def fresh_database(base: str | None) -> Iterator[str | None]:
    """A fresh PostgreSQL schema's URL for the block, dropped after it; None for SQLite."""
    pg = pg_schema_url(base) if base else None
    if base and pg is None:
        raise SystemExit(f"PostgreSQL at {base} stopped answering during the run")
    try:
        yield pg[0] if pg else None
    finally:
        if pg:
            pg[1]()


def print_floors(
    inputs: dict[str, tuple[Path, str]],
    rates: dict[tuple[str, str], list[float]],
    workdir: Path,
    backends: list[tuple[str, str | None]],
    rounds: int,
) -> None:
    """Start-up and bare insert per backend (best of `rounds`), and the ceiling they leave."""
    from ingest_floor import bare_insert_seconds, pg_copy_breakdown, ready_rows, startup_seconds

    print("floors (best of rounds): CLI start-up with 3 messages + bare insert of ready rows")
    for backend, base in backends:
        startups = []
        for _ in range(rounds):
            with fresh_database(base) as url:
                startups.append(startup_seconds(workdir, url, _casegraph))
        print(f"  {backend:8} CLI start-up {min(startups):6.2f} s")
        for label, (path, _) in inputs.items():
            rows = ready_rows(path)
            inserts = []
            for _ in range(rounds):
                with fresh_database(base) as url:
                    inserts.append(bare_insert_seconds(rows, workdir, url, _casegraph))
            if base:
                with fresh_database(base) as url:
                    assert url is not None
                    parts = pg_copy_breakdown(rows, workdir, url, _casegraph)
                for what, spent in parts.items():
                    print(f"  {backend:8} {label:18} COPY, messages' {what}: {spent:5.2f} s")
            whatstk = len(rows) / max(rates[(label, "whatstk parse")])
            floor = min(startups) + min(inserts)
            print(f"  {backend:8} {label:18} bare insert {min(inserts):6.2f} s; start-up + insert "
                  f"{floor:5.2f} s against whatstk's {whatstk:5.2f} s: ceiling "
                  f"{whatstk / floor:5.2f}x")  # fmt: skip


# ---- adversarial lines (issue 12) -----------------------------------------------------------


def adversarial_seconds_per_mb() -> dict[str, tuple[float, float]]:
    """Per locale: seconds per MB classifying 1 MB lookalike lines, and parsing a chat of them."""
    from casegraph.ingest.whatsapp import parse_whatsapp
    from casegraph.ingest.whatsapp_patterns import LOCALES, classify_system, wording

    results: dict[str, tuple[float, float]] = {}
    for locale in LOCALES:
        lines = []
        for template in wording().templates:
            if template.locale != locale or not template.slots:
                continue
            unit = "Bob" + "x".join(p for p in template.literals if p) + " zu x "
            lines.append(
                ((template.literals[0] or "Bob") + unit * (MEGABYTE // len(unit)))[:MEGABYTE]
            )
        start = time.perf_counter()
        for line in lines:
            classify_system(line)
        classify_seconds = (time.perf_counter() - start) / len(lines)
        with tempfile.TemporaryDirectory() as folder:
            chat = Path(folder) / "chat.txt"
            body = "\n".join(
                f"13/03/24, 10:{n % 60:02d} - Bob: {line}" for n, line in enumerate(lines)
            )
            chat.write_text(body + "\n", encoding="utf-8")
            start = time.perf_counter()
            parsed = parse_whatsapp(
                partial(chat.open, "rb"), file_name="chat.txt", tz=ZoneInfo("UTC")
            )
            for _ in parsed.records:
                pass
            parse_seconds = (time.perf_counter() - start) / (chat.stat().st_size / MEGABYTE)
        results[locale] = (classify_seconds, parse_seconds)
    return results


# ---- report --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--whatstk-messages", type=int, default=200_000)
    parser.add_argument("--synth-messages", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--pg-url", default=os.environ.get("CASEGRAPH_TEST_PG_URL", DEFAULT_PG))
    parser.add_argument("--no-floors", dest="floors", action="store_false")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="casegraph-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    inputs: dict[str, tuple[Path, str]] = {}
    whatstk_chat = workdir / f"whatstk-{args.whatstk_messages}.txt"
    if not whatstk_chat.exists():
        print(f"whatstk ChatGenerator: {args.whatstk_messages} messages ...", flush=True)
        write_whatstk_chat(whatstk_chat, args.whatstk_messages)
    inputs["whatstk generator"] = (whatstk_chat, WHATSTK_HFORMAT)
    synth_folder = workdir / f"synth-{args.synth_messages}" / "exports"
    found = sorted(synth_folder.glob("*.txt")) if synth_folder.exists() else []
    if not found:
        print(f"synth large chat: {args.synth_messages} messages ...", flush=True)
        found = [write_synth_chat(synth_folder, args.synth_messages)]
    inputs["synth large chat"] = (found[0], "%d/%m/%Y, %H:%M - %name:")
    for label, (path, _) in inputs.items():
        print(f"input {label}: {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    rates: dict[tuple[str, str], list[float]] = {}
    peaks: list[float] = []

    def note(label: str, what: str, seconds: float, count: int, extra: str = "") -> None:
        rates.setdefault((label, what), []).append(count / seconds)
        print(f"  {label:18} {what:22} {count:>9} msgs {seconds:7.2f} s "
              f"{count / seconds:>9.0f} msg/s {extra}", flush=True)  # fmt: skip

    for round_no in range(1, args.rounds + 1):
        print(f"round {round_no}")
        for label, (path, hformat) in inputs.items():
            seconds, count = run_whatstk(path, hformat)
            note(label, "whatstk parse", seconds, count)
            seconds, parsed = run_parse(path)
            note(label, "casegraph parse", seconds, parsed)
            seconds, peak = run_cli(path, workdir, None)
            peaks.append(peak)
            note(label, "casegraph CLI SQLite", seconds, parsed, f"peak RSS {peak:.0f} MB")
            pg = pg_schema_url(args.pg_url) if args.pg_url else None
            if pg is not None:
                url, drop = pg
                try:
                    seconds, peak = run_cli(path, workdir, url)
                finally:
                    drop()
                peaks.append(peak)
                note(label, "casegraph CLI Postgres", seconds, parsed, f"peak RSS {peak:.0f} MB")

    print("best rates and ratios to whatstk's parse alone (targets: CLI >= 1.0x, parse >= 3x, "
          "PostgreSQL CLI >= 2x, peak RSS <= 500 MB)")  # fmt: skip
    for label in inputs:
        baseline = max(rates[(label, "whatstk parse")])
        for what in ("casegraph parse", "casegraph CLI SQLite", "casegraph CLI Postgres"):
            if (label, what) in rates:
                best = max(rates[(label, what)])
                print(f"  {label:18} {what:22} {best:>9.0f} msg/s = {best / baseline:5.2f}x")
        print(f"  {label:18} {'whatstk parse':22} {baseline:>9.0f} msg/s")
    print(f"peak RSS of casegraph CLI runs: {max(peaks):.0f} MB")
    if args.floors:
        backends: list[tuple[str, str | None]] = [("SQLite", None)]
        if args.pg_url and pg_schema_url(args.pg_url) is not None:
            backends.append(("Postgres", args.pg_url))
        print_floors(inputs, rates, workdir, backends, args.rounds)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print("adversarial system-line lookalikes (1 MB lines, every template of the locale):")
    for locale, (classify, parse) in adversarial_seconds_per_mb().items():
        print(f"  {locale}: classify {classify:.3f} s/MB, parse {parse:.3f} s/MB")


if __name__ == "__main__":
    main()
