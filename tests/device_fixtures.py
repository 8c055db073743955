"""One small synthetic group, written as exports (Android, iOS) and as device databases."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from casegraph.synth import images, whatsapp_writer
from casegraph.synth.device_android import write_msgstore
from casegraph.synth.device_ios import write_chatstorage
from casegraph.synth.records import ChatPlan, Entry, MediaItem
from casegraph.synth.whatsapp_writer import Quirks

ZONE_NAME = "Europe/Madrid"
ZONE = ZoneInfo(ZONE_NAME)
A, B, C, D, E = (f"+3460011100{n}" for n in range(1, 6))
NUMBERS = {x: f"+34 600 11 10 0{n}" for n, x in enumerate((A, B, C, D, E), start=1)}
CONTACT_NAMES = {B: "Berta Ruiz", C: "Carlos Gil"}  # how an iPhone's address book shows them
PACK = {"sticker-pack-id": "org.example.stickerstudio.provider 1711000000",
        "sticker-pack-name": "Barrio", "sticker-pack-publisher": "Sticker Studio Demo"}  # fmt: skip
STICKER = MediaItem("S0", "sticker", images.sticker(41, size=64, pack=PACK), "webp")
TEXTS = ["hola a todos", "buenas", "que tal", "me encanta", "otra vez", "vale", "genial", "si"]


def _at(hour: int, minute: int, second: int) -> datetime:
    return datetime(2024, 3, 21, hour, minute, second)


def group_plan(variant: str = "android-es-12h") -> ChatPlan:
    """Created by A (the seized Android phone's owner), five members, D never writes."""
    authors = [A, B, C, B, C, B, C, A]
    entries = [
        Entry(_at(10, 0, 5), "event", None, event="encryption_notice"),
        Entry(_at(10, 0, 5), "event", A, event="created"),
        Entry(_at(10, 0, 25), "event", A, event="added", targets=(B, C, D, E)),
    ]
    for n, (author, text) in enumerate(zip(authors, TEXTS, strict=True)):
        entries.append(Entry(_at(10, 5 + n, 13 + n), "text", author, text=text))
        if n == 3:
            entries.append(Entry(_at(10, 8, 50), "media", B, media=STICKER))
    entries += [
        Entry(
            _at(11, 0, 7), "event", A, event="subject_changed", old="Pegatinas", new="Pegatinas 2"
        ),
        Entry(_at(11, 20, 17), "event", E, event="left"),
        Entry(_at(11, 30, 44), "deleted", C),
        Entry(_at(11, 31, 5), "text", A, text="adios"),
    ]
    return ChatPlan(
        id="gx",
        platform="whatsapp",
        title="Pegatinas 2",
        variant=variant,
        with_media=True,
        language="es",
        aliases=["Pegatinas"],
        creator=A,
        created_at=_at(10, 0, 5),
        members=[A, B, C, D, E],
        labels=dict(NUMBERS),
        entries=entries,
    )


def write_export(folder: Path, plan: ChatPlan, contact_names: bool = False) -> Path:
    """The plan as an "Export chat" zip; iOS exports may show address-book names."""
    folder.mkdir(parents=True, exist_ok=True)
    if contact_names:
        plan = replace(plan, labels={**plan.labels, **CONTACT_NAMES})
    whatsapp_writer.write_export(plan, folder, Quirks(), random.Random(5))
    return folder / Path(plan.export).name


def android_db(folder: Path, plan: ChatPlan | None = None, legacy: bool = False) -> Path:
    return write_msgstore(folder / "msgstore.db", [plan or group_plan()], A, ZONE, legacy=legacy)


def ios_db(folder: Path, plan: ChatPlan | None = None, owner: str = B) -> Path:
    plan = plan or group_plan("ios-es-12h")
    return write_chatstorage(
        folder / "ChatStorage.sqlite",
        [replace(plan, labels={**plan.labels, **CONTACT_NAMES})],
        owner,
        ZONE,
    )
