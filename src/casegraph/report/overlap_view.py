"""The report's view of overlapping sources: per chat, what each source holds and shares;
and the person links that ingest proposed from coinciding messages.

Both read through the scope: a limited reader counts only the messages it may see, sees no
source file name (an export's name carries chat titles and contact names), and sees only the
proposals whose accounts and chat are all inside its scope."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select

from casegraph.access.reader import Reader
from casegraph.store.schema import (
    ChatSourceRow,
    MessageRow,
    MessageSourceRow,
    PersonDecisionRow,
    SourceRow,
)


def chat_sources(reader: Reader) -> dict[int, dict[str, Any]]:
    """chat id -> {"sources": [...], "overlap": {...}} for the JSON report's visible chats."""
    session, case_id = reader.session, reader.case.id
    visible = reader.messages()
    own = Counter(
        {
            (chat, source): count
            for chat, source, count in session.execute(
                select(MessageRow.chat_id, MessageRow.source_id, func.count())
                .where(visible)
                .group_by(MessageRow.chat_id, MessageRow.source_id)
            )
        }
    )
    also = Counter(
        {
            (chat, source): count
            for chat, source, count in session.execute(
                select(MessageRow.chat_id, MessageSourceRow.source_id, func.count())
                .join(MessageRow, MessageSourceRow.message_id == MessageRow.id)
                .where(MessageSourceRow.case_id == case_id, visible)
                .group_by(MessageRow.chat_id, MessageSourceRow.source_id)
            )
        }
    )
    # messages whose first source is `source` and that some other source also holds
    shared_first = Counter(
        {
            (chat, source): count
            for chat, source, count in session.execute(
                select(
                    MessageRow.chat_id,
                    MessageRow.source_id,
                    func.count(func.distinct(MessageRow.id)),
                )
                .join(MessageSourceRow, MessageSourceRow.message_id == MessageRow.id)
                .where(visible)
                .group_by(MessageRow.chat_id, MessageRow.source_id)
            )
        }
    )
    views: dict[int, dict[str, Any]] = defaultdict(lambda: {"sources": [], "overlap": {}})
    for chat_id, source_id, sha256, filename, fmt, first_at, last_at, truncated in session.execute(
        select(
            ChatSourceRow.chat_id, SourceRow.id, SourceRow.sha256, SourceRow.filename,
            SourceRow.format,
            ChatSourceRow.first_at, ChatSourceRow.last_at, ChatSourceRow.possibly_truncated,
        )
        .join(SourceRow, SourceRow.id == ChatSourceRow.source_id)
        .where(ChatSourceRow.case_id == case_id, ChatSourceRow.chat_id.in_(reader.chat_keys()))
        .order_by(ChatSourceRow.chat_id, SourceRow.id)
    ):  # fmt: skip
        key = (chat_id, source_id)
        views[chat_id]["sources"].append(
            {
                "sha256": sha256,
                "filename": None if reader.limited else filename,
                "format": fmt,
                "messages": own[key] + also[key],
                "only_here": own[key] - shared_first[key],
                "first_at": first_at.isoformat() if first_at else None,
                "last_at": last_at.isoformat() if last_at else None,
                "possibly_truncated": truncated,
            }
        )
    for chat_id, view in views.items():
        shared = sum(n for (chat, _s), n in shared_first.items() if chat == chat_id)
        view["overlap"] = {
            "sources": len(view["sources"]),
            "messages_in_several_sources": shared,
        }
    return views


def person_proposals(reader: Reader) -> list[dict[str, Any]]:
    """Person links the ingest proposed; an analyst accepts one with `person merge`.

    A proposal names both accounts (and their identifiers, in its reason) and its chat, so a
    limited reader sees it only when all of them are inside the scope."""
    accounts = set(reader.account_keys().values())
    chats = set(reader.chat_keys().values())
    proposals = []
    for row in reader.session.scalars(
        select(PersonDecisionRow)
        .where(PersonDecisionRow.case_id == reader.case.id, PersonDecisionRow.kind == "proposed")
        .order_by(PersonDecisionRow.id)
    ):
        chat = (row.evidence or {}).get("chat")
        if reader.limited and not (
            set(row.account_keys or []) <= accounts and (chat is None or chat in chats)
        ):
            continue
        proposals.append(
            {
                "accounts": row.account_keys,
                "confidence": row.confidence,
                "reason": row.reason,
                "evidence": row.evidence,
            }
        )
    return proposals
