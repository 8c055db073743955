"""WhatsApp Android `msgstore.db` (decrypted): groups, members, messages, events, replies, media.

Two schema generations (docs/device-databases.md):
- current (2022 on): `jid`, `chat`, `message`, `message_media` (`file_hash`: base64 SHA-256 of
  the plain file), `message_quoted`, `message_system` (+ `_chat_participant`, `_value_change`,
  `_number_change`), `group_participant_user`, `group_past_participant_user`;
- pre-2022: `chat_list`, `messages` (system rows have status 6 and the action in
  `media_size`), `messages_quotes`, `group_participants`.
Only group chats are read (JIDs on `g.us`); one-to-one chats are counted in provenance.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

from casegraph.errors import InputError
from casegraph.ingest.records import ParsedChat, RosterEntry
from casegraph.ingest.whatsapp_db import (
    LATEST,
    NOT_ON_SOURCE,
    OWNER_LABEL,
    SQLITE_MAGIC,
    GroupBuilder,
    SchemaReader,
    as_text,
    from_unix_ms,
    hex_digest,
    message_id,
    open_readonly,
    register_device_database,
    require,
    tables,
)
from casegraph.model import ChatEvent, Message

# message_system.action_type (legacy: messages.media_size of status-6 rows) -> event type
ACTIONS = {1: "subject_changed", 4: "added", 5: "left", 6: "icon_changed", 7: "removed",
           10: "number_changed", 11: "created", 12: "added", 14: "removed",
           15: "admin_changed", 18: "security_code_changed", 19: "encryption_notice",
           20: "joined_via_link", 27: "description_changed", 67: "encryption_notice"}  # fmt: skip
# message.message_type (legacy: media_wa_type) -> message kind; 7 is a system row
KINDS = {0: "text", 1: "media", 2: "media", 3: "media", 4: "contact", 5: "location",
         8: "call", 9: "media", 10: "call", 13: "media", 15: "deleted", 16: "location",
         20: "media", 42: "view_once", 43: "view_once", 64: "deleted"}  # fmt: skip
MEDIA_KIND = {1: "image", 2: "audio", 3: "video", 9: "document", 13: "gif", 20: "sticker"}
CURRENT = {
    "jid": {"_id", "raw_string"},
    "chat": {"_id", "jid_row_id", "subject"},
    "message": {"_id", "chat_row_id", "from_me", "key_id", "sender_jid_row_id", "timestamp",
                "message_type", "text_data"},
}  # fmt: skip
LEGACY = {
    "chat_list": {"key_remote_jid", "subject"},
    "messages": {"_id", "key_remote_jid", "key_from_me", "key_id", "status", "data", "timestamp",
                 "media_wa_type", "media_size", "media_name", "media_hash", "remote_resource"},
}  # fmt: skip
KIND_NAME = "WhatsApp Android msgstore.db"


def parse_msgstore(path: Path, file_name: str) -> list[ParsedChat]:
    """One ParsedChat per group chat in the database, in JID order."""
    with open_readonly(path, file_name) as connection:
        found = tables(connection)
        if "message" in found and "jid" in found:
            require(found, CURRENT, file_name, KIND_NAME)
            return _Current(connection, found, file_name).read()
        if "messages" in found and "chat_list" in found:
            require(found, LEGACY, file_name, KIND_NAME)
            return _Legacy(connection, found, file_name).read()
        raise InputError(
            f"{file_name}: no message/jid (or messages/chat_list) tables; not a decrypted "
            f"{KIND_NAME}"
        )


def _optional(found: dict[str, set[str]], table: str, *columns: str) -> bool:
    return table in found and set(columns) <= found[table]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _media_flags(kind: str, digest: Any) -> tuple[str, ...]:
    flags = [NOT_ON_SOURCE, f"kind:{kind}"]
    hexed = hex_digest(digest)
    if hexed:
        flags.append(f"app_sha256:{hexed}")
    return tuple(flags)


def _reference(path: Any, name: Any, key_id: str, kind: str) -> str:
    for value in (path, name):
        if value:
            return str(value)
    return f"{kind}:{key_id}"  # not downloaded: the database keeps no file name


class _Current(SchemaReader):
    def __init__(
        self, connection: sqlite3.Connection, found: dict[str, set[str]], file_name: str
    ) -> None:
        super().__init__(connection, found, file_name)
        self.jids = dict(connection.execute("SELECT _id, raw_string FROM jid"))

    def jid(self, row_id: Any) -> str | None:
        return self.jids.get(row_id) if row_id is not None else None

    def read(self) -> list[ParsedChat]:
        groups: dict[int, GroupBuilder] = {}
        group_jid_rows: dict[int, int] = {}
        private = 0
        for chat_id, jid_row, subject in self.db.execute(
            "SELECT _id, jid_row_id, subject FROM chat ORDER BY _id"
        ):
            jid = self.jid(jid_row) or ""
            if not jid.endswith("@g.us"):
                private += 1
                continue
            groups[chat_id] = GroupBuilder(
                self.file_name, as_text(jid), as_text(subject), self.parties, "android-current"
            )
            group_jid_rows[chat_id] = jid_row
        self._messages(groups)
        self._roster(groups, group_jid_rows)
        return _finish(groups, private)

    def _side(self, table: str, columns: str) -> dict[int, tuple[Any, ...]]:
        if not _optional(self.found, table, "message_row_id", *columns.split(", ")):
            return {}
        rows = self.db.execute(f"SELECT message_row_id, {columns} FROM {table}")
        return {row[0]: row[1:] for row in rows}

    def _messages(self, groups: dict[int, GroupBuilder]) -> None:
        wanted = ("file_path", "media_name", "file_hash", "mime_type", "is_animated_sticker")
        media_columns = [c for c in wanted if c in self.found.get("message_media", set())]
        media = self._side("message_media", ", ".join(media_columns)) if media_columns else {}
        quoted = self._side("message_quoted", "key_id")
        actions = self._side("message_system", "action_type")
        old_values = self._side("message_system_value_change", "old_data")
        numbers = self._side("message_system_number_change", "old_jid_row_id, new_jid_row_id")
        targets: dict[int, list[int]] = defaultdict(list)
        if _optional(
            self.found, "message_system_chat_participant", "message_row_id", "user_jid_row_id"
        ):
            for system_row, user in self.db.execute(
                "SELECT message_row_id, user_jid_row_id FROM message_system_chat_participant "
                "ORDER BY _rowid_"
            ):
                targets[system_row].append(user)
        for row_id, chat_id, from_me, key_id, sender, stamp, type_, text in self.db.execute(
            "SELECT _id, chat_row_id, from_me, key_id, sender_jid_row_id, timestamp, "
            "message_type, text_data FROM message ORDER BY _id"
        ):
            group = groups.get(chat_id)
            if group is None:
                continue
            at = from_unix_ms(stamp)
            author = None if from_me else self.parties.resolve(self.jid(sender))
            if type_ == 7 or row_id in actions:
                action = actions.get(row_id, (None,))[0]
                listed = tuple(
                    t
                    for t in (self.parties.resolve(self.jid(u)) for u in targets.get(row_id, []))
                    if t
                )
                group.add(
                    at,
                    row_id,
                    self._event(
                        group,
                        action,
                        author,
                        bool(from_me),
                        listed,
                        text,
                        old_values.get(row_id),
                        numbers.get(row_id),
                    ),
                )
                continue
            kind = KINDS.get(type_, "text")
            flags: list[str] = [] if type_ in KINDS else [f"unknown_type:{type_}"]
            reference = None
            if type_ in MEDIA_KIND:
                info = dict(zip(media_columns, media.get(row_id, ()), strict=False))
                media_kind = MEDIA_KIND[type_]
                if media_kind == "sticker" and info.get("is_animated_sticker"):
                    media_kind = "animated_sticker"
                reference = _reference(
                    info.get("file_path"), info.get("media_name"), key_id, media_kind
                )
                flags.extend(_media_flags(media_kind, info.get("file_hash")))
            body = as_text(text)
            if kind == "text" and not body:
                kind = "empty"
            message = Message(
                0, LATEST, author, body, kind,
                author_label=OWNER_LABEL if from_me else as_text(self.jid(sender)),
                attachment=reference, native_id=message_id(key_id),
                reply_to=message_id((quoted.get(row_id) or (None,))[0]), flags=tuple(flags),
            )  # fmt: skip
            group.add(at, row_id, message)

    def _event(
        self,
        group: GroupBuilder,
        action: Any,
        author: str | None,
        from_me: bool,
        targets: tuple[str, ...],
        text: Any,
        old: tuple[Any, ...] | None,
        number: tuple[Any, ...] | None,
    ) -> ChatEvent:
        kind = ACTIONS.get(action, "unclassified") if action is not None else "unclassified"
        details: dict[str, Any] = {"action_type": action}
        if from_me:
            details["actor_is_device_owner"] = True
        if kind in ("left", "joined_via_link") and author is None and targets:
            author = targets[0]
        if kind in ("subject_changed", "created"):
            details.update({"old": old[0] if old else None, "new": text})
            group.subject_event(kind, old[0] if old else None, text)
        if kind == "number_changed" and number:
            details["old_jid"], details["new_jid"] = self.jid(number[0]), self.jid(number[1])
        return ChatEvent(0, LATEST, kind, author, targets, None, as_text(text), 0, details)

    def _roster(self, groups: dict[int, GroupBuilder], jid_rows: dict[int, int]) -> None:
        by_jid_row = {jid_rows[c]: g for c, g in groups.items()}
        if _optional(self.found, "group_participant_user", "group_jid_row_id", "user_jid_row_id"):
            rank = "rank" in self.found["group_participant_user"]
            for group_row, user, role in self.db.execute(
                "SELECT group_jid_row_id, user_jid_row_id, "
                + ("rank" if rank else "0")
                + " FROM group_participant_user ORDER BY _rowid_"
            ):
                group = by_jid_row.get(group_row)
                identifier = self.parties.resolve(self.jid(user))
                if group is not None and identifier is not None:
                    group.roster.append(
                        RosterEntry(
                            identifier,
                            ("member", "admin", "superadmin")[min(max(_int(role) or 0, 0), 2)],
                        )
                    )
        if _optional(
            self.found,
            "group_past_participant_user",
            "group_jid_row_id",
            "user_jid_row_id",
            "timestamp",
        ):
            for group_row, user, stamp in self.db.execute(
                "SELECT group_jid_row_id, user_jid_row_id, timestamp "
                "FROM group_past_participant_user ORDER BY _rowid_"
            ):
                group = by_jid_row.get(group_row)
                identifier = self.parties.resolve(self.jid(user))
                if group is not None and identifier is not None:
                    group.roster.append(RosterEntry(identifier, "past", until=from_unix_ms(stamp)))


class _Legacy(SchemaReader):
    def read(self) -> list[ParsedChat]:
        groups: dict[str, GroupBuilder] = {}
        private = 0
        for jid, subject in self.db.execute(
            "SELECT key_remote_jid, subject FROM chat_list ORDER BY _rowid_"
        ):
            if str(jid).endswith("@g.us"):
                groups[jid] = GroupBuilder(
                    self.file_name, as_text(jid), as_text(subject), self.parties, "android-legacy"
                )
            else:
                private += 1
        columns = self.found["messages"]
        caption = "media_caption" if "media_caption" in columns else "NULL"
        quoted_row = "quoted_row_id" if "quoted_row_id" in columns else "NULL"
        quotes: dict[int, str] = {}
        if _optional(self.found, "messages_quotes", "_id", "key_id"):
            quotes = dict(self.db.execute("SELECT _id, key_id FROM messages_quotes"))
        for row in self.db.execute(
            "SELECT _id, key_remote_jid, key_from_me, key_id, status, data, timestamp, "
            "media_wa_type, media_size, media_name, media_hash, remote_resource, "
            f"{caption}, {quoted_row} FROM messages ORDER BY _id"
        ):
            (
                row_id,
                jid,
                from_me,
                key_id,
                status,
                data,
                stamp,
                type_,
                size,
                name,
                digest,
                sender,
                cap,
                quote,
            ) = row
            type_, size = _int(type_), _int(size)  # media_wa_type is TEXT in these databases
            group = groups.get(jid)
            if group is None:
                continue
            at = from_unix_ms(stamp)
            author = None if from_me else self.parties.resolve(sender)
            if status == 6:  # a system row: the action code sits in media_size
                kind = ACTIONS.get(size or 0, "unclassified")
                details: dict[str, Any] = {"action_type": size}
                actor, targets = (
                    (author, ())
                    if kind in ("left", "joined_via_link", "created", "subject_changed")
                    else (None, (author,) if author else ())
                )
                if kind in ("created", "subject_changed"):
                    details["new"] = data
                    group.subject_event(kind, None, data)
                if from_me:
                    details["actor_is_device_owner"] = True
                group.add(
                    at,
                    row_id,
                    ChatEvent(0, LATEST, kind, actor, targets, None, as_text(data), 0, details),
                )
                continue
            type_ = -1 if type_ is None else type_
            kind_ = KINDS.get(type_, "text")
            flags: list[str] = [] if type_ in KINDS else [f"unknown_type:{type_}"]
            reference = None
            if type_ in MEDIA_KIND:
                reference = _reference(None, name, key_id, MEDIA_KIND[type_])
                flags.extend(_media_flags(MEDIA_KIND[type_], digest))
            body = as_text(cap if type_ in MEDIA_KIND else data)
            if kind_ == "text" and not body:
                kind_ = "empty"
            quoted = quotes.get(quote) if quote else None
            group.add(at, row_id, Message(
                0, LATEST, author, body, kind_,
                author_label=OWNER_LABEL if from_me else as_text(sender), attachment=reference,
                native_id=message_id(key_id), reply_to=message_id(quoted), flags=tuple(flags),
            ))  # fmt: skip
        if _optional(self.found, "group_participants", "gjid", "jid"):
            admin = "admin" in self.found["group_participants"]
            for gjid, jid, is_admin in self.db.execute(
                f"SELECT gjid, jid, {'admin' if admin else '0'} FROM group_participants "
                "ORDER BY _rowid_"
            ):
                group = groups.get(gjid)
                identifier = self.parties.resolve(jid) if jid else None
                if group is not None and identifier is not None:
                    group.roster.append(RosterEntry(identifier, "admin" if is_admin else "member"))
        return _finish(groups, private)


def _finish(groups: dict[Any, GroupBuilder], private: int) -> list[ParsedChat]:
    chats = []
    for group in sorted(groups.values(), key=lambda g: g.group_jid):
        parsed = group.parsed()
        parsed.provenance["private_chats_not_read"] = private
        chats.append(parsed)
    return chats


# ---- registration -----------------------------------------------------------------------


def sniff(file_name: str, head: bytes) -> bool:
    """A SQLite file named like msgstore, or whose first pages name its tables."""
    if not head.startswith(SQLITE_MAGIC):
        return False
    name = PurePosixPath(file_name).name.lower()
    return (
        name.startswith("msgstore")
        or (b"group_participant" in head and b"CREATE TABLE message" in head)
        or b"chat_list" in head
    )


def _member(names: list[str]) -> str | None:
    return next(
        (n for n in names if PurePosixPath(n).name.lower() in ("msgstore.db", "msgstore.sqlite")),
        None,
    )


register_device_database("whatsapp-android-db", parse_msgstore, sniff, _member, "msgstore.db")
