"""Page data for cascades: the same sticker or picture across chats, earliest posting first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from casegraph.access.reader import Reader
from casegraph.access.redact import outside
from casegraph.report.summary import known_material_condition
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatRow,
    MatchRow,
    MediaRow,
    MessageRow,
)
from casegraph.web.views_shared import iso


def cascades(reader: Reader, limit: int = 40) -> dict[str, Any]:
    """Each cluster of the same sticker/media: who posted it where, earliest first.

    Only postings this scope sees are listed; the others are counted, never shown."""
    session, case = reader.session, reader.case
    query = (
        select(
            MediaRow.cluster,
            MediaRow.kind,
            MessageRow.sent_at,
            MessageRow.chat_id,
            MessageRow.account_id,
            ChatRow.key,
            ChatRow.title,
            AccountRow.key,
            AccountRow.identifier,
            AccountRow.names,
        )
        .join(AttachmentRow, AttachmentRow.media_id == MediaRow.id)
        .join(MessageRow, MessageRow.id == AttachmentRow.message_id)
        .join(ChatRow, ChatRow.id == MessageRow.chat_id)
        .outerjoin(AccountRow, AccountRow.id == MessageRow.account_id)
        .where(reader.media(), MediaRow.cluster.is_not(None))
        .order_by(MediaRow.cluster, MessageRow.sent_at)
    )
    clusters: dict[str, dict[str, Any]] = {}
    rows = session.execute(query)
    for cluster, kind, at, chat_id, account_id, ckey, title, akey, ident, names in rows:
        if cluster is None:
            continue
        entry = clusters.setdefault(
            cluster, {"cluster": cluster, "kind": kind, "postings": [], "hidden": 0}
        )
        entry.setdefault("reach", set()).add(chat_id)
        if not (reader.sees_chat(chat_id) and reader.sees_account(account_id)):
            entry["hidden"] += 1
            continue
        entry["total"] = entry.get("total", 0) + 1
        entry.setdefault("chat_set", set()).add(ckey)
        if len(entry["postings"]) < 50:
            entry["postings"].append(
                {
                    "at": iso(at, case),
                    "chat": ckey,
                    "chat_title": title,
                    "account": akey,
                    "identifier": ident,
                    "name": (names or [ident])[0] if akey else None,
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
