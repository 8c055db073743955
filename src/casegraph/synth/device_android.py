"""Synthetic WhatsApp Android `msgstore.db` files, current (2022 on) or pre-2022 schema.

The tables and columns are the ones the forensic tools read (ALEAPP, IPED; see
docs/device-databases.md), trimmed to what casegraph reads plus a few
neighbours so the parser is not tested against a schema made to fit it exactly.
"""

from __future__ import annotations

import sqlite3
from datetime import tzinfo
from pathlib import Path

from casegraph.synth.device_rows import (
    DeviceRow,
    device_rows,
    group_jid,
    jid,
    media_digest,
    one_target_each,
)
from casegraph.synth.records import ChatPlan, Entry

CURRENT_DDL = """
CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL,
  agent INTEGER, device INTEGER, type INTEGER, raw_string TEXT);
CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE, hidden INTEGER,
  subject TEXT, created_timestamp INTEGER, display_message_row_id INTEGER,
  last_message_row_id INTEGER, sort_timestamp INTEGER, group_type INTEGER);
CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL,
  from_me INTEGER NOT NULL, key_id TEXT NOT NULL, sender_jid_row_id INTEGER, status INTEGER,
  broadcast INTEGER, recipient_count INTEGER, participant_hash TEXT, origination_flags INTEGER,
  origin INTEGER, timestamp INTEGER, received_timestamp INTEGER,
  receipt_server_timestamp INTEGER, message_type INTEGER, text_data TEXT, starred INTEGER,
  lookup_tables INTEGER, sort_id INTEGER NOT NULL DEFAULT 0, message_add_on_flags INTEGER);
CREATE TABLE message_media (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER,
  transferred INTEGER, file_path TEXT, file_size INTEGER, media_key BLOB, width INTEGER,
  height INTEGER, direct_path TEXT, message_url TEXT, mime_type TEXT, file_length INTEGER,
  media_name TEXT, file_hash TEXT, media_duration INTEGER, enc_file_hash TEXT,
  is_animated_sticker INTEGER, media_caption TEXT);
CREATE TABLE message_quoted (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER,
  parent_message_chat_row_id INTEGER, from_me INTEGER, sender_jid_row_id INTEGER, key_id TEXT,
  timestamp INTEGER, message_type INTEGER, origin INTEGER, text_data TEXT);
CREATE TABLE message_system (message_row_id INTEGER PRIMARY KEY, action_type INTEGER NOT NULL);
CREATE TABLE message_system_chat_participant (message_row_id INTEGER, user_jid_row_id INTEGER);
CREATE TABLE message_system_value_change (message_row_id INTEGER PRIMARY KEY, old_data TEXT);
CREATE TABLE message_system_number_change (message_row_id INTEGER PRIMARY KEY,
  old_jid_row_id INTEGER, new_jid_row_id INTEGER);
CREATE TABLE group_participant_user (_id INTEGER PRIMARY KEY AUTOINCREMENT,
  group_jid_row_id INTEGER NOT NULL, user_jid_row_id INTEGER NOT NULL, rank INTEGER NOT NULL,
  pending INTEGER NOT NULL);
CREATE TABLE group_past_participant_user (_id INTEGER PRIMARY KEY AUTOINCREMENT,
  group_jid_row_id INTEGER NOT NULL, user_jid_row_id INTEGER NOT NULL, is_leave INTEGER NOT NULL,
  timestamp INTEGER NOT NULL);
CREATE TABLE props (_id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, value TEXT);
"""
LEGACY_DDL = """
CREATE TABLE chat_list (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT UNIQUE,
  message_table_id INTEGER, subject TEXT, creation INTEGER, last_read_message_table_id INTEGER,
  archived INTEGER, sort_timestamp INTEGER);
CREATE TABLE messages (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT NOT NULL,
  key_from_me INTEGER, key_id TEXT NOT NULL, status INTEGER, needs_push INTEGER, data TEXT,
  timestamp INTEGER, media_url TEXT, media_mime_type TEXT, media_wa_type TEXT,
  media_size INTEGER, media_name TEXT, media_caption TEXT, media_hash TEXT,
  media_duration INTEGER, origin INTEGER, latitude REAL, longitude REAL, thumb_image TEXT,
  remote_resource TEXT, received_timestamp INTEGER, send_timestamp INTEGER, raw_data BLOB,
  recipient_count INTEGER, starred INTEGER, quoted_row_id INTEGER, media_enc_hash TEXT,
  forwarded INTEGER);
CREATE TABLE messages_quotes (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT,
  key_from_me INTEGER, key_id TEXT, status INTEGER, data TEXT, timestamp INTEGER,
  media_wa_type TEXT, remote_resource TEXT);
CREATE TABLE group_participants (_id INTEGER PRIMARY KEY AUTOINCREMENT, gjid TEXT NOT NULL,
  jid TEXT NOT NULL, admin INTEGER, pending INTEGER, sent_sender_key INTEGER);
"""
ACTION = {"created": 11, "added": 12, "joined_via_link": 20, "left": 5, "removed": 14,
          "subject_changed": 1, "icon_changed": 6, "number_changed": 10,
          "encryption_notice": 67}  # fmt: skip
