"""Overlapping sources of one chat: one timeline, each message's sources kept, links proposed.

Two officers' exports of a group (different phones, dates, export caps), or an export and a
seized phone's database, hold many of the same messages. When a source's rows land in a chat
that other sources already fill, each new message that matches an existing one is folded into
it: the existing row stays, `message_sources` records that this source holds it too (with its
place there), and the new row goes. A match needs:

- the same time, compared to the minute when either side writes no seconds (Android exports);
- the same content: the text (NFC, whitespace folded) for text messages, the kind for media,
  deleted and view-once placeholders (an export writes file names where a database has none);
- the same author, or no author on one side (a device owner's own messages, which the other
  source then names: the row takes that author);
- the same order: the k-th such message on one side pairs with the k-th on the other.

System events fold the same way on (time, type, compatible actor). Messages that agree on time
and text but not on author are *not* folded: they are evidence that two accounts are one
person (an iOS export shows a contact name where an Android export shows the number). Each
consistent pair becomes a proposed person link (`person_decisions.kind = "proposed"`, with
evidence and confidence) for an analyst to accept or reject; nothing is merged silently.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from casegraph.store.db import utcnow
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatEventRow,
    ChatRow,
    EventSourceRow,
    MessageRow,
    MessageSourceRow,
    PersonDecisionRow,
)

PLACEHOLDER_KINDS = {"media", "media_omitted", "view_once", "deleted", "empty"}
MIN_PROPOSAL_MESSAGES = 2  # one shared line can be chance; two in step is a pattern
BATCH = 500


@dataclass(slots=True)
class _Row:
    id: int
    seq: int
    at: datetime
    account: int | None
    content: str
    has_attachment: bool = False


def _content(kind: str, text: str) -> str:
    if kind in PLACEHOLDER_KINDS:
        return f"<{'media' if kind in ('media', 'media_omitted') else kind}>"
    return " ".join(unicodedata.normalize("NFC", text).split())


def _minute_only(rows: list[_Row]) -> bool:
    return bool(rows) and all(r.at.second == 0 and r.at.microsecond == 0 for r in rows)


def _key(at: datetime, coarse: bool) -> datetime:
    return at.replace(second=0, microsecond=0) if coarse else at.replace(microsecond=0)


@dataclass(slots=True)
class Folds:
    """What a merge did to rows, for the custody record: this source's rows that were folded
    into others' (by seq), and the other sources whose rows took an author from this one."""

    messages: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    attributed_sources: set[int] = field(default_factory=set)


def merge_overlap(
    session: Session, case_id: int, chat_id: int, source_id: int
) -> tuple[dict[str, Any] | None, Folds]:
    """Fold this source's rows of the chat into those other sources wrote; None if it is alone."""
    folds = Folds()
    other = session.scalar(
        select(MessageRow.id)
        .where(MessageRow.chat_id == chat_id, MessageRow.source_id != source_id)
        .limit(1)
    )
    other_event = session.scalar(
        select(ChatEventRow.id)
        .where(ChatEventRow.chat_id == chat_id, ChatEventRow.source_id != source_id)
        .limit(1)
    )
    if other is None and other_event is None:
        return None, folds
    mine, theirs = _messages(session, chat_id, source_id)
    coarse = _minute_only(mine) or any(_minute_only(rows) for rows in _by_source(theirs).values())
    pairs, author_pairs = _pair(
        mine, [r for rows in _by_source(theirs).values() for r in rows], coarse
    )
    source_of = {row.id: source for source, row in theirs}
    folds.messages = sorted(new.seq for new, _kept in pairs)
    folds.attributed_sources = {
        source_of[kept.id]
        for new, kept in pairs
        if kept.account is None and new.account is not None
    }
    attributed = _fold_messages(session, case_id, source_id, pairs)
    folds.events = _fold_events(session, case_id, chat_id, source_id, coarse)
    proposals = _propose(session, case_id, chat_id, author_pairs)
    summary = {
        "other_sources_messages_in_window": len(theirs),
        "duplicate_messages": len(pairs),
        "duplicate_events": len(folds.events),
        "owner_messages_attributed": attributed,
        "time_precision": "minute" if coarse else "second",
        "person_link_proposals": proposals,
    }
    return summary, folds


def _by_source(rows: list[tuple[int, _Row]]) -> dict[int, list[_Row]]:
    grouped: dict[int, list[_Row]] = defaultdict(list)
    for source, row in rows:
        grouped[source].append(row)
    return grouped


