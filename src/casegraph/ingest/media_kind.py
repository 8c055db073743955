"""Media kind of an attachment from its name (as the apps name files) and first bytes."""

from __future__ import annotations

from pathlib import PurePosixPath

_BY_SUFFIX = {
    ".jpg": "image", ".jpeg": "image", ".png": "image", ".heic": "image", ".bmp": "image",
    ".gif": "gif", ".webp": "image", ".mp4": "video", ".mov": "video", ".3gp": "video",
    ".mkv": "video", ".webm": "video", ".opus": "audio", ".ogg": "audio", ".oga": "audio",
    ".m4a": "audio", ".mp3": "audio", ".aac": "audio", ".amr": "audio", ".wav": "audio",
    ".pdf": "document", ".doc": "document", ".docx": "document", ".txt": "document",
    ".vcf": "document", ".tgs": "animated_sticker",
}  # fmt: skip
_BY_PREFIX = {"IMG": "image", "VID": "video", "PTT": "audio", "AUD": "audio", "DOC": "document",
              "STK": "sticker"}  # fmt: skip
_IOS_KIND = {"PHOTO": "image", "VIDEO": "video", "AUDIO": "audio", "STICKER": "sticker",
             "GIF": "gif"}  # fmt: skip
_TELEGRAM_DIRS = {"stickers": "sticker", "photos": "image", "video_files": "video",
                  "animations": "gif", "voice_messages": "audio", "round_video_messages": "video",
                  "audio_files": "audio", "files": "document"}  # fmt: skip


def kind_from_name(reference: str) -> str:
    """Kind a file name says: WhatsApp STK-/IMG- prefixes, iOS -STICKER- tags, folders, suffix."""
    path = PurePosixPath(reference.replace("\\", "/"))
    name = path.name
    head = name.split("-", 1)[0].upper()
    if head in _BY_PREFIX:
        return _BY_PREFIX[head]
    parts = name.split("-")
    if len(parts) > 2 and parts[0].isdigit() and parts[1].upper() in _IOS_KIND:
        return _IOS_KIND[parts[1].upper()]
    for folder in path.parts[:-1]:
        if folder in _TELEGRAM_DIRS:
            return _TELEGRAM_DIRS[folder]
    return _BY_SUFFIX.get(path.suffix.lower(), "other")


def is_animated_webp(head: bytes) -> bool:
    """True for a WebP whose VP8X header sets the animation flag (first 32 bytes suffice)."""
    return (
        len(head) >= 21
        and head[:4] == b"RIFF"
        and head[8:12] == b"WEBP"
        and head[12:16] == b"VP8X"
        and bool(head[20] & 0x02)
    )


def refine_kind(kind: str, head: bytes) -> str:
    """Animated stickers are told apart from still ones by their bytes, not their name."""
    if kind == "sticker" and is_animated_webp(head):
        return "animated_sticker"
    return kind
