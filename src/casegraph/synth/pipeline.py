"""The steps shared by both scales: write the operation's exports, then lists, tip and truth."""

from __future__ import annotations

import json
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casegraph.media.hashing import hash_media_bytes
from casegraph.model import MediaHashes
from casegraph.synth import hashlists, telegram_writer, truth, whatsapp_writer
from casegraph.synth.catalogue import small_catalogue
from casegraph.synth.device_android import write_msgstore
from casegraph.synth.device_ios import write_chatstorage
from casegraph.synth.operation import build_operation
from casegraph.synth.people import Person
from casegraph.synth.records import ChatPlan, MediaItem
from casegraph.synth.whatsapp_writer import Occurrence, Quirks

QUIRKS = {
    "g1": Quirks(bom_start=True, captions=1),
    "g2": Quirks(bom_lines=True, lrm_before_bracket=True, macosx=True),
}
# (catalogue key, category) of the VICS list; "0" is VICS 2.0 US non-pertinent
VICS_ROWS = [("S0", "1"), ("S1", "1"), ("S2", "2"), ("A0", "1"), ("P0", "2"), ("P1", "3"),
             ("V0", "1"), ("S5", "0"), ("U0", "1"), ("U1", "2")]  # fmt: skip
PDQ_ROWS = [("S0", "1"), ("S2", "2"), ("S10", "1"), ("A0", "1"), ("P0", "2"), ("P1", "3"),
            ("P2", "1"), ("U2", "1")]  # fmt: skip
TELEGRAM_NOT_INCLUDED = 6  # the sixth media message of t1 is exported as a placeholder


@dataclass(slots=True)
class Written:
    """Everything written so far, as the generator recorded it."""

    chats: list[ChatPlan]
    people: list[Person]
    occurrences: list[Occurrence]
    catalogue: dict[str, MediaItem]
    tip: str
    vics_rows: list[tuple[str, str]] = field(default_factory=lambda: list(VICS_ROWS))
    pdq_rows: list[tuple[str, str]] = field(default_factory=lambda: list(PDQ_ROWS))


def write_operation(outdir: Path, seed: int, rng: random.Random) -> Written:
    """The small operation (parent, break-offs, Telegram, controls) written under outdir/exports."""
    catalogue = small_catalogue(seed)
    operation = build_operation(rng, catalogue)
    exports = outdir / "exports"
    exports.mkdir(parents=True)
    occurrences: list[Occurrence] = []
    for plan in operation.chats:
        if plan.platform == "telegram":
            occurrences += telegram_writer.write_export(
                plan, exports, truth.ZONE, rng, not_included=TELEGRAM_NOT_INCLUDED
            )
        else:
            quirks = QUIRKS.get(plan.id, Quirks())
            occurrences += whatsapp_writer.write_export(plan, exports, quirks, rng)
    write_devices(outdir / "devices", operation.chats)
    return Written(operation.chats, operation.people, occurrences, catalogue, operation.tip)


def write_devices(folder: Path, chats: list[ChatPlan]) -> list[Path]:
    """Seized phones after the arrests: g1's creator's Android phone (msgstore.db with every
    operation group they are in) and g2's creator's iPhone (ChatStorage.sqlite with g2)."""
    plans = {plan.id: plan for plan in chats}
    android_owner = plans["g1"].creator or ""
    android = [p for p in chats if p.platform == "whatsapp" and android_owner in p.members
               and p.id.startswith("g")]  # fmt: skip
    ios_owner = plans["g2"].creator or ""
    return [
        write_msgstore(
            folder / "android-phone" / "msgstore.db", android, android_owner, truth.ZONE
        ),
        write_chatstorage(
            folder / "iphone" / "ChatStorage.sqlite", [plans["g2"]], ios_owner, truth.ZONE
        ),
    ]


def _hash_one(item: tuple[str, bytes]) -> MediaHashes:
    name, data = item
    return hash_media_bytes(data, name)


def hash_items(items: dict[str, MediaItem], workers: int = 1) -> dict[str, MediaHashes]:
    """Digests and PDQ of every item, in key order; `workers` > 1 spreads them over processes."""
    keys = sorted(items)
    jobs = [(f"{key}.{items[key].ext}", items[key].data) for key in keys]
    if workers > 1 and len(jobs) > 100:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_hash_one, jobs, chunksize=64))
    else:
        results = [_hash_one(job) for job in jobs]
    return dict(zip(keys, results, strict=True))


def finish(outdir: Path, seed: int, scale: str, written: Written, workers: int = 1) -> Path:
    """Hash lists, tip.txt and truth.json for what `written` holds."""
    catalogue = written.catalogue
    hashes = hash_items(catalogue, workers)
    lists, entries = _write_lists(outdir / "hashlists", written, hashes)
    posted = {o.item.key for o in written.occurrences}
    media_hashes = {hashes[key].file.sha256: hashes[key] for key in sorted(posted)}
    accounts = truth.account_truth(written.chats, written.people)
    document: dict[str, Any] = {
        "seed": seed,
        "scale": scale,
        "timezone": truth.TIMEZONE,
        "chats": [truth.chat_truth(plan) for plan in written.chats],
        "accounts": accounts,
        "media": truth.media_truth(written.occurrences, hashes),
        "hash_lists": lists,
        "expected_matches": hashlists.expected_matches(media_hashes, entries),
        "countries": truth.countries(accounts),
    }
    (outdir / "tip.txt").write_text(written.tip, encoding="utf-8")
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True)
    (outdir / "truth.json").write_text(text + "\n", encoding="utf-8")
    return outdir


def _write_lists(
    folder: Path, written: Written, hashes: dict[str, MediaHashes]
) -> tuple[list[dict[str, Any]], list[hashlists.ListEntry]]:
    catalogue = written.catalogue
    folder.mkdir(parents=True)
    vics = hashlists.write_vics(
        folder / "known.vics.json",
        [(hashes[k], hashlists.MIME[catalogue[k].ext], int(c)) for k, c in written.vics_rows],
    )
    pdq_rows = []
    for n, (key, category) in enumerate(written.pdq_rows, start=1):
        item = catalogue[key]
        pdq = hashlists.reference_pdq(item.data, f"{key}.{item.ext}")
        pdq_rows.append((pdq, category, f"synthetic-{n:05d}"))
    pdq_list = hashlists.write_pdq_csv(folder / "known_pdq.csv", pdq_rows, "known_pdq")
    lists = [
        {"file": "hashlists/known.vics.json", "format": "vics", "name": "known",
         "entries": len(vics), "negative": False},
        {"file": "hashlists/known_pdq.csv", "format": "csv", "name": "known_pdq",
         "entries": len(pdq_list), "negative": False},
    ]  # fmt: skip
    return lists, vics + pdq_list
