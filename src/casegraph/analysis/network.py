"""Centralities and communities over the membership and interaction graphs; key actors.

igraph computes them (C code: exact betweenness, PageRank, k-core and Louvain communities on
the large case in seconds, where networkx took over a minute); graphs.py builds the edges.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo

import igraph as ig

from casegraph.analysis.graphs import (
    InteractionGraph,
    MembershipGraph,
    interaction_graph,
    membership_graph,
)
from casegraph.analysis.records import EventRecord
from casegraph.analysis.spread import Cluster

__all__ = [
    "AccountMetrics",
    "KeyActor",
    "account_metrics",
    "interaction_graph",
    "membership_graph",
    "rank_key_actors",
]

KEY_ACTORS = 25
STAR_ABOVE = 400  # members; a bigger chat joins its members through a star, not a clique
COMMUNITY_SEED = 7


@dataclass(slots=True)
class AccountMetrics:
    degree: int = 0  # accounts it shares a chat or an interaction with
    betweenness: float = 0.0  # normalised, on the account–chat graph
    pagerank: float = 0.0
    core: int = 0  # k-core number on the account–chat graph
    community: int = -1
    chats: int = 0


@dataclass(slots=True)
class KeyActor:
    account_id: int
    score: float
    reasons: list[str] = field(default_factory=list)


def account_metrics(
    membership: MembershipGraph, interactions: InteractionGraph
) -> dict[int, AccountMetrics]:
    """Degree, betweenness and k-core on the membership graph; PageRank and communities on
    accounts joined by shared chats and interactions."""
    accounts, chats = membership.accounts(), membership.chats()
    if not accounts:
        return {}
    vertex = {a: i for i, a in enumerate(accounts)}
    chat_vertex = {c: len(accounts) + i for i, c in enumerate(chats)}
    bipartite = ig.Graph(
        n=len(accounts) + len(chats),
        edges=[(vertex[a], chat_vertex[c]) for a, c in membership.spans],
    )
    n = bipartite.vcount()
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0  # networkx's normalisation
    betweenness = bipartite.betweenness(vertices=range(len(accounts)), directed=False)
    core = bipartite.coreness()
    chat_count = bipartite.degree(range(len(accounts)))

    people = _account_projection(membership, interactions, vertex)
    pagerank = people.pagerank(weights="weight") if people.ecount() else [0.0] * len(accounts)
    community_of = _communities(people)
    degree = people.degree()
    return {
        account: AccountMetrics(
            degree=degree[i],
            betweenness=betweenness[i] * scale,
            pagerank=pagerank[i],
            core=core[i],
            community=community_of[i],
            chats=chat_count[i],
        )
        for account, i in vertex.items()
    }


def _account_projection(
    membership: MembershipGraph, interactions: InteractionGraph, vertex: Mapping[int, int]
) -> ig.Graph:
    weights: dict[tuple[int, int], float] = defaultdict(float)
    for members in membership.members().values():
        ids = [vertex[a] for a in members]
        if len(ids) > STAR_ABOVE:  # keeps the projection linear in the size of big chats
            for other in ids[1:]:
                weights[(ids[0], other)] += 0.1
            continue
        share = 1.0 / len(ids)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                weights[(a, b)] += share
    for (a, b), times in interactions.weights.items():
        if a in vertex and b in vertex:
            va, vb = vertex[a], vertex[b]
            weights[(va, vb) if va < vb else (vb, va)] += float(times)
    graph = ig.Graph(n=len(vertex), edges=list(weights))
    graph.es["weight"] = list(weights.values())
    return graph


def _communities(people: ig.Graph) -> list[int]:
    """Louvain communities, numbered by their smallest vertex so re-runs number them alike."""
    if people.ecount() == 0:
        return list(range(people.vcount()))
    ig.set_random_number_generator(random.Random(COMMUNITY_SEED))
    try:
        found = people.community_multilevel(weights="weight")
    finally:
        ig.set_random_number_generator(random)
    groups = sorted((sorted(group) for group in found), key=lambda g: g[0])
    community = [-1] * people.vcount()
    for number, group in enumerate(groups):
        for v in group:
            community[v] = number
    return community


def rank_key_actors(
    metrics: Mapping[int, AccountMetrics],
    events: Iterable[EventRecord],
    clusters: Iterable[Cluster],
    chat_names: Mapping[int, str],
    limit: int = KEY_ACTORS,
    zone: tzinfo | None = None,
) -> list[KeyActor]:
    """Accounts ranked by role, with one plain-language reason per contribution.

    Times in the reasons are shown in `zone` (the case's time zone) where given.
    """
    score: dict[int, float] = defaultdict(float)
    reasons: dict[int, list[str]] = defaultdict(list)

    def credit(account: int | None, points: float, reason: str) -> None:
        if account is not None:
            score[account] += points
            reasons[account].append(reason)

    for event in events:
        if event.type == "created":
            credit(event.actor_id, 3.0, f"created {chat_names.get(event.chat_id, 'a chat')}")
        elif event.type == "admin_changed":
            for target in event.target_ids or ((event.actor_id,) if event.actor_id else ()):
                credit(target, 1.5, f"admin of {chat_names.get(event.chat_id, 'a chat')}")
    distributed: dict[int, Counter[int]] = defaultdict(Counter)
    for cluster in clusters:
        if not cluster.matched:
            continue
        if cluster.first is not None:
            first = cluster.first
            credit(
                first.account_id,
                2.0,
                f"first posted matched media {cluster.key} in "
                f"{chat_names.get(first.chat_id, 'a chat')} at "
                f"{first.sent_at.astimezone(zone or UTC).isoformat()}",
            )
        for occurrence in cluster.occurrences:
            if occurrence.account_id is not None:
                distributed[occurrence.account_id][occurrence.chat_id] += 1
    for account, per_chat in distributed.items():
        total = sum(per_chat.values())
        credit(
            account, 0.5 * total, f"posted matched media {total} time(s) in {len(per_chat)} chat(s)"
        )
    bridges = sorted(metrics.items(), key=lambda kv: -kv[1].betweenness)[:limit]
    for account, m in bridges:
        if m.chats >= 2:
            credit(
                account,
                1.0 * (m.chats - 1) + 10 * m.betweenness,
                f"bridge between {m.chats} chats (betweenness {m.betweenness:.3f})",
            )
    ranked = sorted(score, key=lambda a: (-score[a], a))[:limit]
    return [KeyActor(a, round(score[a], 3), reasons[a]) for a in ranked]
