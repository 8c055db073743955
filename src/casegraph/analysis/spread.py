"""Media spread: clusters of the same picture, who posted it first, and how it travelled.

A cluster joins files that are byte-identical (one media row per SHA-256) or whose PDQ hashes
lie within a Hamming distance (the same sticker re-encoded). The earliest posting of any
member is the likely creator or first distributor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from casegraph.analysis.identity import UnionFind
from casegraph.analysis.records import MediaRecord, OccurrenceRecord
from casegraph.media.index import PDQIndex, codes_from_hex

DEFAULT_PDQ_DISTANCE = 31


@dataclass(slots=True)
class Cluster:
    key: str
    media_ids: list[int]
    occurrences: list[OccurrenceRecord]  # in time order
    first: OccurrenceRecord | None
    path: list[tuple[int, datetime]] = field(default_factory=list)  # (chat, first time there)
    matched: bool = False


def pdq_neighbours(hashes: Sequence[str], max_distance: int) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose PDQ hashes differ in at most `max_distance` bits (exact)."""
    if len(hashes) < 2:
        return []
    codes = codes_from_hex(hashes)
    hits = PDQIndex(codes).search(codes, max_distance)
    return [(i, j) for i, j in zip(hits.query.tolist(), hits.row.tolist(), strict=True) if i < j]


def cluster_media(
    media: Sequence[MediaRecord],
    occurrences: Sequence[OccurrenceRecord],
    max_distance: int = DEFAULT_PDQ_DISTANCE,
) -> list[Cluster]:
    """Clusters of media with their occurrences in time order, first posting and chat path."""
    groups = UnionFind(m.id for m in media)
    with_pdq = [m for m in media if m.pdq]
    for i, j in pdq_neighbours([m.pdq or "" for m in with_pdq], max_distance):
        groups.union(with_pdq[i].id, with_pdq[j].id)
    members: dict[int, list[MediaRecord]] = defaultdict(list)
    for item in media:
        members[groups.find(item.id)].append(item)
    seen: dict[int, list[OccurrenceRecord]] = defaultdict(list)
    for occurrence in occurrences:
        seen[groups.find(occurrence.media_id)].append(occurrence)
    clusters = []
    for root, items in members.items():
        ordered = sorted(seen.get(root, []), key=lambda o: (o.sent_at, o.chat_id, o.seq))
        path: dict[int, datetime] = {}
        for occurrence in ordered:
            path.setdefault(occurrence.chat_id, occurrence.sent_at)
        clusters.append(
            Cluster(
                key="cluster-" + min(m.sha256 for m in items)[:16],
                media_ids=sorted(m.id for m in items),
                occurrences=ordered,
                first=ordered[0] if ordered else None,
                path=list(path.items()),
                matched=any(m.matched for m in items),
            )
        )
    return sorted(clusters, key=lambda c: c.key)


def first_posting_per_media(occurrences: Sequence[OccurrenceRecord]) -> dict[int, OccurrenceRecord]:
    """Per byte-identical file: its earliest posting across all chats."""
    first: dict[int, OccurrenceRecord] = {}
    for occurrence in sorted(occurrences, key=lambda o: (o.sent_at, o.chat_id, o.seq)):
        first.setdefault(occurrence.media_id, occurrence)
    return first


@dataclass(slots=True)
class PackLead:
    """Stickers of one pack (same `sticker-pack-id`) or one publisher string across chats.

    A lead, never proof of authorship: forwarded stickers keep the maker's metadata.
    """

    kind: str  # "pack" | "publisher"
    value: str
    media_ids: list[int]
    chat_ids: list[int]
    first: OccurrenceRecord | None


def sticker_pack_leads(
    media: Sequence[MediaRecord], occurrences: Sequence[OccurrenceRecord]
) -> list[PackLead]:
    """One lead per pack id and per publisher string, with the chats their stickers reached."""
    seen: dict[int, list[OccurrenceRecord]] = defaultdict(list)
    for occurrence in occurrences:
        seen[occurrence.media_id].append(occurrence)
    grouped: dict[tuple[str, str], list[int]] = defaultdict(list)
    for item in media:
        if item.pack_id:
            grouped[("pack", item.pack_id)].append(item.id)
        if item.pack_publisher and item.pack_publisher.strip():
            grouped[("publisher", item.pack_publisher.strip())].append(item.id)
    leads = []
    for (kind, value), media_ids in sorted(grouped.items()):
        postings = sorted(
            (o for m in media_ids for o in seen.get(m, [])),
            key=lambda o: (o.sent_at, o.chat_id, o.seq),
        )
        chats = list(dict.fromkeys(o.chat_id for o in postings))
        leads.append(
            PackLead(kind, value, sorted(media_ids), chats, postings[0] if postings else None)
        )
    return leads