def _messages(
    session: Session, chat_id: int, source_id: int
) -> tuple[list[_Row], list[tuple[int, _Row]]]:
    with_attachment = set(
        session.scalars(
            select(AttachmentRow.message_id)
            .join(MessageRow, AttachmentRow.message_id == MessageRow.id)
            .where(MessageRow.chat_id == chat_id)
        )
    )
    columns = (
        MessageRow.id, MessageRow.seq, MessageRow.sent_at, MessageRow.account_id,
        MessageRow.kind, MessageRow.text, MessageRow.source_id,
    )  # fmt: skip
    mine = [
        _Row(id_, seq, at, account, _content(kind, text or ""), id_ in with_attachment)
        for id_, seq, at, account, kind, text, _source in session.execute(
            select(*columns)
            .where(MessageRow.chat_id == chat_id, MessageRow.source_id == source_id)
            .order_by(MessageRow.seq)
        )
    ]
    if not mine:
        return mine, []
    # only other sources' messages within this source's window can match (a minute's slack)
    low = min(r.at for r in mine) - timedelta(minutes=1)
    high = max(r.at for r in mine) + timedelta(minutes=1)
    theirs = [
        (source, _Row(id_, seq, at, account, _content(kind, text or ""), id_ in with_attachment))
        for id_, seq, at, account, kind, text, source in session.execute(
            select(*columns)
            .where(
                MessageRow.chat_id == chat_id,
                MessageRow.source_id != source_id,
                MessageRow.sent_at.between(low, high),
            )
            .order_by(MessageRow.source_id, MessageRow.seq)
        )
    ]
    return mine, theirs


def _pair(
    mine: list[_Row], theirs: list[_Row], coarse: bool
) -> tuple[list[tuple[_Row, _Row]], Counter[tuple[int, int]]]:
    """(new, existing) duplicates in order, and author pairs that agree on all but the author."""
    waiting: dict[tuple[datetime, str], list[_Row]] = defaultdict(list)
    for row in sorted(theirs, key=lambda r: (r.at, r.seq)):
        waiting[(_key(row.at, coarse), row.content)].append(row)
    pairs: list[tuple[_Row, _Row]] = []
    authors: Counter[tuple[int, int]] = Counter()
    for row in mine:
        queue = waiting.get((_key(row.at, coarse), row.content))
        if not queue:
            continue
        match = next(
            (e for e in queue if e.account == row.account or None in (e.account, row.account)),
            None,
        )
        if match is not None:
            queue.remove(match)
            pairs.append((row, match))
        elif not row.content.startswith("<") and row.account is not None:
            authors[(row.account, queue[0].account or 0)] += 1
    return pairs, authors


def _fold_messages(
    session: Session, case_id: int, source_id: int, pairs: list[tuple[_Row, _Row]]
) -> int:
    attributed = 0
    for start in range(0, len(pairs), BATCH):
        chunk = pairs[start : start + BATCH]
        session.execute(
            insert(MessageSourceRow),
            [
                {"case_id": case_id, "message_id": e.id, "source_id": source_id, "seq": n.seq}
                for n, e in chunk
            ],
        )
        for new, kept in chunk:
            if kept.account is None and new.account is not None:
                session.execute(
                    update(MessageRow)
                    .where(MessageRow.id == kept.id)
                    .values(account_id=new.account)
                )
                attributed += 1
            if new.has_attachment:
                _keep_best_attachment(session, new.id, kept.id)
        session.execute(delete(MessageRow).where(MessageRow.id.in_([n.id for n, _e in chunk])))
    return attributed


def _keep_best_attachment(session: Session, new_id: int, kept_id: int) -> None:
    """The kept message keeps one attachment per file: the new source's if it has the bytes."""
    new_has_file = session.scalar(
        select(AttachmentRow.id)
        .where(AttachmentRow.message_id == new_id, AttachmentRow.media_id.is_not(None))
        .limit(1)
    )
    kept_has_file = session.scalar(
        select(AttachmentRow.id)
        .where(AttachmentRow.message_id == kept_id, AttachmentRow.media_id.is_not(None))
        .limit(1)
    )
    if new_has_file is not None and kept_has_file is None:
        stored = session.scalar(
            select(AttachmentRow.stored_sha256).where(AttachmentRow.message_id == kept_id).limit(1)
        )
        session.execute(delete(AttachmentRow).where(AttachmentRow.message_id == kept_id))
        session.execute(
            update(AttachmentRow)
            .where(AttachmentRow.message_id == new_id)
            .values(message_id=kept_id, **({"stored_sha256": stored} if stored else {}))
        )
    else:
        session.execute(delete(AttachmentRow).where(AttachmentRow.message_id == new_id))


@dataclass(slots=True)
class _Event:
    id: int
    actor: int | None
    targets: frozenset[int]
    taken: bool = False


