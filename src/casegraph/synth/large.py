"""Large scale: the small operation plus 200 background chats and one 1,000,000-message export.

Sizes: >= 1,000,000 messages over >= 200 chats, >= 5,000 accounts, >= 50,000 media files.
Pictures are small (128 px stickers, 192x144 photos) and drawn across processes; the big
chat is built as one string from numpy draws instead of per-message records.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from rich.progress import Progress

from casegraph.synth import images, whatsapp_writer
from casegraph.synth.builder import ChatBuilder
from casegraph.synth.locales import DELETED, E2E, EVENTS, MEDIA_OMITTED, VARIANTS
from casegraph.synth.people import Person, international, make_person
from casegraph.synth.phrases import PHRASES
from casegraph.synth.pipeline import Written, finish, write_operation
from casegraph.synth.records import ChatPlan, MediaItem
from casegraph.synth.whatsapp_writer import Quirks

POOL_SIZE = 5_400
BACKGROUND_CHATS = 200
MEDIA_PER_CHAT = 500  # in the 100 background chats exported with media: 50,000 files
DISTINCT_STICKERS, DISTINCT_PHOTOS, RECODED = 2_600, 2_400, 500
BIG_CHAT_MESSAGES = 1_000_000
BIG_CHAT_MEMBERS = 1_000
POOL_COUNTRIES = {"ES": 30, "MX": 15, "AR": 8, "CO": 8, "PE": 5, "CL": 5, "IT": 8, "FR": 8,
                  "BR": 6, "PT": 3, "GB": 2, "US": 2}  # fmt: skip
TITLE_WORDS = {
    "es": ("Peña", "Amigos", "Clase", "Fútbol", "Barrio"),
    "en": ("Friends", "Team"),
    "pt": ("Amigos", "Turma"),
    "fr": ("Amis", "Équipe"),
    "it": ("Amici", "Squadra"),
}
BIG_VARIANT = "android-en-gb-24h"


def _draw(job: tuple[str, str, int]) -> MediaItem:
    """One background picture; runs in a worker process, a pure function of the job."""
    key, kind, seed = job
    if kind == "sticker":
        return MediaItem(key, "sticker", images.sticker(seed, size=128, quality=70), "webp")
    photo = images.photo(seed, width=192, height=144, quality=80)
    if kind == "photo":
        return MediaItem(key, "image", photo, "jpg")
    original = key.removesuffix("r")
    if kind == "sticker_r":
        data = images.reencode_webp(images.sticker(seed, size=128, quality=70), quality=45)
        return MediaItem(key, "sticker", data, "webp", variant_of=original)
    return MediaItem(
        key, "image", images.reencode_jpeg(photo, 0.75, 60), "jpg", variant_of=original
    )


def _jobs(seed: int) -> list[tuple[str, str, int]]:
    base = seed * 1_000_000 + 10_000
    jobs = [(f"B{n}", "sticker", base + n) for n in range(DISTINCT_STICKERS)]
    jobs += [
        (f"B{n}", "photo", base + n)
        for n in range(DISTINCT_STICKERS, DISTINCT_STICKERS + DISTINCT_PHOTOS)
    ]
    step = (DISTINCT_STICKERS + DISTINCT_PHOTOS) // RECODED
    for n in range(0, DISTINCT_STICKERS + DISTINCT_PHOTOS, step):
        jobs.append((f"B{n}r", "sticker_r" if n < DISTINCT_STICKERS else "photo_r", base + n))
    return jobs


def generate_large(outdir: Path, seed: int) -> Path:
    rng = random.Random(seed)
    workers = max(1, min(4, os.cpu_count() or 1))
    with Progress() as progress:
        step = progress.add_task("synthetic operation", total=6)
        written = write_operation(outdir, seed, rng)
        progress.update(step, advance=1, description="people")
        taken = {p.phone for p in written.people if p.phone} | {
            n for p in written.people for n in p.extra_phones
        }
        countries = list(POOL_COUNTRIES)
        weights = list(POOL_COUNTRIES.values())
        pool = [
            make_person(rng, f"bg{n}", rng.choices(countries, weights)[0], taken)
            for n in range(POOL_SIZE)
        ]
        written.people += pool
        progress.update(step, advance=1, description="drawing media")
        jobs = _jobs(seed)
        drawing = progress.add_task("media", total=len(jobs))
        with ProcessPoolExecutor(max_workers=workers) as executor:
            for item in executor.map(_draw, jobs, chunksize=50):
                written.catalogue[item.key] = item
                progress.advance(drawing)
        progress.update(step, advance=1, description="background chats")
        chatting = progress.add_task("chats", total=BACKGROUND_CHATS)
        _background_chats(
            outdir / "exports", rng, written, pool, lambda: progress.advance(chatting)
        )
        progress.update(step, advance=1, description="1,000,000-message chat")
        written.chats.append(_big_chat(outdir / "exports", seed, pool[:BIG_CHAT_MEMBERS]))
        progress.update(step, advance=1, description="hash lists and truth")
        _list_rows(written)
        finish(outdir, seed, "large", written, workers=workers)
        progress.update(step, advance=1, description="done")
    return outdir


def _background_chats(
    exports: Path,
    rng: random.Random,
    written: Written,
    pool: list[Person],
    advance: Callable[[], None],
) -> None:
    language_of = {p.phone or "": p.language for p in pool}
    keys = [k for k in written.catalogue if k.startswith("B")]
    popularity = list(np.cumsum([1.0 / (rank + 1) ** 0.8 for rank in range(len(keys))]))
    variants = [v for v in VARIANTS if v != BIG_VARIANT]
    members_of: list[list[Person]] = [[] for _ in range(BACKGROUND_CHATS)]
    for n, person in enumerate(pool):  # everyone in at least one chat
        members_of[n % BACKGROUND_CHATS].append(person)
    for group in members_of:
        group += rng.sample(pool, rng.randint(0, 15))
    for n, group in enumerate(members_of):
        members = list(dict.fromkeys(p.phone or "" for p in group))
        with_media = n % 2 == 0
        variant = VARIANTS[variants[n % len(variants)]]
        title = f"{rng.choice(TITLE_WORDS[variant.language])} {n + 1:03d}"
        plan = ChatPlan(
            f"b{n + 1:03d}", "whatsapp", title, variant.name, with_media, variant.language
        )
        plan.labels = {m: international(m) for m in members}
        builder = ChatBuilder(plan, rng, language_of)
        start = datetime(2023, 6, 1, 9) + timedelta(
            days=rng.randrange(180), minutes=rng.randrange(600)
        )
        builder.created(start, members[0], members[1:6])
        for m, member in enumerate(members[6:]):
            builder.joined(start + timedelta(hours=3 + 7 * m, minutes=rng.randrange(60)), member)
        media = [
            written.catalogue[k]
            for k in rng.choices(keys, cum_weights=popularity, k=MEDIA_PER_CHAT)
        ]
        count = 1_100 if with_media else 400
        builder.fill(start + timedelta(minutes=10), start + timedelta(days=90), count,
                     media if with_media else media[:20])  # fmt: skip
        written.occurrences += whatsapp_writer.write_export(plan, exports, Quirks(), rng)
        written.chats.append(plan)
        advance()


def _big_chat(exports: Path, seed: int, members: list[Person]) -> ChatPlan:
    """One Android export of 1,000,000 messages written as a single string (benchmark feed)."""
    variant = VARIANTS[BIG_VARIANT]
    plan = ChatPlan("big", "whatsapp", "Weekend League", BIG_VARIANT, False, "en")
    ids = [p.phone or "" for p in members]
    plan.labels = {i: international(i) for i in ids}
    plan.members, plan.creator = ids, ids[0]
    start = datetime(2022, 1, 3, 7, 0)
    plan.created_at = start
    head = variant.header(start)
    lines = [
        head + E2E["en"],
        head + EVENTS["en"]["created"].format(A=plan.labels[ids[0]], G=plan.title),
    ]
    for first in range(1, len(ids), 10):
        targets = ", ".join(plan.labels[i] for i in ids[first : first + 10])
        lines.append(head + EVENTS["en"]["added"].format(A=plan.labels[ids[0]], B=targets))
    added = len(lines) - 2
    rng = np.random.default_rng(seed)
    days = 730
    stamps = np.sort(
        rng.integers(0, days, BIG_CHAT_MESSAGES) * 1440
        + rng.integers(8 * 60, 24 * 60, BIG_CHAT_MESSAGES)
    )
    day_prefix = [(start + timedelta(days=d)).strftime("%d/%m/%Y, ") for d in range(days)]
    clock = [f"{m // 60:02d}:{m % 60:02d} - " for m in range(1440)]
    labels = [plan.labels[i] + ": " for i in ids]
    banks = [PHRASES[p.language] for p in members]
    authors = rng.integers(0, len(ids), BIG_CHAT_MESSAGES).tolist()
    picks = rng.integers(0, 1 << 20, BIG_CHAT_MESSAGES).tolist()
    omitted, deleted = MEDIA_OMITTED["en"], DELETED["en"]
    for n, (stamp, author, pick) in enumerate(zip(stamps.tolist(), authors, picks, strict=True)):
        if n % 37 == 36:
            body = omitted
        elif n % 997 == 996:
            body = deleted
        else:
            bank = banks[author]
            body = bank[pick % len(bank)]
            if n % 211 == 210:
                body += "\n\n" + bank[(pick >> 7) % len(bank)]
        lines.append(day_prefix[stamp // 1440] + clock[stamp % 1440] + labels[author] + body)
    name = whatsapp_writer.export_name(plan)
    (exports / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan.export = f"exports/{name}.txt"
    plan.counted = (BIG_CHAT_MESSAGES, {"encryption_notice": 1, "created": 1, "added": added})
    return plan


def _list_rows(written: Written) -> None:
    """Background pictures join the lists: some by MD5/SHA-1, some by PDQ (re-encoded copies)."""
    posted = sorted({o.item.key for o in written.occurrences if o.item.key.startswith("B")})
    originals = [k for k in posted if not k.endswith("r")]
    for n, key in enumerate(originals[::60]):
        written.vics_rows.append((key, str(1 + n % 3)))
    recoded = [k.removesuffix("r") for k in posted if k.endswith("r")]
    for n, key in enumerate(recoded[::5]):
        written.pdq_rows.append((key, str(1 + n % 3)))
