"""Digests of the rows a source became, so an edit to the case's rows cannot go unnoticed.

Every message and system-event row is reduced to a canonical line (its values, accounts by
identifier, times as UTC text, JSON sorted); a chat's digest is the SHA-256 over the SHA-256
of its event lines and of its message lines, each in `seq` order. Ingest computes it while
the rows stream past and records each source's digests in its audit entry (hash-chained and
witnessed); `evidence verify` recomputes them from the database, and `evidence verify
--deep` re-parses the evidence and compares row by row to name what differs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.ingest.records import BulkMessage, Record
from casegraph.ingest.whatsapp_clock import sqlite_utc_text
from casegraph.model import ChatEvent, Message
from casegraph.store.schema import AccountRow, ChatEventRow, ChatRow, MessageRow

# One row as compared: (table, seq) -> canonical line
RowKey = tuple[str, int]
MESSAGE_FIELDS = (
    "seq", "sent_at", "author", "author_label", "text", "kind", "attachment_ref", "line",
    "byte_offset", "flags", "native_id", "reply_to",
)  # fmt: skip
EVENT_FIELDS = ("seq", "at", "type", "actor", "targets", "label", "text", "line", "details")
SEPARATOR = "\x1f"
STREAM_ROWS = 5000
NONE = "\x00"


def _utc_text(at: datetime) -> str:
    return sqlite_utc_text(at if at.tzinfo is not None else at.replace(tzinfo=UTC))


def _json(value: Any) -> str:
    if value == "[]" or value == []:  # nearly every message: no flags
        return "[]"
    if isinstance(value, str):  # the bulk path carries JSON text already
        value = json.loads(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _field(value: Any) -> str:
    if value is None:
        return NONE
    text = str(value)
    return f"{len(text)}:{text}"  # length-prefixed: no edit can move text across fields


def _line(values: Iterable[Any]) -> str:
    return SEPARATOR.join(map(_field, values))


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


def _stored_lines(
    session: Session, case_id: int, source_id: int
) -> Iterator[tuple[str, str, tuple[Any, ...]]]:
    """(chat key, table, canonical values) of one source's rows, by chat then `seq`; streamed."""
    identifiers: dict[int | None, str] = dict(
        session.execute(
            select(AccountRow.id, AccountRow.identifier).where(AccountRow.case_id == case_id)
        ).all()
    )
    chats = dict(
        session.execute(select(ChatRow.id, ChatRow.key).where(ChatRow.case_id == case_id)).all()
    )
    messages = (
        select(
            MessageRow.chat_id, MessageRow.seq, MessageRow.sent_at, MessageRow.account_id,
            MessageRow.author_label, MessageRow.text, MessageRow.kind, MessageRow.attachment_ref,
            MessageRow.line, MessageRow.byte_offset, MessageRow.flags, MessageRow.native_id,
            MessageRow.reply_to,
        )
        .where(MessageRow.source_id == source_id)
        .order_by(MessageRow.chat_id, MessageRow.seq)
        .execution_options(yield_per=STREAM_ROWS)
    )  # fmt: skip
    for m in session.execute(messages):
        yield chats.get(m.chat_id, "?"), "message", (
            m.seq, _utc_text(m.sent_at), identifiers.get(m.account_id), m.author_label, m.text,
            m.kind, m.attachment_ref, m.line, m.byte_offset, _json(m.flags or []), m.native_id,
            m.reply_to,
        )  # fmt: skip
    events = (
        select(
            ChatEventRow.chat_id, ChatEventRow.seq, ChatEventRow.at, ChatEventRow.type,
            ChatEventRow.actor_id, ChatEventRow.target_ids, ChatEventRow.label,
            ChatEventRow.text, ChatEventRow.line, ChatEventRow.details,
        )
        .where(ChatEventRow.source_id == source_id)
        .order_by(ChatEventRow.chat_id, ChatEventRow.seq)
        .execution_options(yield_per=STREAM_ROWS)
    )  # fmt: skip
    for e in session.execute(events):
        yield chats.get(e.chat_id, "?"), "event", (
            e.seq, _utc_text(e.at), e.type, identifiers.get(e.actor_id),
            _json([identifiers.get(t) for t in e.target_ids or []]), e.label, e.text, e.line,
            _json(e.details or {}),
        )  # fmt: skip


def stored_rows(
    session: Session, case_id: int, source_id: int
) -> dict[str, dict[RowKey, tuple[Any, ...]]]:
    """chat key -> canonical rows of one source, read back from the database (for --deep)."""
    rows: dict[str, dict[RowKey, tuple[Any, ...]]] = {}
    for chat, table, values in _stored_lines(session, case_id, source_id):
        rows.setdefault(chat, {})[(table, values[0])] = values
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


EMPTY = _combine(hashlib.sha256().hexdigest(), hashlib.sha256().hexdigest())  # no rows at all


def source_digests(session: Session, case_id: int, source_id: int) -> dict[str, str]:
    """chat key -> digest of the rows this source put in that chat, streamed from the database."""
    digests: dict[str, ChatDigest] = {}
    for chat, table, values in _stored_lines(session, case_id, source_id):
        digests.setdefault(chat, ChatDigest()).add(table, values)
    return {chat: d.hexdigest() for chat, d in sorted(digests.items())}


def differing_fields(kind: str, stored: tuple[Any, ...], fresh: tuple[Any, ...]) -> list[str]:
    names = MESSAGE_FIELDS if kind == "message" else EVENT_FIELDS
    return [name for name, a, b in zip(names, stored, fresh, strict=True) if a != b]
