"""Reading a case's tables into the plain records the analysis works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.analysis.identity import Decision
from casegraph.analysis.records import (
    AccountRecord,
    ChatRecord,
    EventRecord,
    MediaRecord,
    MembershipRecord,
    MessageRecord,
    OccurrenceRecord,
)
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatEventRow,
    ChatRow,
    MatchRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    PersonDecisionRow,
)

JOIN_EVENTS = {
    "created": "created",
    "joined_via_link": "joined_via_link",
    "joined_via_request": "joined_via_request",
}
LEAVE_EVENTS = {"left", "removed"}


@dataclass(slots=True)
class CaseInputs:
    accounts: list[AccountRecord] = field(default_factory=list)
    chats: list[ChatRecord] = field(default_factory=list)
    messages: list[MessageRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    memberships: list[MembershipRecord] = field(default_factory=list)
    media: list[MediaRecord] = field(default_factory=list)
    occurrences: list[OccurrenceRecord] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)


def load_inputs(session: Session, case_id: int) -> CaseInputs:
    inputs = CaseInputs()
    # column selects throughout: no ORM object per row, a few seconds on the large case
    inputs.accounts = [
        AccountRecord(id_, key, platform, identifier, kind, tuple(names or ()), country)
        for id_, key, platform, identifier, kind, names, country in session.execute(
            select(
                AccountRow.id,
                AccountRow.key,
                AccountRow.platform,
                AccountRow.identifier,
                AccountRow.identifier_kind,
                AccountRow.names,
                AccountRow.phone_country,
            )
            .where(AccountRow.case_id == case_id)
            .order_by(AccountRow.id)
        )
    ]
    inputs.chats = [
        ChatRecord(*row)
        for row in session.execute(
            select(
                ChatRow.id,
                ChatRow.key,
                ChatRow.platform,
                ChatRow.title,
                ChatRow.created_by,
                ChatRow.created_at,
            )
            .where(ChatRow.case_id == case_id)
            .order_by(ChatRow.id)
        )
    ]
    inputs.messages = [
        MessageRecord._make(row)
        for row in session.execute(
            select(
                MessageRow.id,
                MessageRow.chat_id,
                MessageRow.account_id,
                MessageRow.sent_at,
                MessageRow.text,
                MessageRow.kind,
                MessageRow.native_id,
                MessageRow.reply_to,
            )
            .where(MessageRow.case_id == case_id)
            .order_by(MessageRow.id)
        )
    ]
    inputs.events = [
        EventRecord(chat_id, at, type_, actor_id, tuple(targets or ()), details or {})
        for chat_id, at, type_, actor_id, targets, details in session.execute(
            select(
                ChatEventRow.chat_id,
                ChatEventRow.at,
                ChatEventRow.type,
                ChatEventRow.actor_id,
                ChatEventRow.target_ids,
                ChatEventRow.details,
            )
            .where(ChatEventRow.case_id == case_id)
            .order_by(ChatEventRow.at, ChatEventRow.id)
        )
    ]
    inputs.memberships = [
        MembershipRecord._make(row)
        for row in session.execute(
            select(
                MembershipRow.chat_id,
                MembershipRow.account_id,
                MembershipRow.since,
                MembershipRow.until,
                MembershipRow.via,
            ).where(MembershipRow.case_id == case_id)
        )
    ]
    inputs.memberships += _memberships_from_activity(inputs.messages, inputs.events)
    matched = {
        media_id: category
        for media_id, category in session.execute(
            select(MatchRow.media_id, MatchRow.category).where(
                MatchRow.case_id == case_id,
                MatchRow.pertinent.is_(True),
                MatchRow.suppressed_by.is_(None),
            )
        )
    }
    inputs.media = [
        MediaRecord(
            id_,
            sha256,
            kind,
            pdq,
            id_ in matched,
            tuple(c for c in (matched.get(id_),) if c),
            (pack or {}).get("id"),
            (pack or {}).get("publisher"),
        )
        for id_, sha256, kind, pdq, pack in session.execute(
            select(MediaRow.id, MediaRow.sha256, MediaRow.kind, MediaRow.pdq, MediaRow.sticker_pack)
            .where(MediaRow.case_id == case_id)
            .order_by(MediaRow.id)
        )
    ]
    inputs.occurrences = [
        OccurrenceRecord._make(row)
        for row in session.execute(
            select(
                AttachmentRow.media_id,
                MessageRow.id,
                MessageRow.chat_id,
                MessageRow.account_id,
                MessageRow.sent_at,
                MessageRow.seq,
            )
            .join(MessageRow, AttachmentRow.message_id == MessageRow.id)
            .where(AttachmentRow.case_id == case_id, AttachmentRow.media_id.is_not(None))
        )
    ]
    inputs.decisions = [
        Decision(r.kind, tuple(r.account_keys or ()))
        for r in session.scalars(
            select(PersonDecisionRow)
            .where(PersonDecisionRow.case_id == case_id)
            .order_by(PersonDecisionRow.at, PersonDecisionRow.id)
        )
    ]
    return inputs


def _memberships_from_activity(
    messages: list[MessageRecord], events: list[EventRecord]
) -> list[MembershipRecord]:
    """Membership spans the system events and authorship prove, whatever ingest recorded."""
    spans: list[MembershipRecord] = []
    first_post: dict[tuple[int, int], datetime] = {}
    for m in messages:
        if m.account_id is not None:
            key = (m.chat_id, m.account_id)
            if key not in first_post or m.sent_at < first_post[key]:
                first_post[key] = m.sent_at
    spans += [
        MembershipRecord(chat, account, at, None, "authored")
        for (chat, account), at in first_post.items()
    ]
    for e in events:
        if e.type in JOIN_EVENTS and e.actor_id is not None:
            spans.append(MembershipRecord(e.chat_id, e.actor_id, e.at, None, JOIN_EVENTS[e.type]))
        elif e.type == "added":
            spans += [MembershipRecord(e.chat_id, t, e.at, None, "added") for t in e.target_ids]
        elif e.type == "left" and e.actor_id is not None:
            spans.append(MembershipRecord(e.chat_id, e.actor_id, None, e.at, "left"))
        elif e.type == "removed":
            spans += [MembershipRecord(e.chat_id, t, None, e.at, "removed") for t in e.target_ids]
    return spans
