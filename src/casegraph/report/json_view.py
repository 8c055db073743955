"""`report --format json`: the machine-readable view of a case (DESIGN.md's public contract).

Built with aggregate queries so that a million-message case reports without loading its
messages. Times are ISO 8601 in the case's time zone, with offset. Every query reads through
the scoped read layer (`casegraph.access`): `report --scope CC` is a liaison officer's view.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casegraph import __version__
from casegraph.access.reader import Reader
from casegraph.access.redact import lineage_evidence, outside
from casegraph.access.scope import Scope, full_scope
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


def build_report(case: Case, scope: Scope | None = None) -> dict[str, Any]:
    """The whole case, or what `scope` (e.g. `access.country_scope`) may see of it."""
    clock = _Clock(case.timezone)
    with case.read() as session:
        reader = Reader(session, case, scope or full_scope())
        accounts, account_keys = _accounts(reader)
        chats, chat_keys = _chats(reader, account_keys, clock)
        media, media_sha = _media(reader, chat_keys, account_keys, clock)
        report: dict[str, Any] = {
            "case": {
                "name": case.name,
                "timezone": case.timezone,
                "agency": case.agency,
                "backend": case.backend,
                "tool": "casegraph",
                "tool_version": __version__,
            },
            "sources": _sources(reader, clock),
            "chats": chats,
            "accounts": accounts,
            "persons": _persons(reader),
            "key_actors": _key_actors(reader, account_keys),
            "media": media,
            "matches": _matches(reader, media_sha),
            "investigations": _investigations(reader, account_keys, chat_keys, media_sha),
            "person_proposals": person_proposals(reader),
        }
        if reader.limited:
            report["scope"] = {"countries": sorted(reader.scope.countries or ())}
        return report


def _member_chats(reader: Reader) -> defaultdict[int, set[int]]:
    """account id -> ids of the visible chats it is a visible member of."""
    chats_of: defaultdict[int, set[int]] = defaultdict(set)
    for account_id, chat_id in reader.session.execute(
        select(MembershipRow.account_id, MembershipRow.chat_id).where(reader.memberships())
    ):
        chats_of[account_id].add(chat_id)
    return chats_of


def _person_keys(session: Session, case_id: int) -> dict[int, str]:
    return dict(
        session.execute(
            select(PersonRow.id, PersonRow.key).where(PersonRow.case_id == case_id)
        ).all()
    )


def _sources(reader: Reader, clock: _Clock) -> list[dict[str, Any]]:
    session, case_id = reader.session, reader.case.id
    message_counts = dict(
        session.execute(
            select(MessageRow.source_id, func.count())
            .where(reader.messages())
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
    visible = SourceRow.id.in_(message_counts) if reader.limited else SourceRow.case_id == case_id
    rows = session.scalars(
        select(SourceRow).where(SourceRow.case_id == case_id, visible).order_by(SourceRow.id)
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


def _accounts(reader: Reader) -> tuple[list[dict[str, Any]], dict[int, str]]:
    session, case_id = reader.session, reader.case.id
    message_counts = dict(
        session.execute(
            select(MessageRow.account_id, func.count())
            .where(reader.messages(), MessageRow.account_id.is_not(None))
            .group_by(MessageRow.account_id)
        ).all()
    )
    chats_of = _member_chats(reader)
    for author_id, chat_id in session.execute(
        select(MessageRow.account_id, MessageRow.chat_id)
        .where(reader.messages(), MessageRow.account_id.is_not(None))
        .distinct()
    ):
        if author_id is not None:
            chats_of[author_id].add(chat_id)
    chat_keys = reader.chat_keys()
    person_keys = _person_keys(session, case_id)
    rows = session.scalars(
        select(AccountRow).where(reader.accounts()).order_by(AccountRow.key)
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
    reader: Reader, account_keys: dict[int, str], clock: _Clock
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Visible chats; members outside the scope are counted, a hidden parent is not named."""
    session = reader.session
    message_counts = dict(
        session.execute(
            select(MessageRow.chat_id, func.count())
            .where(reader.messages())
            .group_by(MessageRow.chat_id)
        ).all()
    )
    events: dict[int, dict[str, int]] = defaultdict(dict)
    for chat_id, event_type, count in session.execute(
        select(ChatEventRow.chat_id, ChatEventRow.type, func.count())
        .where(reader.events())
        .group_by(ChatEventRow.chat_id, ChatEventRow.type)
    ):
        events[chat_id][event_type] = count
    members: dict[int, set[str]] = defaultdict(set)
    hidden: dict[int, set[int]] = defaultdict(set)
    keys = reader.chat_keys()
    for chat_id, account_id in session.execute(
        select(MembershipRow.chat_id, MembershipRow.account_id).where(
            MembershipRow.case_id == reader.case.id, MembershipRow.chat_id.in_(keys)
        )
    ):
        if account_id in account_keys:
            members[chat_id].add(account_keys[account_id])
        else:
            hidden[chat_id].add(account_id)
    rows = session.scalars(select(ChatRow).where(reader.chats()).order_by(ChatRow.key)).all()
    coverage = chat_sources(reader)
    chats = []
    for row in rows:
        chat: dict[str, Any] = {
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
            "parent_evidence": lineage_evidence(
                reader, row.parent_evidence or [], row.parent_id is None or row.parent_id in keys
            ),
            "sources": coverage[row.id]["sources"] if row.id in coverage else [],
            "overlap": coverage[row.id]["overlap"] if row.id in coverage else {},
        }
        if reader.limited:
            chat["members_outside_scope"] = outside(len(hidden.get(row.id, ())), "member")
            if row.parent_id is not None and row.parent_id not in keys:
                chat["parent_outside_scope"] = outside(1, "parent chat")
        chats.append(chat)
    return chats, keys


