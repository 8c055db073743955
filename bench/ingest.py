"""Ingest throughput: casegraph end to end (parse + SQLite) against whatstk's parse alone.

Generates (or reuses) a >= 1,000,000-message Android export, then alternates runs of
whatstk (explicit header format, max_size=None) and casegraph's `ingest_paths` into a fresh
SQLite case, printing messages/second of each, the ratio, and casegraph's peak RSS (its
parser child's included), then the floor: the driver inserting ready-made rows, no parsing.
Each casegraph run happens in a child process so that its peak RSS is its own.

    .venv/bin/python bench/ingest.py [--messages 1000000] [--rounds 2] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

WHATSTK_FORMAT = "%d/%m/%y, %H:%M - %name:"
NAMES = ["Ana Ruiz", "Bea Soto", "Carlos Vidal", "Dani Gil", "Eva Lago", "+34 600 000 123",
         "+34 611 222 333", "Fran Pardo", "Gema Toral", "Hugo Sanz"]  # fmt: skip
WORDS = [
    "hola",
    "vale",
    "mañana",
    "quedamos",
    "luego",
    "gracias",
    "perfecto",
    "nos",
    "vemos",
    "ok",
    "genial",
]


def write_export(path: Path, messages: int, seed: int = 1) -> None:
    """An Android dd/mm/yy 24h export of benign invented chatter (about 5% multi-line)."""
    rng = random.Random(seed)
    at = datetime(2023, 1, 1, 8, 0)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(messages):
            at += timedelta(seconds=rng.randint(5, 90))
            body = " ".join(rng.choices(WORDS, k=rng.randint(2, 12)))
            if rng.random() < 0.05:
                body += "\n" + " ".join(rng.choices(WORDS, k=4))
            out.write(f"{at:%d/%m/%y, %H:%M} - {rng.choice(NAMES)}: {body}\n")


def run_whatstk(path: Path) -> tuple[float, int]:
    from whatstk.whatsapp.parser import df_from_whatsapp

    start = time.perf_counter()
    frame = df_from_whatsapp(str(path), hformat=WHATSTK_FORMAT, max_size=None)
    return time.perf_counter() - start, len(frame)


CHILD = """
import json, resource, sys, tempfile, time
from pathlib import Path
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths
home = Home(Path(tempfile.mkdtemp(dir=sys.argv[2])))
case = home.create_case("bench", timezone="Europe/Madrid", agency="ES")
start = time.perf_counter()
result = ingest_paths(case, [Path(sys.argv[1])], captured_by="bench")
elapsed = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the (pandas-heavy) parent.
status = Path("/proc/self/status").read_text()
rss = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
# the forked parser's own peak (shared pages counted twice: an upper bound)
child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "messages": result.messages, "rss_kb": rss + child_kb}))
"""


FLOOR = """
import json, sqlite3, sys, tempfile, time
from pathlib import Path
from casegraph.store.cases import Home
from casegraph.store.ingest_bulk import MESSAGE_COLUMNS
COLUMNS = ("case_id", "chat_id", "source_id", *MESSAGE_COLUMNS)
MESSAGE_INSERT_SQL = (f"INSERT INTO messages ({', '.join(COLUMNS)})"
                      f" VALUES ({', '.join('?' for _ in COLUMNS)})")
home = Home(Path(tempfile.mkdtemp(dir=sys.argv[2])))
case = home.create_case("floor", timezone="Europe/Madrid")
connection = sqlite3.connect(case.directory / "case.sqlite")
connection.execute("PRAGMA synchronous=NORMAL")
connection.execute("INSERT INTO sources (case_id, sha256, md5, sha1, size, filename, original_path,"
    " format, captured_by, capture_method, received_by, received_at, tool, tool_version,"
    " provenance) VALUES (1, 'x', 'x', 'x', 0, 'x', '', 'x', '', '', '', '2024-01-01 00:00:00',"
    " '', '', '{}')")
connection.execute("INSERT INTO chats (case_id, key, platform, native_id, title, aliases, kind,"
    " parent_evidence) VALUES (1, 'k', 'whatsapp', 'n', 't', '[]', 'group', '[]')")
count = int(sys.argv[1])
row = lambda i: (1, 1, 1, i, "2023-01-01 10:00:00.000000", None, "Ana Ruiz",
                 "hola vale mañana quedamos luego", "text", None, i, i * 76, "[]", None, None)
start = time.perf_counter()
for first in range(0, count, 5000):
    batch = [row(i) for i in range(first, min(first + 5000, count))]
    connection.executemany(MESSAGE_INSERT_SQL, batch)
connection.commit()
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def run_sqlite_floor(messages: int, workdir: Path) -> float:
    """Seconds to insert ready-made message rows with the driver alone: no parsing at all."""
    done = subprocess.run(
        [sys.executable, "-c", FLOOR, str(messages), str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds: float = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
    return seconds


def run_casegraph(path: Path, workdir: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    outcome: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="casegraph-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    export = workdir / f"WhatsApp Chat with Bench Group {args.messages}.txt"
    if not export.exists():
        print(f"writing {args.messages} messages to {export} ...", flush=True)
        write_export(export, args.messages)
    print(f"export: {export} ({export.stat().st_size / 1e6:.1f} MB)")
    whatstk_rates, casegraph_rates, peaks = [], [], []
    for round_no in range(1, args.rounds + 1):
        seconds, count = run_whatstk(export)
        whatstk_rates.append(count / seconds)
        print(f"round {round_no}: whatstk parse     {count:>9} msgs {seconds:7.2f} s "
              f"{count / seconds:>10.0f} msg/s")  # fmt: skip
        outcome = run_casegraph(export, workdir)
        rate = outcome["messages"] / outcome["seconds"]
        casegraph_rates.append(rate)
        peaks.append(outcome["rss_kb"] / 1024)
        print(f"round {round_no}: casegraph ingest  {int(outcome['messages']):>9} msgs "
              f"{outcome['seconds']:7.2f} s {rate:>10.0f} msg/s  peak RSS "
              f"{outcome['rss_kb'] / 1024:.0f} MB")  # fmt: skip
    floor = args.messages / run_sqlite_floor(args.messages, workdir)
    best_whatstk, best_casegraph = max(whatstk_rates), max(casegraph_rates)
    print(f"floor: raw sqlite3 executemany of prepared rows into the case schema: "
          f"{floor:.0f} rows/s = {floor / best_whatstk:.2f}x whatstk")  # fmt: skip
    print(f"baseline whatstk (parse only, best): {best_whatstk:.0f} msg/s")
    print(f"casegraph (parse + SQLite, best):    {best_casegraph:.0f} msg/s")
    print(f"ratio casegraph / whatstk: {best_casegraph / best_whatstk:.2f}x (target >= 5x)")
    print(f"casegraph peak RSS: {max(peaks):.0f} MB (target <= 500 MB)")
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench process peak RSS (whatstk): {own_peak:.0f} MB")


if __name__ == "__main__":
    main()
