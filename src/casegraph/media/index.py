"""Exact radius search over 256-bit PDQ hashes: multi-index hashing (Norouzi et al.).

The 256 bits are cut into m chunks (16 of 16 bits, or 12 of ~21 bits for large lists), and
each chunk gets a table: entry ids sorted by that chunk's value, with bucket offsets.
Pigeonhole: if two hashes differ in at most r bits and chunk c is searched within t_c bits
where sum(t_c + 1) > r, some chunk is within its t_c; so probing every chunk's buckets within
t_c bits of the query finds every true neighbour, and candidates are then checked by full
popcount. Recall is exact by construction; hypothesis tests compare with brute force.

Memory: the codes (32 bytes each) + m x 4-byte ids per entry + the bucket offsets, about 3x
the raw hashes. Queries are processed in vectorised numpy batches sized to stay in cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

MAX_CANDIDATES_PER_BATCH = 200_000  # keeps temporaries cache-sized


@dataclass(frozen=True, slots=True)
class Hits:
    """Parallel arrays: query row, database row, Hamming distance (sorted by query, row)."""

    query: np.ndarray
    row: np.ndarray
    distance: np.ndarray

    def __len__(self) -> int:
        return int(self.query.size)


def codes_from_hex(hashes: Sequence[str]) -> np.ndarray:
    """(N, 32) uint8 from PDQ hex strings."""
    if not hashes:
        return np.zeros((0, 32), dtype=np.uint8)
    joined = bytes.fromhex("".join(hashes))
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(hashes), 32).copy()


def popcount_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Hamming distance of (K, 4) uint64 arrays."""
    return np.bitwise_count(a ^ b).sum(axis=1, dtype=np.int64)


def chunk_layout(chunks: int) -> list[tuple[int, int]]:
    """(first bit, length) of each chunk: 256 bits cut into `chunks` near-equal runs."""
    if not 8 <= chunks <= 32:
        raise ValueError("between 8 and 32 chunks")
    base, longer = divmod(256, chunks)
    layout, start = [], 0
    for c in range(chunks):
        length = base + (1 if c < longer else 0)
        layout.append((start, length))
        start += length
    return layout


def default_chunks(size: int) -> int:
    """12 chunks (~21 bits) once their bucket offsets cost at most 16 bytes a hash, else 16."""
    offsets_12 = 4 * sum(1 << length for _start, length in chunk_layout(12))
    return 12 if offsets_12 <= 16 * size else 16


def chunk_values(codes: np.ndarray, start: int, length: int) -> np.ndarray:
    """The `length`-bit big-endian value at bit `start` of every code, as int64."""
    first, last = start // 8, (start + length - 1) // 8
    value = codes[:, first].astype(np.int64)
    for byte in range(first + 1, last + 1):
        value <<= 8
        value |= codes[:, byte]
    value >>= 8 * (last + 1) - start - length
    return value & ((1 << length) - 1)


def chunk_radii(radius: int, chunks: int) -> list[int]:
    """Per-chunk search radii t_c with sum(t_c + 1) > radius: the pigeonhole guarantee."""
    needed = max(0, radius - chunks + 1)
    base, extra = divmod(needed, chunks)
    return [base + (1 if c < extra else 0) for c in range(chunks)]


def _flip_masks(length: int, radius: int) -> np.ndarray:
    masks = [0]
    for t in range(1, min(radius, length) + 1):
        masks += [sum(1 << b for b in bits) for bits in combinations(range(length), t)]
    return np.array(masks, dtype=np.int64)


