"""Sticker pack metadata from a WebP's EXIF chunk, read from the RIFF container alone.

WhatsApp stickers (and the sticker-maker apps that make them) carry a tiny TIFF in the
`EXIF` chunk whose tag 0x5741 holds JSON: `sticker-pack-id`, `sticker-pack-name`,
`sticker-pack-publisher`, `emojis`, app-store links (reference: chat-formats.md §3b). Only
chunk headers are read and skipped, never pixel data, so a hostile file costs a few seeks.
"""

from __future__ import annotations

import json
import struct
from typing import IO, Any

PACK_TAG = 0x5741
MAX_CHUNKS = 64  # a sticker has a handful; more is not a sticker
MAX_EXIF = 64 * 1024
MAX_TEXT = 500  # longest string kept from the JSON
FIELDS = {
    "sticker-pack-id": "id",
    "sticker-pack-name": "name",
    "sticker-pack-publisher": "publisher",
    "emojis": "emojis",
    "android-app-store-link": "android_app_store_link",
    "ios-app-store-link": "ios_app_store_link",
}


def is_webp(head: bytes) -> bool:
    return len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def read_sticker_pack(stream: IO[bytes]) -> dict[str, Any] | None:
    """The pack metadata of a WebP stream, or None when it carries none (or is not WebP)."""
    exif = _exif_chunk(stream)
    if exif is None:
        return None
    raw = _pack_json(exif)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8", "replace").strip("\x00 \r\n\t"))
    except ValueError:
        return None
    return normalise_pack(data) if isinstance(data, dict) else None


def normalise_pack(data: dict[str, Any]) -> dict[str, Any] | None:
    """Known keys under stable names; other short string keys kept under `other`."""
    pack: dict[str, Any] = {}
    other: dict[str, str] = {}
    for key, value in data.items():
        name = FIELDS.get(str(key))
        if name == "emojis":
            if isinstance(value, list):
                pack["emojis"] = [str(e)[:16] for e in value[:30]]
        elif name is not None:
            if isinstance(value, str | int | float) and str(value).strip():
                pack[name] = str(value)[:MAX_TEXT]
        elif isinstance(value, str | int | float | bool) and len(other) < 20:
            other[str(key)[:60]] = str(value)[:MAX_TEXT]
    if other:
        pack["other"] = other
    return pack if {"id", "name", "publisher"} & pack.keys() else None


def _exif_chunk(stream: IO[bytes]) -> bytes | None:
    head = stream.read(12)
    if not is_webp(head):
        return None
    for _ in range(MAX_CHUNKS):
        header = stream.read(8)
        if len(header) < 8:
            return None
        fourcc, size = header[:4], struct.unpack("<I", header[4:])[0]
        if fourcc == b"EXIF":
            if size > MAX_EXIF:
                return None
            data = stream.read(size)
            return data if len(data) == size else None
        stream.seek(size + (size & 1), 1)  # chunks are padded to even length
    return None


def _pack_json(exif: bytes) -> bytes | None:
    """The value of tag 0x5741 in a TIFF block (some writers prefix `Exif\\0\\0`)."""
    if exif.startswith(b"Exif\x00\x00"):
        exif = exif[6:]
    if len(exif) < 8 or exif[:2] not in (b"II", b"MM"):
        return None
    order = "<" if exif[:2] == b"II" else ">"
    if struct.unpack(order + "H", exif[2:4])[0] != 42:
        return None
    ifd = struct.unpack(order + "I", exif[4:8])[0]
    if ifd + 2 > len(exif):
        return None
    count = struct.unpack(order + "H", exif[ifd : ifd + 2])[0]
    for index in range(min(count, 100)):
        entry = exif[ifd + 2 + 12 * index : ifd + 14 + 12 * index]
        if len(entry) < 12:
            return None
        tag, _type, length, value = struct.unpack(order + "HHII", entry)
        if tag != PACK_TAG:
            continue
        if length <= 4:
            return entry[8 : 8 + length]
        if value + length > len(exif):
            return None
        return exif[value : value + length]
    return None


def exif_for_pack(pack: dict[str, Any]) -> bytes:
    """The EXIF chunk payload sticker apps write for `pack` (used by the synthetic generator)."""
    body = json.dumps(pack, ensure_ascii=False).encode()
    header = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    entry = struct.pack("<HHII", PACK_TAG, 7, len(body), 22)
    return header + entry + body
