"""What the two WhatsApp device databases share: read-only opening, JIDs, one group's records.

A seized phone's database is evidence: it is opened through SQLite's URI with `mode=ro` and
`immutable=1` (no journal, no WAL replay, no lock files, nothing written beside it), and every
SQLite failure becomes one line naming the file. The parsers stay pure: they read the file
and return records, the store decides where they go.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from casegraph.errors import InputError
from casegraph.ingest.formats import ChatFormat, ParseRequest, register
from casegraph.ingest.phones import normalise_phone, phone_country
from casegraph.ingest.records import ParsedChat, Record, RosterEntry
from casegraph.ingest.whatsapp import chat_native_id
from casegraph.model import Account, Chat, Message

SQLITE_MAGIC = b"SQLite format 3\x00"
OWNER_LABEL = "device owner"
NOT_ON_SOURCE = "not_exported:the database holds the reference; the file is on the device"
# The newest time a phone can plausibly hold; later stamps are corrupt rows.
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@contextmanager
def open_readonly(path: Path, file_name: str) -> Iterator[sqlite3.Connection]:
    """The database at `path`, read-only and immutable; InputError (one line) if unreadable."""
    uri = f"file:{quote(str(path))}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"{file_name}: cannot open as SQLite ({exc}); check the copy") from exc
    # damaged pages can hold invalid UTF-8: keep what is there, never fail on decoding
    connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        yield connection
    except (sqlite3.Error, UnicodeDecodeError) as exc:  # a damaged schema's error text too
        raise InputError(
            f"{file_name}: not a readable SQLite database ({exc}); check the copy is whole "
            "and decrypted"
        ) from exc
    finally:
        connection.close()


def tables(connection: sqlite3.Connection) -> dict[str, set[str]]:
    """Table name -> its column names."""
    names = [
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    return {
        name: {row[1] for row in connection.execute(f'PRAGMA table_info("{name}")')}
        for name in names
    }


def require(
    found: dict[str, set[str]], needed: dict[str, set[str]], file_name: str, kind: str
) -> None:
    """InputError naming the first missing table or column of the schema a parser reads."""
    for table, columns in needed.items():
        if table not in found:
            raise InputError(
                f"{file_name}: no {table} table; not a {kind} casegraph reads (is it decrypted?)"
            )
        missing = sorted(columns - found[table])
        if missing:
            raise InputError(
                f"{file_name}: {table} lacks column(s) {', '.join(missing)}; an unknown {kind} "
                "schema version, report it with the WhatsApp version"
            )


def as_text(value: Any) -> str:
    """A text column as str: NULL is empty, a BLOB where text belongs is decoded leniently."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def message_id(value: Any) -> str | None:
    """A message id as the store keeps it (64 characters at most); None when absent."""
    text = as_text(value)[:64]
    return text or None


