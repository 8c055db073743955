"""Renders a planned chat as a Telegram Desktop single-chat export folder (result.json + media)."""

from __future__ import annotations

import io
import json
import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from casegraph.synth.records import ChatPlan, Entry
from casegraph.synth.whatsapp_writer import Occurrence

NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
STICKER_EMOJI = ("😂", "👍", "🔥", "😎", "🙌")


def _dates(at: datetime, zone: ZoneInfo) -> dict[str, str]:
    # `date` is the exporting machine's local time, `date_unixtime` the UTC epoch
    return {
        "date": at.strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(int(at.replace(tzinfo=zone).timestamp())),
    }


def _text_fields(text: str, rng: random.Random) -> dict[str, object]:
    """Plain runs are a string; some messages carry a bold word, making `text` a list."""
    words = text.split(" ", 1)
    if len(words) == 2 and rng.random() < 0.2:
        entities = [{"type": "bold", "text": words[0]}, {"type": "plain", "text": " " + words[1]}]
        return {
            "text": [{"type": "bold", "text": words[0]}, " " + words[1]],
            "text_entities": entities,
        }
    return {"text": text, "text_entities": [{"type": "plain", "text": text}] if text else []}


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def _service(entry: Entry, plan: ChatPlan) -> dict[str, object]:
    names = plan.labels
    record: dict[str, object] = {"actor": names[entry.author or ""], "actor_id": entry.author}
    if entry.event == "created":
        record.update(action="create_group", title=plan.first_title(), members=[])
    elif entry.event == "added":
        record.update(action="invite_members", members=[names[t] for t in entry.targets])
    elif entry.event == "joined_via_link":
        record.update(action="join_group_by_link", inviter=names[plan.creator or ""])
    elif entry.event == "subject_changed":
        record.update(action="edit_group_title", title=entry.new)
    elif entry.event == "removed":
        record.update(action="remove_members", members=[names[t] for t in entry.targets])
    else:
        raise ValueError(f"no Telegram service action for event {entry.event!r}")
    return record


def write_export(
    plan: ChatPlan, exports: Path, zone: ZoneInfo, rng: random.Random, not_included: int
) -> list[Occurrence]:
    """Write `ChatExport_<date>/` with result.json, photos/, stickers/, video_files/.

    The `not_included`-th media message is written as the "File not included" placeholder.
    """
    last = plan.entries[-1].at
    folder_name = f"ChatExport_{last:%Y-%m-%d}"
    folder = exports / folder_name
    plan.export = f"exports/{folder_name}"
    messages: list[dict[str, object]] = []
    occurrences: list[Occurrence] = []
    counters = {"photos": 0, "stickers": 0, "video_files": 0}
    media_seen = 0
    for number, entry in enumerate(plan.entries, start=1):
        record: dict[str, object] = {
            "id": number,
            "type": "service" if entry.kind == "event" else "message",
        }
        record.update(_dates(entry.at, zone))
        if entry.kind == "event":
            record.update(_service(entry, plan))
            record.update(text="", text_entities=[])
            messages.append(record)
            continue
        record.update({"from": plan.labels[entry.author or ""], "from_id": entry.author})
        if entry.kind != "media" or entry.media is None:
            record.update(_text_fields(entry.text, rng))
            messages.append(record)
            continue
        media_seen += 1
        item = entry.media
        relative = ""
        if item.kind == "image":
            counters["photos"] += 1
            relative = f"photos/photo_{counters['photos']}@{entry.at:%d-%m-%Y_%H-%M-%S}.jpg"
            if media_seen == not_included:
                relative = NOT_INCLUDED
            width, height = _size(item.data)
            record.update(
                photo=relative, photo_file_size=len(item.data), width=width, height=height
            )
        elif item.kind in ("sticker", "animated_sticker"):
            counters["stickers"] += 1
            n = counters["stickers"]
            relative = "stickers/sticker.webp" if n == 1 else f"stickers/sticker ({n}).webp"
            record.update(
                file=relative,
                file_size=len(item.data),
                media_type="sticker",
                sticker_emoji=rng.choice(STICKER_EMOJI),
                width=512,
                height=512,
                mime_type="image/webp",
            )
        else:
            counters["video_files"] += 1
            relative = (
                f"video_files/video_{counters['video_files']}@{entry.at:%d-%m-%Y_%H-%M-%S}.mp4"
            )
            record.update(
                file=relative,
                file_size=len(item.data),
                media_type="video_file",
                mime_type="video/mp4",
                duration_seconds=1,
                width=160,
                height=120,
            )
        record.update(text="", text_entities=[])
        messages.append(record)
        if relative == NOT_INCLUDED:
            continue
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(item.data)
        occurrences.append(
            Occurrence(f"{plan.export}/{relative}", item, plan.id, entry.author or "", entry.at)
        )
    document = {
        "name": plan.title,
        "type": "private_supergroup",
        "id": plan.native_id,
        "messages": messages,
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return occurrences
