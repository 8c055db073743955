"""The media a small operation shares: originals, re-encoded copies, and never-posted extras."""

from __future__ import annotations

from casegraph.synth import images
from casegraph.synth.records import MediaItem
from casegraph.synth.video import video


def small_catalogue(seed: int) -> dict[str, MediaItem]:
    """Keys: S* stickers, A* animated stickers, P* photos, V* videos, *r re-encoded copies,
    U* drawn but never posted (their hashes stand for list entries the case does not hold)."""
    base = seed * 1000
    items: dict[str, MediaItem] = {}
    for n in range(14):
        items[f"S{n}"] = MediaItem(f"S{n}", "sticker", images.sticker(base + n), "webp")
    for n in range(4):
        data = images.animated_sticker(base + 100 + n, frames=3 + n)
        items[f"A{n}"] = MediaItem(f"A{n}", "animated_sticker", data, "webp")
    for n in range(6):
        items[f"P{n}"] = MediaItem(f"P{n}", "image", images.photo(base + 200 + n), "jpg")
    for n in range(2):
        items[f"V{n}"] = MediaItem(f"V{n}", "video", video(base + 300 + n), "mp4")
    for n in range(3):
        items[f"U{n}"] = MediaItem(f"U{n}", "sticker", images.sticker(base + 900 + n), "webp")
    for key in ("S0", "S1", "S2", "S10"):
        data = images.reencode_webp(items[key].data, quality=50)
        items[key + "r"] = MediaItem(key + "r", "sticker", data, "webp", variant_of=key)
    items["A0r"] = MediaItem(
        "A0r",
        "animated_sticker",
        images.reencode_webp(items["A0"].data, 55),
        "webp",
        variant_of="A0",
    )
    for key, scale, quality in (("P0", 0.78125, 70), ("P1", 0.625, 60), ("P2", 0.75, 75)):
        data = images.reencode_jpeg(items[key].data, scale, quality)
        items[key + "r"] = MediaItem(key + "r", "image", data, "jpg", variant_of=key)
    return items
