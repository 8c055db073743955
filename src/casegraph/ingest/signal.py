"""Signal exports: signal-export Markdown (`chat.md`) and sigtop JSON.

Signal has no official export; both tools read the desktop database. sigtop JSON carries
ids and millisecond times (preferred); signal-export Markdown carries names and
exporter-local times without offset (read in the case's time zone).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, tzinfo
from pathlib import PurePosixPath
from typing import IO, Any
from urllib.parse import unquote

from casegraph.errors import InputError
from casegraph.ingest.formats import ChatFormat, ParseRequest, register
from casegraph.ingest.records import ParsedChat, PartyBook, Record, in_utc_range
from casegraph.model import Chat, ChatEvent, Message

MD_HEADER = re.compile(
    r"^\[(\d{4})-(\d{2})-(\d{2}),? (\d{2}):(\d{2})(?::(\d{2}))?\] (?P<rest>.*)$", re.S
)
MD_ATTACHMENT = re.compile(r"!?\[(?P<name>[^\]]*)\]\((?P<path>\.{1,2}/[^)]+)\)")
CALL = re.compile(r"^(Missed|Incoming|Outgoing) (voice|video) call")
SELF_LABELS = ("Me",)
GROUP_CHANGES = {
    "create": "created",
    "member-add": "added",
    "member-add-from-invite": "added",
    "member-add-from-link": "joined_via_link",
    "member-add-from-admin-approval": "joined_via_request",
    "member-remove": "removed",
    "title": "subject_changed",
    "avatar": "icon_changed",
    "description": "description_changed",
    "member-privilege": "admin_changed",
}
MESSAGE_EVENTS = {
    "keychange": "security_code_changed",
    "timer-notification": "disappearing_messages",
    "call-history": "call",
    "group": "unclassified",
}

Opener = Callable[[], AbstractContextManager[IO[bytes]]]


def parse_signal_markdown(
    open_bytes: Opener, *, chat_name: str, tz: tzinfo, default_region: str | None = None
) -> ParsedChat:
    book = PartyBook("signal", default_region, frozenset(SELF_LABELS))
    parsed = ParsedChat("signal", iter(()), book.accounts)
    parsed.chat = Chat("signal", f"name:{chat_name}", chat_name, [])
    parsed.provenance = {"parser": "signal-export-markdown", "tz_assumed": True}
    with open_bytes() as stream:
        first = stream.readline().decode("utf-8", "replace")
    if first.strip() and not MD_HEADER.match(first.lstrip("\ufeff")):
        raise InputError(
            f"{chat_name}/chat.md: first line is not a signal-export message line; "
            "pass the folder sigexport wrote"
        )
    parsed.records = _markdown(open_bytes, parsed, book, tz)
    return parsed


def _markdown(
    open_bytes: Opener, parsed: ParsedChat, book: PartyBook, tz: tzinfo
) -> Iterator[Record]:
    pending: tuple[datetime, list[str], int] | None = None
    seq = 0
    with open_bytes() as stream:
        for number, raw in enumerate(stream, 1):
            line = raw.decode("utf-8", "replace").rstrip("\r\n").lstrip("\ufeff")
            match = MD_HEADER.match(line)
            at = None
            if match:
                y, mo, d, h, mi, s = match.groups()[:6]
                try:
                    at = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=tz)
                except ValueError:
                    at = None
                if at is not None and not in_utc_range(at):
                    at = None  # year 9999 west of UTC: no time the store can hold
            if match and at is not None:
                if pending is not None:
                    seq += 1
                    yield _md_message(seq, *pending, parsed, book)
                pending = (at, [match.group("rest")], number)
            elif pending is not None:
                pending[1].append(line)
    if pending is not None:
        yield _md_message(seq + 1, *pending, parsed, book)


def _md_message(
    seq: int, at: datetime, lines: list[str], number: int, parsed: ParsedChat, book: PartyBook
) -> Message:
    rest = "\n".join(lines).rstrip("\n")
    label, _, body = rest.partition(": ")
    body = body[:-2] if body.endswith("  ") else body  # sigexport appends two spaces
    author = None if label == "No-Sender" else book.resolve(label)
    kind, attachment = "text", None
    found = MD_ATTACHMENT.search(body)
    if body.strip() == "(This message was deleted)":
        kind = "deleted"
    elif found:
        kind, attachment = "media", unquote(found.group("path")).lstrip("./")
    elif CALL.match(body):
        kind = "call"
    elif not body.strip():
        kind = "empty"
    parsed.note(at, True)
    return Message(seq, at, author, body, kind, label, attachment, line=number)


def parse_sigtop_json(data: bytes, *, file_name: str, tz: tzinfo) -> list[ParsedChat]:
    """sigtop `-f json`: one Signal Desktop message object per line inside a JSON array."""
    try:
        values = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(
            f"{file_name}: not valid JSON ({exc}); is the sigtop export complete?"
        ) from exc
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise InputError(f"{file_name}: a sigtop JSON export is an array of message objects")
    conversations: dict[str, list[dict[str, Any]]] = {}
    for value in values:
        conversations.setdefault(str(value.get("conversationId", "unknown")), []).append(value)
    chats = []
    for conversation, items in conversations.items():
        book = PartyBook("signal", None)
        parsed = ParsedChat("signal", iter(()), book.accounts)
        parsed.chat = Chat("signal", conversation, conversation, [])
        parsed.provenance = {"parser": "sigtop-json"}
        parsed.records = _sigtop(items, parsed, book, tz)
        chats.append(parsed)
    return chats


def _sender(value: dict[str, Any], book: PartyBook) -> str | None:
    phone = value.get("source")
    if isinstance(phone, str) and phone.startswith("+"):
        return book.resolve(phone)
    for key in ("sourceServiceId", "sourceUuid"):
        uuid = value.get(key)
        if isinstance(uuid, str) and uuid:
            identifier = f"uuid:{uuid.lower()}"
            book.add(identifier, None, "platform_id")
            return identifier
    return None


def _ms_time(value: dict[str, Any], tz: tzinfo) -> datetime:
    for key in ("sent_at", "timestamp", "received_at_ms"):
        ms = value.get(key)
        if isinstance(ms, int | float) and not isinstance(ms, bool):
            try:
                return datetime.fromtimestamp(ms / 1000, UTC).astimezone(tz)
            except (OverflowError, OSError, ValueError):
                break
    return datetime(1970, 1, 1, tzinfo=UTC)


def _sigtop(
    items: list[dict[str, Any]], parsed: ParsedChat, book: PartyBook, tz: tzinfo
) -> Iterator[Record]:
    for seq, value in enumerate(items, 1):
        at = _ms_time(value, tz)
        kind = value.get("type")
        if kind in ("incoming", "outgoing"):
            author = _sender(value, book) if kind == "incoming" else None
            body = value.get("body") if isinstance(value.get("body"), str) else ""
            listed = value.get("attachments")
            attachments: list[Any] = listed if isinstance(listed, list) else []
            reference = None
            for attachment in attachments:
                if isinstance(attachment, dict):
                    reference = str(attachment.get("fileName") or attachment.get("path") or "")
                    break
            message_kind = (
                "media"
                if reference
                else ("deleted" if value.get("deletedForEveryone") else "text" if body else "empty")
            )
            parsed.note(at, True)
            yield Message(
                seq,
                at,
                author,
                body or "",
                message_kind,
                "You" if kind == "outgoing" else "",
                reference or None,
                native_id=str(value.get("id")) if value.get("id") else None,
            )
            continue
        parsed.note(at, False)
        yield _sigtop_event(seq, at, value, kind, book)


def _sigtop_event(
    seq: int, at: datetime, value: dict[str, Any], kind: Any, book: PartyBook
) -> ChatEvent:
    change = value.get("groupV2Change")
    if isinstance(change, dict):
        listed = change.get("details")
        details_list: list[Any] = listed if isinstance(listed, list) else []
        first = details_list[0] if details_list and isinstance(details_list[0], dict) else {}
        event_type = GROUP_CHANGES.get(str(first.get("type")), "unclassified")
        actor = None
        if isinstance(change.get("from"), str):
            actor = f"uuid:{change['from'].lower()}"
            book.add(actor, None, "platform_id")
        targets = []
        for item in details_list:
            if isinstance(item, dict) and isinstance(item.get("uuid") or item.get("aci"), str):
                target = f"uuid:{str(item.get('uuid') or item.get('aci')).lower()}"
                book.add(target, None, "platform_id")
                targets.append(target)
        if event_type == "removed" and actor is not None and targets == [actor]:
            event_type, targets = "left", []
        details = {"signal_type": kind, "change": first.get("type")}
        if first.get("newTitle"):
            details["new"] = first["newTitle"]
        return ChatEvent(
            seq, at, event_type, actor, tuple(targets), None, str(first.get("type", "")), 0, details
        )
    event_type = MESSAGE_EVENTS.get(str(kind), "unclassified")
    return ChatEvent(seq, at, event_type, None, (), None, str(kind), 0, {"signal_type": kind})


# ---- registration -----------------------------------------------------------------------


def _sniff_markdown(file_name: str, head: bytes) -> bool:
    return file_name.lower().endswith(".md")


def _sniff_sigtop(file_name: str, head: bytes) -> bool:
    """A loose .json whose first value is an array (Telegram's is an object)."""
    return file_name.lower().endswith(".json") and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"["


def _markdown_member(names: list[str]) -> str | None:
    return next((n for n in names if PurePosixPath(n).name == "chat.md"), None)


def _parse_markdown_request(request: ParseRequest) -> list[ParsedChat]:
    return [
        parse_signal_markdown(
            request.open_bytes,
            chat_name=request.chat_name,
            tz=request.tz,
            default_region=request.default_region,
        )
    ]


def _parse_sigtop_request(request: ParseRequest) -> list[ParsedChat]:
    with request.open_bytes() as stream:
        data = stream.read()
    return parse_sigtop_json(data, file_name=request.file_name, tz=request.tz)


register(
    ChatFormat(
        name="signal-md",
        platform="signal",
        parse=_parse_markdown_request,
        sniff=_sniff_markdown,
        member=_markdown_member,
        marker_names=("chat.md",),
        suffixes=(".md",),
        priority=20,
    )
)
register(
    ChatFormat(
        name="sigtop-json",
        platform="signal",
        parse=_parse_sigtop_request,
        sniff=_sniff_sigtop,
        suffixes=(".json",),
        priority=15,
    )
)
