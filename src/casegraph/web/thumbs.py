"""Exposure-safe previews, made in memory on request and never written to disk.

Thumbnails are small, greyscale and blurred: enough to tell a meme from a screenshot,
not enough to expose anyone. A reveal image is larger and in colour, and is only ever
embedded in the one response that follows an audited reveal.
"""

from __future__ import annotations

import io

from PIL import Image, ImageFilter, UnidentifiedImageError

THUMB_SIZE = 64
REVEAL_SIZE = 320
PREVIEWABLE = ("image", "sticker", "animated_sticker", "gif")
Image.MAX_IMAGE_PIXELS = 50_000_000  # refuse decompression bombs in evidence


def _first_frame(data: bytes) -> Image.Image | None:
    try:
        image = Image.open(io.BytesIO(data))
        image.seek(0)
        return image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def blurred_thumbnail(data: bytes) -> bytes | None:
    image = _first_frame(data)
    if image is None:
        return None
    image = image.convert("L")
    image.thumbnail((THUMB_SIZE, THUMB_SIZE))
    image = image.filter(ImageFilter.GaussianBlur(radius=3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def reveal_image(data: bytes) -> bytes | None:
    image = _first_frame(data)
    if image is None:
        return None
    image.thumbnail((REVEAL_SIZE, REVEAL_SIZE))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
