"""Page data for a case: overview, chats, chat timeline, accounts; all read through a Reader."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from casegraph.access.reader import Reader
from casegraph.access.redact import event_view, outside, scrub_numbers
from casegraph.report.summary import matched_media_query
from casegraph.store.cases import Case
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
    PersonRow,
)
from casegraph.web.paging import page_of, slice_of
from casegraph.web.search import match_condition
from casegraph.wording import language_name, platform_name

PAGE_SIZE = 100


class NotVisible(LookupError):
    """The row does not exist or this user may not see it (the two look the same)."""


def iso(at: datetime | None, case: Case) -> str | None:
    return at.astimezone(ZoneInfo(case.timezone)).isoformat() if at is not None else None


def overview(reader: Reader) -> dict[str, Any]:
    session, case = reader.session, reader.case

    def count(model: Any, where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)

    first, last = session.execute(
        select(func.min(MessageRow.sent_at), func.max(MessageRow.sent_at)).where(reader.messages())
    ).one()
    return {
        "case": {"name": case.name, "timezone": case.timezone, "agency": case.agency},
        "counts": {
            "chats": count(ChatRow, reader.chats()),
            "accounts": count(AccountRow, reader.accounts()),
            "messages": count(MessageRow, reader.messages()),
            "media": count(MediaRow, reader.media()) if not reader.limited else None,
            # the one count `case show` and the report print (report/summary.py)
            "matched media": int(session.scalar(matched_media_query(case.id)) or 0)
            if not reader.limited
            else None,
        },
        "first_message": iso(first, case),
        "last_message": iso(last, case),
        "limited": reader.limited,
    }


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


def accounts(reader: Reader, country: str = "", page: int = 1, sort: str = "") -> dict[str, Any]:
    """Visible accounts with their figures; `sort` (activity, chats, matched, key_actor) puts
    the largest first, else they come in the order they were found."""
    from casegraph.web.views_people import SORTS, account_figures

    session = reader.session
    figures = account_figures(reader)
    query = select(AccountRow).where(reader.accounts())
    if country.lower() == "unattributed":  # the dashboard's triage queue
        query = query.where(AccountRow.country.is_(None))
    elif country:
        query = query.where(AccountRow.country == country.upper())
    page = max(1, page)
    if sort in SORTS:
        everyone = list(session.scalars(query.order_by(AccountRow.id)))
        figure = {"key_actor": "key_actor_score"}.get(sort, SORTS[sort])
        everyone.sort(key=lambda row: -(figures.of(row.id)[figure] or 0))
        rows, more = slice_of(everyone, page, PAGE_SIZE)
    else:
        sort = ""
        found, more = page_of(session, query.order_by(AccountRow.id), page, PAGE_SIZE)
        rows = [row for (row,) in found]
    return {
        "accounts": [
            {
                "id": row.key,
                "platform": row.platform,
                "identifier": row.identifier,
                "names": list(row.names or []),
                "country": row.country,
                **figures.of(row.id),
            }
            for row in rows
        ],
        "page": page,
        "more": more,
        "country": country,
        "sort": sort,
    }


def account(reader: Reader, key: str) -> dict[str, Any]:
    session, case = reader.session, reader.case
    row = session.scalars(
        select(AccountRow).where(reader.accounts(), AccountRow.key == key)
    ).first()
    if row is None:
        raise NotVisible(key)
    groups = session.execute(
        select(ChatRow.key, ChatRow.title, func.min(MembershipRow.since), MembershipRow.via)
        .join(MembershipRow, MembershipRow.chat_id == ChatRow.id)
        .where(MembershipRow.account_id == row.id, reader.chats())
        .group_by(ChatRow.key, ChatRow.title, MembershipRow.via)
    ).all()
    day = func.date(MessageRow.sent_at)
    activity = session.execute(
        select(day, func.count())
        .where(reader.messages(), MessageRow.account_id == row.id)
        .group_by(day)
        .order_by(day)
    ).all()
    person = session.get(PersonRow, row.person_id) if row.person_id else None
    linked: list[dict[str, Any]] = []
    if person is not None:
        linked = [
            {"id": k, "identifier": i, "platform": platform_name(p), "names": list(n or [])}
            for k, i, p, n in session.execute(
                select(AccountRow.key, AccountRow.identifier, AccountRow.platform, AccountRow.names)
                .where(
                    reader.accounts(), AccountRow.person_id == person.id, AccountRow.id != row.id
                )
                .order_by(AccountRow.id)
            )
        ]
    from casegraph.web.views_people import account_figures, reason_sentence

    figures = account_figures(reader).of(row.id)
    return {
        "id": row.key,
        "platform": row.platform,
        "platform_name": platform_name(row.platform),
        "identifier": row.identifier,
        "names": list(row.names or []),
        "phone_country": row.phone_country,
        "country": row.country,
        "country_confidence": row.country_confidence,
        "country_reasons": list(row.country_reasons or []),
        "country_sentences": [reason_sentence(reader, r) for r in row.country_reasons or []],
        "languages": list(row.languages or []),
        "language_names": [language_name(code) for code in row.languages or []],
        "figures": figures,
        "person": {
            "key": person.key,
            "label": person.label,
            "age": person.age,
            "other_accounts": [a["id"] for a in linked],
            "accounts": linked,
        }
        if person
        else None,
        "groups": [{"id": k, "title": t, "since": iso(s, case), "via": v} for k, t, s, v in groups],
        "activity": [{"day": str(d), "messages": int(n)} for d, n in activity],
        "decisions": [] if reader.limited else person_decisions(reader, row.key),
    }


def person_decisions(reader: Reader, account_key: str) -> list[dict[str, Any]]:
    """Analysts' merges and splits naming this account; each analysis run applies them."""
    session, case = reader.session, reader.case
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
