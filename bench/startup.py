"""CLI start-up benchmark: `casegraph --version` and `--help`, each in a fresh process.

    python bench/startup.py [--runs 15]

Baseline, measured in the same run, alternating: the same command after importing what every
verb used to import at start-up (the store with SQLAlchemy and Alembic). Median wall time
of the whole process, start-up included. Target (issue 14): <= 0.3 s for both.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

EAGER = "import casegraph.store.cases, casegraph.store.matching; "
COMMANDS = {"--version": ["--version"], "--help": ["--help"]}


def _run(args: list[str], preload: str) -> float:
    script = (
        f"{preload}from casegraph.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    print(f"{'command':<12} {'eager (s)':>10} {'lazy (s)':>10} {'ratio':>7}")
    for name, args in COMMANDS.items():
        eager: list[float] = []
        lazy: list[float] = []
        for _ in range(runs):  # alternating, so a busy moment hits both alike
            eager.append(_run(args, EAGER))
            lazy.append(_run(args, ""))
        e, z = statistics.median(eager), statistics.median(lazy)
        print(f"{name:<12} {e:>10.3f} {z:>10.3f} {e / z:>6.1f}×")


if __name__ == "__main__":
    main()
