"""Pixels out of image and video containers, in memory only, with limits against bombs.

Nothing decoded is ever written to disk. Every limit breach raises `Unhashable` with the
reason recorded on the media row; callers never crash on a bad file.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Any

import numpy as np
from PIL import Image

MAX_FRAME_PIXELS = 50_000_000  # one frame (~7000 x 7000); larger is treated as a bomb
MAX_TOTAL_PIXELS = 500_000_000  # all frames of one animation together
MAX_FRAMES = 2_000
VIDEO_SECONDS_PER_SAMPLE = 1.0  # vPDQ's default sampling rate
MAX_VIDEO_SAMPLES = 900


class Unhashable(Exception):
    """The file cannot be hashed perceptually; str() is the recorded reason."""


@dataclass(slots=True)
class Decoded:
    """Frame 0 as an array, the image's size and whether more frames follow."""

    first: np.ndarray
    width: int
    height: int
    animated: bool
    image: Image.Image


def _check_size(width: int, height: int, what: str) -> None:
    if width <= 0 or height <= 0:
        raise Unhashable(f"{what} has no pixels ({width}x{height})")
    if width * height > MAX_FRAME_PIXELS:
        raise Unhashable(
            f"decompression bomb: {what} declares {width}x{height} pixels "
            f"(limit {MAX_FRAME_PIXELS:,})"
        )


def pixels_of(frame: Image.Image) -> np.ndarray:
    """The stored R, G, B channels (alpha ignored, never composited), or luma for grey.

    Palette images use their palette's colours, not the raw indices.
    """
    mode = frame.mode
    if mode in ("RGB", "L"):
        return np.asarray(frame)
    if mode == "RGBA":
        return np.asarray(frame)[:, :, :3]
    if mode == "LA":
        return np.asarray(frame)[:, :, 0]
    if mode in ("P", "PA"):
        return np.asarray(frame.convert("RGBA"))[:, :, :3]
    if mode == "RGBa":  # premultiplied: undo it so stored colours come back
        return np.asarray(frame.convert("RGBA"))[:, :, :3]
    return np.asarray(frame.convert("RGB"))


def open_image(data: bytes | IO[bytes]) -> Image.Image:
    """Open (header only) with Pillow's bomb guard raised to errors, then our own size check."""
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Unhashable(f"decompression bomb: {exc}") from exc
    except Exception as exc:
        raise Unhashable(f"not a readable image: {one_line(exc)}") from exc
    _check_size(image.width, image.height, "image")
    return image


def load_first(image: Image.Image) -> Decoded:
    """Decode frame 0 fully; truncated or corrupt data becomes `Unhashable`."""
    animated = bool(getattr(image, "is_animated", False))
    try:
        image.load()
        first = pixels_of(image)
    except Exception as exc:
        raise Unhashable(f"truncated or corrupt image: {one_line(exc)}") from exc
    return Decoded(first, image.width, image.height, animated, image)


def animation_frames(image: Image.Image) -> Iterator[np.ndarray]:
    """Every frame of an animated GIF/WebP as Pillow composites it onto the canvas."""
    count = int(getattr(image, "n_frames", 1))
    if count > MAX_FRAMES:
        raise Unhashable(f"animation has {count} frames (limit {MAX_FRAMES})")
    if count * image.width * image.height > MAX_TOTAL_PIXELS:
        raise Unhashable(
            f"decompression bomb: {count} frames of {image.width}x{image.height} "
            f"exceed {MAX_TOTAL_PIXELS:,} pixels"
        )
    for index in range(count):
        try:
            image.seek(index)
            image.load()
            yield pixels_of(image)
        except EOFError:
            return
        except Exception as exc:
            raise Unhashable(f"corrupt frame {index}: {one_line(exc)}") from exc


def video_frames(source: str | IO[bytes]) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds, RGB array) one frame per `VIDEO_SECONDS_PER_SAMPLE`, decoded with PyAV."""
    import av

    try:
        container = av.open(source, mode="r")
    except Exception as exc:
        raise Unhashable(f"not a readable video: {one_line(exc)}") from exc
    try:
        if not container.streams.video:
            raise Unhashable("container has no video stream")
        stream = container.streams.video[0]
        _check_size(stream.codec_context.width, stream.codec_context.height, "video frame")
        stream.thread_type = "AUTO"
        next_at = 0.0
        taken = 0
        for frame in _decode(container, stream):
            seconds = _seconds(frame.pts, stream.time_base, taken)
            if seconds + 1e-6 < next_at:
                continue
            _check_size(frame.width, frame.height, "video frame")
            yield seconds, frame.to_ndarray(format="rgb24")
            taken += 1
            next_at = seconds + VIDEO_SECONDS_PER_SAMPLE
            if taken >= MAX_VIDEO_SAMPLES:
                return
    finally:
        container.close()


def _decode(container: Any, stream: Any) -> Iterator[Any]:
    try:
        yield from container.decode(stream)
    except Exception as exc:
        raise Unhashable(f"truncated or corrupt video: {one_line(exc)}") from exc


def _seconds(pts: int | None, time_base: Fraction | None, index: int) -> float:
    if pts is None or time_base is None:
        return float(index) * VIDEO_SECONDS_PER_SAMPLE
    return float(pts * time_base)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
