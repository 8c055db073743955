"""SQLAlchemy 2 tables of a casegraph store.

One schema serves both backends: on SQLite each case has its own file (and the
installation file holds users and tips); on PostgreSQL every case shares one database.
Every case-scoped row carries `case_id` so the two layouts are the same code.
Changing anything here needs a new Alembic revision in `store/migrations/versions/`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on both backends.

    SQLite keeps no offset, so values are converted to UTC before storing; a naive value is
    refused because its meaning would depend on the machine that wrote it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach its time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCDateTime,
    }


def _case_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)


class CaseRow(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    agency: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200), default="")
    tool_version: Mapped[str] = mapped_column(String(40), default="")


class SourceRow(Base):
    """A piece of evidence as submitted (a zip, a .txt, a folder's file) with its custody record."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("case_id", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    sha256: Mapped[str] = mapped_column(String(64))
    md5: Mapped[str] = mapped_column(String(32))
    sha1: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(Text)
    original_path: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(40), default="unknown")
    captured_by: Mapped[str] = mapped_column(String(200), default="")
    capture_method: Mapped[str] = mapped_column(String(100), default="")
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_by: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tool: Mapped[str] = mapped_column(String(100), default="casegraph")
    tool_version: Mapped[str] = mapped_column(String(40), default="")
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SourceMemberRow(Base):
    """A file inside a submitted archive or folder; its bytes live in the evidence store."""

    __tablename__ = "source_members"
    __table_args__ = (UniqueConstraint("source_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    md5: Mapped[str] = mapped_column(String(32))
    sha1: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    referenced: Mapped[bool] = mapped_column(Boolean, default=False)


class PersonRow(Base):
    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    key: Mapped[str] = mapped_column(String(80))  # stable across re-runs
    label: Mapped[str] = mapped_column(Text, default="")
    date_of_birth: Mapped[str | None] = mapped_column(String(10), nullable=True)
    age: Mapped[int | None] = mapped_column(Integer, nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)  # analyst-recorded fact
    notes: Mapped[str] = mapped_column(Text, default="")
    age_at_activity: Mapped[int | None] = mapped_column(Integer, nullable=True)  # derived
    minor: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # derived


class AccountRow(Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("case_id", "platform", "identifier"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    key: Mapped[str] = mapped_column(String(80), index=True)  # stable public id
    platform: Mapped[str] = mapped_column(String(20))
    identifier: Mapped[str] = mapped_column(String(200))
    identifier_kind: Mapped[str] = mapped_column(String(20), default="name")
    names: Mapped[list[Any]] = mapped_column(default=list)
    phone_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    country_confidence: Mapped[float | None] = mapped_column(nullable=True)
    country_reasons: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)  # degree, pagerank, ...
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. referred by
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), nullable=True
    )


class KeyActorRow(Base):
    """An account ranked as a key actor by analysis, with the reasons an analyst can check."""

    __tablename__ = "key_actors"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), nullable=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(default=0.0)
    reasons: Mapped[list[Any]] = mapped_column(default=list)


class EntityRow(Base):
    """A phone number, invite link, URL, e-mail or handle found in a message's text."""

    __tablename__ = "entities"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text, index=True)


class PersonDecisionRow(Base):
    """An analyst's merge or split; replayed after every re-run so decisions survive."""

    __tablename__ = "person_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    kind: Mapped[str] = mapped_column(String(10))  # merge | split
    account_keys: Mapped[list[Any]] = mapped_column(default=list)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    # kind "proposed": a link the ingest suggests; never replayed until an analyst decides
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    confidence: Mapped[float | None] = mapped_column(nullable=True)


class ChatRow(Base):
    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("case_id", "platform", "native_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    key: Mapped[str] = mapped_column(String(80), index=True)  # stable public id
    platform: Mapped[str] = mapped_column(String(20))
    native_id: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text, default="")
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(20), default="group")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("chats.id", ondelete="SET NULL"), nullable=True
    )
    parent_confidence: Mapped[float | None] = mapped_column(nullable=True)
    parent_evidence: Mapped[list[Any]] = mapped_column(default=list)


