"""Queries/second of casegraph's PDQIndex vs faiss, exact radius search at PDQ's 31 bits.

Baselines measured in the same run on the same data: faiss IndexBinaryFlat.range_search
(strict radius, so threshold + 1 is passed) and IndexBinaryMultiHash(256, 16, 16) with
nflip = 1. The database mixes uniform codes with clusters of near-duplicates (as real
lists hold re-encoded copies of one image); queries are perturbed database rows and
unrelated codes. Recall is measured against the flat index; memory against the raw codes.

    .venv/bin/python bench/index.py [--n 1000000 10000000] [--queries 2000]
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np

from casegraph.media.index import PDQIndex

RADIUS = 31


def database(n: int, rng: np.random.Generator) -> np.ndarray:
    """Half uniform codes, half clusters of 20 near-duplicates within ~12 bits of a centre."""
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    clustered = n // 2
    centres = rng.integers(0, 256, (max(1, clustered // 20), 32), dtype=np.uint8)
    members = centres[np.arange(clustered) % centres.shape[0]]
    codes[:clustered] = flip(members, rng, 12)
    return codes


def flip(codes: np.ndarray, rng: np.random.Generator, max_bits: int) -> np.ndarray:
    """Each row gets up to `max_bits` random bit flips (vectorised: random byte masks)."""
    out = codes.copy()
    rows = out.shape[0]
    for _ in range(max_bits):
        keep = rng.random(rows) < 0.8
        byte = np.asarray(rng.integers(0, 32, size=rows))
        bit = np.left_shift(1, np.asarray(rng.integers(0, 8, size=rows))).astype(np.uint8)
        picked = np.flatnonzero(keep)
        out[picked, byte[picked]] ^= bit[picked]
    return out


def queries(codes: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    near = flip(codes[rng.integers(0, codes.shape[0], count // 2)], rng, 24)
    far = rng.integers(0, 256, (count - count // 2, 32), dtype=np.uint8)
    return np.concatenate([near, far])


def faiss_pairs(index: faiss.IndexBinary, qs: np.ndarray) -> tuple[set[tuple[int, int]], float]:
    start = time.perf_counter()
    lims, _distances, labels = index.range_search(qs, RADIUS + 1)
    elapsed = time.perf_counter() - start
    owner = np.repeat(np.arange(qs.shape[0]), np.diff(lims.astype(np.int64)))
    return set(zip(owner.tolist(), labels.tolist(), strict=True)), elapsed


def run(n: int, query_count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = database(n, rng)
    qs = queries(codes, query_count, rng)
    raw = codes.nbytes

    start = time.perf_counter()
    ours = PDQIndex(codes)
    build = time.perf_counter() - start
    start = time.perf_counter()
    hits = ours.search(qs, RADIUS)
    ours_time = time.perf_counter() - start
    our_pairs = set(zip(hits.query.tolist(), hits.row.tolist(), strict=True))

    flat = faiss.IndexBinaryFlat(256)
    flat.add(codes)
    truth, flat_time = faiss_pairs(flat, qs)
    del flat

    multi = faiss.IndexBinaryMultiHash(256, 16, 16)
    multi.nflip = 1
    multi.add(codes)
    multi_pairs, multi_time = faiss_pairs(multi, qs)
    del multi

    def qps(seconds: float) -> float:
        return query_count / seconds

    print(f"N={n:,} queries={query_count} radius={RADIUS} true pairs={len(truth):,}")
    print(f"  faiss IndexBinaryFlat       {qps(flat_time):10.1f} q/s  (baseline)")
    multi_recall = len(multi_pairs & truth) / max(1, len(truth))
    our_recall = len(our_pairs & truth) / max(1, len(truth))
    print(
        f"  faiss IndexBinaryMultiHash  {qps(multi_time):10.1f} q/s  "
        f"{flat_time / multi_time:6.2f}x flat  recall {multi_recall:.4f}"
    )
    print(
        f"  casegraph PDQIndex          {qps(ours_time):10.1f} q/s  "
        f"{flat_time / ours_time:6.2f}x flat  recall {our_recall:.4f}"
        f"  extra {len(our_pairs - truth)}"
    )
    print(f"  PDQIndex memory {ours.nbytes / raw:.2f}x raw hashes, build {build:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for n in args.n:
        run(n, args.queries, args.seed)


if __name__ == "__main__":
    main()
