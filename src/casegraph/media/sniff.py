"""What a media file is, from its first bytes (names lie; exports rename files freely)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

HEAD_BYTES = 64


@dataclass(frozen=True, slots=True)
class Sniffed:
    family: str  # "image" | "video" | "audio" | "document" | "lottie" | "unknown"
    mime: str
    format: str  # short container name: jpeg, png, webp, gif, heif, mp4, webm, ...


_FTYP_IMAGE = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
_FTYP_AUDIO = {b"M4A ", b"M4B ", b"M4P "}


def sniff(head: bytes, filename: str = "") -> Sniffed:
    """Classify by magic bytes; the file name only breaks ties the bytes cannot."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "image/jpeg", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "image/png", "png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image", "image/gif", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "image/webp", "webp")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video", "video/x-msvideo", "avi")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio", "audio/wav", "wav")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_IMAGE:
            return Sniffed("image", "image/heif", "heif")
        if brand in _FTYP_AUDIO:
            return Sniffed("audio", "audio/mp4", "m4a")
        if brand.startswith(b"3g"):
            return Sniffed("video", "video/3gpp", "3gp")
        if brand == b"qt  ":
            return Sniffed("video", "video/quicktime", "mov")
        return Sniffed("video", "video/mp4", "mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video", "video/webm", "webm")
    if head.startswith(b"OggS"):
        return Sniffed("audio", "audio/ogg", "ogg")
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return Sniffed("audio", "audio/mpeg", "mp3")
    if head.startswith(b"#!AMR"):
        return Sniffed("audio", "audio/amr", "amr")
    if head.startswith(b"%PDF"):
        return Sniffed("document", "application/pdf", "pdf")
    if head.startswith(b"\x1f\x8b") and suffix == ".tgs":
        return Sniffed("lottie", "application/x-tgsticker", "tgs")
    if head.startswith(b"BM"):
        return Sniffed("image", "image/bmp", "bmp")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image", "image/tiff", "tiff")
    return Sniffed("unknown", "application/octet-stream", suffix.lstrip(".") or "unknown")


def media_kind(sniffed: Sniffed, animated: bool = False) -> str:
    """A MEDIA_KINDS value: WebP is how both apps ship stickers, so WebP means sticker."""
    if sniffed.format == "webp":
        return "animated_sticker" if animated else "sticker"
    if sniffed.format == "tgs":
        return "animated_sticker"
    if sniffed.format == "gif":
        return "gif" if animated else "image"
    if sniffed.family in ("image", "video", "audio", "document"):
        return sniffed.family
    return "other"
