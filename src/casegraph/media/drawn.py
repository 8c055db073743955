"""Benign images the project draws itself (shapes, colours, text, noise) for tests and benches.

Deterministic per seed, so a test or benchmark run can be repeated bit for bit. Variants
re-encode, resize and recompress an image the way messaging apps do.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(0, 256, 3))
    return r, g, b


def drawn_image(seed: int, width: int = 512, height: int = 512, noise: int = 12) -> Image.Image:
    """Coloured ellipses, rectangles, lines and a caption over a tinted background + noise."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height), _colour(rng))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(6, 16))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1 = x0 + int(rng.integers(width // 10, width // 2 + 2))
        y1 = y0 + int(rng.integers(height // 10, height // 2 + 2))
        shape = int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse([x0, y0, x1, y1], fill=_colour(rng))
        elif shape == 1:
            draw.rectangle([x0, y0, x1, y1], fill=_colour(rng))
        else:
            draw.line([x0, y0, x1, y1], fill=_colour(rng), width=int(rng.integers(2, 12)))
    draw.text((width // 10, height // 2), f"sample {seed}", fill=_colour(rng))
    if noise:
        pixels = np.asarray(image).astype(np.int16)
        pixels += rng.integers(-noise, noise + 1, pixels.shape, dtype=np.int16)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def sticker(seed: int, size: int = 512) -> Image.Image:
    """A drawn RGBA sticker: opaque shape on a transparent background, colours kept under alpha."""
    base = drawn_image(seed, size, size, noise=6).convert("RGBA")
    alpha = Image.new("L", (size, size), 0)
    ImageDraw.Draw(alpha).ellipse([size // 8, size // 8, size * 7 // 8, size * 7 // 8], fill=255)
    base.putalpha(alpha)
    return base


def animated_webp(seed: int, frames: int = 6, size: int = 256, repeat_first: bool = True) -> bytes:
    """An animated WebP whose frames shift a drawn image; the first frame recurs at the end."""
    base = np.asarray(drawn_image(seed, size, size, noise=4))
    images = [
        Image.fromarray(np.roll(base, shift * size // frames, axis=1)).convert("RGBA")
        for shift in range(frames)
    ]
    if repeat_first:
        images.append(images[0])
    return encode(
        images[0], "WEBP", save_all=True, append_images=images[1:], duration=80, lossless=True
    )


def variant(image: Image.Image, how: str) -> bytes:
    """A re-encoded copy as apps make them: 'jpeg70', 'half', 'webp', 'png'."""
    if how == "jpeg70":
        return encode(image.convert("RGB"), "JPEG", quality=70)
    if how == "half":
        small = image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)
        return encode(small.convert("RGB"), "JPEG", quality=85)
    if how == "webp":
        return encode(image, "WEBP", quality=75)
    if how == "png":
        return encode(image, "PNG")
    raise ValueError(f"unknown variant {how!r}")


def drawn_video(seed: int, seconds: int = 3, fps: int = 5, size: int = 128) -> bytes:
    """An MP4 (MPEG-4 part 2) whose picture changes once a second: one drawn image per second."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for second in range(seconds):
            picture = np.asarray(drawn_image(seed * 100 + second, size, size, noise=0))
            for _ in range(fps):
                frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
