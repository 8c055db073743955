"""Digests of the rows a source became, so an edit to the case's rows cannot go unnoticed.

Every message and system-event row is reduced to a canonical line (its values, accounts by
identifier, times as UTC text, JSON sorted); a chat's digest is the SHA-256 over the SHA-256
of its event lines and of its message lines, each in `seq` order. Ingest computes it while
the rows stream past and records each source's digests in its audit entry (hash-chained and
witnessed); `evidence verify` recomputes them from the database, and `evidence verify
--deep` re-parses the evidence and compares row by row to name what differs.

When a source overlaps rows other sources wrote (`store/overlap.py`), its duplicates are
folded into those rows: its digest then covers the rows it still owns, its audit entry names
the folded rows by seq and digests its links to the rows that hold them (`link_digests`), and
the digests of other sources whose rows took an author from it are recorded anew.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.ingest.records import BulkMessage, Record
from casegraph.ingest.whatsapp_clock import sqlite_utc_text
from casegraph.model import ChatEvent, Message
from casegraph.store.schema import (
    AccountRow,
    ChatEventRow,
    ChatRow,
    EventSourceRow,
    MessageRow,
    MessageSourceRow,
    SourceRow,
)

# One row as compared: (table, seq) -> canonical line
RowKey = tuple[str, int]
MESSAGE_FIELDS = (
    "seq", "sent_at", "author", "author_label", "text", "kind", "attachment_ref", "line",
    "byte_offset", "flags", "native_id", "reply_to",
)  # fmt: skip
EVENT_FIELDS = ("seq", "at", "type", "actor", "targets", "label", "text", "line", "details")
SEPARATOR = "\x1f"
NONE = "\x00"


def _utc_text(at: datetime) -> str:
    return sqlite_utc_text(at if at.tzinfo is not None else at.replace(tzinfo=UTC))


def _json(value: Any) -> str:
    if value == "[]" or value == []:  # nearly every message: no flags
        return "[]"
    if isinstance(value, str):  # the bulk path carries JSON text already
        value = json.loads(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _line(values: Iterable[Any]) -> str:
    return SEPARATOR.join(NONE if v is None else str(v) for v in values)


def message_values(row: BulkMessage) -> tuple[Any, ...]:
    """A parsed message in bulk form, as the fields of MESSAGE_FIELDS."""
    return (*row[:9], _json(row[9]), row[10], row[11])


def event_values(event: ChatEvent) -> tuple[Any, ...]:
    targets = _json([t for t in event.targets if t is not None])
    return (
        event.seq,
        _utc_text(event.at),
        event.type,
        event.actor,
        targets,
        event.label,
        event.text,
        event.line,
        _json(event.details or {}),
    )


def parsed_rows(
    records: Iterable[Record | BulkMessage],
) -> Iterator[tuple[RowKey, tuple[Any, ...]]]:
    """The canonical rows of a fresh parse, as the writer would store them."""
    from casegraph.store.ingest_writer import bulk_form

    for record in records:
        if isinstance(record, ChatEvent):
            yield ("event", record.seq), event_values(record)
        else:
            row = bulk_form(record) if isinstance(record, Message) else record
            yield ("message", row[0]), message_values(row)


def stored_rows(
    session: Session, case_id: int, source_id: int
) -> dict[str, dict[RowKey, tuple[Any, ...]]]:
    """chat key -> canonical rows of one source, read back from the database."""
    identifiers: dict[int | None, str] = dict(
        session.execute(
            select(AccountRow.id, AccountRow.identifier).where(AccountRow.case_id == case_id)
        ).all()
    )
    chats = dict(
        session.execute(select(ChatRow.id, ChatRow.key).where(ChatRow.case_id == case_id)).all()
    )
    rows: dict[str, dict[RowKey, tuple[Any, ...]]] = {}
    for m in session.execute(
        select(
            MessageRow.chat_id, MessageRow.seq, MessageRow.sent_at, MessageRow.account_id,
            MessageRow.author_label, MessageRow.text, MessageRow.kind, MessageRow.attachment_ref,
            MessageRow.line, MessageRow.byte_offset, MessageRow.flags, MessageRow.native_id,
            MessageRow.reply_to,
        ).where(MessageRow.source_id == source_id)
    ):  # fmt: skip
        values: tuple[Any, ...] = (
            m.seq, _utc_text(m.sent_at), identifiers.get(m.account_id), m.author_label, m.text,
            m.kind, m.attachment_ref, m.line, m.byte_offset, _json(m.flags or []), m.native_id,
            m.reply_to,
        )  # fmt: skip
        rows.setdefault(chats.get(m.chat_id, "?"), {})[("message", m.seq)] = values
    for e in session.execute(
        select(ChatEventRow).where(ChatEventRow.source_id == source_id)
    ).scalars():
        values = (
            e.seq,
            _utc_text(e.at),
            e.type,
            identifiers.get(e.actor_id),
            _json([identifiers.get(t) for t in e.target_ids or []]),
            e.label,
            e.text,
            e.line,
            _json(e.details or {}),
        )
        rows.setdefault(chats.get(e.chat_id, "?"), {})[("event", e.seq)] = values
    return rows


class ChatDigest:
    """A chat's digest built while its rows stream past (the writer's side).

    Lines of each table are hashed in arrival order, which is `seq` order for every parser;
    `ordered` turns false if a parser ever breaks that, and the caller then digests the rows
    from the database instead.
    """

    def __init__(self) -> None:
        self.hashers = {"event": hashlib.sha256(), "message": hashlib.sha256()}
        self.last = {"event": -1, "message": -1}
        self.ordered = True

    def add(self, kind: str, values: tuple[Any, ...]) -> None:
        seq = values[0]
        if seq <= self.last[kind]:
            self.ordered = False
        self.last[kind] = seq
        self.hashers[kind].update(f"{_line(values)}\n".encode())

    def hexdigest(self) -> str:
        return _combine(self.hashers["event"].hexdigest(), self.hashers["message"].hexdigest())


def _combine(events: str, messages: str) -> str:
    return hashlib.sha256(f"event:{events}\nmessage:{messages}\n".encode()).hexdigest()


def digest(rows: dict[RowKey, tuple[Any, ...]]) -> str:
    """A chat's digest from its rows read back (the verifier's side); equals ChatDigest's."""
    hashers = {"event": hashlib.sha256(), "message": hashlib.sha256()}
    for key in sorted(rows):
        hashers[key[0]].update(f"{_line(rows[key])}\n".encode())
    return _combine(hashers["event"].hexdigest(), hashers["message"].hexdigest())


