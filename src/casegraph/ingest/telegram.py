"""Telegram Desktop JSON export (`result.json`), single-chat and full-export shapes.

The schema is implicit and drifted over the years (no `date_unixtime` / `text_entities` in
2020-21 exports, numeric `from_id`, `from: null`), so nothing beyond `id` and `type` is
required of a record. Service records keep their actors; `members` and `inviter` hold
display names only and are resolved to accounts by name, marked as such.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import PurePosixPath
from typing import Any

from casegraph.errors import InputError
from casegraph.ingest.formats import ChatFormat, ParseRequest, register
from casegraph.ingest.records import ParsedChat, PartyBook, Record, in_utc_range
from casegraph.model import Chat, ChatEvent, Message

NOT_EXPORTED = {
    "(File not included.": "file not included",
    "(File exceeds maximum size.": "file exceeds maximum size",
    "(File unavailable": "file unavailable",
}
ACTIONS = {
    "create_group": "created",
    "create_channel": "created",
    "invite_members": "added",
    "remove_members": "removed",
    "join_group_by_link": "joined_via_link",
    "join_group_by_request": "joined_via_request",
    "edit_group_title": "subject_changed",
    "edit_group_photo": "icon_changed",
    "delete_group_photo": "icon_changed",
    "edit_chat_about": "description_changed",
    "migrate_to_supergroup": "migrated",
    "migrate_from_group": "migrated",
    "pin_message": "pinned",
    "clear_history": "history_cleared",
    "phone_call": "call",
    "group_call": "call",
    "invite_to_group_call": "call",
    "set_messages_ttl": "disappearing_messages",
}
MEDIA_FIELDS = {
    "sticker": "sticker",
    "animation": "gif",
    "video_file": "video",
    "video_message": "video",
    "voice_message": "audio",
    "audio_file": "audio",
}


def parse_telegram(data: bytes, *, file_name: str, tz: tzinfo) -> list[ParsedChat]:
    """Every chat of the export; InputError when the JSON is not a Telegram export."""
    try:
        root = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{file_name}: not valid JSON ({exc}); is the export complete?") from exc
    if not isinstance(root, dict):
        raise InputError(f"{file_name}: not a Telegram Desktop export (expected a JSON object)")
    chats: list[dict[str, Any]]
    if isinstance(root.get("messages"), list):
        chats = [root]
    elif isinstance(root.get("chats"), dict):
        chats = _listed(root["chats"]) + _listed(root.get("left_chats"))
    else:
        raise InputError(
            f"{file_name}: no 'messages' or 'chats' in the JSON; export from Telegram Desktop "
            "with the JSON format"
        )
    return [_chat(chat, file_name, tz) for chat in chats if isinstance(chat.get("messages"), list)]


def _listed(section: Any) -> list[dict[str, Any]]:
    """The chat objects of a full export's `chats` / `left_chats` section, if well formed."""
    listed = section.get("list") if isinstance(section, dict) else None
    return [c for c in listed if isinstance(c, dict)] if isinstance(listed, list) else []


