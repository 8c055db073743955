"""Synthetic WhatsApp iOS `ChatStorage.sqlite` files (Core Data tables, Z-prefixed columns).

Tables and columns as the forensic tools read them (iLEAPP, IPED; see
docs/device-databases.md), trimmed to what casegraph reads plus a few
neighbours.
"""

from __future__ import annotations

import sqlite3
from datetime import tzinfo
from pathlib import Path

from casegraph.synth.device_rows import (
    device_rows,
    group_jid,
    is_phone_label,
    jid,
    media_digest,
    one_target_each,
)
from casegraph.synth.records import ChatPlan

DDL = """
CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZARCHIVED INTEGER, ZHIDDEN INTEGER, ZMESSAGECOUNTER INTEGER, ZREMOVED INTEGER,
  ZSESSIONTYPE INTEGER, ZUNREADCOUNT INTEGER, ZGROUPINFO INTEGER, ZLASTMESSAGE INTEGER,
  ZLASTMESSAGEDATE TIMESTAMP, ZCONTACTIDENTIFIER VARCHAR, ZCONTACTJID VARCHAR,
  ZLASTMESSAGETEXT VARCHAR, ZPARTNERNAME VARCHAR);
CREATE TABLE ZWAGROUPINFO (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZSTATE INTEGER, ZCHATSESSION INTEGER, ZCREATIONDATE TIMESTAMP, ZSUBJECTTIMESTAMP TIMESTAMP,
  ZCREATORJID VARCHAR, ZOWNERJID VARCHAR, ZSUBJECTOWNERJID VARCHAR);
CREATE TABLE ZWAGROUPMEMBER (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZISACTIVE INTEGER, ZISADMIN INTEGER, ZCHATSESSION INTEGER, ZCONTACTIDENTIFIER VARCHAR,
  ZCONTACTNAME VARCHAR, ZFIRSTNAME VARCHAR, ZMEMBERJID VARCHAR);
CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZFLAGS INTEGER, ZGROUPEVENTTYPE INTEGER, ZISFROMME INTEGER, ZMESSAGESTATUS INTEGER,
  ZMESSAGETYPE INTEGER, ZSORT INTEGER, ZSTARRED INTEGER, ZCHATSESSION INTEGER,
  ZGROUPMEMBER INTEGER, ZMEDIAITEM INTEGER, ZMESSAGEINFO INTEGER, ZPARENTMESSAGE INTEGER,
  ZMESSAGEDATE TIMESTAMP, ZSENTDATE TIMESTAMP, ZFROMJID VARCHAR, ZPUSHNAME VARCHAR,
  ZSTANZAID VARCHAR, ZTEXT VARCHAR, ZTOJID VARCHAR);
CREATE TABLE ZWAMEDIAITEM (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZFILESIZE INTEGER, ZMOVIEDURATION INTEGER, ZMESSAGE INTEGER, ZLATITUDE FLOAT,
  ZLONGITUDE FLOAT, ZMEDIALOCALPATH VARCHAR, ZMEDIAURL VARCHAR, ZTHUMBNAILLOCALPATH VARCHAR,
  ZTITLE VARCHAR, ZVCARDNAME VARCHAR, ZVCARDSTRING VARCHAR, ZXMPPTHUMBPATH VARCHAR,
  ZMEDIAKEY BLOB, ZMETADATA BLOB);
CREATE TABLE ZWAPROFILEPUSHNAME (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZJID VARCHAR, ZPUSHNAME VARCHAR);
"""
COCOA = 978307200
# (ZMESSAGETYPE, ZGROUPEVENTTYPE) per planned event
EVENT = {"created": (6, 12), "added": (6, 2), "joined_via_link": (6, 15), "left": (6, 3),
         "removed": (6, 7), "subject_changed": (6, 1), "icon_changed": (6, 4),
         "number_changed": (10, 5), "encryption_notice": (10, 2)}  # fmt: skip
MESSAGE_TYPE = {"text": 0, "deleted": 14, "view_once": 38, "media_omitted": 1}
MEDIA_TYPE = {"image": 1, "video": 2, "sticker": 15, "animated_sticker": 15}
MIME = {"jpg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4"}


def quote_metadata(stanza: str, sender: str | None) -> bytes:
    """ZMETADATA's protobuf: field 5 the quoted stanza id, field 6 its sender's JID."""
    out = b""
    for field, value in ((5, stanza), (6, sender)):
        if value:
            data = value.encode()
            out += bytes([field << 3 | 2, len(data)]) + data
    return out


