"""WhatsApp iOS `ChatStorage.sqlite` (Core Data): groups, members, messages, events, media.

Tables read (docs/device-databases.md): ZWACHATSESSION (ZSESSIONTYPE 1 =
group, ZCONTACTJID the group JID, ZPARTNERNAME the subject), ZWAGROUPINFO (creator, creation
date), ZWAGROUPMEMBER (ZMEMBERJID, ZCONTACTNAME / ZFIRSTNAME, ZISADMIN, ZISACTIVE),
ZWAMESSAGE (ZMESSAGETYPE, ZGROUPEVENTTYPE, ZMESSAGEDATE in Core Data seconds, ZGROUPMEMBER the
author or the member an event concerns, ZSTANZAID, ZTEXT), ZWAMEDIAITEM (ZMEDIALOCALPATH,
ZVCARDNAME = base64 SHA-256 of the file for media, ZTITLE caption, ZMETADATA protobuf whose
field 5 is the quoted message's stanza id), ZWAPROFILEPUSHNAME (JID -> push name).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path, PurePosixPath
from typing import Any

from casegraph.ingest.records import ParsedChat, RosterEntry
from casegraph.ingest.whatsapp_db import (
    LATEST,
    NOT_ON_SOURCE,
    OWNER_LABEL,
    SQLITE_MAGIC,
    GroupBuilder,
    SchemaReader,
    as_text,
    from_cocoa,
    hex_digest,
    message_id,
    open_readonly,
    register_device_database,
    require,
    tables,
)
from casegraph.model import ChatEvent, Message

# ZMESSAGETYPE -> message kind; 6 is a group event, 10 a call or notice (ZGROUPEVENTTYPE)
KINDS = {0: "text", 1: "media", 2: "media", 3: "media", 4: "contact", 5: "location",
         7: "text", 8: "media", 11: "media", 14: "deleted", 15: "media", 38: "view_once",
         39: "view_once"}  # fmt: skip
MEDIA_KIND = {1: "image", 2: "video", 3: "audio", 8: "document", 11: "gif", 15: "sticker"}
GROUP_EVENTS = {1: "subject_changed", 2: "added", 3: "left", 4: "icon_changed",
                5: "icon_changed", 7: "removed", 9: "number_changed", 10: "admin_changed",
                11: "admin_changed", 12: "created", 15: "joined_via_link",
                17: "description_changed", 22: "description_changed", 23: "joined_via_link",
                26: "disappearing_messages", 50: "added", 56: "subject_changed"}  # fmt: skip
NOTICES = {2: "encryption_notice", 1: "call", 4: "call", 21: "call", 22: "call", 45: "call",
           46: "call", 3: "security_code_changed", 36: "security_code_changed",
           5: "number_changed", 6: "number_changed"}  # fmt: skip
NEEDED = {
    "ZWACHATSESSION": {"Z_PK", "ZCONTACTJID", "ZPARTNERNAME", "ZSESSIONTYPE"},
    "ZWAMESSAGE": {"Z_PK", "ZCHATSESSION", "ZISFROMME", "ZMESSAGETYPE", "ZGROUPEVENTTYPE",
                   "ZMESSAGEDATE", "ZTEXT", "ZGROUPMEMBER", "ZFROMJID"},
    "ZWAGROUPMEMBER": {"Z_PK", "ZCHATSESSION", "ZMEMBERJID"},
}  # fmt: skip
KIND_NAME = "WhatsApp iOS ChatStorage.sqlite"


def parse_chatstorage(path: Path, file_name: str) -> list[ParsedChat]:
    """One ParsedChat per group session in the database, in JID order."""
    with open_readonly(path, file_name) as connection:
        found = tables(connection)
        require(found, NEEDED, file_name, KIND_NAME)
        return _Reader(connection, found, file_name).read()


def _column(found: dict[str, set[str]], table: str, column: str) -> str:
    return column if column in found.get(table, set()) else "NULL"


def quoted_stanza(metadata: Any) -> str | None:
    """Field 5 (the quoted message's stanza id) of ZMETADATA's top-level protobuf message."""
    if not isinstance(metadata, bytes):
        return None
    position = 0
    try:
        while position < len(metadata):
            key, position = _varint(metadata, position)
            field, wire = key >> 3, key & 7
            if wire == 0:
                _, position = _varint(metadata, position)
            elif wire == 1:
                position += 8
            elif wire == 5:
                position += 4
            elif wire == 2:
                length, position = _varint(metadata, position)
                value = metadata[position : position + length]
                position += length
                if field == 5 and len(value) == length:
                    return value.decode("utf-8", "replace")
            else:
                return None
    except IndexError:
        return None
    return None


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80 or shift > 63:
            return result, position
        shift += 7


class _Reader(SchemaReader):
    def __init__(
        self, connection: sqlite3.Connection, found: dict[str, set[str]], file_name: str
    ) -> None:
        super().__init__(connection, found, file_name)
        self.push: dict[str, str] = {}
        if {"ZJID", "ZPUSHNAME"} <= found.get("ZWAPROFILEPUSHNAME", set()):
            self.push = {
                j: n
                for j, n in connection.execute("SELECT ZJID, ZPUSHNAME FROM ZWAPROFILEPUSHNAME")
                if j and n
            }
        self.members: dict[int, tuple[str, str | None]] = {}  # Z_PK -> (jid, name)

    def party(self, jid: str | None, name: str | None = None) -> str | None:
        return self.parties.resolve(jid, name or (self.push.get(jid) if jid else None))

    def read(self) -> list[ParsedChat]:
        groups: dict[int, GroupBuilder] = {}
        private = 0
        for pk, jid, subject, session_type in self.db.execute(
            "SELECT Z_PK, ZCONTACTJID, ZPARTNERNAME, ZSESSIONTYPE FROM ZWACHATSESSION ORDER BY Z_PK"
        ):
            if session_type == 1 or str(jid or "").endswith("@g.us"):
                groups[pk] = GroupBuilder(
                    self.file_name,
                    as_text(jid) or f"session:{pk}",
                    as_text(subject),
                    self.parties,
                    "ios",
                )
            else:
                private += 1
        self._members(groups)
        self._messages(groups)
        chats = []
        for group in sorted(groups.values(), key=lambda g: g.group_jid):
            parsed = group.parsed()
            parsed.provenance["private_chats_not_read"] = private
            chats.append(parsed)
        return chats

    def _members(self, groups: dict[int, GroupBuilder]) -> None:
        table = "ZWAGROUPMEMBER"
        name = _column(self.found, table, "ZCONTACTNAME")
        first = _column(self.found, table, "ZFIRSTNAME")
        admin = _column(self.found, table, "ZISADMIN")
        active = _column(self.found, table, "ZISACTIVE")
        for pk, session, jid, contact, first_name, is_admin, is_active in self.db.execute(
            f"SELECT Z_PK, ZCHATSESSION, ZMEMBERJID, {name}, {first}, {admin}, {active} "
            f"FROM {table} ORDER BY Z_PK"
        ):
            shown = contact or first_name
            self.members[pk] = (jid, shown)
            identifier = self.party(jid, shown)
            group = groups.get(session)
            if group is not None and identifier is not None:
                role = "past" if is_active == 0 else ("admin" if is_admin else "member")
                group.roster.append(RosterEntry(identifier, role))

    def _messages(self, groups: dict[int, GroupBuilder]) -> None:
        item = "ZWAMEDIAITEM"
        media_columns = ("ZMEDIALOCALPATH", "ZVCARDNAME", "ZTITLE", "ZMETADATA")
        media: dict[int, tuple[Any, ...]] = {}
        if item in self.found and "ZMESSAGE" in self.found[item]:
            select = ", ".join(_column(self.found, item, c) for c in media_columns)
            media = {
                row[0]: row[1:] for row in self.db.execute(f"SELECT ZMESSAGE, {select} FROM {item}")
            }
        stanza = _column(self.found, "ZWAMESSAGE", "ZSTANZAID")
        order = "ZSORT" if "ZSORT" in self.found["ZWAMESSAGE"] else "Z_PK"
        for (
            pk,
            session,
            from_me,
            type_,
            event_type,
            stamp,
            text,
            member,
            stanza_id,
        ) in self.db.execute(
            "SELECT Z_PK, ZCHATSESSION, ZISFROMME, ZMESSAGETYPE, ZGROUPEVENTTYPE, ZMESSAGEDATE, "
            f"ZTEXT, ZGROUPMEMBER, {stanza} FROM ZWAMESSAGE ORDER BY {order}, Z_PK"
        ):
            group = groups.get(session)
            if group is None:
                continue
            at = from_cocoa(stamp)
            jid, shown = self.members.get(member, (None, None)) if member else (None, None)
            concerned = self.party(jid, shown)  # an event's member even when the owner acted
            author = None if from_me else concerned
            if type_ in (6, 10):
                group.add(
                    at, pk, self._event(group, type_, event_type, concerned, bool(from_me), text)
                )
                continue
            kind = KINDS.get(type_, "text")
            flags: list[str] = [] if type_ in KINDS else [f"unknown_type:{type_}"]
            path, digest, caption, metadata = media.get(pk, (None, None, None, None))
            reference = None
            body = as_text(text)
            if type_ in MEDIA_KIND:
                media_kind = MEDIA_KIND[type_]
                reference = str(path) if path else f"{media_kind}:{stanza_id or pk}"
                flags += [NOT_ON_SOURCE, f"kind:{media_kind}"]
                hexed = hex_digest(digest)
                if hexed:
                    flags.append(f"app_sha256:{hexed}")
                body = as_text(caption) or body
            if kind == "text" and not body:
                kind = "empty"
            label = OWNER_LABEL if from_me else as_text(shown or jid)
            group.add(at, pk, Message(
                0, LATEST, author, body, kind, author_label=label, attachment=reference,
                native_id=message_id(stanza_id), reply_to=message_id(quoted_stanza(metadata)),
                flags=tuple(flags),
            ))  # fmt: skip

    def _event(
        self,
        group: GroupBuilder,
        type_: int,
        code: Any,
        concerned: str | None,
        from_me: bool,
        text: Any,
    ) -> ChatEvent:
        table = GROUP_EVENTS if type_ == 6 else NOTICES
        kind = table.get(code, "unclassified")
        details: dict[str, Any] = {"message_type": type_, "group_event_type": code}
        actor: str | None = None
        targets: tuple[str, ...] = ()
        if from_me:
            details["actor_is_device_owner"] = True
        if kind in ("added", "removed", "admin_changed"):
            targets = (concerned,) if concerned else ()
            actor = self.party(text) if kind == "removed" and text and "@" in str(text) else None
        else:
            actor = concerned
        if kind in ("subject_changed", "created") and type_ == 6:
            old, new = None, text
            if code == 56 and text:
                try:
                    data = json.loads(text)
                    old, new = data.get("previous_subject"), data.get("new_subject")
                except (ValueError, AttributeError):
                    pass
            details.update({"old": old, "new": new})
            group.subject_event(kind, old, new)
        return ChatEvent(0, LATEST, kind, actor, targets, None, as_text(text), 0, details)


# ---- registration -----------------------------------------------------------------------


def sniff(file_name: str, head: bytes) -> bool:
    """A SQLite file named ChatStorage, or whose first pages name WhatsApp's Core Data tables."""
    if not head.startswith(SQLITE_MAGIC):
        return False
    return PurePosixPath(file_name).name.lower().startswith("chatstorage") or b"ZWAMESSAGE" in head


def _member(names: list[str]) -> str | None:
    return next((n for n in names if PurePosixPath(n).name == "ChatStorage.sqlite"), None)


register_device_database("whatsapp-ios-db", parse_chatstorage, sniff, _member, "ChatStorage.sqlite")
