"""Benign drawn media: stickers (static and animated WebP), photos (JPEG) and their re-encodings.

Every picture is a pure function of its integer seed: shapes, gradients, short words and
noise drawn with Pillow + numpy, so two runs give the same pixels and, with fixed encoder
settings, the same bytes. Distinct seeds give unrelated layouts, hence large PDQ distances.
"""

from __future__ import annotations

import io
import random
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from casegraph.media.sticker_pack import exif_for_pack

WORDS = ("JAJA", "OK", "GOL!", "HOLA", "LOL", "TOP", "WOW", "CIAO", "SALUT", "OLA", "NICE", "100")


def _gradient(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """An RGB field of two crossed colour ramps plus coarse noise: unlike any other seed's."""
    left, right, top = (rng.integers(0, 256, size=3) for _ in range(3))
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    field = left * (1 - xs) + right * xs
    field = field * (1 - ys * 0.6) + top * ys * 0.6
    coarse = rng.integers(-60, 60, size=(8, 8, 3)).astype(np.float32)
    noise = coarse.repeat(height // 8 + 1, axis=0).repeat(width // 8 + 1, axis=1)
    field = field + noise[:height, :width]
    return np.clip(field, 0, 255).astype(np.uint8)


def _shapes(
    draw: ImageDraw.ImageDraw, rng: random.Random, width: int, height: int, count: int
) -> None:
    for _ in range(count):
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256), 255)
        x0, y0 = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(width // 8, width // 2), rng.randrange(height // 8, height // 2)
        shape = rng.choice(("ellipse", "rectangle", "polygon"))
        if shape == "ellipse":
            draw.ellipse((x0 - w // 2, y0 - h // 2, x0 + w // 2, y0 + h // 2), fill=colour)
        elif shape == "rectangle":
            draw.rectangle((x0 - w // 2, y0 - h // 2, x0 + w // 2, y0 + h // 2), fill=colour)
        else:
            points = [
                (rng.randrange(width), rng.randrange(height)) for _ in range(rng.randint(3, 6))
            ]
            draw.polygon(points, fill=colour)


def _word(draw: ImageDraw.ImageDraw, rng: random.Random, width: int, height: int) -> None:
    size = max(10, width // 6)
    font = ImageFont.load_default(size=size)
    text = rng.choice(WORDS)
    xy = (rng.randrange(width // 10, width // 2), rng.randrange(height // 10, height * 2 // 3))
    draw.text(
        xy,
        text,
        font=font,
        fill=(255, 255, 255, 255),
        stroke_width=max(1, size // 12),
        stroke_fill=(0, 0, 0, 255),
    )


def sticker_frame(seed: int, size: int = 512, phase: int = 0) -> Image.Image:
    """One RGBA sticker picture: a drawn blob with a white border on a transparent ground.

    The RGB under transparent pixels keeps the seed's gradient (PDQ reads RGB, ignoring alpha).
    """
    rng = random.Random(seed)
    pixels = _gradient(np.random.default_rng(seed), size, size)
    if phase:
        pixels = np.roll(pixels, shift=phase * size // 16, axis=1)
    image = Image.fromarray(pixels, "RGB").convert("RGBA")
    draw = ImageDraw.Draw(image)
    _shapes(draw, rng, size, size, 6)
    _word(draw, rng, size, size)
    mask = Image.new("L", (size, size), 0)
    mask_draw = ImageDraw.Draw(mask)
    margin = size // 10 + phase * 3
    mask_draw.rounded_rectangle(
        (margin, margin, size - margin, size - margin), radius=size // 4, fill=255
    )
    image.putalpha(mask)
    return image


def encode_webp(
    frames: list[Image.Image], quality: int, duration_ms: int = 120, exif: bytes = b""
) -> bytes:
    out = io.BytesIO()
    if len(frames) == 1:
        frames[0].save(out, "WEBP", quality=quality, method=2, exact=True, exif=exif)
    else:
        frames[0].save(
            out,
            "WEBP",
            save_all=True,
            append_images=frames[1:],
            quality=quality,
            method=2,
            exact=True,
            duration=duration_ms,
            loop=0,
            exif=exif,
        )
    return out.getvalue()


def sticker(
    seed: int, size: int = 512, quality: int = 80, pack: dict[str, Any] | None = None
) -> bytes:
    """A static 512x512 WebP sticker with transparency, with sticker-app pack metadata if given."""
    return encode_webp([sticker_frame(seed, size)], quality, exif=_pack_exif(pack))


def animated_sticker(
    seed: int, frames: int, size: int = 512, quality: int = 75, pack: dict[str, Any] | None = None
) -> bytes:
    """An animated WebP sticker: the same drawing sliding sideways over `frames` frames."""
    drawn = [sticker_frame(seed, size, phase) for phase in range(frames)]
    return encode_webp(drawn, quality, exif=_pack_exif(pack))


def _pack_exif(pack: dict[str, Any] | None) -> bytes:
    return exif_for_pack(pack) if pack else b""


def photo_image(seed: int, width: int = 1024, height: int = 768) -> Image.Image:
    """A landscape-like RGB picture: gradient sky, a sun, hills, blocks and grain."""
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    image = Image.fromarray(_gradient(nprng, width, height), "RGB")
    draw = ImageDraw.Draw(image)
    sun = rng.randrange(width // 12, width // 5)
    cx, cy = rng.randrange(width), rng.randrange(height // 2)
    draw.ellipse((cx - sun, cy - sun, cx + sun, cy + sun), fill=(250, 220, rng.randrange(120)))
    for band in range(3):
        base = height // 2 + band * height // 8
        points = (
            [(0, height)]
            + [
                (x, base + rng.randrange(-height // 10, height // 10))
                for x in range(0, width + 1, width // 8)
            ]
            + [(width, height)]
        )
        draw.polygon(
            points, fill=(rng.randrange(40, 140), rng.randrange(80, 200), rng.randrange(40, 120))
        )
    _shapes(draw, rng, width, height, 5)
    _word(draw, rng, width, height)
    grain = nprng.integers(-12, 12, size=(height, width, 3), dtype=np.int16)
    pixels = np.clip(np.asarray(image, dtype=np.int16) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=False, progressive=False)
    return out.getvalue()


def photo(seed: int, width: int = 1024, height: int = 768, quality: int = 88) -> bytes:
    return encode_jpeg(photo_image(seed, width, height), quality)


def reencode_jpeg(data: bytes, scale: float, quality: int) -> bytes:
    """What a messenger does on re-share: decode, shrink, recompress at another quality."""
    with Image.open(io.BytesIO(data)) as source:
        image = source.convert("RGB")
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return encode_jpeg(image.resize(size, Image.Resampling.BILINEAR), quality)


def reencode_webp(data: bytes, quality: int) -> bytes:
    """A sticker passed through another app: decoded and written again as WebP."""
    with Image.open(io.BytesIO(data)) as source:
        frames = []
        for index in range(getattr(source, "n_frames", 1)):
            source.seek(index)
            frames.append(source.convert("RGBA"))
    return encode_webp(frames, quality)
