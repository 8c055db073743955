"""Analyze the large synthetic case; print each phase's time and its ratio to the baseline.

Baseline (measured in the same run): reading the case's tables into records (load_inputs),
the cost any analysis pays. Target: the whole analysis in under 60 s on 2 cores.

The case is built once under --workdir (generate, ingest, hash, import the hash lists,
match: many minutes at large scale) and reused by later runs.

    .venv/bin/python bench/analyze.py [--scale large] [--seed 1] [--workdir /tmp/cg-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from casegraph.analysis import network
from casegraph.analysis.load import load_inputs
from casegraph.analysis.run import analyze_case
from casegraph.store.cases import Case, Home
from casegraph.synth import generate


def prepare(workdir: Path, seed: int, scale: str) -> Case:
    """The benchmark case, built on first use and reused after."""
    from casegraph.store.ingest import ingest_paths
    from casegraph.store.matching import hash_case_media, import_hash_list, match_case

    home = Home(workdir / "home")
    if home.exists("bench"):
        return home.open_case("bench")
    outdir = workdir / "op"
    if not (outdir / "truth.json").exists():
        generate(outdir, seed=seed, scale=scale)
    case = home.create_case("bench", timezone="Europe/Madrid")
    ingest_paths(case, sorted((outdir / "exports").iterdir()), captured_by="bench")
    hash_case_media(case)
    truth = json.loads((outdir / "truth.json").read_text("utf-8"))
    for hash_list in truth["hash_lists"]:
        import_hash_list(
            case, outdir / hash_list["file"], name=hash_list["name"], negative=hash_list["negative"]
        )
    match_case(case)
    return case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cg-bench"))
    args = parser.parse_args()
    case = prepare(args.workdir, args.seed, args.scale)

    start = time.perf_counter()
    with case.read() as session:
        inputs = load_inputs(session, case.id)
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    membership = network.membership_graph(inputs.memberships, inputs.messages)
    interactions = network.interaction_graph(inputs.messages)
    network.account_metrics(membership, interactions)
    graph_seconds = time.perf_counter() - start
    attachments = len(inputs.occurrences)
    counts = (
        f"{len(inputs.messages)} messages, {len(inputs.accounts)} accounts, "
        f"{len(inputs.chats)} chats, {len(inputs.media)} distinct media, "
        f"{attachments} media postings"
    )
    del inputs

    start = time.perf_counter()
    result = analyze_case(case, actor="bench")
    total = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"case: {counts}; {os.cpu_count()} CPUs")
    print(f"baseline load_inputs: {baseline:.2f} s")
    print(f"graph part (igraph): {graph_seconds:.2f} s = {graph_seconds / baseline:.2f}x baseline")
    for phase, seconds in result.seconds.items():
        print(f"  {phase:<13} {seconds:7.2f} s = {seconds / baseline:.2f}x baseline")
    print(
        f"analyze_case total: {total:.2f} s = {total / baseline:.2f}x baseline "
        f"({'within' if total < 60 else 'OVER'} the 60 s budget); peak RSS {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
