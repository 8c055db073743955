"""Referral lifecycle on the small synthetic operation: key unlock, refer, import, update.

Baselines (measured in the same run): unlocking a key sealed with the old scrypt factor
(N = 2^15) against the new one (N = 2^18); the first import of a referral against the import
of its update and a re-import of the same version (both should add nothing, and be cheaper).

    .venv/bin/python bench/exchange_lifecycle.py [--seed 7] [--workdir /tmp/cg-bench-exchange]
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from casegraph.exchange import sealed
from casegraph.exchange.keys import (
    export_public_key,
    generate_key,
    import_public_key,
    load_identity,
)
from casegraph.exchange.package import refer
from casegraph.exchange.receive import import_referral
from casegraph.store.cases import Home
from casegraph.store.schema import AttachmentRow, MessageRow
from casegraph.synth import generate

PASSPHRASE = "benchmark passphrase, synthetic only"


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def coordinator(workdir: Path, seed: int) -> Home:
    import json

    from casegraph.analysis.run import analyze_case
    from casegraph.store.ingest import ingest_paths
    from casegraph.store.matching import hash_case_media, import_hash_list, match_case

    outdir = workdir / "op"
    if not (outdir / "truth.json").exists():
        generate(outdir, seed=seed, scale="small")
    truth = json.loads((outdir / "truth.json").read_text())
    home = Home(workdir / "coordinator")
    case = home.create_case("op", timezone=truth["timezone"])
    ingest_paths(case, sorted((outdir / "exports").iterdir()), captured_by="bench")
    hash_case_media(case)
    for hash_list in truth["hash_lists"]:
        import_hash_list(case, outdir / hash_list["file"], negative=hash_list["negative"])
    match_case(case)
    analyze_case(case)
    return home


def rows(home: Home, case: str) -> tuple[int, int]:
    with home.open_case(case).read() as session:
        messages = session.scalar(select(func.count()).select_from(MessageRow)) or 0
        attachments = session.scalar(select(func.count()).select_from(AttachmentRow)) or 0
    return messages, attachments


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cg-bench-exchange"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir / "coordinator", ignore_errors=True)
    shutil.rmtree(args.workdir / "es", ignore_errors=True)
    shutil.rmtree(args.workdir / "out", ignore_errors=True)
    os.environ[sealed.PASSPHRASE_ENV] = PASSPHRASE

    home = coordinator(args.workdir, args.seed)
    es = Home(args.workdir / "es")
    for n, name in ((2**15, "old"), (2**18, "coord")):
        sealed.SCRYPT_N = n
        generate_key(home.root, name, agency="Coordinating Unit", country="NL")
    generate_key(es.root, "es", agency="Unidad ES", country="ES")
    for source, target, name in ((home, es, "coord"), (es, home, "es")):
        export_public_key(source.root, name, args.workdir / f"{name}.pub.json")
        import_public_key(target.root, args.workdir / f"{name}.pub.json")

    unlock_old, _ = timed(lambda: load_identity(home.root, "old"))
    unlock_new, _ = timed(lambda: load_identity(home.root, "coord"))
    print(
        f"key unlock: N=2^15 {unlock_old:.3f} s, N=2^18 {unlock_new:.3f} s "
        f"({unlock_new / unlock_old:.1f}x)"
    )

    out = args.workdir / "out"
    refer_s, first = timed(lambda: refer(home, "op", "ES", "es", out / "v1", identity="coord"))
    _, second = timed(lambda: refer(home, "op", "ES", "es", out / "v2", identity="coord"))
    size = first.package.stat().st_size
    print(
        f"refer ES v1: {refer_s:.2f} s (includes one key unlock), {size} bytes, "
        f"{first.targets} targets, {first.messages} messages, {first.media} media"
    )
    import_v1, result = timed(lambda: import_referral(es, first.package, "es", "coord"))
    counts_v1 = rows(es, result.case)
    import_v2, _ = timed(lambda: import_referral(es, second.package, "es", "coord"))
    counts_v2 = rows(es, result.case)
    again, _ = timed(lambda: import_referral(es, second.package, "es", "coord"))
    counts_again = rows(es, result.case)
    print(f"import v1 {import_v1:.2f} s -> messages, attachments {counts_v1}")
    print(f"import v2 {import_v2:.2f} s -> {counts_v2} ({import_v2 / import_v1:.2f}x of v1)")
    print(f"re-import v2 {again:.2f} s -> {counts_again} ({again / import_v1:.2f}x of v1)")
    assert counts_v1 == counts_v2 == counts_again, "an update must not add rows"


if __name__ == "__main__":
    main()
