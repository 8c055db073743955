"""Spread: clusters by exact hash and PDQ distance, first posting, path across chats."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from casegraph.analysis.records import MediaRecord, OccurrenceRecord
from casegraph.analysis.spread import cluster_media, first_posting_per_media, pdq_neighbours

BASE = "f" * 16 + "0" * 48


def day(n: int) -> datetime:
    return datetime(2024, 1, n, tzinfo=UTC)


def flip(pdq: str, bits: int) -> str:
    return format(int(pdq, 16) ^ ((1 << bits) - 1), "064x")


def test_re_encoded_sticker_joins_the_original_cluster() -> None:
    media = [
        MediaRecord(1, "a" * 64, pdq=BASE),
        MediaRecord(2, "b" * 64, pdq=flip(BASE, 5)),
        MediaRecord(3, "c" * 64, pdq="0f" * 32),
    ]
    clusters = cluster_media(media, [])
    assert sorted(c.media_ids for c in clusters) == [[1, 2], [3]]
    assert {c.key for c in clusters} == {"cluster-" + "a" * 16, "cluster-" + "c" * 16}


def test_first_posting_and_path_follow_time_not_input_order() -> None:
    media = [
        MediaRecord(1, "a" * 64, pdq=BASE, matched=True),
        MediaRecord(2, "b" * 64, pdq=flip(BASE, 3)),
    ]
    occurrences = [
        OccurrenceRecord(2, 13, chat_id=30, account_id=3, sent_at=day(9)),
        OccurrenceRecord(1, 12, chat_id=20, account_id=2, sent_at=day(5)),
        OccurrenceRecord(1, 11, chat_id=10, account_id=1, sent_at=day(2)),
        OccurrenceRecord(1, 14, chat_id=20, account_id=4, sent_at=day(7)),
    ]
    (cluster,) = cluster_media(media, occurrences)
    assert cluster.first is not None and cluster.first.account_id == 1
    assert [chat for chat, _ in cluster.path] == [10, 20, 30]
    assert cluster.matched
    assert first_posting_per_media(occurrences)[2].account_id == 3


def test_media_without_pdq_cluster_alone() -> None:
    clusters = cluster_media([MediaRecord(1, "a" * 64), MediaRecord(2, "b" * 64)], [])
    assert len(clusters) == 2


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 2**256 - 1), min_size=2, max_size=40), st.integers(0, 128))
def test_pdq_neighbours_agree_with_a_direct_count(values: list[int], radius: int) -> None:
    hashes = [format(v, "064x") for v in values]
    expected = [
        (i, j)
        for i in range(len(values))
        for j in range(i + 1, len(values))
        if bin(values[i] ^ values[j]).count("1") <= radius
    ]
    assert sorted(pdq_neighbours(hashes, radius)) == expected
