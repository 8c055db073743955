"""The PDQ index returns exactly what brute force returns, on random and clustered hashes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from casegraph.media.index import Hits, PDQIndex, brute_force, chunk_radii, codes_from_hex


def pairs(hits: Hits) -> set[tuple[int, int, int]]:
    return set(zip(hits.query.tolist(), hits.row.tolist(), hits.distance.tolist(), strict=True))


def flip_bits(codes: np.ndarray, rng: np.random.Generator, max_flips: int) -> np.ndarray:
    bits = np.unpackbits(codes, axis=1)
    for row in bits:
        row[rng.choice(256, int(rng.integers(0, max_flips + 1)), replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def clustered(rng: np.random.Generator, clusters: int, per: int, spread: int) -> np.ndarray:
    centres = rng.integers(0, 256, (clusters, 32), dtype=np.uint8)
    return flip_bits(np.repeat(centres, per, axis=0), rng, spread)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(0, 400),
    radius=st.integers(0, 70),
    max_flips=st.integers(0, 60),
)
def test_equals_brute_force_on_random_codes_and_perturbed_queries(
    seed: int, size: int, radius: int, max_flips: int
) -> None:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    base = codes[rng.integers(0, size, 20)] if size else rng.integers(0, 256, (20, 32), np.uint8)
    queries = flip_bits(base.astype(np.uint8), rng, max_flips)
    assert pairs(PDQIndex(codes).search(queries, radius)) == pairs(
        brute_force(codes, queries, radius)
    )


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    clusters=st.integers(1, 20),
    per=st.integers(1, 40),
    spread=st.integers(0, 40),
    radius=st.sampled_from([0, 8, 11, 16, 31, 32, 48]),
    chunks=st.sampled_from([12, 16]),
)
def test_equals_brute_force_on_clusters_of_near_duplicates(
    seed: int, clusters: int, per: int, spread: int, radius: int, chunks: int
) -> None:
    rng = np.random.default_rng(seed)
    codes = clustered(rng, clusters, per, spread)
    queries = flip_bits(codes[rng.integers(0, codes.shape[0], 15)], rng, 20)
    index = PDQIndex(codes, chunks=chunks)
    assert pairs(index.search(queries, radius)) == pairs(brute_force(codes, queries, radius))


def test_chunk_radii_satisfy_the_pigeonhole_bound() -> None:
    for chunks in (12, 16):
        for radius in range(0, 80):
            radii = chunk_radii(radius, chunks)
            assert sum(t + 1 for t in radii) > radius and len(radii) == chunks


def test_duplicate_database_rows_are_all_returned_once_each() -> None:
    code = "ab" * 32
    index = PDQIndex.from_hex([code, code, "00" * 32])
    hits = index.search(codes_from_hex([code]), 0)
    assert sorted(hits.row.tolist()) == [0, 1] and hits.distance.tolist() == [0, 0]


def test_radius_is_inclusive() -> None:
    a = np.zeros((1, 32), dtype=np.uint8)
    b = a.copy()
    b[0, :4] = 0xFF  # 32 bits set
    b[0, 0] = 0x7F  # 31
    assert len(PDQIndex(a).search(b, 31)) == 1
    assert len(PDQIndex(a).search(b, 30)) == 0


def test_memory_is_about_three_times_the_raw_hashes() -> None:
    codes = np.random.default_rng(1).integers(0, 256, (1_000_000, 32), dtype=np.uint8)
    index = PDQIndex(codes)
    assert index.nbytes <= 3.2 * codes.nbytes
