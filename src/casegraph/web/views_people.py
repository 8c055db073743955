"""Page data for people: the accounts list with the figures it sorts by (activity, chats,
matched media, key-actor score), one account's page with its person and decisions, and the
key actors with their ranking explained."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from casegraph.access.reader import Reader
from casegraph.access.redact import scrub_text
from casegraph.report.summary import known_material_condition
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatRow,
    KeyActorRow,
    MatchRow,
    MembershipRow,
    MessageRow,
    PersonDecisionRow,
    PersonRow,
)
from casegraph.web.paging import page_of, slice_of
from casegraph.web.views_shared import PAGE_SIZE, NotVisible, iso
from casegraph.wording import language_name, platform_name, plurals_in, readable_times_in

CLUSTER_ID = re.compile(r" ?\bcluster-[0-9a-f]+\b")  # an internal id; the cascades page shows it

# what the accounts list sorts by: the name in the address -> the figure, largest first
SORTS = {"activity": "messages", "chats": "chats", "matched": "matched_media", "key_actor": "score"}


@dataclass(slots=True)
class AccountFigures:
    """Per visible account id: messages, chats, matched media posted, key-actor score/rank."""

    messages: dict[int, int] = field(default_factory=dict)
    chats: dict[int, int] = field(default_factory=dict)
    matched_media: dict[int, int] = field(default_factory=dict)
    score: dict[int, float] = field(default_factory=dict)
    rank: dict[int, int] = field(default_factory=dict)

    def of(self, account_id: int) -> dict[str, Any]:
        return {
            "messages": self.messages.get(account_id, 0),
            "chats": self.chats.get(account_id, 0),
            "matched_media": self.matched_media.get(account_id, 0),
            "key_actor_score": self.score.get(account_id),
            "key_actor_rank": self.rank.get(account_id),
        }


def account_figures(reader: Reader) -> AccountFigures:
    session, case = reader.session, reader.case
    figures = AccountFigures()
    for account_id, n in session.execute(
        select(MessageRow.account_id, func.count())
        .where(reader.messages())
        .group_by(MessageRow.account_id)
    ):
        if account_id is not None:
            figures.messages[account_id] = int(n)
    for account_id, n in session.execute(
        select(MembershipRow.account_id, func.count(func.distinct(MembershipRow.chat_id)))
        .where(reader.memberships())
        .group_by(MembershipRow.account_id)
    ):
        figures.chats[account_id] = int(n)
    known = select(MatchRow.media_id).where(known_material_condition(case.id))
    for account_id, n in session.execute(
        select(MessageRow.account_id, func.count(func.distinct(AttachmentRow.media_id)))
        .join(MessageRow, MessageRow.id == AttachmentRow.message_id)
        .where(reader.postings(), AttachmentRow.media_id.in_(known))
        .group_by(MessageRow.account_id)
    ):
        if account_id is not None:
            figures.matched_media[account_id] = int(n)
    for account_id, score, rank in session.execute(
        select(KeyActorRow.account_id, KeyActorRow.score, KeyActorRow.rank).where(
            KeyActorRow.case_id == case.id
        )
    ):
        if reader.sees_account(account_id):
            figures.score[account_id] = float(score)
            figures.rank[account_id] = int(rank)
    return figures


def reason_sentence(reader: Reader, reason: Any) -> str:
    """An analysis reason (text or {"text": ...}) as a sentence, nothing outside the scope."""
    text = str(reason.get("text", "")) if isinstance(reason, dict) else str(reason)
    text = scrub_text(reader, text)
    text = plurals_in(readable_times_in(CLUSTER_ID.sub("", text))).strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else ""


def key_actors(reader: Reader, sort: str = "rank") -> dict[str, Any]:
    """The ranked key actors the viewer may see, each reason a sentence, linked to their
    chats and to the matched media they posted."""
    session, case = reader.session, reader.case
    figures = account_figures(reader)
    chats_of: dict[int, list[dict[str, Any]]] = {}
    for account_id, key, title in session.execute(
        select(MembershipRow.account_id, ChatRow.key, ChatRow.title)
        .join(ChatRow, ChatRow.id == MembershipRow.chat_id)
        .where(reader.memberships())
        .distinct()
        .order_by(ChatRow.title)
    ):
        chats_of.setdefault(account_id, []).append({"id": key, "title": title or key})
    rows = session.execute(
        select(KeyActorRow, AccountRow, PersonRow.label)
        .join(AccountRow, AccountRow.id == KeyActorRow.account_id)
        .outerjoin(PersonRow, PersonRow.id == KeyActorRow.person_id)
        .where(KeyActorRow.case_id == case.id, reader.accounts())
        .order_by(KeyActorRow.rank)
    ).all()
    actors = [
        {
            "rank": actor.rank,
            "score": round(actor.score, 2),
            "id": account.key,
            "identifier": account.identifier,
            "names": list(account.names or []),
            "platform": account.platform,
            "country": account.country,
            "person": label,
            "reasons": [s for s in (reason_sentence(reader, r) for r in actor.reasons or []) if s],
            "in_chats": chats_of.get(account.id, []),
            **{k: v for k, v in figures.of(account.id).items() if not k.startswith("key_")},
        }
        for actor, account, label in rows
    ]
    if sort in SORTS and sort != "key_actor":
        actors.sort(key=lambda a: (-a[SORTS[sort]], a["rank"]))
    return {"key_actors": actors, "sort": sort if sort in SORTS else "rank"}


def accounts(reader: Reader, country: str = "", page: int = 1, sort: str = "") -> dict[str, Any]:
    """Visible accounts with their figures; `sort` (activity, chats, matched, key_actor) puts
    the largest first, else they come in the order they were found."""

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
