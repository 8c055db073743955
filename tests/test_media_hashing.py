"""Media hashing: digests, PDQ as Meta's tools make it, stickers, animations, video, bad files."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from casegraph.errors import InputError
from casegraph.media import frames, pdq
from casegraph.media.drawn import animated_webp, drawn_image, drawn_video, encode, sticker, variant
from casegraph.media.hashing import hash_media_bytes, hash_media_file, hash_media_paths


def threatexchange_style_pdq(data: bytes) -> str:
    """How python-threatexchange turns pdqhash's bit vector into hex (int of the bit string)."""
    rgb = np.ascontiguousarray(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    vector, _quality = pdqhash.compute(rgb)
    return format(int("".join(str(int(b)) for b in vector), 2), "064x")


def test_digests_are_the_streamed_sha256_md5_sha1_of_the_bytes(tmp_path: Path) -> None:
    data = encode(drawn_image(1, 200, 150), "PNG")
    path = tmp_path / "IMG-20240301-WA0001.png"
    path.write_bytes(data)
    hashes = hash_media_file(path)
    assert hashes.file.sha256 == hashlib.sha256(data).hexdigest()
    assert hashes.file.md5 == hashlib.md5(data).hexdigest()
    assert hashes.file.sha1 == hashlib.sha1(data).hexdigest()
    assert hashes.file.size == len(data)
    assert (hashes.kind, hashes.mime, hashes.width, hashes.height) == (
        "image",
        "image/png",
        200,
        150,
    )


def test_reference_engine_hex_is_python_threatexchange_hex() -> None:
    data = encode(drawn_image(2, 640, 480), "PNG")
    hashes = hash_media_bytes(data, engine="reference")
    assert hashes.pdq == threatexchange_style_pdq(data)
    assert hashes.pdq is not None and len(hashes.pdq) == 64 and hashes.pdq == hashes.pdq.lower()
    assert 0 <= (hashes.pdq_quality or 0) <= 100


def test_numpy_pdq_equals_pdqhash_bit_for_bit_on_full_decodes() -> None:
    for seed, (w, h) in zip(range(12), itertools.cycle([(1024, 768), (512, 512), (77, 301)])):
        pixels = np.asarray(drawn_image(seed, w, h))
        assert pdq.fast_pdq(pixels) == pdq.reference_pdq(pixels)


def test_numpy_dihedral_hashes_equal_pdqhash_dihedral() -> None:
    pixels = np.asarray(drawn_image(5, 300, 200))
    assert pdq.fast_pdq_dihedral(pixels) == pdq.reference_pdq_dihedral(pixels)


def test_fast_engine_stays_within_8_bits_of_pdqhash_on_jpeg_webp_png() -> None:
    distances = []
    for seed in range(24):
        image = drawn_image(seed, 1024, 768) if seed % 2 else sticker(seed, 512)
        fmt = "JPEG" if seed % 2 else ("WEBP" if seed % 4 == 0 else "PNG")
        data = encode(image.convert("RGB") if fmt == "JPEG" else image, fmt)
        fast = hash_media_bytes(data)
        reference = hash_media_bytes(data, engine="reference")
        assert fast.pdq and reference.pdq
        distances.append(pdq.hamming(fast.pdq, reference.pdq))
        assert abs((fast.pdq_quality or 0) - (reference.pdq_quality or 0)) <= 5
    assert max(distances) <= 8, distances


def test_sticker_alpha_is_ignored_not_composited() -> None:
    transparent = sticker(7)
    opaque = transparent.copy()
    opaque.putalpha(255)
    assert (
        hash_media_bytes(encode(transparent, "PNG")).pdq
        == hash_media_bytes(encode(opaque, "PNG")).pdq
    )
    # Compositing onto white would be another convention, and gives another hash.
    white = Image.new("RGBA", transparent.size, (255, 255, 255, 255))
    composited = Image.alpha_composite(white, transparent).convert("RGB")
    stored = hash_media_bytes(encode(transparent, "PNG")).pdq
    assert stored and pdq.hamming(stored, hash_media_bytes(encode(composited, "PNG")).pdq or "") > 8


def test_webp_sticker_kind_and_hash_of_stored_rgb() -> None:
    image = sticker(8)
    data = encode(image, "WEBP", lossless=True, exact=True)  # keep RGB under alpha 0
    hashes = hash_media_bytes(data, "STK-20240301-WA0007.webp")
    assert hashes.kind == "sticker" and hashes.mime == "image/webp"
    assert hashes.pdq == pdq.reference_pdq(np.asarray(image))[0]


def test_animated_webp_has_distinct_frame_hashes_and_frame_zero_as_image_hash() -> None:
    hashes = hash_media_bytes(animated_webp(9, frames=5))
    assert hashes.kind == "animated_sticker"
    assert len(hashes.frame_pdqs) == 5  # six frames stored, the repeated first one dropped
    assert hashes.pdq == hashes.frame_pdqs[0][0]
    assert len({h for h, _q in hashes.frame_pdqs}) == 5


def test_animated_gif_is_kind_gif_with_frames() -> None:
    base = drawn_image(10, 160, 120, noise=0)
    shifted = Image.fromarray(np.roll(np.asarray(base), 60, axis=1))
    data = encode(base, "GIF", save_all=True, append_images=[shifted], duration=100)
    hashes = hash_media_bytes(data)
    assert hashes.kind == "gif" and len(hashes.frame_pdqs) == 2


def test_video_is_sampled_once_a_second() -> None:
    hashes = hash_media_bytes(drawn_video(11, seconds=3, fps=5))
    assert (hashes.kind, hashes.mime, hashes.error) == ("video", "video/mp4", None)
    assert len(hashes.frame_pdqs) == 3
    assert hashes.pdq is None


def test_reencoded_variants_stay_within_31_and_unrelated_images_do_not() -> None:
    originals = [drawn_image(seed, 640, 480) for seed in range(20, 26)]
    hashes = [hash_media_bytes(encode(image, "PNG")).pdq or "" for image in originals]
    for image, original in zip(originals, hashes, strict=True):
        for how in ("jpeg70", "half", "webp", "png"):
            copy = hash_media_bytes(variant(image, how)).pdq or ""
            assert pdq.hamming(original, copy) <= 31, how
    for a, b in itertools.combinations(hashes, 2):
        assert pdq.hamming(a, b) > 31


def test_truncated_jpeg_is_unhashable_with_reason() -> None:
    data = encode(drawn_image(12, 400, 300), "JPEG")
    hashes = hash_media_bytes(data[: len(data) // 2], "IMG-1.jpg")
    assert hashes.pdq is None and hashes.error and "truncated" in hashes.error
    assert hashes.file.sha256 == hashlib.sha256(data[: len(data) // 2]).hexdigest()


def test_corrupt_png_and_unknown_bytes_are_unhashable() -> None:
    png = bytearray(encode(drawn_image(13, 100, 100), "PNG"))
    png[60:90] = b"\x00" * 30
    assert hash_media_bytes(bytes(png)).error
    unknown = hash_media_bytes(b"not media at all")
    assert unknown.kind == "other" and unknown.error == "unsupported or unrecognised file type"


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = encode(Image.new("1", (8000, 8000)), "PNG")  # 64 Mpx of one colour, a few KB
    hashes = hash_media_bytes(bomb)
    assert hashes.pdq is None and hashes.error and hashes.error.startswith("decompression bomb")


def test_animation_with_too_many_frames_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frames, "MAX_FRAMES", 3)
    hashes = hash_media_bytes(animated_webp(14, frames=5))
    assert hashes.error and "frames" in hashes.error and hashes.frame_pdqs == ()


def test_pdf_audio_and_lottie_are_recorded_as_not_perceptually_hashable() -> None:
    assert hash_media_bytes(b"%PDF-1.7\n...").kind == "document"
    assert hash_media_bytes(b"OggS\x00\x02" + b"\x00" * 40).kind == "audio"
    lottie = hash_media_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20, "sticker.tgs")
    assert lottie.kind == "animated_sticker" and lottie.error and "Lottie" in lottie.error


def test_hashing_leaves_no_decoded_pixels_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "VID-1.mp4"
    path.write_bytes(drawn_video(15, seconds=2))
    (tmp_path / "photo.jpg").write_bytes(encode(drawn_image(15, 300, 200), "JPEG"))
    before = sorted(os.listdir(tmp_path))
    hash_media_file(path)
    hash_media_file(tmp_path / "photo.jpg")
    assert sorted(os.listdir(tmp_path)) == before


def test_missing_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.jpg"):
        hash_media_file(tmp_path / "missing.jpg")


def test_parallel_hashing_keeps_order_and_results(tmp_path: Path) -> None:
    paths = []
    for seed in range(6):
        path = tmp_path / f"{seed}.png"
        path.write_bytes(encode(drawn_image(seed, 120, 90), "PNG"))
        paths.append(path)
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    paths.insert(3, tmp_path / "bad.jpg")
    parallel = hash_media_paths(paths, workers=2)
    assert parallel == [hash_media_file(p) for p in paths]
    assert parallel[3].error
