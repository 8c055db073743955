"""The report's view of overlapping sources: per chat, what each source holds and shares;
and the person links that ingest proposed from coinciding messages."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casegraph.store.schema import (
    ChatSourceRow,
    MessageRow,
    MessageSourceRow,
    PersonDecisionRow,
    SourceRow,
)


def chat_sources(session: Session, case_id: int) -> dict[int, dict[str, Any]]:
    """chat id -> {"sources": [...], "overlap": {...}} for the JSON report's chats."""
    own = Counter(
        {
            (chat, source): count
            for chat, source, count in session.execute(
                select(MessageRow.chat_id, MessageRow.source_id, func.count())
                .where(MessageRow.case_id == case_id)
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
                .where(MessageSourceRow.case_id == case_id)
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
                .where(MessageRow.case_id == case_id)
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
        .where(ChatSourceRow.case_id == case_id)
        .order_by(ChatSourceRow.chat_id, SourceRow.id)
    ):  # fmt: skip
        key = (chat_id, source_id)
        views[chat_id]["sources"].append(
            {
                "sha256": sha256,
                "filename": filename,
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


def person_proposals(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Person links the ingest proposed; an analyst accepts one with `person merge`."""
    return [
        {
            "accounts": row.account_keys,
            "confidence": row.confidence,
            "reason": row.reason,
            "evidence": row.evidence,
        }
        for row in session.scalars(
            select(PersonDecisionRow)
            .where(PersonDecisionRow.case_id == case_id, PersonDecisionRow.kind == "proposed")
            .order_by(PersonDecisionRow.id)
        )
    ]
