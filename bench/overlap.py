"""Folding overlapping sources of one chat; print each ingest's time and its ratio to the baseline.

Baseline (measured in the same run): the same export ingested into a case where it overlaps
nothing. Inputs: one synthetic group of N text messages (default 20,000) written as two
Android exports (messages 0-75 % and 25-100 %, so half of each overlaps the other) and as a
seized phone's msgstore.db holding all of them.

    .venv/bin/python bench/overlap.py [--messages 20000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from casegraph.store.cases import Case, Home
from casegraph.store.ingest import ingest_paths
from casegraph.synth.records import Entry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from device_fixtures import ZONE_NAME, A, B, C, android_db, group_plan, write_export


def _timed(case: Case, path: Path) -> float:
    start = time.perf_counter()
    ingest_paths(case, [path], captured_by="bench")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    n = args.messages
    plan = group_plan()
    head, start, rng = plan.entries[:3], plan.entries[2].at, random.Random(1)
    texts = [
        Entry(start + timedelta(seconds=37 * i + 60), "text", rng.choice((A, B, C)), text=f"m{i}")
        for i in range(n)
    ]
    folder = Path(tempfile.mkdtemp(prefix="cg-overlap-"))
    first = write_export(folder / "a", replace(plan, entries=head + texts[: n * 3 // 4]))
    second = write_export(folder / "b", replace(plan, entries=head + texts[n // 4 :]))
    phone = android_db(folder / "phone", replace(plan, entries=head + texts))
    home = Home(folder / "home")
    for r in range(args.rounds):
        alone = _timed(home.create_case(f"alone{r}", timezone=ZONE_NAME), second)
        case = home.create_case(f"fold{r}", timezone=ZONE_NAME)
        _timed(case, first)
        folded = _timed(case, second)
        phone_alone = _timed(home.create_case(f"phone{r}", timezone=ZONE_NAME), phone)
        phone_folded = _timed(case, phone)
        print(
            f"round {r + 1}: export of {n * 3 // 4:,} alone {alone:.2f} s (baseline); onto an "
            f"export sharing {n // 2:,}: {folded:.2f} s ({folded / alone:.1f}x); msgstore.db of "
            f"{n:,} alone {phone_alone:.2f} s, onto both exports (all {n:,} fold) "
            f"{phone_folded:.2f} s ({phone_folded / phone_alone:.1f}x)"
        )


if __name__ == "__main__":
    main()