MESSAGE_TYPE = {"text": 0, "deleted": 15, "view_once": 42, "media_omitted": 1}
MEDIA_TYPE = {"image": 1, "video": 3, "sticker": 20, "animated_sticker": 20}
FOLDER = {1: "WhatsApp Images", 3: "WhatsApp Video", 20: "WhatsApp Stickers"}
EXT = {1: "jpg", 3: "mp4", 20: "webp"}


def _ms(row: DeviceRow) -> int:
    return int(row.at.timestamp() * 1000)


def _type(entry: Entry) -> int:
    if entry.kind == "media" and entry.media is not None:
        return MEDIA_TYPE[entry.media.kind]
    return MESSAGE_TYPE[entry.kind]


def _media_path(row: DeviceRow, type_: int, n: int) -> str:
    day = row.at.strftime("%Y%m%d")
    prefix = {20: "STK", 1: "IMG"}.get(type_, "VID")
    return f"Media/{FOLDER[type_]}/{prefix}-{day}-WA{n:04d}.{EXT[type_]}"


def write_msgstore(
    path: Path, plans: list[ChatPlan], owner: str, zone: tzinfo, legacy: bool = False
) -> Path:
    """A decrypted msgstore.db holding `plans` as the phone of `owner` saw them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        if legacy:
            db.executescript(LEGACY_DDL)
            for plan in plans:
                _legacy_chat(db, plan, owner, zone)
        else:
            db.executescript(CURRENT_DDL)
            writer = _Current(db)
            for plan in plans:
                writer.chat(plan, owner, zone)
    return path


class _Current:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.jids: dict[str, int] = {}
        self.keys: dict[str, tuple[int, DeviceRow]] = {}

    def jid_row(self, raw: str) -> int:
        if raw not in self.jids:
            user, _, server = raw.partition("@")
            self.jids[raw] = int(
                self.db.execute(
                    "INSERT INTO jid (user, server, agent, device, type, raw_string) "
                    "VALUES (?, ?, 0, 0, ?, ?)",
                    (user, server, 1 if server == "g.us" else 0, raw),
                ).lastrowid
                or 0
            )
        return self.jids[raw]

    def chat(self, plan: ChatPlan, owner: str, zone: tzinfo) -> None:
        group = self.jid_row(group_jid(plan, zone))
        rows = device_rows(plan, owner, zone)
        created = _ms(rows[0]) if rows else 0
        chat_id = self.db.execute(
            "INSERT INTO chat (jid_row_id, hidden, subject, created_timestamp, sort_timestamp, "
            "group_type) VALUES (?, 0, ?, ?, ?, 0)",
            (group, plan.title, created, _ms(rows[-1]) if rows else 0),
        ).lastrowid
        media_numbers = 0
        for sort, row in enumerate(rows, start=1):
            entry = row.entry
            sender = None if row.from_me or not entry.author else self.jid_row(jid(entry.author))
            type_ = 7 if entry.kind == "event" else _type(entry)
            text = entry.text if entry.kind == "text" else None
            if entry.event in ("created", "subject_changed"):
                text = entry.new or plan.first_title()
            message_id = self.db.execute(
                "INSERT INTO message (chat_row_id, from_me, key_id, sender_jid_row_id, status, "
                "timestamp, received_timestamp, message_type, text_data, sort_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (chat_id, int(row.from_me), row.key, sender, 6 if type_ == 7 else 13,
                 _ms(row), _ms(row) + 900, type_, text, sort),
            ).lastrowid  # fmt: skip
            if entry.kind == "event":
                self._system(message_id, entry)
            elif entry.kind == "media" and entry.media is not None:
                media_numbers += 1
                self.db.execute(
                    "INSERT INTO message_media (message_row_id, chat_row_id, transferred, "
                    "file_path, file_size, mime_type, file_length, file_hash, "
                    "is_animated_sticker) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)",
                    (message_id, chat_id, _media_path(row, type_, media_numbers),
                     len(entry.media.data), _mime(entry.media.ext), len(entry.media.data),
                     media_digest(entry.media), int(entry.media.kind == "animated_sticker")),
                )  # fmt: skip
            if row.reply_to is not None:
                _quoted_id, quoted = self.keys[row.reply_to]
                self.db.execute(
                    "INSERT INTO message_quoted (message_row_id, chat_row_id, from_me, "
                    "sender_jid_row_id, key_id, timestamp, message_type, text_data) "
                    "VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                    (message_id, chat_id, int(quoted.from_me), None, quoted.key, _ms(quoted),
                     quoted.entry.text),
                )  # fmt: skip
            self.keys[row.key] = (int(message_id or 0), row)
        self._roster(group, plan, owner, zone)

    def _system(self, message_id: int | None, entry: Entry) -> None:
        self.db.execute(
            "INSERT INTO message_system (message_row_id, action_type) VALUES (?, ?)",
            (message_id, ACTION.get(entry.event, 0)),
        )
        for target in entry.targets:
            self.db.execute(
                "INSERT INTO message_system_chat_participant (message_row_id, user_jid_row_id) "
                "VALUES (?, ?)",
                (message_id, self.jid_row(jid(target))),
            )
        if entry.event == "subject_changed":
            self.db.execute(
                "INSERT INTO message_system_value_change (message_row_id, old_data) VALUES (?, ?)",
                (message_id, entry.old),
            )
        if entry.event == "number_changed":
            self.db.execute(
                "INSERT INTO message_system_number_change VALUES (?, ?, ?)",
                (message_id, self.jid_row(jid(entry.old)), self.jid_row(jid(entry.new))),
            )

    def _roster(self, group: int, plan: ChatPlan, owner: str, zone: tzinfo) -> None:
        present, gone = _membership(plan, zone)
        for identifier in sorted(present - {owner}):
            rank = 2 if identifier == plan.creator else 0
            self.db.execute(
                "INSERT INTO group_participant_user (group_jid_row_id, user_jid_row_id, rank, "
                "pending) VALUES (?, ?, ?, 0)",
                (group, self.jid_row(jid(identifier)), rank),
            )
        for identifier, left_ms in sorted(gone.items()):
            self.db.execute(
                "INSERT INTO group_past_participant_user (group_jid_row_id, user_jid_row_id, "
                "is_leave, timestamp) VALUES (?, ?, 1, ?)",
                (group, self.jid_row(jid(identifier)), left_ms),
            )


def _membership(plan: ChatPlan, zone: tzinfo) -> tuple[set[str], dict[str, int]]:
    """Members at the end of the plan, and those gone (with when, in ms) from its events."""
    present: set[str] = set()
    gone: dict[str, int] = {}
    for entry in plan.entries:
        if entry.kind != "event":
            continue
        at = int(entry.at.replace(tzinfo=zone).timestamp() * 1000)
        joined: list[str | None] = []
        if entry.event in ("created", "joined_via_link"):
            joined = [entry.author]
        elif entry.event == "added":
            joined = list(entry.targets)
        for who in joined:
            if who:
                present.add(who)
                gone.pop(who, None)
        left = (
            [entry.author]
            if entry.event == "left"
            else list(entry.targets)
            if entry.event == "removed"
            else []
        )
        for who in left:
            if who:
                present.discard(who)
                gone[who] = at
    return present, gone


def _mime(ext: str) -> str:
    return {"jpg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4"}.get(ext, "")


def _legacy_chat(db: sqlite3.Connection, plan: ChatPlan, owner: str, zone: tzinfo) -> None:
    group = group_jid(plan, zone)
    rows = one_target_each(device_rows(plan, owner, zone))
    db.execute(
        "INSERT INTO chat_list (key_remote_jid, subject, creation, sort_timestamp) "
        "VALUES (?, ?, ?, ?)",
        (group, plan.title, _ms(rows[0]) if rows else 0, _ms(rows[-1]) if rows else 0),
    )
    media_numbers = 0
    for row in rows:
        entry = row.entry
        sender = jid(entry.author) if entry.author and not row.from_me else None
        quoted_row = None
        if row.reply_to is not None:
            quoted_row = db.execute(
                "INSERT INTO messages_quotes (key_remote_jid, key_from_me, key_id, status, data, "
                "media_wa_type) VALUES (?, 0, ?, 0, '', '0')",
                (group, row.reply_to),
            ).lastrowid
        if entry.kind == "event":
            target = entry.targets[0] if entry.targets else entry.author
            data = (
                entry.new or plan.first_title()
                if entry.event in ("created", "subject_changed")
                else None
            )
            db.execute(
                "INSERT INTO messages (key_remote_jid, key_from_me, key_id, status, data, "
                "timestamp, media_wa_type, media_size, remote_resource) "
                "VALUES (?, ?, ?, 6, ?, ?, '0', ?, ?)",
                (group, int(row.from_me), row.key, data, _ms(row), ACTION.get(entry.event, 0),
                 jid(target) if target else None),
            )  # fmt: skip
            continue
        type_ = _type(entry)
        name = digest = caption = None
        if entry.kind == "media" and entry.media is not None:
            media_numbers += 1
            name = _media_path(row, type_, media_numbers).rsplit("/", 1)[1]
            digest = media_digest(entry.media)
        db.execute(
            "INSERT INTO messages (key_remote_jid, key_from_me, key_id, status, data, timestamp, "
            "media_wa_type, media_size, media_name, media_caption, media_hash, remote_resource, "
            "quoted_row_id) VALUES (?, ?, ?, 13, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
            (group, int(row.from_me), row.key, entry.text if entry.kind == "text" else None,
             _ms(row), str(type_), name, caption, digest, sender, quoted_row),
        )  # fmt: skip
    present, _gone = _membership(plan, zone)
    for identifier in sorted(present - {owner}):
        db.execute(
            "INSERT INTO group_participants (gjid, jid, admin, pending) VALUES (?, ?, ?, 0)",
            (group, jid(identifier), int(identifier == plan.creator)),
        )