def source_digests(session: Session, case_id: int, source_id: int) -> dict[str, str]:
    """chat key -> digest of the rows this source put in that chat."""
    return {
        chat: digest(rows)
        for chat, rows in sorted(stored_rows(session, case_id, source_id).items())
    }


def differing_fields(kind: str, stored: tuple[Any, ...], fresh: tuple[Any, ...]) -> list[str]:
    names = MESSAGE_FIELDS if kind == "message" else EVENT_FIELDS
    return [name for name, a, b in zip(names, stored, fresh, strict=True) if a != b]


def link_digests(session: Session, case_id: int, source_id: int) -> dict[str, str]:
    """chat key -> digest of this source's links to the rows other sources hold for it."""
    chats = dict(
        session.execute(select(ChatRow.id, ChatRow.key).where(ChatRow.case_id == case_id)).all()
    )
    shas = dict(
        session.execute(
            select(SourceRow.id, SourceRow.sha256).where(SourceRow.case_id == case_id)
        ).all()
    )
    links = [
        ("message", row)
        for row in session.execute(
            select(MessageRow.chat_id, MessageSourceRow.seq, MessageRow.source_id, MessageRow.seq)
            .join(MessageRow, MessageRow.id == MessageSourceRow.message_id)
            .where(MessageSourceRow.case_id == case_id, MessageSourceRow.source_id == source_id)
        )
    ] + [
        ("event", row)
        for row in session.execute(
            select(
                ChatEventRow.chat_id, EventSourceRow.seq, ChatEventRow.source_id, ChatEventRow.seq
            )
            .join(ChatEventRow, ChatEventRow.id == EventSourceRow.event_id)
            .where(EventSourceRow.case_id == case_id, EventSourceRow.source_id == source_id)
        )
    ]
    lines: dict[str, list[str]] = {}
    for kind, (chat_id, seq, kept_source, kept_seq) in links:
        lines.setdefault(chats.get(chat_id, "?"), []).append(
            _line((kind, seq, shas.get(kept_source), kept_seq))
        )
    return {
        chat: hashlib.sha256("".join(f"{x}\n" for x in sorted(found)).encode()).hexdigest()
        for chat, found in sorted(lines.items())
    }


def seq_ranges(seqs: Iterable[int]) -> list[list[int]]:
    """Sorted seqs as [first, last] runs, to keep an audit entry short."""
    runs: list[list[int]] = []
    for seq in sorted(seqs):
        if runs and seq == runs[-1][1] + 1:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq])
    return runs


def expand_ranges(runs: Iterable[Sequence[int]]) -> set[int]:
    return {seq for first, last in runs for seq in range(first, last + 1)}
