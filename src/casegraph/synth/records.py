"""What the generator plans before anything is written: chats, their entries, media items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class MediaItem:
    """One distinct file (by bytes); `variant_of` names the original it was re-encoded from."""

    key: str
    kind: str  # "sticker" | "animated_sticker" | "image" | "video"
    data: bytes
    ext: str
    variant_of: str | None = None


@dataclass(slots=True)
class Entry:
    """One line-to-be of a chat: an authored message (kind != "event") or a system event."""

    at: datetime  # local time in the case time zone, naive
    kind: str  # "text" | "media" | "media_omitted" | "deleted" | "view_once" | "event"
    author: str | None = None  # account identifier of the author, or of the event's actor
    text: str = ""
    event: str = ""
    targets: tuple[str, ...] = ()
    old: str = ""
    new: str = ""
    media: MediaItem | None = None


@dataclass(slots=True)
class ChatPlan:
    """A chat as the generator decided it; writers turn it into an export."""

    id: str
    platform: str
    title: str
    variant: str
    with_media: bool
    language: str
    aliases: list[str] = field(default_factory=list)
    creator: str | None = None
    created_at: datetime | None = None
    parent: str | None = None
    invite_link: str | None = None
    members: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # identifier -> how the export shows it
    entries: list[Entry] = field(default_factory=list)
    export: str = ""  # path relative to outdir, filled by the writer
    native_id: int = 0  # Telegram chat id
    # set when a streaming writer wrote the chat without keeping its entries
    counted: tuple[int, dict[str, int]] | None = None

    def first_title(self) -> str:
        return self.aliases[0] if self.aliases else self.title
