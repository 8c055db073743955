"""Chat evidence in: hash every file into the evidence store, parse, write one transaction.

Per source unit (a zip, a folder, a loose file): the bytes go to the content-addressed
evidence store first (a crash there leaves only unreferenced blobs), then the parser reads
them back from the store and the records are written in one `case.mutate` transaction with
batched Core inserts, so a killed ingest leaves the case as it was. A source whose SHA-256
is already in the case is skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from casegraph import __version__
from casegraph.errors import InputError
from casegraph.ingest.archive import open_zip_members, survey_folder, survey_zip
from casegraph.ingest.detect import SourceUnit, find_sources
from casegraph.ingest.media_kind import kind_from_name, refine_kind
from casegraph.ingest.records import ParsedChat
from casegraph.ingest.signal import parse_signal_markdown, parse_sigtop_json
from casegraph.ingest.telegram import parse_telegram
from casegraph.ingest.whatsapp import CAP_WITH_MEDIA, CAP_WITHOUT_MEDIA, parse_whatsapp
from casegraph.ingest.whatsapp_patterns import name_hint
from casegraph.model import Account, FileHashes, Message, account_key, chat_key
from casegraph.store.cases import Case
from casegraph.store.db import utcnow
from casegraph.store.evidence import hash_file
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatEventRow,
    ChatRow,
    ChatSourceRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    SourceMemberRow,
    SourceRow,
)

BATCH = 5000
MEMBERSHIP_VIA = {"created": "created", "added": "added", "joined_via_link": "invite_link",
                  "joined_via_request": "request"}  # fmt: skip


@dataclass
class IngestResult:
    sources_added: int = 0
    sources_skipped: int = 0
    messages: int = 0
    events: int = 0
    media: int = 0
    warnings: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Acquired:
    """A source unit whose bytes are in the evidence store."""

    unit: SourceUnit
    hashes: FileHashes
    members: dict[str, FileHashes]  # path inside the export -> hashes (empty for loose files)
    ignored: list[str]


def default_region(case: Case) -> str | None:
    """National-format numbers are read in the region of the case's agency, when it is one."""
    agency = (case.agency or "").strip().upper()
    return agency if len(agency) == 2 and agency.isalpha() else None


def ingest_paths(
    case: Case,
    paths: list[Path],
    captured_by: str,
    actor: str = "cli",
    date_order: str | None = None,
    progress: bool = False,
) -> IngestResult:
    """Ingest every export under `paths`; one transaction per source, re-runs are no-ops."""
    units = find_sources(paths)
    result = IngestResult()
    with ExitStack() as stack:
        bar = stack.enter_context(_progress()) if progress else None
        for unit in units:
            _ingest_unit(case, unit, captured_by, actor, date_order, result, bar)
    return result


# ---- acquisition ----------------------------------------------------------------------------


def _known_source(case: Case, sha256: str) -> bool:
    with case.read() as session:
        return (
            session.scalar(
                select(SourceRow.id).where(SourceRow.case_id == case.id, SourceRow.sha256 == sha256)
            )
            is not None
        )


