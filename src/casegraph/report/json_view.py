"""`report --format json`: the machine-readable view of a case (DESIGN.md's public contract).

Built with aggregate queries so that a million-message case reports without loading its
messages. Times are ISO 8601 in the case's time zone, with offset.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casegraph import __version__
from casegraph.report.overlap_view import chat_sources, person_proposals
from casegraph.store.cases import Case
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatEventRow,
    ChatRow,
    HashEntryRow,
    HashListRow,
    InvestigationAccountRow,
    InvestigationRow,
    KeyActorRow,
    MatchRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    PersonRow,
    SourceMemberRow,
    SourceRow,
)


class _Clock:
    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)

    def iso(self, at: datetime | None) -> str | None:
        return at.astimezone(self.zone).isoformat() if at is not None else None


def build_report(case: Case) -> dict[str, Any]:
    clock = _Clock(case.timezone)
    with case.read() as session:
        accounts, account_keys = _accounts(session, case.id)
        chats, chat_keys = _chats(session, case.id, account_keys, clock)
        media, media_sha = _media(session, case.id, chat_keys, account_keys, clock)
        return {
            "case": {
                "name": case.name,
                "timezone": case.timezone,
                "agency": case.agency,
                "backend": case.backend,
                "tool": "casegraph",
                "tool_version": __version__,
            },
            "sources": _sources(session, case.id, clock),
            "chats": chats,
            "accounts": accounts,
            "persons": _persons(session, case.id),
            "key_actors": _key_actors(session, case.id, account_keys),
            "media": media,
            "matches": _matches(session, case.id, media_sha),
            "investigations": _investigations(session, case.id, account_keys, chat_keys, media_sha),
            "person_proposals": person_proposals(session, case.id),
        }


def _member_chats(session: Session, case_id: int) -> defaultdict[int, set[int]]:
    """account id -> ids of the chats it is a member of (from memberships)."""
    chats_of: defaultdict[int, set[int]] = defaultdict(set)
    for account_id, chat_id in session.execute(
        select(MembershipRow.account_id, MembershipRow.chat_id).where(
            MembershipRow.case_id == case_id
        )
    ):
        chats_of[account_id].add(chat_id)
    return chats_of


def _person_keys(session: Session, case_id: int) -> dict[int, str]:
    return dict(
        session.execute(
            select(PersonRow.id, PersonRow.key).where(PersonRow.case_id == case_id)
        ).all()
    )


def _sources(session: Session, case_id: int, clock: _Clock) -> list[dict[str, Any]]:
    message_counts = dict(
        session.execute(
            select(MessageRow.source_id, func.count())
            .where(MessageRow.case_id == case_id)
            .group_by(MessageRow.source_id)
        ).all()
    )
    member_counts = dict(
        session.execute(
            select(SourceMemberRow.source_id, func.count())
            .where(SourceMemberRow.case_id == case_id)
            .group_by(SourceMemberRow.source_id)
        ).all()
    )
    rows = session.scalars(
        select(SourceRow).where(SourceRow.case_id == case_id).order_by(SourceRow.id)
    )
    return [
        {
            "sha256": row.sha256,
            "md5": row.md5,
            "sha1": row.sha1,
            "size": row.size,
            "filename": row.filename,
            "format": row.format,
            "messages": message_counts.get(row.id, 0),
            "members": member_counts.get(row.id, 0),
            "captured_by": row.captured_by,
            "received_at": clock.iso(row.received_at),
            "provenance": row.provenance,
        }
        for row in rows
    ]


def _accounts(session: Session, case_id: int) -> tuple[list[dict[str, Any]], dict[int, str]]:
    message_counts = dict(
        session.execute(
            select(MessageRow.account_id, func.count())
            .where(MessageRow.case_id == case_id, MessageRow.account_id.is_not(None))
            .group_by(MessageRow.account_id)
        ).all()
    )
    chats_of = _member_chats(session, case_id)
    for author_id, chat_id in session.execute(
        select(MessageRow.account_id, MessageRow.chat_id)
        .where(MessageRow.case_id == case_id, MessageRow.account_id.is_not(None))
        .distinct()
    ):
        if author_id is not None:
            chats_of[author_id].add(chat_id)
    chat_keys = dict(
        session.execute(select(ChatRow.id, ChatRow.key).where(ChatRow.case_id == case_id)).all()
    )
    person_keys = _person_keys(session, case_id)
    rows = session.scalars(
        select(AccountRow).where(AccountRow.case_id == case_id).order_by(AccountRow.key)
    ).all()
    keys = {row.id: row.key for row in rows}
    accounts = [
        {
            "id": row.key,
            "platform": row.platform,
            "identifier": row.identifier,
            "identifier_kind": row.identifier_kind,
            "names": row.names,
            "country": row.country,
            "country_confidence": row.country_confidence,
            "country_reasons": row.country_reasons,
            "languages": row.languages,
            "metrics": row.metrics,
            "person": person_keys.get(row.person_id) if row.person_id else None,
            "messages": message_counts.get(row.id, 0),
            "chats": sorted(chat_keys[c] for c in chats_of.get(row.id, ())),
        }
        for row in rows
    ]
    return accounts, keys


def _chats(
    session: Session, case_id: int, account_keys: dict[int, str], clock: _Clock
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    message_counts = dict(
        session.execute(
            select(MessageRow.chat_id, func.count())
            .where(MessageRow.case_id == case_id)
            .group_by(MessageRow.chat_id)
        ).all()
    )
    events: dict[int, dict[str, int]] = defaultdict(dict)
    for chat_id, event_type, count in session.execute(
        select(ChatEventRow.chat_id, ChatEventRow.type, func.count())
        .where(ChatEventRow.case_id == case_id)
        .group_by(ChatEventRow.chat_id, ChatEventRow.type)
    ):
        events[chat_id][event_type] = count
    members: dict[int, set[str]] = defaultdict(set)
    for chat_id, account_id in session.execute(
        select(MembershipRow.chat_id, MembershipRow.account_id).where(
            MembershipRow.case_id == case_id
        )
    ):
        members[chat_id].add(account_keys[account_id])
    rows = session.scalars(
        select(ChatRow).where(ChatRow.case_id == case_id).order_by(ChatRow.key)
    ).all()
    keys = {row.id: row.key for row in rows}
    coverage = chat_sources(session, case_id)
    chats = [
        {
            "id": row.key,
            "platform": row.platform,
            "title": row.title,
            "aliases": row.aliases,
            "kind": row.kind,
            "messages": message_counts.get(row.id, 0),
            "events": dict(sorted(events.get(row.id, {}).items())),
            "members": sorted(members.get(row.id, ())),
            "created_by": account_keys.get(row.created_by) if row.created_by else None,
            "created_at": clock.iso(row.created_at),
            "parent": keys.get(row.parent_id) if row.parent_id else None,
            "parent_confidence": row.parent_confidence,
            "parent_evidence": row.parent_evidence,
            "sources": coverage[row.id]["sources"] if row.id in coverage else [],
            "overlap": coverage[row.id]["overlap"] if row.id in coverage else {},
        }
        for row in rows
    ]
    return chats, keys


def _media(
    session: Session,
    case_id: int,
    chat_keys: dict[int, str],
    account_keys: dict[int, str],
    clock: _Clock,
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    occurrences: dict[int, list[tuple[datetime, int, str, int | None]]] = defaultdict(list)
    for media_id, sent_at, seq, chat_id, account_id in session.execute(
        select(
            AttachmentRow.media_id,
            MessageRow.sent_at,
            MessageRow.seq,
            MessageRow.chat_id,
            MessageRow.account_id,
        )
        .join(MessageRow, AttachmentRow.message_id == MessageRow.id)
        .where(AttachmentRow.case_id == case_id, AttachmentRow.media_id.is_not(None))
    ):
        if media_id is not None:
            occurrences[media_id].append((sent_at, seq, chat_keys[chat_id], account_id))
    rows = session.scalars(
        select(MediaRow).where(MediaRow.case_id == case_id).order_by(MediaRow.sha256)
    ).all()
    media = []
    for row in rows:
        seen = sorted(occurrences.get(row.id, []), key=lambda o: (o[0], o[2], o[1]))
        first = seen[0] if seen else None
        media.append(
            {
                "sha256": row.sha256,
                "md5": row.md5,
                "sha1": row.sha1,
                "size": row.size,
                "kind": row.kind,
                "pdq": row.pdq,
                "pdq_quality": row.pdq_quality,
                "hash_error": row.hash_error,
                "cluster": row.cluster,
                "sticker_pack": _sticker_pack(row),
                "occurrences": len(seen),
                "chats": sorted({o[2] for o in seen}),
                "first_seen": {
                    "chat": first[2],
                    "account": account_keys.get(first[3]) if first[3] else None,
                    "at": clock.iso(first[0]),
                }
                if first
                else None,
            }
        )
    return media, {row.id: row.sha256 for row in rows}


def _sticker_pack(row: MediaRow) -> dict[str, Any] | None:
    """The pack metadata of a sticker, with the chats its pack and publisher reached (analysis)."""
    if row.sticker_pack is None:
        return None
    spread = (row.provenance or {}).get("sticker_pack_spread", {})
    return {
        **row.sticker_pack,
        "pack_chats": spread.get("pack_chats", []),
        "publisher_chats": spread.get("publisher_chats", []),
    }


def _matches(session: Session, case_id: int, media_sha: dict[int, str]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(MatchRow, HashListRow.name, HashEntryRow.entry_id)
        .join(HashListRow, MatchRow.list_id == HashListRow.id)
        .join(HashEntryRow, MatchRow.entry_id == HashEntryRow.id)
        .where(MatchRow.case_id == case_id)
    ).all()
    matches = [
        {
            "media_sha256": media_sha[match.media_id],
            "list": list_name,
            "entry": entry_id,
            "method": match.method,
            "distance": match.distance,
            "quality": match.quality,
            "category": match.category,
            "scheme": match.scheme,
            "pertinent": match.pertinent,
            "suppressed": match.suppressed_by is not None,
        }
        for match, list_name, entry_id in rows
    ]
    return sorted(matches, key=lambda m: (m["media_sha256"], m["list"], m["entry"]))


def _persons(session: Session, case_id: int) -> list[dict[str, Any]]:
    account_keys: dict[int, list[str]] = defaultdict(list)
    for person_id, key in session.execute(
        select(AccountRow.person_id, AccountRow.key).where(
            AccountRow.case_id == case_id, AccountRow.person_id.is_not(None)
        )
    ):
        if person_id is not None:
            account_keys[person_id].append(key)
    rows = session.scalars(
        select(PersonRow).where(PersonRow.case_id == case_id).order_by(PersonRow.key)
    )
    return [
        {
            "id": row.key,
            "label": row.label,
            "accounts": sorted(account_keys.get(row.id, [])),
            "date_of_birth": row.date_of_birth,
            "age": row.age,
            "age_at_activity": row.age_at_activity,
            "minor": row.minor,
            "country": row.country,
        }
        for row in rows
    ]


def _key_actors(
    session: Session, case_id: int, account_keys: dict[int, str]
) -> list[dict[str, Any]]:
    person_keys = _person_keys(session, case_id)
    rows = session.scalars(
        select(KeyActorRow).where(KeyActorRow.case_id == case_id).order_by(KeyActorRow.rank)
    )
    return [
        {
            "rank": row.rank,
            "account": account_keys[row.account_id],
            "person": person_keys.get(row.person_id) if row.person_id else None,
            "score": row.score,
            "reasons": row.reasons,
        }
        for row in rows
    ]


def _investigations(
    session: Session,
    case_id: int,
    account_keys: dict[int, str],
    chat_keys: dict[int, str],
    media_sha: dict[int, str],
) -> list[dict[str, Any]]:
    chats_of = _member_chats(session, case_id)
    pertinent_media = {
        media_id
        for (media_id,) in session.execute(
            select(MatchRow.media_id).where(
                MatchRow.case_id == case_id,
                MatchRow.pertinent.is_(True),
                MatchRow.suppressed_by.is_(None),
            )
        )
    }
    posted: dict[int, set[int]] = defaultdict(set)
    for author_id, media_id in session.execute(
        select(MessageRow.account_id, AttachmentRow.media_id)
        .join(MessageRow, AttachmentRow.message_id == MessageRow.id)
        .where(AttachmentRow.case_id == case_id, AttachmentRow.media_id.is_not(None))
    ):
        if author_id is not None and media_id in pertinent_media:
            posted[author_id].add(media_id)
    result = []
    for inv in session.scalars(
        select(InvestigationRow)
        .where(InvestigationRow.case_id == case_id)
        .order_by(InvestigationRow.country)
    ):
        account_ids = [
            a
            for (a,) in session.execute(
                select(InvestigationAccountRow.account_id).where(
                    InvestigationAccountRow.investigation_id == inv.id
                )
            )
        ]
        result.append(
            {
                "country": inv.country,
                "status": inv.status,
                "agency": inv.agency,
                "accounts": sorted(account_keys[a] for a in account_ids),
                "chats": sorted({chat_keys[c] for a in account_ids for c in chats_of.get(a, ())}),
                "matched_media": sorted({media_sha[m] for a in account_ids for m in posted[a]}),
                "arrests": inv.arrests,
                "suspects": inv.suspects,
                "minors": inv.minors,
            }
        )
    return result
