"""Page data for chats: the list with each chat's parent, a chat's timeline (messages and
system events, searchable) and its activity per day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from casegraph.access.reader import Reader
from casegraph.access.redact import event_view, outside, scrub_numbers
from casegraph.store.cases import Case
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatEventRow,
    ChatRow,
    MatchRow,
    MembershipRow,
    MessageRow,
)
from casegraph.web.paging import page_of
from casegraph.web.search import match_condition
from casegraph.web.views_shared import PAGE_SIZE, NotVisible, iso


def chats(reader: Reader) -> list[dict[str, Any]]:
    """Visible chats; members count the visible ones, the others only as a number."""
    session, case = reader.session, reader.case
    counts = dict(
        session.execute(
            select(MessageRow.chat_id, func.count())
            .where(reader.messages())
            .group_by(MessageRow.chat_id)
        ).all()
    )
    members: dict[int, set[int]] = {}
    for chat_id, account_id in session.execute(
        select(MembershipRow.chat_id, MembershipRow.account_id)
        .where(MembershipRow.case_id == case.id, MembershipRow.chat_id.in_(reader.chat_keys()))
        .distinct()
    ):
        members.setdefault(chat_id, set()).add(account_id)
    rows = session.scalars(select(ChatRow).where(reader.chats()).order_by(ChatRow.id)).all()
    keys = reader.chat_keys()
    titles = {row.id: row.title or row.key for row in rows}
    out = []
    for row in rows:
        everyone = members.get(row.id, set())
        shown = {a for a in everyone if reader.sees_account(a)}
        out.append(
            {
                "id": row.key,
                "platform": row.platform,
                "title": row.title,
                "aliases": list(row.aliases or []),
                "messages": int(counts.get(row.id, 0)),
                "members": len(shown),
                "members_outside_scope": outside(len(everyone) - len(shown), "member"),
                "created_at": iso(row.created_at, case),
                "parent": keys.get(row.parent_id) if row.parent_id else None,
                # a hidden parent is neither linked nor named
                "parent_title": titles.get(row.parent_id) if row.parent_id else None,
            }
        )
    return out


def chat_row(reader: Reader, key: str) -> ChatRow:
    row = reader.session.scalars(select(ChatRow).where(reader.chats(), ChatRow.key == key)).first()
    if row is None:
        raise NotVisible(key)
    return row


def _parse_day(value: str | None, case: Case) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        return None
    return day.replace(tzinfo=day.tzinfo or ZoneInfo(case.timezone))


def timeline(
    reader: Reader,
    key: str,
    q: str = "",
    author: str = "",
    kind: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> dict[str, Any]:
    """One page of a chat's messages (searchable, filterable) with the system events among them."""
    session, case = reader.session, reader.case
    chat = chat_row(reader, key)
    query = select(MessageRow, AccountRow.key, AccountRow.identifier).outerjoin(
        AccountRow, AccountRow.id == MessageRow.account_id
    )
    query = query.where(reader.messages(), MessageRow.chat_id == chat.id)
    if q.strip():
        query = query.where(match_condition(session, q))
    if author:
        query = query.where(AccountRow.key == author)
    if kind:
        query = query.where(MessageRow.kind == kind)
    start, end = _parse_day(since, case), _parse_day(until, case)
    if start:
        query = query.where(MessageRow.sent_at >= start)
    if end:
        query = query.where(MessageRow.sent_at < end + timedelta(days=1))
    page = max(1, page)
    # file order within each export; served by ix_messages_chat_seq without a sort
    rows, more = page_of(
        session, query.order_by(MessageRow.source_id, MessageRow.seq), page, PAGE_SIZE
    )
    messages = [
        {
            "at": iso(m.sent_at, case),
            "author": akey,
            "author_identifier": ident,
            "author_label": m.author_label,
            "kind": m.kind,
            "text": scrub_numbers(reader, m.text),
            "attachment": m.attachment_ref,
        }
        for m, akey, ident in rows
    ]
    events: list[dict[str, Any]] = []
    if rows and not (q or author or kind):
        first = min(r[0].sent_at for r in rows)
        last = max(r[0].sent_at for r in rows)
        if page == 1:
            first = datetime.min.replace(tzinfo=first.tzinfo)
        if not more:
            last = datetime.max.replace(tzinfo=last.tzinfo)
        events = _events(reader, chat.id, first, last)
    elif not rows and page == 1 and not (q or author or kind):
        events = _events(reader, chat.id, None, None)
    return {
        "chat": {"id": chat.key, "title": chat.title, "platform": chat.platform},
        "messages": messages,
        "events": events,
        "page": page,
        "more": more,
        "filters": {"q": q, "author": author, "kind": kind, "since": since, "until": until},
    }


def _events(
    reader: Reader, chat_id: int, first: datetime | None, last: datetime | None
) -> list[dict[str, Any]]:
    """System events of the chat; parties outside the scope are counted, never named."""
    query = select(ChatEventRow).where(reader.events(), ChatEventRow.chat_id == chat_id)
    if first is not None and last is not None:
        query = query.where(ChatEventRow.at >= first, ChatEventRow.at <= last)
    rows = reader.session.scalars(query.order_by(ChatEventRow.at, ChatEventRow.seq).limit(500))
    out = []
    for event in rows:
        shown = event_view(reader, event.type, event.actor_id, event.target_ids, event.text)
        if shown is not None:
            out.append({"at": iso(event.at, reader.case), **shown})
    return out


JOINS = ("added", "joined_via_link", "joined_via_request", "joined")


LEAVES = ("left", "removed")


def chat_activity(reader: Reader, key: str) -> dict[str, Any]:
    """Per day of a chat, in the case's time zone: visible messages, joins, leaves and
    postings of known material; and the visible chats that broke off from it."""
    from casegraph.report.summary import known_material_condition

    session, case = reader.session, reader.case
    chat = chat_row(reader, key)
    zone = ZoneInfo(case.timezone)
    days: dict[str, dict[str, int]] = {}

    def bump(at: datetime | None, what: str) -> None:
        if at is not None:
            day = at.astimezone(zone).date().isoformat()
            counts = days.setdefault(day, {"messages": 0, "joins": 0, "leaves": 0, "matched": 0})
            counts[what] += 1

    for (at,) in session.execute(
        select(MessageRow.sent_at).where(reader.messages(), MessageRow.chat_id == chat.id)
    ):
        bump(at, "messages")
    for at, kind in session.execute(
        select(ChatEventRow.at, ChatEventRow.type).where(
            reader.events(), ChatEventRow.chat_id == chat.id, ChatEventRow.type.in_(JOINS + LEAVES)
        )
    ):
        bump(at, "joins" if kind in JOINS else "leaves")
    known = select(MatchRow.media_id).where(known_material_condition(case.id))
    for (at,) in session.execute(
        select(MessageRow.sent_at)
        .join(AttachmentRow, AttachmentRow.message_id == MessageRow.id)
        .where(reader.postings(), MessageRow.chat_id == chat.id, AttachmentRow.media_id.in_(known))
    ):
        bump(at, "matched")
    breakoffs = [
        {"id": row.key, "title": row.title or row.key, "day": iso(row.created_at, case)}
        for row in session.scalars(
            select(ChatRow).where(reader.chats(), ChatRow.parent_id == chat.id)
        )
    ]
    return {
        "days": [{"day": day, **days[day]} for day in sorted(days)],
        "breakoffs": breakoffs,
    }