def _media(
    reader: Reader,
    chat_keys: dict[int, str],
    account_keys: dict[int, str],
    clock: _Clock,
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Visible media; occurrences are the visible postings, the others only a count."""
    occurrences: dict[int, list[tuple[datetime, int, str, int | None]]] = defaultdict(list)
    hidden: Counter[int] = Counter()
    for media_id, sent_at, seq, chat_id, account_id in reader.session.execute(
        select(
            AttachmentRow.media_id,
            MessageRow.sent_at,
            MessageRow.seq,
            MessageRow.chat_id,
            MessageRow.account_id,
        )
        .join(MessageRow, AttachmentRow.message_id == MessageRow.id)
        .where(AttachmentRow.case_id == reader.case.id, AttachmentRow.media_id.is_not(None))
    ):
        if media_id is None:
            continue
        if chat_id in chat_keys and (not reader.limited or account_id in account_keys):
            occurrences[media_id].append((sent_at, seq, chat_keys[chat_id], account_id))
        else:
            hidden[media_id] += 1
    rows = reader.session.scalars(
        select(MediaRow).where(reader.media()).order_by(MediaRow.sha256)
    ).all()
    media = []
    for row in rows:
        seen = sorted(occurrences.get(row.id, []), key=lambda o: (o[0], o[2], o[1]))
        first = seen[0] if seen else None
        item: dict[str, Any] = {
            "sha256": row.sha256,
            "md5": row.md5,
            "sha1": row.sha1,
            "size": row.size,
            "kind": row.kind,
            "pdq": row.pdq,
            "pdq_quality": row.pdq_quality,
            "hash_error": row.hash_error,
            "cluster": row.cluster,
            "sticker_pack": _sticker_pack(reader, row, set(chat_keys.values())),
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
        if reader.limited:
            item["occurrences_outside_scope"] = outside(hidden[row.id], "posting")
        media.append(item)
    return media, {row.id: row.sha256 for row in rows}


def _sticker_pack(reader: Reader, row: MediaRow, visible: set[str]) -> dict[str, Any] | None:
    """The pack metadata of a sticker, with the visible chats its pack and publisher reached
    (analysis); chats outside the scope only as a count."""
    if row.sticker_pack is None:
        return None
    spread = (row.provenance or {}).get("sticker_pack_spread", {})
    pack: dict[str, Any] = dict(row.sticker_pack)
    for field in ("pack_chats", "publisher_chats"):
        reached = spread.get(field, [])
        pack[field] = [key for key in reached if key in visible]
        if reader.limited:
            pack[f"{field}_outside_scope"] = outside(len(reached) - len(pack[field]), "chat")
    return pack


def _matches(reader: Reader, media_sha: dict[int, str]) -> list[dict[str, Any]]:
    rows = reader.session.execute(
        select(MatchRow, HashListRow.name, HashEntryRow.entry_id)
        .join(HashListRow, MatchRow.list_id == HashListRow.id)
        .join(HashEntryRow, MatchRow.entry_id == HashEntryRow.id)
        .where(MatchRow.case_id == reader.case.id, MatchRow.media_id.in_(media_sha))
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


def _persons(reader: Reader) -> list[dict[str, Any]]:
    """Persons behind visible accounts, naming only those accounts."""
    session, case_id = reader.session, reader.case.id
    account_keys: dict[int, list[str]] = defaultdict(list)
    for person_id, key in session.execute(
        select(AccountRow.person_id, AccountRow.key).where(
            reader.accounts(), AccountRow.person_id.is_not(None)
        )
    ):
        if person_id is not None:
            account_keys[person_id].append(key)
    visible = PersonRow.id.in_(account_keys) if reader.limited else PersonRow.case_id == case_id
    rows = session.scalars(
        select(PersonRow).where(PersonRow.case_id == case_id, visible).order_by(PersonRow.key)
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


def _key_actors(reader: Reader, account_keys: dict[int, str]) -> list[dict[str, Any]]:
    person_keys = _person_keys(reader.session, reader.case.id)
    rows = reader.session.scalars(
        select(KeyActorRow)
        .where(KeyActorRow.case_id == reader.case.id, KeyActorRow.account_id.in_(account_keys))
        .order_by(KeyActorRow.rank)
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
    reader: Reader,
    account_keys: dict[int, str],
    chat_keys: dict[int, str],
    media_sha: dict[int, str],
) -> list[dict[str, Any]]:
    session, case_id = reader.session, reader.case.id
    chats_of = _member_chats(reader)
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
        .where(reader.postings())
    ):
        if author_id is not None and media_id in pertinent_media:
            posted[author_id].add(media_id)
    result = []
    for inv in session.scalars(
        select(InvestigationRow).where(reader.investigations()).order_by(InvestigationRow.country)
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