def _fold_events(
    session: Session, case_id: int, chat_id: int, source_id: int, coarse: bool
) -> list[int]:
    """Fold this source's system events into the same events of other sources; their seqs.

    Same (time, type) and a compatible actor; targets decide between candidates. One side may
    write an event naming several members as one row per member (iOS, pre-2022 Android): a row
    whose members all appear in one event of the other side folds into it.
    """
    waiting: dict[tuple[datetime, str], list[_Event]] = defaultdict(list)
    mine: list[tuple[int, int, datetime, str, _Event]] = []
    for id_, seq, at, type_, actor, targets, source in session.execute(
        select(
            ChatEventRow.id, ChatEventRow.seq, ChatEventRow.at, ChatEventRow.type,
            ChatEventRow.actor_id, ChatEventRow.target_ids, ChatEventRow.source_id,
        )
        .where(ChatEventRow.chat_id == chat_id)
        .order_by(ChatEventRow.at, ChatEventRow.seq)
    ):  # fmt: skip
        event = _Event(id_, actor, frozenset(targets or ()))
        if source == source_id:
            mine.append((id_, seq, at, type_, event))
        else:
            waiting[(_key(at, coarse), type_)].append(event)
    kept_by: dict[int, tuple[int, int]] = {}  # new id -> (kept id, new seq)
    for id_, seq, at, type_, event in mine:
        queue = [
            e
            for e in waiting.get((_key(at, coarse), type_), [])
            if e.actor == event.actor or None in (e.actor, event.actor)
        ]
        match = (
            next((e for e in queue if not e.taken and e.targets == event.targets), None)
            or next((e for e in queue if event.targets and event.targets < e.targets), None)
            or next((e for e in queue if e.targets and e.targets < event.targets), None)
            # the owner's own row of a split event names nobody: it folds into the whole one
            or next((e for e in queue if not event.targets and len(e.targets) > 1), None)
            or next((e for e in queue if not e.taken and not (e.targets and event.targets)), None)
        )
        if match is not None:
            match.taken = True
            kept_by[id_] = (match.id, seq)
    folded = sorted(kept_by.items())
    first_seq: dict[int, int] = {}
    for _new, (kept, seq) in folded:
        first_seq.setdefault(kept, seq)
    rows = [
        {"case_id": case_id, "event_id": kept, "source_id": source_id, "seq": seq}
        for kept, seq in first_seq.items()
    ]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(EventSourceRow), rows[start : start + BATCH])
    ids = [new for new, _kept in folded]
    for start in range(0, len(ids), BATCH):
        session.execute(delete(ChatEventRow).where(ChatEventRow.id.in_(ids[start : start + BATCH])))
    return sorted(seq for _new, (_kept, seq) in folded)


def _propose(
    session: Session, case_id: int, chat_id: int, author_pairs: Counter[tuple[int, int]]
) -> int:
    """A proposed person link per account pair whose messages coincide but for the author."""
    partners: dict[int, set[int]] = defaultdict(set)
    for a, b in author_pairs:
        partners[a].add(b)
        partners[b].add(a)
    keys = dict(
        session.execute(
            select(AccountRow.id, AccountRow.key).where(AccountRow.case_id == case_id)
        ).all()
    )
    shown = dict(
        session.execute(
            select(AccountRow.id, AccountRow.identifier).where(AccountRow.case_id == case_id)
        ).all()
    )
    existing = {
        tuple(sorted(row.account_keys or []))
        for row in session.scalars(
            select(PersonDecisionRow).where(
                PersonDecisionRow.case_id == case_id, PersonDecisionRow.kind == "proposed"
            )
        )
    }
    made = 0
    for (a, b), count in sorted(author_pairs.items()):
        if count < MIN_PROPOSAL_MESSAGES or not b or a == b:
            continue
        consistent = len(partners[a]) == 1 and len(partners[b]) == 1
        pair_keys = tuple(sorted((keys[a], keys[b])))
        if pair_keys in existing:
            continue
        confidence = round(min(0.95, 1 - 0.5**count) * (1.0 if consistent else 0.5), 2)
        session.add(
            PersonDecisionRow(
                case_id=case_id,
                kind="proposed",
                account_keys=list(pair_keys),
                actor="ingest",
                at=utcnow(),
                reason=(
                    f"{count} message(s) of one chat stand at the same time with the same text "
                    f"under {shown[a]} in one source and {shown[b]} in another"
                ),
                evidence={
                    "chat": session.scalar(select(ChatRow.key).where(ChatRow.id == chat_id)),
                    "coinciding_messages": count,
                    "consistent": consistent,
                    "identifiers": sorted((shown[a], shown[b])),
                },
                confidence=confidence,
            )
        )
        existing.add(pair_keys)
        made += 1
    return made