def _identifier(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return f"user{value}"  # old exports wrote bare numbers
    if isinstance(value, str) and value:
        return f"user{value}" if value.isdigit() else value
    return None


def flatten_text(value: Any) -> str:
    """`text` is a string or a list of strings and {"type", "text"} entities."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in value
            if isinstance(part, str | dict)
        )
    return ""


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _time(record: dict[str, Any], tz: tzinfo) -> tuple[datetime, str | None]:
    """Aware time and how it was read: None (date_unixtime), "assumed" (the exporter's zone
    assumed to be the case's), "unreadable" (no usable date, or one beyond what UTC holds,
    such as year 9999 west of UTC: the epoch stands in, flagged)."""
    unix = record.get("date_unixtime")
    if unix is not None:
        try:
            return datetime.fromtimestamp(int(unix), UTC).astimezone(tz), None
        except (TypeError, ValueError, OverflowError, OSError):
            pass
    try:
        at = datetime.fromisoformat(str(record.get("date"))).replace(tzinfo=tz)
    except ValueError:
        return EPOCH, "unreadable"
    return (at, "assumed") if in_utc_range(at) else (EPOCH, "unreadable")


def _not_exported(path: str) -> str | None:
    for literal, reason in NOT_EXPORTED.items():
        if literal in path:
            return reason
    return None


def _chat(chat: dict[str, Any], file_name: str, tz: tzinfo) -> ParsedChat:
    book = PartyBook("telegram", None)
    records = [r for r in chat["messages"] if isinstance(r, dict)]
    by_name: dict[str, str] = {}
    for record in records:  # names -> ids, for service records that list names only
        for name_key, id_key in (("from", "from_id"), ("actor", "actor_id")):
            name, identifier = record.get(name_key), _identifier(record.get(id_key))
            if isinstance(name, str) and identifier:
                by_name.setdefault(name, identifier)
    name = chat.get("name") if isinstance(chat.get("name"), str) else None
    native = chat.get("id")
    title = name or (str(native) if native is not None else file_name)
    parsed = ParsedChat("telegram", iter(()), book.accounts)
    parsed.chat = Chat("telegram", str(native if native is not None else title), title, [])
    parsed.chat.kind = str(chat.get("type") or "group")
    parsed.provenance = {
        "parser": "telegram",
        "chat_type": chat.get("type"),
        "records": len(records),
    }
    parsed.records = _stream(records, parsed, book, by_name, tz)
    return parsed


def _account(book: PartyBook, identifier: str | None, name: Any) -> str | None:
    if identifier is None:
        return None
    book.add(identifier, name if isinstance(name, str) else None, "platform_id")
    return identifier


def _by_name(book: PartyBook, by_name: dict[str, str], name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    identifier = by_name.get(name)
    if identifier is not None:
        return _account(book, identifier, name)
    book.add(name, name, "name")
    return name


def _stream(
    records: list[dict[str, Any]],
    parsed: ParsedChat,
    book: PartyBook,
    by_name: dict[str, str],
    tz: tzinfo,
) -> Iterator[Record]:
    assumed = unsupported = unreadable = 0
    titles: list[str] = []
    for seq, record in enumerate(records, 1):
        at, read = _time(record, tz)
        assumed += read == "assumed"
        unreadable += read == "unreadable"
        kind = record.get("type")
        if kind == "message":
            parsed.note(at, True)
            message = _message(seq, at, record, book)
            if read == "unreadable":
                message.flags = (*message.flags, "date_unreadable")
            yield message
        elif kind == "service":
            parsed.note(at, False)
            event = _event(seq, at, record, book, by_name)
            if read == "unreadable":
                event.details["date_unreadable"] = True
            if event.type in ("created", "subject_changed") and event.details.get("title"):
                titles.append(str(event.details["title"]))
            yield event
        else:
            unsupported += 1
    assert parsed.chat is not None
    parsed.chat.aliases = [t for t in dict.fromkeys(titles) if t != parsed.chat.title]
    parsed.provenance.update(
        {
            "tz_assumed_records": assumed,
            "unsupported_records": unsupported,
            "unreadable_date_records": unreadable,
        }
    )
    if unreadable:
        parsed.warnings.append(
            f"{parsed.chat.title}: {unreadable} record(s) with a date that cannot be read or "
            "expressed in UTC (such as year 9999) kept at 1970-01-01 UTC and flagged "
            "date_unreadable"
        )
    if assumed:
        parsed.warnings.append(
            f"{parsed.chat.title}: {assumed} record(s) without date_unixtime read in the case's "
            "time zone (exporter's zone assumed)"
        )


def _message(seq: int, at: datetime, record: dict[str, Any], book: PartyBook) -> Message:
    author = _account(book, _identifier(record.get("from_id")), record.get("from"))
    text = flatten_text(record.get("text"))
    flags: list[str] = []
    attachment: str | None = None
    kind = "text" if text else "empty"
    path = record.get("photo") or record.get("file")
    if isinstance(path, str) and path:
        kind = "media"
        attachment = path
        reason = _not_exported(path)
        if reason:
            flags.append(f"not_exported:{reason}")
        media_type = record.get("media_type")
        if isinstance(media_type, str):
            flags.append(f"media_type:{media_type}")
        emoji = record.get("sticker_emoji")
        if isinstance(emoji, str) and emoji:
            flags.append(f"sticker_emoji:{emoji}")
    elif "contact_information" in record:
        kind = "contact"
    elif "location_information" in record or "place_name" in record:
        kind = "location"
    elif "poll" in record:
        kind = "poll"
    if record.get("edited") or record.get("edited_unixtime"):
        flags.append("edited")
    reply = record.get("reply_to_message_id")
    return Message(
        seq=seq,
        sent_at=at,
        author=author,
        text=text,
        kind=kind,
        author_label=str(record["from"]) if isinstance(record.get("from"), str) else "",
        attachment=attachment,
        native_id=str(record.get("id")),
        reply_to=str(reply) if reply is not None else None,
        flags=tuple(flags),
    )


def _event(
    seq: int,
    at: datetime,
    record: dict[str, Any],
    book: PartyBook,
    by_name: dict[str, str],
) -> ChatEvent:
    action = record.get("action")
    actor_name = record.get("actor")
    actor = _account(book, _identifier(record.get("actor_id") or record.get("from_id")), actor_name)
    members = record.get("members")
    names = [m for m in members if isinstance(m, str)] if isinstance(members, list) else []
    if action == "join_group_by_link" and isinstance(record.get("inviter"), str):
        names = []
    targets = tuple(t for t in (_by_name(book, by_name, n) for n in names) if t is not None)
    event_type = ACTIONS.get(action, "unclassified") if isinstance(action, str) else "unclassified"
    if event_type == "removed" and actor is not None and targets == (actor,):
        event_type = "left"  # Telegram writes a leave as the member removing themself
        targets = ()
    details: dict[str, Any] = {"action": action}
    if names:
        details["targets_resolved_by_name"] = True
        details["targets_shown"] = names
    for key in ("title", "inviter", "period", "duration_seconds", "discard_reason", "message_id"):
        if key in record:
            details[key] = record[key]
    if event_type == "subject_changed" and "title" in record:
        details["new"] = record["title"]
    if event_type == "created" and "title" in record:
        details["subject"] = record["title"]
    text = flatten_text(record.get("text")) or str(action or record.get("information_text", ""))
    return ChatEvent(
        seq,
        at,
        event_type,
        actor,
        targets,
        actor_name if isinstance(actor_name, str) else None,
        text,
        0,
        details,
    )


# ---- registration -----------------------------------------------------------------------


def _sniff(file_name: str, head: bytes) -> bool:
    """A loose .json whose first value is an object (sigtop's is an array)."""
    return file_name.lower().endswith(".json") and _json_start(head) == b"{"


def _json_start(head: bytes) -> bytes:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]


def _member(names: list[str]) -> str | None:
    return next((n for n in names if PurePosixPath(n).name == "result.json"), None)


def _parse_request(request: ParseRequest) -> list[ParsedChat]:
    with request.open_bytes() as stream:
        data = stream.read()
    return parse_telegram(data, file_name=request.file_name, tz=request.tz)


register(
    ChatFormat(
        name="telegram",
        platform="telegram",
        parse=_parse_request,
        sniff=_sniff,
        member=_member,
        marker_names=("result.json",),
        suffixes=(".json",),
        priority=10,
    )
)