def write_chatstorage(path: Path, plans: list[ChatPlan], owner: str, zone: tzinfo) -> Path:
    """A ChatStorage.sqlite holding `plans` as the iPhone of `owner` saw them; members are
    shown by the contact names the plan's labels give (iOS keeps the address-book name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(DDL)
        for plan in plans:
            _chat(db, plan, owner, zone)
    return path


def _chat(db: sqlite3.Connection, plan: ChatPlan, owner: str, zone: tzinfo) -> None:
    rows = one_target_each(device_rows(plan, owner, zone))
    session = db.execute(
        "INSERT INTO ZWACHATSESSION (ZSESSIONTYPE, ZCONTACTJID, ZPARTNERNAME, ZLASTMESSAGEDATE, "
        "ZREMOVED) VALUES (1, ?, ?, ?, 0)",
        (group_jid(plan, zone), plan.title, rows[-1].at.timestamp() - COCOA if rows else 0),
    ).lastrowid
    members: dict[str, int] = {}

    def member(identifier: str) -> int:
        if identifier not in members:
            shown = plan.labels.get(identifier, "")
            name = shown if shown and not is_phone_label(shown) else None
            members[identifier] = int(
                db.execute(
                    "INSERT INTO ZWAGROUPMEMBER (ZCHATSESSION, ZMEMBERJID, ZCONTACTNAME, "
                    "ZISADMIN, ZISACTIVE) VALUES (?, ?, ?, ?, 1)",
                    (session, jid(identifier), name, int(identifier == plan.creator)),
                ).lastrowid
                or 0
            )
        return members[identifier]

    senders: dict[str, str | None] = {}
    for sort, row in enumerate(rows, start=1):
        entry = row.entry
        event_type = None
        concerned: str | None = entry.author
        text = entry.text if entry.kind == "text" else None
        if entry.kind == "event":
            type_, event_type = EVENT.get(entry.event, (6, 0))
            if entry.event in ("added", "removed"):
                concerned = entry.targets[0] if entry.targets else None
                text = jid(entry.author) if entry.event == "removed" and entry.author else None
            if entry.event in ("created", "subject_changed"):
                text = entry.new or plan.first_title()
        elif entry.kind == "media" and entry.media is not None:
            type_ = MEDIA_TYPE[entry.media.kind]
        else:
            type_ = MESSAGE_TYPE[entry.kind]
        from_me = row.from_me or (entry.kind == "event" and entry.author == owner)
        group_member = member(concerned) if concerned and concerned != owner else None
        pk = db.execute(
            "INSERT INTO ZWAMESSAGE (ZCHATSESSION, ZISFROMME, ZMESSAGETYPE, ZGROUPEVENTTYPE, "
            "ZMESSAGEDATE, ZSENTDATE, ZTEXT, ZGROUPMEMBER, ZFROMJID, ZSTANZAID, ZSORT, "
            "ZMESSAGESTATUS) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 8)",
            (session, int(from_me), type_, event_type, row.at.timestamp() - COCOA,
             row.at.timestamp() - COCOA, text, group_member, group_jid(plan, zone), row.key, sort),
        ).lastrowid  # fmt: skip
        senders[row.key] = None if row.from_me else (jid(entry.author) if entry.author else None)
        media = entry.media if entry.kind == "media" else None
        metadata = quote_metadata(row.reply_to, senders.get(row.reply_to)) if row.reply_to else None
        if media is not None or metadata is not None:
            local = (
                f"Media/{group_jid(plan, zone)}/{row.key[0]}/{row.key}.{media.ext}"
                if media
                else None
            )
            item = db.execute(
                "INSERT INTO ZWAMEDIAITEM (ZMESSAGE, ZMEDIALOCALPATH, ZVCARDNAME, ZVCARDSTRING, "
                "ZFILESIZE, ZMETADATA) VALUES (?, ?, ?, ?, ?, ?)",
                (pk,
                 local,
                 media_digest(media) if media else None, MIME.get(media.ext, "") if media else None,
                 len(media.data) if media else None, metadata),
            ).lastrowid  # fmt: skip
            db.execute("UPDATE ZWAMESSAGE SET ZMEDIAITEM = ? WHERE Z_PK = ?", (item, pk))
    for identifier in plan.members:
        if identifier != owner:
            member(identifier)
        shown = plan.labels.get(identifier, "")
        if shown and not is_phone_label(shown):
            db.execute(
                "INSERT INTO ZWAPROFILEPUSHNAME (ZJID, ZPUSHNAME) VALUES (?, ?)",
                (jid(identifier), shown.split(" ")[0]),
            )