def hex_digest(stored: Any) -> str | None:
    """WhatsApp's stored media digest (base64 SHA-256, text or bytes) as lowercase hex."""
    if stored is None:
        return None
    try:
        raw = stored if isinstance(stored, bytes) else base64.b64decode(str(stored), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


def from_unix_ms(value: Any) -> datetime | None:
    try:
        at = datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return at if at < LATEST else None


def from_cocoa(value: Any) -> datetime | None:
    """iOS Core Data time: seconds since 2001-01-01 UTC."""
    try:
        at = datetime.fromtimestamp(float(value) + 978307200, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return at if at < LATEST else None


class Parties:
    """JIDs -> accounts: `34600111222@s.whatsapp.net` is +34600111222; other servers keep ids."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}

    def resolve(self, jid: Any, name: Any = None) -> str | None:
        if not jid:
            return None
        name = as_text(name) or None
        user, _, server = as_text(jid).partition("@")
        user = user.split(":", 1)[0].split(".", 1)[0]  # device suffixes: user.agent:device
        if server in ("s.whatsapp.net", "c.us", "") and user.isdigit():
            e164 = normalise_phone("+" + user)
            if e164 is not None:
                return self._add(e164, name, "phone", phone_country(e164))
        identifier = f"{server or 'jid'}:{user}"  # lid:…, a pseudonymous id
        return self._add(identifier, name, "platform_id", None)

    def _add(self, identifier: str, name: str | None, kind: str, country: str | None) -> str:
        account = self.accounts.get(identifier)
        if account is None:
            account = Account("whatsapp", identifier, [], country, kind)  # type: ignore[arg-type]
            self.accounts[identifier] = account
        clean = unicodedata.normalize("NFC", name.strip()) if name else ""
        if clean and clean not in account.names:
            account.names.append(clean)
        return identifier


class SchemaReader:
    """What a reader of one database schema starts from: the open database (read only), the
    columns found per table, the evidence file's name and the parties met so far."""

    def __init__(
        self, connection: sqlite3.Connection, found: dict[str, set[str]], file_name: str
    ) -> None:
        self.db = connection
        self.found = found
        self.file_name = file_name
        self.parties = Parties()


@dataclass
class GroupBuilder:
    """Collects one group's messages and events in time order, then makes its ParsedChat."""

    file_name: str
    group_jid: str
    title: str
    parties: Parties
    schema: str
    records: list[tuple[datetime, int, Record]] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)  # in time order, oldest first
    creation_subject: str | None = None
    first_old_subject: str | None = None
    roster: list[RosterEntry] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, at: datetime | None, row_order: int, record: Record) -> None:
        if at is None:
            self.counts["rows_without_time"] = self.counts.get("rows_without_time", 0) + 1
            return
        self.records.append((at, row_order, record))

    def subject_event(self, kind: str, old: Any, new: Any) -> None:
        old, new = as_text(old) or None, as_text(new) or None
        if kind == "created" and new:
            self.creation_subject = self.creation_subject or new
        if kind == "subject_changed" and old and self.first_old_subject is None:
            self.first_old_subject = old
        for value in (old, new):
            if value:
                self.subjects.append(value)

    def parsed(self) -> ParsedChat:
        """Records renumbered in time order; the chat keyed the way exports key it."""
        ordered = sorted(self.records, key=lambda r: (r[0], r[1]))
        result = ParsedChat("whatsapp", iter(()), self.parties.accounts)
        records: list[Record] = []
        for seq, (at, _order, record) in enumerate(ordered, start=1):
            record.seq = seq
            if isinstance(record, Message):
                record.sent_at = at
            else:
                record.at = at
            result.note(at, isinstance(record, Message))
            records.append(record)
        subjects = list(dict.fromkeys([*self.subjects, self.title]))
        title = self.title or (subjects[-1] if subjects else self.group_jid)
        earliest = (
            self.creation_subject or self.first_old_subject or (subjects[0] if subjects else title)
        )
        aliases = [s for s in subjects if s and s != title]
        chat = Chat("whatsapp", chat_native_id(earliest), title, aliases)
        result.records = _deliver(records, result, chat)
        result.roster = list(self.roster)
        result.provenance = {
            "native_id_rule": "earliest known subject (device database)",
            "group_jid": self.group_jid,
            "schema": self.schema,
            "subjects": subjects,
            "roster": len(self.roster),
            **({"counts": dict(self.counts)} if self.counts else {}),
        }
        return result


def _deliver(records: list[Record], parsed: ParsedChat, chat: Chat) -> Iterator[Record]:
    """Yield the records; the chat becomes known at the end, as with streamed exports, so the
    store settles it (and may merge it with an export of the same group) after the messages."""
    yield from records
    parsed.chat = chat


def with_journal_warning(chats: list[ParsedChat], request: ParseRequest) -> list[ParsedChat]:
    """Warn when a -wal/-journal lies beside the database: immutable reading ignores it, so rows
    only in it are not read (checkpoint a working copy with sqlite3 to include them)."""
    member = request.text_member or ""
    journals = [m for m in request.member_paths if m in (f"{member}-wal", f"{member}-journal")]
    if journals and chats:
        chats[0].warnings.append(
            f"{request.unit_name}: {', '.join(journals)} kept as evidence but not read; rows "
            "only there are missing (checkpoint a working copy and ingest that as well)"
        )
    return chats


def register_device_database(
    name: str,
    parse: Callable[[Path, str], list[ParsedChat]],
    sniff: Callable[[str, bytes], bool],
    member: Callable[[list[str]], str | None],
    marker: str,
) -> None:
    """Register a seized-phone database format: read from the stored blob, journal warned."""

    def parse_request(request: ParseRequest) -> list[ParsedChat]:
        if request.blob_path is None:
            raise InputError(
                f"{request.file_name}: a device database must be a file; check the input"
            )
        return with_journal_warning(parse(request.blob_path, request.file_name), request)

    register(
        ChatFormat(
            name=name,
            platform="whatsapp",
            parse=parse_request,
            sniff=sniff,
            member=member,
            marker_names=(marker,),
            priority=5,
        )
    )
