"""The media a small operation shares: originals, re-encoded copies, and never-posted extras."""

from __future__ import annotations

from casegraph.synth import images
from casegraph.synth.records import MediaItem
from casegraph.synth.video import video

# Benign sticker-maker packs (invented app and publisher names): S0-S6, S7-S13, A*.
PACKS = (
    {
        "sticker-pack-id": "org.example.stickerstudio.provider 1735622300",
        "sticker-pack-name": "Pegatinas del barrio",
        "sticker-pack-publisher": "Sticker Studio Demo",
        "emojis": ["\U0001f600"],
        "android-app-store-link": "https://play.example.org/store/apps/details?id=org.example.stickerstudio",
        "ios-app-store-link": "",
    },
    {
        "sticker-pack-id": "org.example.memepack.provider 1741000000",
        "sticker-pack-name": "Memes varios",
        "sticker-pack-publisher": "memepack-demo",
        "emojis": ["\U0001f602", "\U0001f44d"],
    },
    {
        "sticker-pack-id": "org.example.stickerstudio.provider 1742111111",
        "sticker-pack-name": "Animadas",
        "sticker-pack-publisher": "Sticker Studio Demo",
        "emojis": ["\U0001f389"],
    },
)


def small_catalogue(seed: int) -> dict[str, MediaItem]:
    """Keys: S* stickers, A* animated stickers, P* photos, V* videos, *r re-encoded copies,
    U* drawn but never posted (their hashes stand for list entries the case does not hold)."""
    base = seed * 1000
    items: dict[str, MediaItem] = {}
    for n in range(14):
        data = images.sticker(base + n, pack=PACKS[0] if n < 7 else PACKS[1])
        items[f"S{n}"] = MediaItem(f"S{n}", "sticker", data, "webp")
    for n in range(4):
        data = images.animated_sticker(base + 100 + n, frames=3 + n, pack=PACKS[2])
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