def _acquire(case: Case, unit: SourceUnit) -> Acquired | None:
    """Store the unit's bytes; None when the case already holds this exact source."""
    evidence = case.evidence
    if unit.container == "folder":
        files, ignored = survey_folder(unit.path)
        members = {rel: evidence.put_file(unit.path / rel)[0] for rel in files}
        manifest = json.dumps(
            {"folder": unit.path.name, "files": {p: h.sha256 for p, h in members.items()}},
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
        digest = hashlib.sha256(manifest).hexdigest()
        if _known_source(case, digest):
            return None
        hashes, _ = evidence.put_bytes(manifest)  # the folder's identity is its manifest
        return Acquired(unit, hashes, members, ignored)
    zip_members, ignored = survey_zip(unit.path) if unit.container == "zip" else ([], [])
    if _known_source(case, hash_file(unit.path).sha256):  # hostile zips failed above, unstored
        return None
    hashes, _ = evidence.put_file(unit.path)
    contents: dict[str, FileHashes] = {}
    written: list[str] = []
    try:
        for member, stream in open_zip_members(evidence.path_for(hashes.sha256), zip_members):
            member_hashes, new = evidence.put_stream(stream)  # type: ignore[arg-type]
            contents[member.path] = member_hashes
            if new:
                written.append(member_hashes.sha256)
    except InputError:
        for sha256 in written:  # a lying archive leaves nothing of itself behind
            evidence.path_for(sha256).unlink(missing_ok=True)
        raise
    return Acquired(unit, hashes, contents, ignored)


# ---- parsing ------------------------------------------------------------------------------


def _opener(case: Case, sha256: str) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    return lambda: case.evidence.open(sha256)


def _parse(case: Case, acquired: Acquired, date_order: str | None) -> list[ParsedChat]:
    unit = acquired.unit
    tz = ZoneInfo(case.timezone)
    text_sha = (
        acquired.members[unit.text_member].sha256
        if unit.text_member is not None
        else acquired.hashes.sha256
    )
    file_name = f"{unit.path.name}:{unit.text_member}" if unit.text_member else unit.path.name
    if unit.format == "whatsapp":
        hint = name_hint(unit.path.name) or (
            name_hint(PurePosixPath(unit.text_member).name) if unit.text_member else None
        )
        return [
            parse_whatsapp(
                _opener(case, text_sha),
                file_name=file_name,
                tz=tz,
                name_hint=hint,
                date_order=date_order,
                default_region=default_region(case),
            )
        ]
    if unit.format == "telegram":
        return parse_telegram(case.evidence.read(text_sha), file_name=file_name, tz=tz)
    if unit.format == "sigtop-json":
        return parse_sigtop_json(case.evidence.read(text_sha), file_name=file_name, tz=tz)
    chat_name = unit.path.name if unit.container != "file" else unit.path.parent.name
    return [
        parse_signal_markdown(
            _opener(case, text_sha), chat_name=chat_name, tz=tz, default_region=default_region(case)
        )
    ]


# ---- writing ------------------------------------------------------------------------------


def _ingest_unit(
    case: Case,
    unit: SourceUnit,
    captured_by: str,
    actor: str,
    date_order: str | None,
    result: IngestResult,
    bar: Any,
) -> None:
    acquired = _acquire(case, unit)
    if acquired is None:
        result.sources_skipped += 1
        return
    chats = _parse(case, acquired, date_order)  # surveys run here: bad files fail unwritten
    sha = acquired.hashes.sha256
    with case.mutate(
        actor, "ingest.source", f"source:{sha}", details={"file": unit.path.name}
    ) as s:
        source = SourceRow(
            case_id=case.id,
            sha256=sha,
            md5=acquired.hashes.md5,
            sha1=acquired.hashes.sha1,
            size=acquired.hashes.size,
            filename=unit.path.name,
            original_path=str(unit.path),
            format=f"{unit.format}-{unit.container}",
            captured_by=captured_by,
            capture_method="export",
            received_by=actor,
            received_at=utcnow(),
            tool="casegraph",
            tool_version=__version__,
            provenance={},
        )
        s.add(source)
        s.flush()
        writer = _SourceWriter(case, s, source.id, acquired, bar)
        summaries = [writer.write_chat(parsed) for parsed in chats]
        referenced = writer.finish_members()
        provenance: dict[str, Any] = {
            "chats": summaries,
            "ignored_members": acquired.ignored,
            "unreferenced_members": sorted(set(acquired.members) - referenced - {unit.text_member}),
            "missing_members": writer.missing,
        }
        source.provenance = provenance
        s.info["audit_details"].update(
            {
                "sha256": sha,
                "format": source.format,
                "messages": writer.messages,
                "events": writer.events,
                "members": len(acquired.members),
            }
        )
    result.sources_added += 1
    result.messages += writer.messages
    result.events += writer.events
    result.media += writer.new_media
    result.sources.append({"sha256": sha, "filename": unit.path.name, "format": source.format})
    for parsed in chats:
        result.warnings.extend(parsed.warnings)
    if provenance["missing_members"]:
        result.warnings.append(
            f"{unit.path.name}: {len(provenance['missing_members'])} referenced file(s) not in "
            "the export (exported without media?)"
        )
    if provenance["unreferenced_members"]:
        result.warnings.append(
            f"{unit.path.name}: {len(provenance['unreferenced_members'])} file(s) in the export "
            "that no message references"
        )


class _SourceWriter:
    """Writes the chats of one source inside the caller's transaction."""

    def __init__(
        self, case: Case, session: Session, source_id: int, acquired: Acquired, bar: Any
    ) -> None:
        self.case = case
        self.session = session
        self.source_id = source_id
        self.acquired = acquired
        self.bar = bar
        self.accounts: dict[tuple[str, str], tuple[int, list[str]]] = {}
        self.loaded_platforms: set[str] = set()
        self.names_changed: set[tuple[str, str]] = set()
        self.names_seen: dict[tuple[str, str], int] = {}
        self.referenced: set[str] = set()
        self.missing: list[str] = []
        self.messages = self.events = self.new_media = 0
        root = PurePosixPath(acquired.unit.text_member or "").parent
        self.by_path: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        for path in acquired.members:
            relative = PurePosixPath(path)
            if root.parts and relative.parts[: len(root.parts)] == root.parts:
                relative = PurePosixPath(*relative.parts[len(root.parts) :])
            self.by_path[relative.as_posix()] = path
            self.by_name.setdefault(relative.name, path)

    # -- accounts -------------------------------------------------------------------------

    def _load_accounts(self, platform: str) -> None:
        if platform in self.loaded_platforms:
            return
        self.loaded_platforms.add(platform)
        for row_id, identifier, names in self.session.execute(
            select(AccountRow.id, AccountRow.identifier, AccountRow.names).where(
                AccountRow.case_id == self.case.id, AccountRow.platform == platform
            )
        ):
            self.accounts[(platform, identifier)] = (row_id, list(names or []))

    def account_id(self, parsed: ParsedChat, identifier: str | None) -> int | None:
        if identifier is None:
            return None
        key = (parsed.platform, identifier)
        known = self.accounts.get(key)
        account = parsed.accounts.get(identifier) or Account(parsed.platform, identifier)
        if known is None:
            row_id = self.session.execute(
                insert(AccountRow)
                .values(
                    case_id=self.case.id,
                    key=account_key(parsed.platform, identifier),
                    platform=parsed.platform,
                    identifier=identifier,
                    identifier_kind=account.identifier_kind,
                    names=list(account.names),
                    phone_country=account.country,
                    country_reasons=[],
                    languages=[],
                )
                .returning(AccountRow.id)
            ).scalar_one()
            self.accounts[key] = (row_id, list(account.names))
            return row_id
        if len(account.names) != self.names_seen.get(key):
            self.names_seen[key] = len(account.names)
            if any(n not in known[1] for n in account.names):
                known[1].extend(n for n in account.names if n not in known[1])
                self.names_changed.add(key)
        return known[0]

    # -- chats ----------------------------------------------------------------------------

    def write_chat(self, parsed: ParsedChat) -> dict[str, Any]:
        self._load_accounts(parsed.platform)
        chat_id = self._chat_row(parsed)
        messages: list[tuple[Any, ...]] = []
        events: list[dict[str, Any]] = []
        members: dict[int, list[Any]] = {}  # account id -> [since, until, via]
        attachments: dict[int, Message] = {}
        created: tuple[int | None, datetime] | None = None
        task = (
            self.bar.add_task(parsed.chat.title if parsed.chat else "chat", total=None)
            if self.bar
            else None
        )
        count = 0
        for record in parsed.records:
            count += 1
            if isinstance(record, Message):
                author = self.account_id(parsed, record.author)
                if author is not None:
                    _member(members, author, record.sent_at, "authored")
                if record.attachment is not None:
                    attachments[record.seq] = record
                messages.append(
                    (
                        self.case.id,
                        chat_id,
                        self.source_id,
                        record.seq,
                        record.sent_at,
                        author,
                        record.author_label,
                        record.text,
                        record.kind,
                        record.attachment,
                        record.line,
                        record.byte_offset,
                        record.native_id,
                        record.reply_to,
                        record.flags,
                    )
                )
                if len(messages) >= BATCH:
                    self._flush_messages(messages)
            else:
                actor = self.account_id(parsed, record.actor)
                targets = [t for t in (self.account_id(parsed, x) for x in record.targets) if t]
                via = MEMBERSHIP_VIA.get(record.type)
                if via is not None:
                    if actor is not None and record.type != "added":
                        _member(members, actor, record.at, via)
                    for target in targets:
                        _member(members, target, record.at, via)
                if record.type == "added" and actor is not None:
                    _member(members, actor, record.at, "authored")
                if record.type in ("left", "removed"):
                    for gone in targets if record.type == "removed" else [actor]:
                        if gone is not None:
                            _member(members, gone, record.at, "authored")
                            members[gone][1] = record.at
                if record.type == "created" and created is None:
                    created = (actor, record.at)
                events.append(self._event_row(record, chat_id, actor, targets))
                if len(events) >= BATCH:
                    self._flush(ChatEventRow, events)
            if task is not None and count % BATCH == 0:
                self.bar.update(task, completed=count)
        self._flush_messages(messages)
        self._flush(ChatEventRow, events)
        chat_id = self._settle_chat(parsed, chat_id, created)
        self._memberships(chat_id, members)
        self._attachments(chat_id, attachments)
        self._update_names(parsed.platform)
        self.messages += parsed.messages
        self.events += parsed.events
        truncated = self._possibly_truncated(parsed)
        self.session.execute(
            insert(ChatSourceRow).values(
                case_id=self.case.id,
                chat_id=chat_id,
                source_id=self.source_id,
                first_at=parsed.first_at,
                last_at=parsed.last_at,
                messages=parsed.messages,
                possibly_truncated=truncated,
            )
        )
        if task is not None:
            self.bar.update(task, completed=count, total=count)
        assert parsed.chat is not None
        return {
            **parsed.provenance,
            "chat": chat_key(parsed.platform, parsed.chat.native_id),
            "native_id": parsed.chat.native_id,
            "coverage": {
                "first_at": parsed.first_at.isoformat() if parsed.first_at else None,
                "last_at": parsed.last_at.isoformat() if parsed.last_at else None,
                "messages": parsed.messages,
                "events": parsed.events,
                "possibly_truncated": truncated,
            },
        }

    def _possibly_truncated(self, parsed: ParsedChat) -> bool:
        if parsed.platform != "whatsapp":
            return False
        cap = CAP_WITH_MEDIA if self.acquired.members else CAP_WITHOUT_MEDIA
        return parsed.messages + parsed.events >= cap

    def _chat_row(self, parsed: ParsedChat) -> int:
        if parsed.chat is not None:
            return self._chat_for(parsed.platform, parsed.chat.native_id, parsed.chat.title)
        # WhatsApp's identity is known only at the end of the file: write under a
        # provisional key, then settle (rename or merge) once the stream is done.
        pending = f"pending:{self.acquired.hashes.sha256}:{id(parsed)}"
        return self._chat_for(parsed.platform, pending, "")

    def _chat_for(self, platform: str, native_id: str, title: str) -> int:
        existing = self.session.scalar(
            select(ChatRow.id).where(
                ChatRow.case_id == self.case.id,
                ChatRow.platform == platform,
                ChatRow.native_id == native_id,
            )
        )
        if existing is not None:
            return int(existing)
        return int(
            self.session.execute(
                insert(ChatRow)
                .values(
                    case_id=self.case.id,
                    key=chat_key(platform, native_id),
                    platform=platform,
                    native_id=native_id,
                    title=title,
                    aliases=[],
                    parent_evidence=[],
                )
                .returning(ChatRow.id)
            ).scalar_one()
        )

    def _settle_chat(
        self, parsed: ParsedChat, chat_id: int, created: tuple[int | None, datetime] | None
    ) -> int:
        assert parsed.chat is not None
        chat = parsed.chat
        row = self.session.get(ChatRow, chat_id)
        assert row is not None
        if row.native_id != chat.native_id:
            target = self.session.scalar(
                select(ChatRow.id).where(
                    ChatRow.case_id == self.case.id,
                    ChatRow.platform == chat.platform,
                    ChatRow.native_id == chat.native_id,
                )
            )
            if target is None:
                row.native_id = chat.native_id
                row.key = chat_key(chat.platform, chat.native_id)
            else:  # another officer's export of the same group: one chat
                for table in (MessageRow, ChatEventRow):
                    self.session.execute(
                        update(table)
                        .where(table.chat_id == chat_id, table.source_id == self.source_id)
                        .values(chat_id=target)
                    )
                self.session.delete(row)
                self.session.flush()
                chat_id = target
                row = self.session.get(ChatRow, chat_id)
                assert row is not None
        titles = [row.title, *row.aliases] if row.title else []
        if chat.title and chat.title != row.title:
            row.title = chat.title
        row.aliases = [t for t in dict.fromkeys([*titles, *chat.aliases]) if t and t != row.title]
        row.kind = chat.kind
        if created is not None and row.created_at is None:
            row.created_by, row.created_at = created
        self.session.flush()
        return chat_id

    # -- rows -----------------------------------------------------------------------------

    def _flush_messages(self, rows: list[tuple[Any, ...]]) -> None:
        """Messages are the bulk of a case: on SQLite they go straight to the driver."""
        if not rows:
            return
        connection = self.session.connection()
        if connection.dialect.name == "sqlite":
            prepared = [
                (*row[:4], _sqlite_time(row[4]), *row[5:14], _json_list(row[14])) for row in rows
            ]
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.executemany(_MESSAGE_SQL, prepared)
            finally:
                cursor.close()
        else:
            self.session.execute(
                insert(MessageRow),
                [
                    dict(zip(MESSAGE_COLUMNS, (*row[:14], list(row[14])), strict=True))
                    for row in rows
                ],
            )
        rows.clear()

    def _event_row(
        self, record: Any, chat_id: int, actor: int | None, targets: list[int]
    ) -> dict[str, Any]:
        return {
            "case_id": self.case.id,
            "chat_id": chat_id,
            "source_id": self.source_id,
            "seq": record.seq,
            "at": record.at,
            "type": record.type,
            "actor_id": actor,
            "target_ids": targets,
            "label": record.label,
            "text": record.text,
            "line": record.line,
            "details": record.details,
        }

    def _flush(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(table), rows)
            rows.clear()

    def _memberships(self, chat_id: int, members: dict[int, list[Any]]) -> None:
        existing = set(
            self.session.scalars(
                select(MembershipRow.account_id).where(MembershipRow.chat_id == chat_id)
            )
        )
        rows = [
            {
                "case_id": self.case.id,
                "chat_id": chat_id,
                "account_id": account,
                "since": since,
                "until": until,
                "via": via,
            }
            for account, (since, until, via) in members.items()
            if account not in existing
        ]
        self._flush(MembershipRow, rows)

    def _update_names(self, platform: str) -> None:
        for key in sorted(k for k in self.names_changed if k[0] == platform):
            row_id, names = self.accounts[key]
            self.session.execute(
                update(AccountRow).where(AccountRow.id == row_id).values(names=list(names))
            )
        self.names_changed = {k for k in self.names_changed if k[0] != platform}

    # -- attachments and media ------------------------------------------------------------

    def _join(self, reference: str) -> str | None:
        cleaned = reference.replace("\\", "/").lstrip("./")
        return self.by_path.get(cleaned) or self.by_name.get(PurePosixPath(cleaned).name)

    def _attachments(self, chat_id: int, attachments: dict[int, Message]) -> None:
        if not attachments:
            return
        ids = dict(
            self.session.execute(
                select(MessageRow.seq, MessageRow.id).where(
                    MessageRow.chat_id == chat_id,
                    MessageRow.source_id == self.source_id,
                    MessageRow.attachment_ref.is_not(None),
                )
            ).all()
        )
        media_ids = self._media_rows(attachments)
        rows = []
        for seq, message in attachments.items():
            reference = message.attachment or ""
            not_exported = next((f for f in message.flags if f.startswith("not_exported:")), None)
            member = None if not_exported else self._join(reference)
            if member is not None:
                self.referenced.add(member)
            elif not_exported is None:
                self.missing.append(reference)
            hashes = self.acquired.members.get(member) if member else None
            rows.append(
                {
                    "case_id": self.case.id,
                    "message_id": ids[seq],
                    "reference": reference,
                    "kind": self._kind(reference, hashes),
                    "member_path": member,
                    "media_id": media_ids.get(hashes.sha256) if hashes else None,
                    "missing_reason": not_exported.split(":", 1)[1]
                    if not_exported
                    else (None if member else "not in export"),
                }
            )
        self._flush(AttachmentRow, rows)

    def _kind(self, reference: str, hashes: FileHashes | None) -> str:
        kind = kind_from_name(reference)
        if hashes is not None and kind == "sticker":
            with self.case.evidence.open(hashes.sha256) as stream:
                kind = refine_kind(kind, stream.read(32))
        return kind

    def _media_rows(self, attachments: dict[int, Message]) -> dict[str, int]:
        files: dict[str, tuple[FileHashes, str]] = {}
        for message in attachments.values():
            if any(f.startswith("not_exported:") for f in message.flags):
                continue
            member = self._join(message.attachment or "")
            if member is not None:
                hashes = self.acquired.members[member]
                files.setdefault(hashes.sha256, (hashes, message.attachment or member))
        known: dict[str, int] = {}
        shas = list(files)
        for start in range(0, len(shas), 500):
            known.update(
                self.session.execute(
                    select(MediaRow.sha256, MediaRow.id).where(
                        MediaRow.case_id == self.case.id,
                        MediaRow.sha256.in_(shas[start : start + 500]),
                    )
                ).all()
            )
        for sha256, (hashes, reference) in files.items():
            if sha256 in known:
                continue
            known[sha256] = self.session.execute(
                insert(MediaRow)
                .values(
                    case_id=self.case.id,
                    sha256=sha256,
                    md5=hashes.md5,
                    sha1=hashes.sha1,
                    size=hashes.size,
                    kind=self._kind(reference, hashes),
                    frame_pdqs=[],
                    hashed=False,
                )
                .returning(MediaRow.id)
            ).scalar_one()
            self.new_media += 1
        return known

    def finish_members(self) -> set[str]:
        rows = [
            {
                "case_id": self.case.id,
                "source_id": self.source_id,
                "path": path,
                "sha256": h.sha256,
                "md5": h.md5,
                "sha1": h.sha1,
                "size": h.size,
                "referenced": path in self.referenced,
            }
            for path, h in sorted(self.acquired.members.items())
        ]
        for start in range(0, len(rows), BATCH):
            self._flush(SourceMemberRow, rows[start : start + BATCH])
        return self.referenced


MESSAGE_COLUMNS = (
    "case_id", "chat_id", "source_id", "seq", "sent_at", "account_id", "author_label", "text",
    "kind", "attachment_ref", "line", "byte_offset", "native_id", "reply_to", "flags",
)  # fmt: skip
_MESSAGE_SQL = (
    f"INSERT INTO messages ({', '.join(MESSAGE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in MESSAGE_COLUMNS)})"
)


def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False) if values else "[]"


def _sqlite_time(at: datetime) -> str:
    """The form SQLAlchemy's SQLite DateTime stores: naive UTC with microseconds."""
    utc = at.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}"
    )


def _member(members: dict[int, list[Any]], account: int, at: datetime, via: str) -> None:
    entry = members.get(account)
    if entry is None:
        members[account] = [at, None, via]
    elif at < entry[0]:
        entry[0] = at


def _progress() -> Any:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} records"),
        TimeElapsedColumn(),
        transient=True,
    )


def iter_units(paths: list[Path]) -> Iterator[SourceUnit]:
    """The source units `ingest_paths` would ingest, for callers that only want to look."""
    yield from find_sources(paths)
