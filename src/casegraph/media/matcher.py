"""Which media hit which hash-list entries: exact digests, then PDQ within each list's radius.

Pure: records in, hits out; the store writes them. One hit per (media, entry), reported by
the first method that holds: md5 (the VICS/NCMEC key) > sha1 > sha256 > pdq > pdq-dihedral >
pdq-frames; any exact digest hit means byte-identical, so the order only fixes the label.
PDQ is compared only when the media hash's quality reaches the list's floor (HMA's rule:
weak hashes of flat images collide). Frames of animations and videos are matched
vPDQ-style: the entry hits when at least `min_frame_fraction` of the distinct frames are
within the radius.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from casegraph.media.index import Hits, PDQIndex, codes_from_hex
from casegraph.model import HashEntry

METHOD_RANK = {"md5": 0, "sha1": 1, "sha256": 2, "pdq": 3, "pdq-dihedral": 4, "pdq-frames": 5}

Searcher = Callable[[np.ndarray, np.ndarray, int], Hits]


@dataclass(slots=True)
class MediaRecord:
    id: int
    sha256: str
    md5: str
    sha1: str
    pdq: str | None = None
    quality: int | None = None
    frames: Sequence[tuple[str, int]] = ()
    dihedral: Sequence[str] = ()  # the seven non-identity variants, when asked for


@dataclass(slots=True)
class ListRecord:
    id: int
    name: str
    threshold: int
    quality_floor: int
    negative: bool
    entries: list[tuple[int, HashEntry]] = field(default_factory=list)  # (entry row id, entry)


@dataclass(frozen=True, slots=True)
class Hit:
    media_id: int
    list_id: int
    entry_row_id: int
    method: str
    distance: int
    quality: int | None
    category: str | None
    scheme: str | None
    pertinent: bool


def index_search(codes: np.ndarray, queries: np.ndarray, radius: int) -> Hits:
    return PDQIndex(codes).search(queries, radius)


def find_hits(
    media: Sequence[MediaRecord],
    lists: Sequence[ListRecord],
    threshold_override: int | None = None,
    min_frame_fraction: float = 0.0,
    search: Searcher = index_search,
) -> list[Hit]:
    best: dict[tuple[int, int], Hit] = {}
    for hash_list in lists:
        threshold = hash_list.threshold if threshold_override is None else threshold_override
        for hit in _exact(media, hash_list):
            _keep(best, hit)
        for hit in _perceptual(media, hash_list, threshold, min_frame_fraction, search):
            _keep(best, hit)
    return sorted(best.values(), key=lambda h: (h.media_id, h.list_id, h.entry_row_id))


def _keep(best: dict[tuple[int, int], Hit], hit: Hit) -> None:
    key = (hit.media_id, hit.entry_row_id)
    known = best.get(key)
    if known is None or (METHOD_RANK[hit.method], hit.distance) < (
        METHOD_RANK[known.method],
        known.distance,
    ):
        best[key] = hit


def _hit(
    m: MediaRecord, hash_list: ListRecord, row_id: int, e: HashEntry, method: str, distance: int
) -> Hit:
    return Hit(
        m.id,
        hash_list.id,
        row_id,
        method,
        distance,
        m.quality,
        e.category,
        e.scheme,
        e.pertinent and not hash_list.negative,
    )


def _exact(media: Sequence[MediaRecord], hash_list: ListRecord) -> list[Hit]:
    by_digest: dict[tuple[str, str], list[tuple[int, HashEntry]]] = {}
    for row_id, entry in hash_list.entries:
        for kind in ("sha256", "sha1", "md5"):
            value = getattr(entry, kind)
            if value:
                by_digest.setdefault((kind, value), []).append((row_id, entry))
    hits = []
    for m in media:
        for kind in ("sha256", "sha1", "md5"):
            for row_id, entry in by_digest.get((kind, getattr(m, kind)), []):
                hits.append(_hit(m, hash_list, row_id, entry, kind, 0))
    return hits


def _perceptual(
    media: Sequence[MediaRecord],
    hash_list: ListRecord,
    threshold: int,
    min_frame_fraction: float,
    search: Searcher,
) -> list[Hit]:
    pdq_entries = [(row_id, e) for row_id, e in hash_list.entries if e.pdq]
    if not pdq_entries:
        return []
    codes = codes_from_hex([e.pdq or "" for _row, e in pdq_entries])
    queries: list[str] = []
    owners: list[tuple[int, str]] = []  # (media position, method)
    for position, m in enumerate(media):
        if m.quality is None or m.quality < hash_list.quality_floor:
            continue
        if m.pdq:
            queries.append(m.pdq)
            owners.append((position, "pdq"))
        for variant in m.dihedral:
            queries.append(variant)
            owners.append((position, "pdq-dihedral"))
        for frame_hash, frame_quality in m.frames:
            if frame_quality >= hash_list.quality_floor:
                queries.append(frame_hash)
                owners.append((position, "pdq-frames"))
    if not queries:
        return []
    found = search(codes, codes_from_hex(queries), threshold)
    frame_hits: dict[tuple[int, int], list[int]] = {}
    hits = []
    for q, row, distance in zip(
        found.query.tolist(), found.row.tolist(), found.distance.tolist(), strict=True
    ):
        position, method = owners[q]
        row_id, entry = pdq_entries[row]
        if method == "pdq-frames":
            frame_hits.setdefault((position, row), []).append(distance)
            continue
        hits.append(_hit(media[position], hash_list, row_id, entry, method, distance))
    for (position, row), distances in frame_hits.items():
        frame_count = max(1, len(media[position].frames))
        if len(distances) / frame_count >= min_frame_fraction:
            row_id, entry = pdq_entries[row]
            hits.append(
                _hit(media[position], hash_list, row_id, entry, "pdq-frames", min(distances))
            )
    return hits


def frame_match_fraction(
    query_frames: Sequence[str], target_frames: Sequence[str], threshold: int
) -> tuple[float, float]:
    """vPDQ's pair of scores: share of query frames with a match in the target, and back."""
    if not query_frames or not target_frames:
        return 0.0, 0.0
    found = index_search(
        codes_from_hex(list(target_frames)), codes_from_hex(list(query_frames)), threshold
    )
    return (
        np.unique(found.query).size / len(query_frames),
        np.unique(found.row).size / len(target_frames),
    )
