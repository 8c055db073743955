"""Page data for cascades: the same sticker or picture across chats, earliest posting first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from casegraph.access.reader import Reader
from casegraph.access.redact import outside
from casegraph.report.summary import known_material_condition
from casegraph.store.schema import (
    MatchRow,
    MediaRow,
    MessageRow,
)
from casegraph.web.views_shared import iso


def cascades(reader: Reader, limit: int = 40) -> dict[str, Any]:
    """Each cluster of the same sticker/media: who posted it where, earliest first.

    Only postings this scope sees are listed; the others are counted, never shown."""
    session, case = reader.session, reader.case
    clusters: dict[str, dict[str, Any]] = {}
    postings = reader.every_posting(
        reader.media(),
        MediaRow.cluster.is_not(None),
        order_by=(MediaRow.cluster, MessageRow.sent_at),
    )
    for posting in postings:
        assert posting.cluster is not None
        entry = clusters.setdefault(
            posting.cluster,
            {"cluster": posting.cluster, "kind": posting.kind, "postings": [], "hidden": 0},
        )
        entry.setdefault("reach", set()).add(posting.chat_id)
        if not posting.visible:
            entry["hidden"] += 1
            continue
        entry["total"] = entry.get("total", 0) + 1
        entry.setdefault("chat_set", set()).add(posting.chat_key)
        if len(entry["postings"]) < 50:
            entry["postings"].append(
                {
                    "at": iso(posting.at, case),
                    "chat": posting.chat_key,
                    "chat_title": posting.chat_title,
                    "account": posting.account_key,
                    "identifier": posting.identifier,
                    "name": posting.author_name if posting.account_key else None,
                }
            )
    spread: dict[str, int] = {}  # chats reached in all, seen or not: what ranks a cascade
    for entry in clusters.values():
        reach = entry.pop("reach")
        spread[entry["cluster"]] = len(reach)
        entry["chats"] = len(entry.pop("chat_set", ()))
        entry["total"] = entry.get("total", 0)
        entry["postings_outside_scope"] = outside(entry.pop("hidden"), "posting")
        hidden_chats = [c for c in reach if not reader.sees_chat(c)]
        entry["chats_outside_scope"] = outside(len(hidden_chats), "chat")
    known = set(
        session.scalars(  # clusters holding known material the viewer may see
            select(MediaRow.cluster)
            .join(MatchRow, MatchRow.media_id == MediaRow.id)
            .where(reader.media(), known_material_condition(case.id))
            .distinct()
        )
    )
    for entry in clusters.values():
        entry["known_material"] = entry["cluster"] in known
    ranked = sorted(clusters.values(), key=lambda c: -spread[c["cluster"]])
    return {"cascades": [c for c in ranked if spread[c["cluster"]] > 1][:limit]}
