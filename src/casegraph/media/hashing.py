"""Hashing of one media file: SHA-256/MD5/SHA-1 (streamed) and PDQ with quality.

PDQ follows DESIGN.md: Pillow decode, the stored R, G, B channels with alpha ignored (never
composited), frame 0 as the image hash, and per-frame hashes (distinct, in order) for
animated GIF/WebP and for videos sampled once a second. Bad media never raise: the result
carries `error` with the reason and no perceptual hash.

Two PDQ engines give the same hashes within a few bits: "reference" is Meta's C++ through
`pdqhash` on a full decode; "fast" (default) is the numpy port in `pdq.py`, and for JPEG it
decodes only the luma plane at reduced DCT scale (`draft`) with the full-size filter pushed
down to that scale. bench/hashing.py measures both speed and agreement.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image

from casegraph.errors import InputError
from casegraph.media import frames, pdq
from casegraph.media.sniff import HEAD_BYTES, Sniffed, media_kind, sniff
from casegraph.model import FileHashes, MediaHashes
from casegraph.store.evidence import hash_bytes, hash_file

ENGINES = ("fast", "reference")
DEFAULT_ENGINE = "fast"
MAX_IMAGE_BYTES = 256 * 1024 * 1024  # images are read into memory; videos are streamed
JPEG_DRAFT_MIN_SIDE = 256  # reduced JPEG decodes keep at least this many pixels a side

PdqOf = Callable[[np.ndarray], tuple[str, int]]


def hash_media_bytes(
    data: bytes, filename: str = "", *, engine: str = DEFAULT_ENGINE
) -> MediaHashes:
    """Hashes of an in-memory file; `filename` only helps name-dependent kinds (.tgs)."""
    return _hash(hash_bytes(data), data[:HEAD_BYTES], filename, lambda: io.BytesIO(data), engine)


def hash_media_file(path: Path, *, engine: str = DEFAULT_ENGINE) -> MediaHashes:
    """Hashes of a file on disk; the bytes are streamed for digests and videos."""
    path = Path(path)
    try:
        file = hash_file(path)
        with path.open("rb") as stream:
            head = stream.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read media file {path}: {exc.strerror}; check the path") from exc
    return _hash(file, head, path.name, lambda: path.open("rb"), engine)


def hash_media_paths(
    paths: Iterable[Path], workers: int | None = None, progress: bool = False
) -> list[MediaHashes]:
    """Hash many files across processes, results in input order (see media.parallel)."""
    from casegraph.media.parallel import map_hash_files

    return map_hash_files(list(paths), workers=workers, progress=progress)


def _hash(
    file: FileHashes,
    head: bytes,
    filename: str,
    open_stream: Callable[[], IO[bytes]],
    engine: str,
) -> MediaHashes:
    if engine not in ENGINES:
        raise ValueError(f"unknown PDQ engine {engine!r}; use one of {', '.join(ENGINES)}")
    sniffed = sniff(head, filename)
    try:
        if sniffed.family == "image":
            return _hash_image(file, sniffed, open_stream, engine)
        if sniffed.family == "video":
            return _hash_video(file, sniffed, open_stream, engine)
    except frames.Unhashable as exc:
        return MediaHashes(file, media_kind(sniffed), sniffed.mime, error=str(exc))
    return MediaHashes(
        file,
        media_kind(sniffed),
        sniffed.mime,
        error=_no_pdq_reason(sniffed),
    )


def _no_pdq_reason(sniffed: Sniffed) -> str:
    if sniffed.family == "lottie":
        return "Telegram animated sticker (Lottie vector data): no pixels to hash"
    if sniffed.family == "unknown":
        return "unsupported or unrecognised file type"
    return f"no perceptual hash for {sniffed.family} ({sniffed.mime})"


def _pdq_function(engine: str) -> PdqOf:
    return pdq.reference_pdq if engine == "reference" else pdq.fast_pdq


def _hash_image(
    file: FileHashes, sniffed: Sniffed, open_stream: Callable[[], IO[bytes]], engine: str
) -> MediaHashes:
    if file.size > MAX_IMAGE_BYTES:
        raise frames.Unhashable(f"image file of {file.size:,} bytes exceeds {MAX_IMAGE_BYTES:,}")
    if sniffed.format == "heif":
        _register_heif()
    with open_stream() as stream:
        image = frames.open_image(io.BytesIO(stream.read()))
    with image:
        animated = bool(getattr(image, "is_animated", False))
        kind = media_kind(sniffed, animated)
        width, height = image.size
        if engine == "fast" and image.format == "JPEG" and not animated:
            pdq_hex, quality = _fast_jpeg_pdq(image)
            return MediaHashes(file, kind, sniffed.mime, width, height, pdq_hex, quality)
        pdq_of = _pdq_function(engine)
        decoded = frames.load_first(image)
        pdq_hex, quality = pdq_of(decoded.first)
        frame_hashes: tuple[tuple[str, int], ...] = ()
        if animated:
            frame_hashes = distinct_frames(pdq_of(f) for f in frames.animation_frames(image))
    return MediaHashes(
        file, kind, sniffed.mime, width, height, pdq_hex, quality, frame_pdqs=frame_hashes
    )


def _fast_jpeg_pdq(image: Image.Image) -> tuple[str, int]:
    """Luma-only JPEG decode at the smallest DCT scale keeping JPEG_DRAFT_MIN_SIDE pixels."""
    width, height = image.size
    scale = 1
    while scale < 8 and min(width, height) // (scale * 2) >= JPEG_DRAFT_MIN_SIDE:
        scale *= 2
    try:
        image.draft("L", (-(-width // scale), -(-height // scale)))
        image.load()
    except Exception as exc:
        raise frames.Unhashable(f"truncated or corrupt image: {frames.one_line(exc)}") from exc
    reduced_width = image.size[0]
    actual_scale = next((s for s in (1, 2, 4, 8) if -(-width // s) == reduced_width), 1)
    if image.mode != "L":  # CMYK and other JPEGs that cannot hand out luma directly
        return pdq.fast_pdq(frames.pixels_of(image))
    return pdq.pdq_from_luma(np.asarray(image), height, width, actual_scale)


def _hash_video(
    file: FileHashes, sniffed: Sniffed, open_stream: Callable[[], IO[bytes]], engine: str
) -> MediaHashes:
    pdq_of = _pdq_function(engine)
    width = height = None
    hashes: list[tuple[str, int]] = []
    with open_stream() as stream:
        for _seconds, rgb in frames.video_frames(stream):
            height, width = rgb.shape[:2]
            hashes.append(pdq_of(rgb))
    if not hashes:
        raise frames.Unhashable("video has no decodable frames")
    return MediaHashes(
        file,
        media_kind(sniffed),
        sniffed.mime,
        width,
        height,
        frame_pdqs=distinct_frames(hashes),
    )


def distinct_frames(hashes: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """Frame hashes with repeats dropped (first occurrence kept, order preserved)."""
    seen: set[str] = set()
    kept: list[tuple[str, int]] = []
    for pdq_hex, quality in hashes:
        if pdq_hex not in seen:
            seen.add(pdq_hex)
            kept.append((pdq_hex, quality))
    return tuple(kept)


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError as exc:
        raise frames.Unhashable("HEIC/HEIF decoding needs the pillow-heif package") from exc
    register_heif_opener()


def dihedral_pdqs(data: bytes) -> list[str]:
    """PDQ of the seven rotations/flips of frame 0 (not the original); [] when unhashable."""
    try:
        with frames.open_image(data) as image:
            decoded = frames.load_first(image)
    except frames.Unhashable:
        return []
    variants, _quality = pdq.fast_pdq_dihedral(decoded.first)
    return variants[1:]
