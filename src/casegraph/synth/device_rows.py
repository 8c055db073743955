"""A planned chat as a seized phone holds it: absolute times, message ids, replies, digests.

Both device-database writers (`device_android.py`, `device_ios.py`) render these rows; the
rows are a pure function of the plan, so the databases are deterministic.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from casegraph.synth.records import ChatPlan, Entry, MediaItem

REPLY_EVERY = 7  # every seventh text message quotes the text message before it


@dataclass(slots=True)
class DeviceRow:
    at: datetime  # aware UTC
    entry: Entry
    key: str  # the platform message id (Android key_id, iOS stanza id)
    from_me: bool
    reply_to: str | None = None


def jid(identifier: str) -> str:
    """`+34600111222` -> `34600111222@s.whatsapp.net`."""
    return identifier.lstrip("+") + "@s.whatsapp.net"


def group_jid(plan: ChatPlan, zone: tzinfo) -> str:
    """Creator's number and creation second, as WhatsApp names groups."""
    created = plan.created_at or (plan.entries[0].at if plan.entries else datetime(2020, 1, 1))
    stamp = int(created.replace(tzinfo=zone).timestamp())
    creator = (plan.creator or "+0").lstrip("+")
    return f"{creator}-{stamp}@g.us"


def media_digest(item: MediaItem) -> str:
    """WhatsApp's stored digest: base64 of the plain file's SHA-256."""
    return base64.b64encode(hashlib.sha256(item.data).digest()).decode()


def device_rows(plan: ChatPlan, owner: str, zone: tzinfo) -> list[DeviceRow]:
    rows: list[DeviceRow] = []
    texts = 0
    last_text: str | None = None
    for n, entry in enumerate(plan.entries):
        key = hashlib.sha1(f"{plan.id}:{n}".encode()).hexdigest()[:20].upper()
        at = entry.at.replace(tzinfo=zone).astimezone(UTC)
        row = DeviceRow(at, entry, key, entry.kind != "event" and entry.author == owner)
        if entry.kind == "text":
            texts += 1
            if texts % REPLY_EVERY == 0 and last_text is not None:
                row.reply_to = last_text
            last_text = key
        rows.append(row)
    return rows


def one_target_each(rows: list[DeviceRow]) -> list[DeviceRow]:
    """Events that name several members as one row per member (iOS and pre-2022 Android)."""
    out: list[DeviceRow] = []
    for row in rows:
        entry = row.entry
        if entry.kind != "event" or len(entry.targets) < 2:
            out.append(row)
            continue
        for n, target in enumerate(entry.targets):
            split = replace(entry, targets=(target,))
            out.append(DeviceRow(row.at, split, f"{row.key[:18]}{n:02d}", row.from_me))
    return out


def is_phone_label(shown: str) -> bool:
    return shown.lstrip("+").replace(" ", "").replace("-", "").isdigit()
