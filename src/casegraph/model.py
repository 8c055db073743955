"""Plain records shared by every layer: parsers produce them, the store persists them.

Nothing here touches a database or a file; every class is a slotted dataclass so that
streaming a million-message export stays cheap in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# The platform a registered chat format declares (`ingest.formats`): whatsapp, telegram, signal...
Platform = str

# Authored message kinds: every one of them counts as a message in reports.
MESSAGE_KINDS = (
    "text",
    "media",  # an attachment reference (with or without caption)
    "media_omitted",  # "<Media omitted>" and its locale forms
    "deleted",
    "view_once",
    "empty",
    "location",
    "contact",
    "poll",
    "call",
)

# System event types; `unclassified` holds header-shaped system lines no pattern knew.
EVENT_TYPES = (
    "created",
    "added",
    "removed",
    "left",
    "joined_via_link",
    "joined_via_request",
    "subject_changed",
    "icon_changed",
    "description_changed",
    "admin_changed",
    "number_changed",
    "security_code_changed",
    "disappearing_messages",
    "call",
    "encryption_notice",
    "business_notice",  # "This business uses a secure service from Meta..." (iOS and Android)
    "migrated",
    "pinned",
    "history_cleared",
    "unclassified",
)


PUBLIC_ID = re.compile(r"^(acct|chat)-[0-9a-f]{16}$")


def _keyed(prefix: str, secret: bytes, text: str) -> str:
    # keyed, so an id cannot be reversed by hashing every number of a numbering plan
    if len(secret) < 16:
        raise ValueError("public ids need the installation secret (store.secret)")
    return prefix + hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:16]


def account_key(platform: str, identifier: str, secret: bytes) -> str:
    """Public, stable id of an account: the same inputs and installation give the same id."""
    return _keyed("acct-", secret, f"{platform}:{identifier}")


def chat_key(platform: str, native_id: str, secret: bytes) -> str:
    """Public, stable id of a chat."""
    return _keyed("chat-", secret, f"{platform}:{native_id}")


def received_key(value: object) -> str | None:
    """An id that arrived from another installation (a referral package), kept as it is:
    it cannot be recomputed here without the sender's secret. None when malformed."""
    return value if isinstance(value, str) and PUBLIC_ID.match(value) else None


MEDIA_KINDS = ("image", "sticker", "animated_sticker", "gif", "video", "audio", "document", "other")


@dataclass(slots=True, frozen=True)
class FileHashes:
    """The three digests custody standards ask for, computed in one streaming pass."""

    sha256: str
    md5: str
    sha1: str
    size: int


@dataclass(slots=True)
class Custody:
    """Who brought a piece of evidence in, how, and with which tool."""

    captured_by: str
    method: str = "export"
    captured_at: datetime | None = None
    received_by: str = "casegraph"
    original_path: str = ""
    tool: str = "casegraph"
    tool_version: str = ""
    notes: str = ""


@dataclass(slots=True)
class Account:
    """One identity on one platform: an E.164 number, a platform user id, or a bare name."""

    platform: str
    identifier: str
    names: list[str] = field(default_factory=list)
    country: str | None = None
    identifier_kind: Literal["phone", "platform_id", "name"] = "name"


@dataclass(slots=True)
class Message:
    """An authored message as it stands in the export; `seq` is file order."""

    seq: int
    sent_at: datetime
    author: str | None  # account identifier, None when unresolved
    text: str
    kind: str = "text"
    author_label: str = ""  # what literally stood in the author slot
    attachment: str | None = None  # the reference as written (join key to the file)
    line: int = 0
    byte_offset: int = 0
    native_id: str | None = None  # platform message id where the export has one
    reply_to: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(slots=True)
class ChatEvent:
    """A system event (created, added, left, ...) kept as evidence, with resolved parties."""

    seq: int
    at: datetime
    type: str
    actor: str | None = None
    targets: tuple[str, ...] = ()
    label: str | None = None  # what stood in the author slot, if anything
    text: str = ""
    line: int = 0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Attachment:
    """A media reference in a message, joined to an archive member when one is present."""

    message_seq: int
    reference: str
    kind: str = "other"
    member: str | None = None  # path of the file inside the export, when present
    sha256: str | None = None
    missing_reason: str | None = None  # e.g. "not in export", "file not included"


@dataclass(slots=True)
class Chat:
    platform: str
    native_id: str  # the platform's id, or a stable key derived from the export
    title: str
    aliases: list[str] = field(default_factory=list)
    kind: str = "group"


@dataclass(slots=True)
class MediaHashes:
    """What hashing learnt about one file; pure output of media.hashing."""

    file: FileHashes
    kind: str
    mime: str = ""
    width: int | None = None
    height: int | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    frame_pdqs: tuple[tuple[str, int], ...] = ()  # (hash, quality) per distinct frame
    error: str | None = None  # why it could not be hashed perceptually


@dataclass(slots=True)
class HashEntry:
    """One entry of an imported hash list (known material or known false positive)."""

    entry_id: str
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    category: str | None = None
    scheme: str | None = None  # e.g. "vics-us-2.0", "vics-legacy", "ncmec", "csv"
    pertinent: bool = True
    label: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Match:
    media_sha256: str
    list_name: str
    entry_id: str
    method: str  # "md5" | "sha1" | "sha256" | "pdq" | "pdq-dihedral" | "pdq-frames"
    distance: int = 0
    quality: int | None = None
    category: str | None = None
    scheme: str | None = None
    pertinent: bool = True


@dataclass(slots=True)
class Tip:
    """A report from the public about a group."""

    receipt: str
    platform: str
    group_name: str = ""
    invite_link: str = ""
    phones: list[str] = field(default_factory=list)
    description: str = ""
    contact: str = ""
    received_at: datetime | None = None
    status: str = "new"


@dataclass(slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = ""
    entry_hash: str = ""
