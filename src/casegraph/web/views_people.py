"""Page data for people: per-account figures (activity, chats, matched media, key-actor score)
that the accounts list sorts by, and the key actors with their ranking explained."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from casegraph.access.reader import Reader
from casegraph.access.redact import scrub, scrub_numbers
from casegraph.report.summary import known_material_condition
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatRow,
    KeyActorRow,
    MatchRow,
    MembershipRow,
    MessageRow,
    PersonRow,
)
from casegraph.wording import plurals_in, readable_times_in

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
    text = scrub(scrub_numbers(reader, text) or "", reader.hidden_chat_names())
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
