"""What one investigation's referral contains: its targets and only what concerns them.

Members of the same chats who belong to other investigations are not named: each partner
gets its own targets, the chats they were in, their messages and the matched media they posted.
A message that writes out another investigation's number or a chat outside the referral gets
a placeholder there, by the scoped layer's own rule (what that country's liaison sees).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.access.reader import Reader
from casegraph.access.redact import scrub_text
from casegraph.access.scope import investigation_scope
from casegraph.errors import CaseError
from casegraph.store.cases import Case
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatRow,
    HashEntryRow,
    HashListRow,
    InvestigationAccountRow,
    InvestigationRow,
    MatchRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    PersonRow,
    SourceRow,
)

OUTSIDE_NUMBER = "[a number outside this referral]"
OUTSIDE_CHAT = "[a chat outside this referral]"


@dataclass
class ReferralData:
    country: str
    status: str
    agency: str
    accounts: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    chats: list[dict[str, Any]] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def target_identifiers(self) -> set[str]:
        return {account["identifier"] for account in self.accounts}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def find_investigation(session: Session, case: Case, country: str) -> InvestigationRow:
    wanted = country if country == "unattributed" else country.upper()
    row = session.scalars(
        select(InvestigationRow).where(
            InvestigationRow.case_id == case.id, InvestigationRow.country == wanted
        )
    ).one_or_none()
    if row is None:
        raise CaseError(
            f"case {case.name!r} has no investigation for {country!r}; "
            "run `casegraph analyze` or move accounts into one"
        )
    return row


def collect(case: Case, country: str) -> ReferralData:
    with case.read() as session:
        investigation = find_investigation(session, case, country)
        data = ReferralData(investigation.country, investigation.status, investigation.agency)
        accounts = session.scalars(
            select(AccountRow)
            .join(InvestigationAccountRow, InvestigationAccountRow.account_id == AccountRow.id)
            .where(InvestigationAccountRow.investigation_id == investigation.id)
            .order_by(AccountRow.key)
        ).all()
        by_id = {account.id: account for account in accounts}
        persons = _persons(session, accounts)
        data.accounts = [
            {
                "key": a.key,
                "platform": a.platform,
                "identifier": a.identifier,
                "identifier_kind": a.identifier_kind,
                "names": list(a.names),
                "country": a.country,
                "languages": list(a.languages),
                "person": persons[a.person_id]["key"] if a.person_id in persons else None,
            }
            for a in accounts
        ]
        data.persons = sorted(persons.values(), key=lambda p: p["key"])
        data.chats = _chats(session, by_id)
        scope = investigation_scope(
            session, case, frozenset({investigation.id}), investigation.country
        )
        data.messages, posted = _messages(session, by_id, Reader(session, case, scope))
        data.media, data.matches = _matched_media(session, posted)
    return data


def _persons(session: Session, accounts: Any) -> dict[int, dict[str, Any]]:
    ids = {a.person_id for a in accounts if a.person_id is not None}
    persons: dict[int, dict[str, Any]] = {}
    for row in session.scalars(select(PersonRow).where(PersonRow.id.in_(ids))):
        persons[row.id] = {
            "key": row.key,
            "label": row.label,
            "age": row.age,
            "date_of_birth": row.date_of_birth,
            "country": row.country,
            "accounts": sorted(a.key for a in accounts if a.person_id == row.id),
        }
    return persons


def _chats(session: Session, targets: dict[int, AccountRow]) -> list[dict[str, Any]]:
    members: dict[int, set[str]] = {}
    for chat_id, account_id in session.execute(
        select(MembershipRow.chat_id, MembershipRow.account_id).where(
            MembershipRow.account_id.in_(targets)
        )
    ):
        members.setdefault(chat_id, set()).add(targets[account_id].key)
    for chat_id, author_id in session.execute(
        select(MessageRow.chat_id, MessageRow.account_id)
        .where(MessageRow.account_id.in_(targets))
        .distinct()
    ):
        if author_id is not None:
            members.setdefault(chat_id, set()).add(targets[author_id].key)
    chats = session.scalars(select(ChatRow).where(ChatRow.id.in_(members))).all()
    return sorted(
        (
            {
                "key": c.key,
                "platform": c.platform,
                "native_id": c.native_id,
                "title": c.title,
                "aliases": list(c.aliases),
                "kind": c.kind,
                "created_at": _iso(c.created_at),
                "created_by": targets[c.created_by].key if c.created_by in targets else None,
                "members": sorted(members[c.id]),
            }
            for c in chats
        ),
        key=lambda c: c["key"],
    )


def _messages(
    session: Session, targets: dict[int, AccountRow], reader: Reader
) -> tuple[list[dict[str, Any]], dict[int, set[tuple[str, str]]]]:
    """Messages the targets authored, and media id -> {(poster key, chat key)}."""
    rows = session.execute(
        select(MessageRow, ChatRow.key, SourceRow.sha256, MediaRow.id, MediaRow.sha256)
        .join(ChatRow, ChatRow.id == MessageRow.chat_id)
        .join(SourceRow, SourceRow.id == MessageRow.source_id)
        .outerjoin(AttachmentRow, AttachmentRow.message_id == MessageRow.id)
        .outerjoin(MediaRow, MediaRow.id == AttachmentRow.media_id)
        .where(MessageRow.account_id.in_(targets))
        .order_by(MessageRow.sent_at, MessageRow.seq)
    ).all()
    messages: dict[str, dict[str, Any]] = {}  # one entry per message, even with two attachments
    posted: dict[int, set[tuple[str, str]]] = {}
    for message, chat, source_sha256, media_id, sha256 in rows:
        if message.account_id is None:  # the filter on targets excludes these
            continue
        author = targets[message.account_id].key
        entry = messages.setdefault(
            message_id(source_sha256, chat, message.seq),
            {
                "id": message_id(source_sha256, chat, message.seq),
                "chat": chat,
                "account": author,
                "sent_at": _iso(message.sent_at),
                "kind": message.kind,
                "text": scrub_text(reader, message.text, OUTSIDE_NUMBER, OUTSIDE_CHAT),
                "attachment_sha256": sha256,
            },
        )
        entry["attachment_sha256"] = entry["attachment_sha256"] or sha256
        if media_id is not None:
            posted.setdefault(media_id, set()).add((author, chat))
    return list(messages.values()), posted


def message_id(source_sha256: str, chat_key: str, seq: int) -> str:
    """The same id for the same message in every referral: its place in its source export.

    Keyed by the export's SHA-256, so the id tells a holder nothing about the message."""
    digest = hashlib.sha256(f"{source_sha256}\n{chat_key}\n{seq}".encode()).hexdigest()
    return f"msg-{digest[:32]}"


