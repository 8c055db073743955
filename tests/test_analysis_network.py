"""Network: membership spans, interactions, centralities, communities and key actors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casegraph.analysis.network import (
    account_metrics,
    interaction_graph,
    membership_graph,
    rank_key_actors,
)
from casegraph.analysis.records import EventRecord, MembershipRecord, MessageRecord


def at(minute: int) -> datetime:
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)


def message(
    n: int,
    chat: int,
    account: int | None,
    minute: int,
    native_id: str | None = None,
    reply_to: str | None = None,
) -> MessageRecord:
    return MessageRecord(n, chat, account, at(minute), native_id=native_id, reply_to=reply_to)


def test_membership_spans_take_the_earliest_join_and_latest_departure() -> None:
    graph = membership_graph(
        [
            MembershipRecord(1, 7, at(50), None, "authored"),
            MembershipRecord(1, 7, at(10), None, "added"),
            MembershipRecord(1, 7, None, at(90), "left"),
        ],
        [message(1, 2, 7, 30)],
    )
    assert graph.spans[(7, 1)] == (at(10), at(90))
    assert graph.spans[(7, 2)] == (at(30), None)  # posting proves membership


def test_replies_and_close_posts_link_accounts_but_distant_posts_do_not() -> None:
    messages = [
        message(1, 1, 10, 0, native_id="a"),
        message(2, 1, 11, 5),  # five minutes later: co-activity
        message(3, 1, 12, 500, reply_to="a"),  # a reply hours later
        message(4, 2, 13, 6),  # another chat: no link to chat 1's posters
    ]
    graph = interaction_graph(messages, mentions=[(13, 10)])
    assert graph.weights == {(10, 11): 1, (10, 12): 1, (10, 13): 1}
    assert graph.kinds == {"co_activity": 1, "reply": 1, "mention": 1}


def test_the_account_in_two_chats_is_the_bridge() -> None:
    spans = [MembershipRecord(1, a, at(0)) for a in (1, 2, 3, 9)]
    spans += [MembershipRecord(2, a, at(0)) for a in (4, 5, 6, 9)]
    metrics = account_metrics(membership_graph(spans), interaction_graph([]))
    bridge = metrics[9]
    assert bridge.chats == 2 and bridge.degree == 6
    assert bridge.betweenness == max(m.betweenness for m in metrics.values()) > 0
    assert all(metrics[a].betweenness == 0 for a in (1, 2, 3, 4, 5, 6))
    assert bridge.pagerank == pytest.approx(max(m.pagerank for m in metrics.values()))
    assert sum(m.pagerank for m in metrics.values()) == pytest.approx(1.0)


def test_two_separate_groups_are_two_communities_numbered_alike_on_rerun() -> None:
    spans = [MembershipRecord(1, a, at(0)) for a in range(1, 6)]
    spans += [MembershipRecord(2, a, at(0)) for a in range(6, 11)]
    first = account_metrics(membership_graph(spans), interaction_graph([]))
    again = account_metrics(membership_graph(spans), interaction_graph([]))
    assert {first[a].community for a in range(1, 6)} == {0}
    assert {first[a].community for a in range(6, 11)} == {1}
    assert first == again
    assert all(first[a].core == 1 for a in range(1, 11))


def test_key_actors_rank_creators_with_their_reasons() -> None:
    spans = [MembershipRecord(1, a, at(0)) for a in (1, 2, 3)]
    metrics = account_metrics(membership_graph(spans), interaction_graph([]))
    events = [
        EventRecord(1, at(0), "created", actor_id=2),
        EventRecord(1, at(1), "admin_changed", actor_id=2, target_ids=(3,)),
    ]
    actors = rank_key_actors(metrics, events, [], {1: "Club Nube"})
    assert [a.account_id for a in actors] == [2, 3]
    assert actors[0].reasons == ["created Club Nube"]
    assert actors[1].reasons == ["admin of Club Nube"]
