"""Writes the chats of one source inside the caller's transaction: chats, accounts, rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from casegraph.ingest.detect import SourceUnit
from casegraph.ingest.formats import chat_format
from casegraph.ingest.records import BulkMessage, ParsedChat, Record
from casegraph.ingest.whatsapp_clock import from_sqlite_utc_text, sqlite_utc_text
from casegraph.model import Account, ChatEvent, FileHashes, Message, account_key, chat_key
from casegraph.store.cases import Case
from casegraph.store.ingest_bulk import BATCH, MessageRowValues, MessageSink
from casegraph.store.ingest_device import fold_roster, same_group_chat
from casegraph.store.ingest_media import Attachments, MediaLinker
from casegraph.store.overlap import Folds, merge_overlap
from casegraph.store.rowdigest import ChatDigest, event_values, message_values
from casegraph.store.schema import (
    AccountRow,
    ChatEventRow,
    ChatRow,
    ChatSourceRow,
    MembershipRow,
    MessageRow,
)

MEMBERSHIP_VIA = {"created": "created", "added": "added", "joined_via_link": "invite_link",
                  "joined_via_request": "request"}  # fmt: skip
# account id -> [since, until, via]; times as naive-UTC text, which sorts like the times
Members = dict[int, list[Any]]


class SourceWriter:
    """Writes the chats of one source inside the caller's transaction."""

    def __init__(
        self,
        case: Case,
        session: Session,
        source_id: int,
        sha256: str,
        unit: SourceUnit,
        members: dict[str, FileHashes],
        bar: Any,
    ) -> None:
        self.case = case
        self.session = session
        self.source_id = source_id
        self.sha256 = sha256
        self.unit = unit
        self.export_members = members
        self.bar = bar
        self.accounts: dict[tuple[str, str], tuple[int, list[str]]] = {}
        self.loaded_platforms: set[str] = set()
        self.accounts_seen: dict[int, int] = {}  # id(parsed) -> its accounts already given rows
        self.media = MediaLinker(case, session, source_id, unit, members)
        self.messages = self.events = 0
        self.digests: dict[str, ChatDigest] = {}  # chat key -> digest of its rows
        self.digests_complete = True  # false: digest the rows from the database instead
        self.folds: dict[str, Folds] = {}  # chat key -> rows folded into other sources' rows

    def row_digests(self) -> dict[str, str]:
        """chat key -> digest of the rows written (as `rowdigest.source_digests` reads them)."""
        return {key: digest.hexdigest() for key, digest in sorted(self.digests.items())}

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
        known = self.accounts.get((parsed.platform, identifier))
        if known is None:
            self._new_accounts(parsed, identifier)
            known = self.accounts[(parsed.platform, identifier)]
        return known[0]

    def _new_accounts(self, parsed: ParsedChat, identifier: str) -> None:
        """Rows for `identifier` and every account the parser has named since the last call,
        in one statement: a big group's join events name a thousand members at once."""
        seen = self.accounts_seen.get(id(parsed), 0)
        named = list(parsed.accounts.values())[seen:]
        self.accounts_seen[id(parsed)] = seen + len(named)
        fresh = {
            a.identifier: a for a in named if (parsed.platform, a.identifier) not in self.accounts
        }
        if identifier not in fresh:
            fresh[identifier] = parsed.accounts.get(identifier) or Account(
                parsed.platform, identifier
            )
        values = [
            {
                "case_id": self.case.id,
                "key": account_key(parsed.platform, account.identifier, self.case.id_secret),
                "platform": parsed.platform,
                "identifier": account.identifier,
                "identifier_kind": account.identifier_kind,
                "names": list(account.names),
                "phone_country": account.country,
                "country_reasons": [],
                "languages": [],
            }
            for account in fresh.values()
        ]
        returned = self.session.execute(
            insert(AccountRow).returning(AccountRow.id, AccountRow.identifier), values
        )
        for row_id, created in returned:
            self.accounts[(parsed.platform, created)] = (row_id, list(fresh[created].names))

    # -- chats ----------------------------------------------------------------------------

    def write_chat(self, parsed: ParsedChat) -> dict[str, Any]:
        self._load_accounts(parsed.platform)
        chat_id = self._chat_row(parsed)
        sink = MessageSink(self.session, self.case.id, chat_id, self.source_id)
        rows: list[MessageRowValues] = []
        events: list[dict[str, Any]] = []
        members: Members = {}
        attachments: Attachments = {}
        created: tuple[int | None, datetime] | None = None
        task = (
            self.bar.add_task(parsed.chat.title if parsed.chat else "chat", total=None)
            if self.bar
            else None
        )
        count = 0
        known: dict[str | None, int | None] = {None: None}
        digest = ChatDigest()
        stream: Iterator[Record | BulkMessage] = parsed.records  # bulk parsers send tuples
        for record in stream:
            count += 1
            if isinstance(record, ChatEvent):
                digest.add("event", event_values(record))
                created = self._event(parsed, record, chat_id, members, created, events)
                if len(events) >= BATCH:
                    self._flush_events(events)
                continue
            row = bulk_form(record) if isinstance(record, Message) else record
            digest.add("message", message_values(row))
            # Hot path: one dict lookup per message once the author has a row.
            author = known.get(row[2], 0)
            if author == 0:
                author = known[row[2]] = self.account_id(parsed, row[2])
            if author is not None:
                since = members.get(author)
                if since is None:
                    members[author] = [row[1], None, "authored"]
                elif row[1] < since[0]:
                    since[0] = row[1]
            if row[6] is not None:
                attachments[row[0]] = (row[6], _flags(row[9]))
            rows.append((row[0], row[1], author, *row[3:]))
            if len(rows) >= BATCH:
                sink.write(rows)
                if task is not None:
                    self.bar.update(task, completed=count)
        sink.write(rows)
        sink.close()
        self._flush_events(events)
        fold_roster(members, parsed.roster, lambda ident: self.account_id(parsed, ident))
        chat_id = self._settle_chat(parsed, chat_id, created)
        self._memberships(chat_id, members)
        self.media.attachments(chat_id, attachments)
        overlap, folds = merge_overlap(self.session, self.case.id, chat_id, self.source_id)
        self._update_names(parsed)
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
        key = chat_key(parsed.platform, parsed.chat.native_id, self.case.id_secret)
        folded = folds.messages or folds.events or folds.attributed_sources
        if key in self.digests or not digest.ordered or folded:
            self.digests_complete = False  # rows the stream alone cannot digest
        self.digests[key] = digest
        if folded:
            so_far = self.folds.setdefault(key, Folds())
            so_far.messages += folds.messages
            so_far.events += folds.events
            so_far.attributed_sources |= folds.attributed_sources
        return {
            **parsed.provenance,
            **({"overlap": overlap} if overlap else {}),
            "chat": key,
            "native_id": parsed.chat.native_id,
            "coverage": {
                "first_at": parsed.first_at.isoformat() if parsed.first_at else None,
                "last_at": parsed.last_at.isoformat() if parsed.last_at else None,
                "messages": parsed.messages,
                "events": parsed.events,
                "possibly_truncated": truncated,
            },
        }

    def _event(
        self,
        parsed: ParsedChat,
        record: ChatEvent,
        chat_id: int,
        members: Members,
        created: tuple[int | None, datetime] | None,
        events: list[dict[str, Any]],
    ) -> tuple[int | None, datetime] | None:
        """Queue one event row and fold it into memberships; the chat's creation, if known."""
        actor = self.account_id(parsed, record.actor)
        targets = [t for t in (self.account_id(parsed, x) for x in record.targets) if t]
        at = sqlite_utc_text(record.at)
        via = MEMBERSHIP_VIA.get(record.type)
        if via is not None:
            if actor is not None and record.type != "added":
                _member(members, actor, at, via)
            for target in targets:
                _member(members, target, at, via)
        if record.type == "added" and actor is not None:
            _member(members, actor, at, "acted")
        if record.type in ("left", "removed"):
            for gone in targets if record.type == "removed" else [actor]:
                if gone is not None:
                    _member(members, gone, at, "listed")
                    members[gone][1] = at
        if record.type == "created" and created is None:
            created = (actor, record.at)
        events.append(
            {
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
        )
        return created

    def _flush_events(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(ChatEventRow), rows)
            rows.clear()

    def _possibly_truncated(self, parsed: ParsedChat) -> bool:
        caps = chat_format(self.unit.format).export_cap
        if caps is None:
            return False
        with_media = set(self.export_members) - {self.unit.text_member}
        return parsed.messages + parsed.events >= caps[1 if with_media else 0]

    def _chat_row(self, parsed: ParsedChat) -> int:
        if parsed.chat is not None:
            return self._chat_for(parsed.platform, parsed.chat.native_id, parsed.chat.title)
        # Some formats (WhatsApp) know the chat's identity only at the end: write under a
        # provisional key, then settle (rename or merge) once the stream is done.
        pending = f"pending:{self.sha256}:{id(parsed)}"
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
                    key=chat_key(platform, native_id, self.case.id_secret),
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
                target = same_group_chat(
                    self.session, self.case.id, chat, chat_id, "group_jid" in parsed.provenance
                )
                if target is not None:  # keyed by another subject: take that chat's key
                    chat.native_id = self.session.get(ChatRow, target).native_id  # type: ignore[union-attr]
            if target is None:
                row.native_id = chat.native_id
                row.key = chat_key(chat.platform, chat.native_id, self.case.id_secret)
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

    def _memberships(self, chat_id: int, members: Members) -> None:
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
                "since": from_sqlite_utc_text(since, UTC) if since else None,
                "until": from_sqlite_utc_text(until, UTC) if until else None,
                "via": via,
            }
            for account, (since, until, via) in members.items()
            if account not in existing
        ]
        for start in range(0, len(rows), BATCH):
            self.session.execute(insert(MembershipRow), rows[start : start + BATCH])

    def _update_names(self, parsed: ParsedChat) -> None:
        """Every display name the parser saw for an account joins the account's names."""
        for identifier, account in sorted(parsed.accounts.items()):
            known = self.accounts.get((parsed.platform, identifier))
            if known is None:
                continue
            added = [n for n in account.names if n not in known[1]]
            if added:
                known[1].extend(added)
                self.session.execute(
                    update(AccountRow).where(AccountRow.id == known[0]).values(names=list(known[1]))
                )


def bulk_form(message: Message) -> BulkMessage:
    """A parser's Message in the bulk tuple form."""
    return (
        message.seq,
        sqlite_utc_text(message.sent_at),
        message.author,
        message.author_label,
        message.text,
        message.kind,
        message.attachment,
        message.line,
        message.byte_offset,
        json.dumps(list(message.flags), ensure_ascii=False) if message.flags else "[]",
        message.native_id,
        message.reply_to,
    )


def _flags(flags: str) -> tuple[str, ...]:
    return tuple(json.loads(flags)) if flags != "[]" else ()


def _member(members: Members, account: int, at: str, via: str) -> None:
    """Record membership from `at`; a (re)join after a leave reopens it."""
    entry = members.get(account)
    if entry is None:
        members[account] = [at, None, via]
        return
    if at < entry[0]:
        entry[0] = at
    if entry[1] is not None and at > entry[1] and via in MEMBERSHIP_VIA.values():
        entry[1] = None
