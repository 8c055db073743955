"""The chat-format registry: every format registers itself, detection loops over it.

Like plaso's parser registry: a parser module calls `register(ChatFormat(...))` once at import
time, and `chat_formats()` imports the modules listed in `BUILTIN` on first use. A new format
is a new module plus one line in `BUILTIN`; detection (`detect.py`), the store's parse step
and the writer's export-cap check only ask the registry. An unknown name raises.

A format answers three questions: does this loose file look like mine (`sniff`), which member
of a zip or folder is my chat (`member`), and what records are in it (`parse`, pure).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import IO

from casegraph.errors import InputError
from casegraph.ingest.records import ParsedChat

Opener = Callable[[], AbstractContextManager[IO[bytes]]]

# Parser modules that register the built-in formats, imported on first lookup.
BUILTIN = (
    "casegraph.ingest.telegram",
    "casegraph.ingest.signal",
    "casegraph.ingest.whatsapp",
    "casegraph.ingest.whatsapp_android_db",
    "casegraph.ingest.whatsapp_ios_db",
)


@dataclass(frozen=True)
class ParseRequest:
    """Everything a parser may use about one source unit; it never sees the database."""

    open_bytes: Opener  # the chat's own bytes (the member inside a zip or folder)
    file_name: str  # for messages: "export.zip:_chat.txt"
    tz: tzinfo  # the case's time zone, for exports that write local times
    unit_name: str  # the file, zip or folder name as submitted
    container: str  # file | zip | folder
    text_member: str | None = None
    chat_name: str = ""  # the folder an export sits in, for formats that name chats by it
    blob_path: Path | None = None  # the chat's bytes as a file (SQLite needs a path)
    member_paths: Mapping[str, Path] = field(default_factory=dict)  # other export files
    date_order: str | None = None
    default_region: str | None = None
    bulk: bool = False  # the store's fast path: messages may stream as BulkMessage tuples


@dataclass(frozen=True)
class ChatFormat:
    """One chat format: how to recognise it and how to read it."""

    name: str  # stored as the source's format ("<name>-<container>")
    platform: str  # the model's platform of its accounts and chats
    parse: Callable[[ParseRequest], list[ParsedChat]]
    sniff: Callable[[str, bytes], bool]  # (file name, first SNIFF_BYTES) of a loose file
    member: Callable[[list[str]], str | None] = lambda names: None  # chat inside zip/folder
    marker_names: tuple[str, ...] = ()  # a member of this base name makes a folder one export
    suffixes: tuple[str, ...] = ()  # loose-file suffixes worth sniffing inside folders
    export_cap: tuple[int, int] | None = None  # messages (without, with media) the app exports
    forkable: bool = False  # one chat whose records can cross a pipe: parse in a child
    priority: int = 50  # lower is asked first; broad heuristics go last


_REGISTRY: dict[str, ChatFormat] = {}
_loaded = False


def register(chat_format: ChatFormat) -> ChatFormat:
    """Add a format; a second format under a taken name is a programming error."""
    known = _REGISTRY.get(chat_format.name)
    if known is not None and known is not chat_format:
        raise ValueError(f"chat format {chat_format.name!r} is registered twice")
    _REGISTRY[chat_format.name] = chat_format
    return chat_format


def _load_builtin() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in BUILTIN:
            importlib.import_module(module)


def chat_formats() -> list[ChatFormat]:
    """Every registered format, most specific first."""
    _load_builtin()
    return sorted(_REGISTRY.values(), key=lambda f: (f.priority, f.name))


def chat_format(name: str) -> ChatFormat:
    """The format registered as `name`; InputError naming the known ones otherwise."""
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise InputError(f"unknown chat format {name!r}; known formats: {known}") from None


def sniff_file(file_name: str, head: bytes) -> ChatFormat | None:
    """The first format that claims a loose file from its name and first bytes."""
    return next((f for f in chat_formats() if f.sniff(file_name, head)), None)


def claim_members(names: list[str]) -> tuple[ChatFormat, str] | None:
    """The first format that finds its chat among a zip's or folder's member names."""
    for chat_format_ in chat_formats():
        member = chat_format_.member(names)
        if member is not None:
            return chat_format_, member
    return None