class ChatSourceRow(Base):
    """Which source covered which chat, and the window it covers (exports are capped)."""

    __tablename__ = "chat_sources"
    __table_args__ = (UniqueConstraint("chat_id", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    possibly_truncated: Mapped[bool] = mapped_column(Boolean, default=False)


class MembershipRow(Base):
    __tablename__ = "memberships"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    via: Mapped[str] = mapped_column(String(40), default="authored")


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_chat_seq", "chat_id", "source_id", "seq"),
        Index("ix_messages_chat_time", "chat_id", "sent_at", "seq"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    author_label: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="text")
    attachment_ref: Mapped[str | None] = mapped_column(Text, nullable=True)
    line: Mapped[int] = mapped_column(Integer, default=0)
    byte_offset: Mapped[int] = mapped_column(Integer, default=0)
    native_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reply_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    flags: Mapped[list[Any]] = mapped_column(default=list)


class ChatEventRow(Base):
    __tablename__ = "chat_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    type: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    target_ids: Mapped[list[Any]] = mapped_column(default=list)
    label: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    line: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MediaRow(Base):
    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("case_id", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    sha256: Mapped[str] = mapped_column(String(64))
    md5: Mapped[str] = mapped_column(String(32), index=True)
    sha1: Mapped[str] = mapped_column(String(40), index=True)
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    mime: Mapped[str] = mapped_column(String(100), default="")
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pdq: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pdq_quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    frame_pdqs: Mapped[list[Any]] = mapped_column(default=list)
    hash_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    hashed: Mapped[bool] = mapped_column(Boolean, default=False)
    cluster: Mapped[str | None] = mapped_column(String(80), nullable=True)
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. known elsewhere
    # the sticker pack JSON a WebP sticker carries in its EXIF chunk, None when absent
    sticker_pack: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)


class AttachmentRow(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    member_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="SET NULL"), nullable=True, index=True
    )
    missing_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the SHA-256 (hex) the app itself recorded for the file (device databases)
    stored_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class MessageSourceRow(Base):
    """A further source holding a message already in the chat (the first: messages.source_id)."""

    __tablename__ = "message_sources"
    __table_args__ = (UniqueConstraint("message_id", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # where that source has it


class EventSourceRow(Base):
    """A further source that holds a system event already in the chat."""

    __tablename__ = "event_sources"
    __table_args__ = (UniqueConstraint("event_id", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    event_id: Mapped[int] = mapped_column(ForeignKey("chat_events.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)


class HashListRow(Base):
    __tablename__ = "hash_lists"
    __table_args__ = (UniqueConstraint("case_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    pdq_threshold: Mapped[int] = mapped_column(Integer, default=31)
    quality_floor: Mapped[int] = mapped_column(Integer, default=50)
    negative: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    entry_count: Mapped[int] = mapped_column(Integer, default=0)


class HashEntryRow(Base):
    __tablename__ = "hash_entries"
    __table_args__ = (UniqueConstraint("list_id", "entry_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("hash_lists.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[str] = mapped_column(String(200))
    md5: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    sha1: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    pdq: Mapped[str | None] = mapped_column(String(64), nullable=True)
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    scheme: Mapped[str | None] = mapped_column(String(40), nullable=True)
    pertinent: Mapped[bool] = mapped_column(Boolean, default=True)
    label: Mapped[str | None] = mapped_column(Text, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MatchRow(Base):
    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("media_id", "entry_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), index=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("hash_lists.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("hash_entries.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(20))
    distance: Mapped[int] = mapped_column(Integer, default=0)
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    scheme: Mapped[str | None] = mapped_column(String(40), nullable=True)
    pertinent: Mapped[bool] = mapped_column(Boolean, default=True)
    suppressed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class InvestigationRow(Base):
    __tablename__ = "investigations"
    __table_args__ = (UniqueConstraint("case_id", "country"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    country: Mapped[str] = mapped_column(String(12))  # ISO 3166-1 alpha-2, or "unattributed"
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    agency: Mapped[str] = mapped_column(String(200), default="")
    arrests: Mapped[int] = mapped_column(Integer, default=0)
    suspects: Mapped[int] = mapped_column(Integer, default=0)
    minors: Mapped[int] = mapped_column(Integer, default=0)
    suspect_ages: Mapped[list[Any]] = mapped_column(default=list)
    # Europol handling code (H0-H3), source/information evaluation (A-X x 1-4), TLP, PAP
    handling_code: Mapped[str] = mapped_column(String(2), default="H2")
    evaluation: Mapped[str] = mapped_column(String(2), default="B2")
    tlp: Mapped[str] = mapped_column(String(20), default="amber")
    pap: Mapped[str] = mapped_column(String(10), default="amber")
    conditions: Mapped[str] = mapped_column(Text, default="")
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. received referral
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InvestigationAccountRow(Base):
    __tablename__ = "investigation_accounts"
    __table_args__ = (UniqueConstraint("investigation_id", "account_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        ForeignKey("investigations.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    assigned_by: Mapped[str] = mapped_column(String(20), default="attribution")  # or analyst


class ExchangeLinkRow(Base):
    """A partner's own id of something we received (account, chat, message, media, person)
    and the row it became here, so an updated referral lands on the same rows."""

    __tablename__ = "exchange_links"
    __table_args__ = (UniqueConstraint("case_id", "origin", "kind", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    origin: Mapped[str] = mapped_column(String(40))  # the sending key's fingerprint
    kind: Mapped[str] = mapped_column(String(12))
    external_id: Mapped[str] = mapped_column(String(200))
    local_id: Mapped[int] = mapped_column(Integer)


class PartnerReportRow(Base):
    """An acknowledgement or outcome report a partner sent back about a referral."""

    __tablename__ = "partner_reports"
    __table_args__ = (UniqueConstraint("case_id", "package_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    country: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(20))  # acknowledgement | outcome
    status: Mapped[str] = mapped_column(String(20), default="")  # received|accepted|declined
    referral_id: Mapped[str] = mapped_column(String(64))
    referral_version: Mapped[int] = mapped_column(Integer)
    reporter: Mapped[str] = mapped_column(String(200))
    reporter_country: Mapped[str] = mapped_column(String(2), default="")
    reporter_fingerprint: Mapped[str] = mapped_column(String(40))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    package_sha256: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TipRow(Base):
    __tablename__ = "tips"
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(40), unique=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), nullable=True
    )
    linked_case: Mapped[str | None] = mapped_column(String(200), nullable=True)
    platform: Mapped[str] = mapped_column(String(20))
    group_name: Mapped[str] = mapped_column(Text, default="")
    invite_link: Mapped[str] = mapped_column(Text, default="")
    phones: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="new")
    dedupe_key: Mapped[str] = mapped_column(String(64), index=True)
    origin: Mapped[str] = mapped_column(String(40), default="web")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # link reasons, notes


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # TOTP second factor: the active secret, one awaiting its first code, the last step used
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_pending: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AuditRow(Base):
    """Append-only, hash-chained: entry_hash commits to prev_hash and every field."""

    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = _case_fk()
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class RecoveryCodeRow(Base):
    """Single-use second-factor recovery codes, kept as SHA-256 (they are random, 80 bits)."""

    __tablename__ = "recovery_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebSessionRow(Base):
    """A browser session, shared by every web worker; the cookie value is stored hashed."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(10))  # "full", or "totp" while a code is awaited
    created: Mapped[float] = mapped_column()  # epoch seconds: comparable across processes
    seen: Mapped[float] = mapped_column()


class ThrottleRow(Base):
    """Token buckets of the web rate limits (per address, per receipt lookups, ...)."""

    __tablename__ = "web_throttles"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    tokens: Mapped[float] = mapped_column()
    stamp: Mapped[float] = mapped_column()


class LoginFailureRow(Base):
    """Failed logins per account name (known or not) and the lockout they led to."""

    __tablename__ = "web_login_failures"
    username: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[float] = mapped_column()
    locked_until: Mapped[float] = mapped_column()


class InstallationSecretRow(Base):
    """Secrets every worker of an installation needs: the public-id key (PostgreSQL), the web's
    CSRF key (every backend), so that all processes sign and key alike."""

    __tablename__ = "installation_secrets"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class AuditAnchorRow(Base):
    """The newest audit entry of each case, where every machine of a PostgreSQL installation
    sees it (the `audit.head` file stays on the disk of whoever wrote last)."""

    __tablename__ = "audit_anchors"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))


class JobRow(Base):
    """A background job (ingest, hash-list import, match, analyze, refer) in the installation.

    The queue engine (huey) carries only the job id; what to do, who asked, progress and the
    outcome live here, where every web and job worker sees them.
    """

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    user: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer, default=0)
    steps: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
