"""The account–chat membership graph and the account interaction graph, as plain edge maps.

Both are built with dicts and numpy rather than a graph library's per-edge calls: a
million-message case has hundreds of thousands of interaction edges. network.py hands them
to igraph for the centralities.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from casegraph.analysis.records import MembershipRecord, MessageRecord

CO_ACTIVITY_SECONDS = 600  # two posts this close in one chat count as an interaction


@dataclass(slots=True)
class MembershipGraph:
    """Bipartite: which account was in which chat, and the span the evidence shows."""

    spans: dict[tuple[int, int], tuple[datetime | None, datetime | None]] = field(
        default_factory=dict
    )  # (account, chat) -> (since, until)

    def accounts(self) -> list[int]:
        return sorted({account for account, _ in self.spans})

    def chats(self) -> list[int]:
        return sorted({chat for _, chat in self.spans})

    def members(self) -> dict[int, list[int]]:
        by_chat: dict[int, list[int]] = {}
        for account, chat in sorted(self.spans):
            by_chat.setdefault(chat, []).append(account)
        return by_chat


@dataclass(slots=True)
class InteractionGraph:
    """Accounts linked by replies, mentions and posting close together in the same chat."""

    weights: Counter[tuple[int, int]] = field(default_factory=Counter)  # (a, b), a < b
    kinds: Counter[str] = field(default_factory=Counter)  # interactions per kind


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return a if b is None else b if a is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return a if b is None else b if a is None else max(a, b)


def membership_graph(
    memberships: Iterable[MembershipRecord], messages: Iterable[MessageRecord] = ()
) -> MembershipGraph:
    graph = MembershipGraph()
    spans = graph.spans
    for m in memberships:
        key = (m.account_id, m.chat_id)
        since, until = spans.get(key, (None, None))
        spans[key] = (_earliest(since, m.since), _latest(until, m.until))
    for message in messages:  # authorship alone proves membership
        if message.account_id is not None:
            key = (message.account_id, message.chat_id)
            if key not in spans:
                spans[key] = (message.sent_at, None)
    return graph


def interaction_graph(
    messages: Sequence[MessageRecord], mentions: Iterable[tuple[int, int]] = ()
) -> InteractionGraph:
    graph = InteractionGraph()

    def link(a: int | None, b: int | None, kind: str, times: int = 1) -> None:
        if a is None or b is None or a == b:
            return
        graph.weights[(a, b) if a < b else (b, a)] += times
        graph.kinds[kind] += times

    author_of = {(m.chat_id, m.native_id): m.account_id for m in messages if m.native_id}
    for message in messages:
        if message.reply_to:
            link(message.account_id, author_of.get((message.chat_id, message.reply_to)), "reply")
    for a, b in mentions:
        link(a, b, "mention")
    for (a, b), times in _co_activity(messages).items():
        link(a, b, "co_activity", times)
    return graph


def _co_activity(messages: Sequence[MessageRecord]) -> Counter[tuple[int, int]]:
    """Consecutive posts in one chat by two accounts at most CO_ACTIVITY_SECONDS apart."""
    authored = [m for m in messages if m.account_id is not None]
    if len(authored) < 2:
        return Counter()
    chat = np.fromiter((m.chat_id for m in authored), np.int64, len(authored))
    account = np.fromiter((m.account_id or 0 for m in authored), np.int64, len(authored))
    at = np.fromiter((m.sent_at.timestamp() for m in authored), np.float64, len(authored))
    order = np.lexsort((at, chat))
    chat, account, at = chat[order], account[order], at[order]
    close = (
        (chat[1:] == chat[:-1])
        & (at[1:] - at[:-1] <= CO_ACTIVITY_SECONDS)
        & (account[1:] != account[:-1])
    )
    low = np.minimum(account[:-1], account[1:])[close]
    high = np.maximum(account[:-1], account[1:])[close]
    pairs, counts = np.unique(np.stack([low, high], axis=1), axis=0, return_counts=True)
    return Counter(
        {
            (int(a), int(b)): int(n)
            for (a, b), n in zip(pairs.tolist(), counts.tolist(), strict=True)
        }
    )
