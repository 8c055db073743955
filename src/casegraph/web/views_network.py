"""Page data for the network: chats and accounts as nodes, memberships as links, placed by a
seeded layout (the same picture on every visit), key actors marked with their rank."""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import igraph as ig
from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.access.reader import Reader
from casegraph.store.cases import Case
from casegraph.store.schema import AccountRow, ChatEventRow, ChatRow, KeyActorRow, MembershipRow

GRAPH_LIMIT = 400
LAYOUT_SEED = 15  # any fixed number: the layout must not move between visits
LAYOUT_SIZE = 1000.0  # positions are scaled into 0..LAYOUT_SIZE


def _roles(session: Session, case: Case) -> dict[tuple[int, int], str]:
    """(account id, chat id) -> creator | admin, from recorded facts and admin events."""
    roles: dict[tuple[int, int], str] = {}
    for event_chat, targets in session.execute(
        select(ChatEventRow.chat_id, ChatEventRow.target_ids).where(
            ChatEventRow.case_id == case.id, ChatEventRow.type == "admin_changed"
        )
    ):
        for target in targets or []:
            roles[(int(target), event_chat)] = "admin"
    for chat_id, creator in session.execute(  # created_by is not null here
        select(ChatRow.id, ChatRow.created_by).where(
            ChatRow.case_id == case.id, ChatRow.created_by.is_not(None)
        )
    ):
        if creator is not None:
            roles[(creator, chat_id)] = "creator"
    return roles


def seeded_layout(ids: list[str], links: list[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold from a circle, with a fixed random seed: stable across visits."""
    if not ids:
        return {}
    index = {node: i for i, node in enumerate(ids)}
    graph = ig.Graph(n=len(ids), edges=[(index[a], index[b]) for a, b in links])
    start = [
        [math.cos(2 * math.pi * i / len(ids)), math.sin(2 * math.pi * i / len(ids))]
        for i in range(len(ids))
    ]
    ig.set_random_number_generator(random.Random(LAYOUT_SEED))
    try:
        coords = graph.layout_fruchterman_reingold(seed=start, niter=500).coords
    finally:
        ig.set_random_number_generator(random)
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    return {
        node: (
            round((x - min(xs)) / span * LAYOUT_SIZE, 1),
            round((y - min(ys)) / span * LAYOUT_SIZE, 1),
        )
        for node, (x, y) in zip(ids, coords, strict=True)
    }


def graph(reader: Reader, chat: str = "", country: str = "", role: str = "") -> dict[str, Any]:
    """People-and-groups network: chats and accounts as nodes, memberships as edges."""
    session, case = reader.session, reader.case
    chat_rows = list(
        session.execute(select(ChatRow.id, ChatRow.key, ChatRow.title).where(reader.chats())).all()
    )
    if chat:
        chat_rows = [r for r in chat_rows if r[1] == chat]
    chat_ids = {r[0] for r in chat_rows}
    roles = _roles(session, case)
    edges: dict[tuple[int, int], str] = {}
    for account_id, chat_id in session.execute(
        select(MembershipRow.account_id, MembershipRow.chat_id).where(
            reader.memberships(), MembershipRow.chat_id.in_(chat_ids)
        )
    ):
        edges[(account_id, chat_id)] = roles.get((account_id, chat_id), "member")
    if role:
        edges = {k: v for k, v in edges.items() if v == role}
    account_rows = {
        row.id: row
        for row in session.scalars(
            select(AccountRow).where(reader.accounts(), AccountRow.id.in_({a for a, _ in edges}))
        )
    }
    if country:
        account_rows = {i: r for i, r in account_rows.items() if r.country == country.upper()}
    ranks = {
        account_id: (rank, score)
        for account_id, rank, score in session.execute(
            select(KeyActorRow.account_id, KeyActorRow.rank, KeyActorRow.score).where(
                KeyActorRow.case_id == case.id
            )
        )
        if account_id in account_rows
    }
    degree = Counter(a for a, _ in edges if a in account_rows)
    keep = {a for a, _ in degree.most_common(GRAPH_LIMIT)} | set(ranks)
    linked_chats = {c for a, c in edges if a in keep}
    nodes: list[dict[str, Any]] = [
        {"id": key, "label": title or key, "type": "chat"}
        for cid, key, title in chat_rows
        if cid in linked_chats or chat
    ]
    chat_key = {cid: key for cid, key, _ in chat_rows}
    for account_id in sorted(keep):
        row = account_rows[account_id]
        label = (row.names or [row.identifier])[0]
        rank, score = ranks.get(account_id, (None, None))
        nodes.append(
            {
                "id": row.key,
                "label": str(label),
                "type": "account",
                "country": row.country,
                "identifier": row.identifier,
                "degree": degree[account_id],
                "key_actor_rank": rank,
                "key_actor_score": score,
            }
        )
    links = [
        {"source": account_rows[a].key, "target": chat_key[c], "role": r}
        for (a, c), r in sorted(edges.items())
        if a in keep
    ]
    where = seeded_layout([n["id"] for n in nodes], [(e["source"], e["target"]) for e in links])
    for node in nodes:
        node["x"], node["y"] = where[node["id"]]
    return {
        "nodes": nodes,
        "edges": links,
        "truncated": len(degree) > GRAPH_LIMIT,
        "filters": {"chat": chat, "country": country, "role": role},
        "chats": [{"id": key, "title": title} for _, key, title in chat_rows],
    }