def _matched_media(
    session: Session, posted: dict[int, set[tuple[str, str]]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Posted media with a pertinent match; a non-pertinent hit is never known material."""
    rows = session.execute(
        select(MatchRow, MediaRow, HashListRow.name, HashEntryRow.entry_id)
        .join(MediaRow, MediaRow.id == MatchRow.media_id)
        .join(HashListRow, HashListRow.id == MatchRow.list_id)
        .join(HashEntryRow, HashEntryRow.id == MatchRow.entry_id)
        .where(
            MatchRow.media_id.in_(posted),
            MatchRow.pertinent.is_(True),
            MatchRow.suppressed_by.is_(None),
            HashListRow.negative.is_(False),
        )
        .order_by(MediaRow.sha256, HashListRow.name, HashEntryRow.entry_id)
    ).all()
    media: dict[str, dict[str, Any]] = {}
    matches: list[dict[str, Any]] = []
    for match, row, list_name, entry_id in rows:
        media.setdefault(
            row.sha256,
            {
                "sha256": row.sha256,
                "md5": row.md5,
                "sha1": row.sha1,
                "size": row.size,
                "kind": row.kind,
                "mime": row.mime,
                "pdq": row.pdq,
                "posted_by": sorted({a for a, _c in posted[row.id]}),
                "chats": sorted({c for _a, c in posted[row.id]}),
            },
        )
        matches.append(
            {
                "media_sha256": row.sha256,
                "list": list_name,
                "entry": entry_id,
                "method": match.method,
                "distance": match.distance,
                "category": match.category,
                "scheme": match.scheme,
            }
        )
    return sorted(media.values(), key=lambda m: m["sha256"]), matches
