"""Plain records the analysis works on: what run.py loads from a case's tables.

Every analysis module is a pure function over these, so it can be tested with records a test
builds by hand and reused by the report without a database. The records there are a million
of (messages, memberships, postings) are named tuples: building a frozen dataclass costs
several times more, seconds on the large case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple


@dataclass(slots=True, frozen=True)
class AccountRecord:
    id: int
    key: str
    platform: str
    identifier: str
    identifier_kind: str = "phone"
    names: tuple[str, ...] = ()
    phone_country: str | None = None


@dataclass(slots=True, frozen=True)
class ChatRecord:
    id: int
    key: str
    platform: str
    title: str
    created_by: int | None = None
    created_at: datetime | None = None


class MessageRecord(NamedTuple):
    id: int
    chat_id: int
    account_id: int | None
    sent_at: datetime
    text: str = ""
    kind: str = "text"
    native_id: str | None = None
    reply_to: str | None = None


@dataclass(slots=True, frozen=True)
class EventRecord:
    chat_id: int
    at: datetime
    type: str
    actor_id: int | None = None
    target_ids: tuple[int, ...] = ()
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


class MembershipRecord(NamedTuple):
    chat_id: int
    account_id: int
    since: datetime | None = None
    until: datetime | None = None
    via: str = "authored"


@dataclass(slots=True, frozen=True)
class MediaRecord:
    id: int
    sha256: str
    kind: str = "image"
    pdq: str | None = None
    matched: bool = False  # has a pertinent, unsuppressed match against a hash list
    categories: tuple[str, ...] = ()
    pack_id: str | None = None  # sticker-pack-id from the sticker's EXIF, if any
    pack_publisher: str | None = None


class OccurrenceRecord(NamedTuple):
    """One posting of a media file: the message that carried it."""

    media_id: int
    message_id: int
    chat_id: int
    account_id: int | None
    sent_at: datetime
    seq: int = 0