class PDQIndex:
    """Exact Hamming radius search; rows are positions in the codes given at build time."""

    def __init__(self, codes: np.ndarray, chunks: int | None = None) -> None:
        codes = np.ascontiguousarray(codes, dtype=np.uint8)
        if codes.ndim != 2 or codes.shape[1] != 32:
            raise ValueError("codes must be an (N, 32) uint8 array of PDQ hashes")
        if codes.shape[0] >= 2**32:
            raise ValueError("at most 2**32 - 1 hashes per index")
        self.size = codes.shape[0]
        self.codes = codes.view(np.uint64)  # (N, 4)
        self.layout = chunk_layout(chunks or default_chunks(self.size))
        self.ids = np.empty((len(self.layout), self.size), dtype=np.uint32)
        self.offsets: list[np.ndarray] = []
        for c, (start, length) in enumerate(self.layout):
            column = chunk_values(codes, start, length)
            # Narrow keys sort much faster (numpy radix-sorts 16-bit keys).
            narrow = column.astype(np.uint16 if length <= 16 else np.uint32)
            self.ids[c] = np.argsort(narrow, kind="stable").astype(np.uint32)
            offsets = np.zeros((1 << length) + 1, dtype=np.uint32)
            np.cumsum(np.bincount(column, minlength=1 << length), out=offsets[1:])
            self.offsets.append(offsets)

    @classmethod
    def from_hex(cls, hashes: Sequence[str]) -> PDQIndex:
        return cls(codes_from_hex(hashes))

    @property
    def nbytes(self) -> int:
        return int(self.codes.nbytes + self.ids.nbytes + sum(o.nbytes for o in self.offsets))

    def search(self, queries: np.ndarray, radius: int) -> Hits:
        """All (query, row) pairs within `radius` bits, each pair once."""
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        if radius < 0:
            raise ValueError("radius must be >= 0")
        if self.size == 0 or queries.shape[0] == 0:
            return _empty()
        if radius >= 256:
            return brute_force(self.codes.view(np.uint8), queries, 256)
        radii = chunk_radii(radius, len(self.layout))
        masks = [_flip_masks(length, t) for (_s, length), t in zip(self.layout, radii, strict=True)]
        expected = sum(
            m.size * max(1.0, self.size / (1 << length))
            for m, (_s, length) in zip(masks, self.layout, strict=True)
        )
        batch = max(1, int(MAX_CANDIDATES_PER_BATCH // expected))
        parts = [
            self._search_batch(queries[start : start + batch], radius, masks, start)
            for start in range(0, queries.shape[0], batch)
        ]
        return Hits(*(np.concatenate([getattr(p, f) for p in parts]) for f in Hits.__slots__))

    def _search_batch(
        self, queries: np.ndarray, radius: int, masks: list[np.ndarray], base: int
    ) -> Hits:
        count = queries.shape[0]
        all_starts, all_lengths, all_owners = [], [], []
        for c, (start, length) in enumerate(self.layout):
            keys = chunk_values(queries, start, length)[:, None] ^ masks[c][None, :]
            offsets = self.offsets[c]
            starts = offsets[keys].astype(np.int64)
            all_lengths.append((offsets[keys + 1] - starts).reshape(-1))
            all_starts.append((starts + c * self.size).reshape(-1))
            all_owners.append(np.repeat(np.arange(count, dtype=np.int32), masks[c].size))
        lengths = np.concatenate(all_lengths)
        nonzero = np.flatnonzero(lengths)
        lengths = lengths[nonzero]
        total = int(lengths.sum())
        if total == 0:
            return _empty()
        flat_starts = np.concatenate(all_starts)[nonzero]
        # Expand each bucket [start, start+len) into positions, vectorised.
        owners = np.repeat(np.concatenate(all_owners)[nonzero], lengths)
        run_starts = np.cumsum(lengths) - lengths
        positions = np.arange(total, dtype=np.int64)
        positions += np.repeat(flat_starts - run_starts, lengths)
        rows = self.ids.reshape(-1)[positions]
        candidates = self.codes[rows]
        np.bitwise_xor(candidates, queries.view(np.uint64)[owners], out=candidates)
        distance = np.bitwise_count(candidates).sum(axis=1, dtype=np.int16)
        keep = np.flatnonzero(distance <= radius)
        pair = owners[keep].astype(np.int64) * self.size + rows[keep].astype(np.int64)
        pair, first = np.unique(pair, return_index=True)
        kept_distance = distance[keep][first].astype(np.int64)
        return Hits(pair // self.size + base, pair % self.size, kept_distance)


def _empty() -> Hits:
    nothing = np.zeros(0, dtype=np.int64)
    return Hits(nothing, nothing.copy(), nothing.copy())


def brute_force(codes: np.ndarray, queries: np.ndarray, radius: int) -> Hits:
    """Every pair compared: the ground truth the index must equal."""
    db = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32).view(np.uint64)
    qs = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32).view(np.uint64)
    query_rows, db_rows, distances = [], [], []
    for q in range(qs.shape[0]):
        distance = np.bitwise_count(db ^ qs[q]).sum(axis=1, dtype=np.int64)
        (hit,) = np.nonzero(distance <= radius)
        query_rows.append(np.full(hit.size, q, dtype=np.int64))
        db_rows.append(hit.astype(np.int64))
        distances.append(distance[hit])
    if not query_rows:
        return _empty()
    return Hits(np.concatenate(query_rows), np.concatenate(db_rows), np.concatenate(distances))
