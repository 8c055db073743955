"""Renders a planned chat as the text (and zip) a WhatsApp "Export chat" produces."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from casegraph.synth.locales import (
    ANDROID_ATTACHED,
    ANDROID_CHAT_NAME,
    BOM,
    DELETED,
    E2E,
    IOS_ATTACHED,
    IOS_OMITTED,
    LRM,
    MEDIA_OMITTED,
    TARGET_JOIN,
    VARIANTS,
    Variant,
)
from casegraph.synth.phrases import CAPTIONS
from casegraph.synth.records import ChatPlan, Entry, MediaItem
from casegraph.synth.zipfiles import write_zip

ANDROID_KIND = {
    "image": ("IMG", "jpg"),
    "sticker": ("STK", "webp"),
    "animated_sticker": ("STK", "webp"),
    "video": ("VID", "mp4"),
}
IOS_KIND = {
    "image": ("PHOTO", "jpg"),
    "sticker": ("STICKER", "webp"),
    "animated_sticker": ("STICKER", "webp"),
    "video": ("VIDEO", "mp4"),
}


@dataclass(slots=True)
class Occurrence:
    """A media file as written: where it lies, who posted it, when."""

    path: str  # truth form: "exports/<zip>!<member>" or "exports/<folder>/<file>"
    item: MediaItem
    chat: str
    author: str
    at: datetime


@dataclass(slots=True)
class Quirks:
    """Per-export oddities of real files (chat-formats.md §1.3-1.9)."""

    bom_start: bool = False
    bom_lines: bool = False
    lrm_before_bracket: bool = False
    captions: int = 0
    macosx: bool = False
    extra: dict[str, bool] = field(default_factory=dict)


class _Namer:
    """Attachment file names as each OS numbers them."""

    def __init__(self, variant: Variant, rng: random.Random) -> None:
        self.variant, self.rng = variant, rng
        self.per_day: dict[str, int] = defaultdict(int)
        self.sequence = 0

    def name(self, item: MediaItem, at: datetime) -> str:
        if self.variant.os == "android":
            kind, ext = ANDROID_KIND[item.kind]
            day = at.strftime("%Y%m%d")
            number = self.per_day[day]
            self.per_day[day] += 1
            return f"{kind}-{day}-WA{number:04d}.{ext}"
        self.sequence += 1
        kind, ext = IOS_KIND[item.kind]
        # the time in an iOS name can trail the header by a second
        stamp = (at + timedelta(seconds=self.rng.choice((0, 0, 1)))).strftime("%Y-%m-%d-%H-%M-%S")
        return f"{self.sequence:08d}-{kind}-{stamp}.{ext}"


def _event_text(variant: Variant, entry: Entry, labels: dict[str, str], title: str) -> str:
    if entry.event == "encryption_notice":
        return E2E[variant.language]
    template = variant.events[entry.event]
    names = [labels[t] for t in entry.targets]
    last_join = TARGET_JOIN[variant.language]
    targets = ", ".join(names) if len(names) < 2 else ", ".join(names[:-1]) + last_join + names[-1]
    old, new = entry.old, entry.new
    if entry.event == "number_changed":
        old, new = labels[entry.old], labels[entry.new]
    actor = labels[entry.author] if entry.author else ""
    return template.format(A=actor, B=targets, G=title, old=old, new=new)


def render(
    plan: ChatPlan, quirks: Quirks, rng: random.Random
) -> tuple[str, list[tuple[str, Entry]]]:
    """The chat text and the (attachment name, entry) pairs it references, in file order."""
    variant = VARIANTS[plan.variant]
    language, labels = variant.language, plan.labels
    namer = _Namer(variant, rng)
    lines: list[str] = []
    attachments: list[tuple[str, Entry]] = []
    title = plan.first_title()
    captions_left = quirks.captions
    for index, entry in enumerate(plan.entries):
        head = variant.header(entry.at)
        if quirks.bom_lines and index % 7 == 3:
            head = BOM + head
        if entry.kind == "event":
            text = _event_text(variant, entry, labels, title)
            if entry.event == "subject_changed":
                title = entry.new
            if variant.os == "android":
                lines.append(head + text)
                continue
            # modern iOS puts the actor or the group subject in the author slot
            slot = (
                labels[entry.author]
                if entry.event in ("created", "subject_changed") and entry.author
                else title
            )
            prefix = LRM if quirks.lrm_before_bracket else ""
            lines.append(f"{prefix}{head}{slot}: {LRM}{text}")
            continue
        author = labels[entry.author or ""]
        if entry.kind == "text":
            body = entry.text
        elif entry.kind == "media":
            assert entry.media is not None
            name = namer.name(entry.media, entry.at)
            attachments.append((name, entry))
            if variant.os == "ios":
                body = LRM + IOS_ATTACHED[language].format(name=name)
            else:
                body = f"{LRM}{name} {ANDROID_ATTACHED[language]}"
                if captions_left and entry.media.kind == "image":
                    captions_left -= 1
                    body += "\n" + CAPTIONS[language]
        elif entry.kind == "media_omitted":
            body = (
                MEDIA_OMITTED[language]
                if variant.os == "android"
                else LRM + IOS_OMITTED[language]["image"]
            )
        elif entry.kind == "deleted":
            body = DELETED[language]
        elif entry.kind == "view_once":
            lines.append(f"{head}{author}:" if variant.os == "ios" else f"{head}{author}: null")
            continue
        else:
            raise ValueError(f"unknown entry kind {entry.kind!r} in chat {plan.id}")
        lines.append(f"{head}{author}: {body}")
    text = (
        variant.newline.join(line.replace("\n", variant.newline) for line in lines)
        + variant.newline
    )
    return (BOM + text if quirks.bom_start else text), attachments


def export_name(plan: ChatPlan) -> str:
    variant = VARIANTS[plan.variant]
    if variant.os == "ios":
        return f"WhatsApp Chat - {plan.title}"
    return ANDROID_CHAT_NAME[variant.language].format(name=plan.title)


def write_export(
    plan: ChatPlan, exports: Path, quirks: Quirks, rng: random.Random
) -> list[Occurrence]:
    """Write the chat as a loose .txt (without media) or a .zip (with media); fills plan.export."""
    text, attachments = render(plan, quirks, rng)
    variant = VARIANTS[plan.variant]
    base = export_name(plan)
    data = text.encode("utf-8")
    if not plan.with_media:
        (exports / f"{base}.txt").write_bytes(data)
        plan.export = f"exports/{base}.txt"
        return []
    chat_member = "_chat.txt" if variant.os == "ios" else f"{base}.txt"
    members = [(chat_member, data)] + [(name, e.media.data) for name, e in attachments if e.media]
    stamp = plan.entries[-1].at + timedelta(minutes=7)
    write_zip(exports / f"{base}.zip", members, stamp, macosx=quirks.macosx)
    plan.export = f"exports/{base}.zip"
    return [
        Occurrence(f"{plan.export}!{name}", entry.media, plan.id, entry.author or "", entry.at)
        for name, entry in attachments
        if entry.media is not None
    ]
