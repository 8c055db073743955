"""Page data for a case: overview, chats, chat timeline, accounts. Each honours the Scope."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casegraph.store.cases import Case
from casegraph.store.schema import (
    AccountRow,
    ChatEventRow,
    ChatRow,
    MatchRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    PersonDecisionRow,
    PersonRow,
)
from casegraph.web.access import Scope
from casegraph.web.search import match_condition

PAGE_SIZE = 100


class NotVisible(LookupError):
    """The row does not exist or this user may not see it (the two look the same)."""


def iso(at: datetime | None, case: Case) -> str | None:
    return at.astimezone(ZoneInfo(case.timezone)).isoformat() if at is not None else None


def _chat_filter(scope: Scope) -> Any:
    return ChatRow.id.in_(scope.chats) if scope.chats is not None else True


def _account_filter(scope: Scope) -> Any:
    return AccountRow.id.in_(scope.accounts) if scope.accounts is not None else True


def overview(session: Session, case: Case, scope: Scope) -> dict[str, Any]:
    def count(model: Any, *where: Any) -> int:
        query = select(func.count()).select_from(model).where(model.case_id == case.id, *where)
        return int(session.scalar(query) or 0)

    message_filter = []
    if scope.limited:
        message_filter = [
            MessageRow.chat_id.in_(scope.chats or set()),
            MessageRow.account_id.in_(scope.accounts or set()),
        ]
    first, last = session.execute(
        select(func.min(MessageRow.sent_at), func.max(MessageRow.sent_at)).where(
            MessageRow.case_id == case.id, *message_filter
        )
    ).one()
    return {
        "case": {"name": case.name, "timezone": case.timezone, "agency": case.agency},
        "counts": {
            "chats": count(ChatRow, _chat_filter(scope)),
            "accounts": count(AccountRow, _account_filter(scope)),
            "messages": count(MessageRow, *message_filter),
            "media": count(MediaRow) if not scope.limited else None,
            "matches": count(MatchRow, MatchRow.pertinent.is_(True)) if not scope.limited else None,
        },
        "first_message": iso(first, case),
        "last_message": iso(last, case),
        "limited": scope.limited,
    }


def chats(session: Session, case: Case, scope: Scope) -> list[dict[str, Any]]:
    counts = dict(
        session.execute(
            select(MessageRow.chat_id, func.count())
            .where(MessageRow.case_id == case.id)
            .group_by(MessageRow.chat_id)
        ).all()
    )
    members = dict(
        session.execute(
            select(MembershipRow.chat_id, func.count(func.distinct(MembershipRow.account_id)))
            .where(MembershipRow.case_id == case.id)
            .group_by(MembershipRow.chat_id)
        ).all()
    )
    rows = session.scalars(
        select(ChatRow).where(ChatRow.case_id == case.id, _chat_filter(scope)).order_by(ChatRow.id)
    ).all()
    keys = {row.id: row.key for row in rows}
    return [
        {
            "id": row.key,
            "platform": row.platform,
            "title": row.title,
            "aliases": list(row.aliases or []),
            "messages": int(counts.get(row.id, 0)) if not scope.limited else None,
            "members": int(members.get(row.id, 0)),
            "created_at": iso(row.created_at, case),
            "parent": keys.get(row.parent_id) if row.parent_id else None,
        }
        for row in rows
    ]


def chat_row(session: Session, case: Case, scope: Scope, key: str) -> ChatRow:
    row = session.scalars(
        select(ChatRow).where(ChatRow.case_id == case.id, ChatRow.key == key, _chat_filter(scope))
    ).first()
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
    session: Session,
    case: Case,
    scope: Scope,
    key: str,
    q: str = "",
    author: str = "",
    kind: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> dict[str, Any]:
    """One page of a chat's messages (searchable, filterable) with the system events among them."""
    chat = chat_row(session, case, scope, key)
    query = select(MessageRow, AccountRow.key, AccountRow.identifier).outerjoin(
        AccountRow, AccountRow.id == MessageRow.account_id
    )
    query = query.where(MessageRow.case_id == case.id, MessageRow.chat_id == chat.id)
    if scope.accounts is not None:
        query = query.where(MessageRow.account_id.in_(scope.accounts))
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
    rows = session.execute(
        # file order within each export; served by ix_messages_chat_seq without a sort
        query.order_by(MessageRow.source_id, MessageRow.seq)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    messages = [
        {
            "at": iso(m.sent_at, case),
            "author": akey,
            "author_identifier": ident,
            "author_label": m.author_label,
            "kind": m.kind,
            "text": m.text,
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
        events = _events(session, case, scope, chat.id, first, last)
    elif not rows and page == 1 and not (q or author or kind):
        events = _events(session, case, scope, chat.id, None, None)
    return {
        "chat": {"id": chat.key, "title": chat.title, "platform": chat.platform},
        "messages": messages,
        "events": events,
        "page": page,
        "more": more,
        "filters": {"q": q, "author": author, "kind": kind, "since": since, "until": until},
    }


def _events(
    session: Session,
    case: Case,
    scope: Scope,
    chat_id: int,
    first: datetime | None,
    last: datetime | None,
) -> list[dict[str, Any]]:
    query = select(ChatEventRow).where(
        ChatEventRow.case_id == case.id, ChatEventRow.chat_id == chat_id
    )
    if first is not None and last is not None:
        query = query.where(ChatEventRow.at >= first, ChatEventRow.at <= last)
    rows = session.scalars(query.order_by(ChatEventRow.at, ChatEventRow.seq).limit(500)).all()
    wanted = {i for e in rows for i in (e.actor_id, *(e.target_ids or [])) if i is not None}
    keys = dict(
        session.execute(
            select(AccountRow.id, AccountRow.key).where(AccountRow.id.in_(wanted))
        ).all()
    )
    out = []
    for event in rows:
        parties = {event.actor_id, *(event.target_ids or [])} - {None}
        if scope.accounts is not None and not parties & scope.accounts:
            continue
        out.append(
            {
                "at": iso(event.at, case),
                "type": event.type,
                "actor": keys.get(event.actor_id) if event.actor_id else None,
                "targets": [keys.get(t) for t in event.target_ids or []],
                "text": event.text,
            }
        )
    return out


def accounts(
    session: Session, case: Case, scope: Scope, country: str = "", page: int = 1
) -> dict[str, Any]:
    counts = dict(
        session.execute(
            select(MessageRow.account_id, func.count())
            .where(MessageRow.case_id == case.id)
            .group_by(MessageRow.account_id)
        ).all()
    )
    query = select(AccountRow).where(AccountRow.case_id == case.id, _account_filter(scope))
    if country:
        query = query.where(AccountRow.country == country.upper())
    page = max(1, page)
    rows = session.scalars(
        query.order_by(AccountRow.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    return {
        "accounts": [
            {
                "id": row.key,
                "platform": row.platform,
                "identifier": row.identifier,
                "names": list(row.names or []),
                "country": row.country,
                "messages": int(counts.get(row.id, 0)),
            }
            for row in rows[:PAGE_SIZE]
        ],
        "page": page,
        "more": len(rows) > PAGE_SIZE,
        "country": country,
    }


def account(session: Session, case: Case, scope: Scope, key: str) -> dict[str, Any]:
    row = session.scalars(
        select(AccountRow).where(
            AccountRow.case_id == case.id, AccountRow.key == key, _account_filter(scope)
        )
    ).first()
    if row is None:
        raise NotVisible(key)
    groups = session.execute(
        select(ChatRow.key, ChatRow.title, func.min(MembershipRow.since), MembershipRow.via)
        .join(MembershipRow, MembershipRow.chat_id == ChatRow.id)
        .where(MembershipRow.account_id == row.id, _chat_filter(scope))
        .group_by(ChatRow.key, ChatRow.title, MembershipRow.via)
    ).all()
    day = func.date(MessageRow.sent_at)
    activity = session.execute(
        select(day, func.count())
        .where(MessageRow.case_id == case.id, MessageRow.account_id == row.id)
        .group_by(day)
        .order_by(day)
    ).all()
    person = session.get(PersonRow, row.person_id) if row.person_id else None
    linked = []
    if person is not None:
        linked = list(
            session.scalars(
                select(AccountRow.key).where(
                    AccountRow.person_id == person.id,
                    AccountRow.id != row.id,
                    _account_filter(scope),
                )
            )
        )
    return {
        "id": row.key,
        "platform": row.platform,
        "identifier": row.identifier,
        "names": list(row.names or []),
        "phone_country": row.phone_country,
        "country": row.country,
        "country_confidence": row.country_confidence,
        "country_reasons": list(row.country_reasons or []),
        "languages": list(row.languages or []),
        "person": {
            "key": person.key,
            "label": person.label,
            "age": person.age,
            "other_accounts": linked,
        }
        if person
        else None,
        "groups": [{"id": k, "title": t, "since": iso(s, case), "via": v} for k, t, s, v in groups],
        "activity": [{"day": str(d), "messages": int(n)} for d, n in activity],
        "decisions": [] if scope.limited else person_decisions(session, case, row.key),
    }


def person_decisions(session: Session, case: Case, account_key: str) -> list[dict[str, Any]]:
    """Analysts' merges and splits naming this account; each analysis run applies them."""
    rows = session.scalars(
        select(PersonDecisionRow)
        .where(PersonDecisionRow.case_id == case.id)
        .order_by(PersonDecisionRow.id)
    )
    return [
        {
            "kind": d.kind,
            "accounts": list(d.account_keys),
            "actor": d.actor,
            "at": iso(d.at, case),
            "reason": d.reason,
        }
        for d in rows
        if account_key in (d.account_keys or [])
    ]
