"""Images/second of casegraph's PDQ hashing vs the baseline (Pillow full decode + pdqhash).

Same benign drawn images for both: 1024x768 JPEGs and 512x512 WebP stickers, one core and
all cores. Ours includes SHA-256/MD5/SHA-1 as well; the baseline computes PDQ only.
Agreement (bits between our hash and the baseline's) is printed alongside.

    .venv/bin/python bench/hashing.py [--n 200]
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pdqhash
from PIL import Image

from casegraph.media.drawn import drawn_image, encode, sticker
from casegraph.media.hashing import hash_media_bytes
from casegraph.media.pdq import bits_to_hex, hamming


def baseline(data: bytes) -> str:
    """python-threatexchange's way: Pillow decode to RGB, pdqhash on the array."""
    rgb = np.ascontiguousarray(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    vector, _quality = pdqhash.compute(rgb)
    return bits_to_hex(vector)


def ours(data: bytes) -> str:
    return hash_media_bytes(data).pdq or ""


def rate(function: Callable[[bytes], str], blobs: list[bytes], workers: int) -> float:
    start = time.perf_counter()
    if workers == 1:
        for blob in blobs:
            function(blob)
    else:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(function, blobs, chunksize=8))
    return len(blobs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="images per set")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    sets = {
        "1024x768 JPEG q85": [
            encode(drawn_image(s, 1024, 768), "JPEG", quality=85) for s in range(args.n)
        ],
        "512x512 WebP sticker": [
            encode(sticker(s, 512), "WEBP", quality=80) for s in range(args.n)
        ],
    }
    print(f"{'set':24} {'workers':>7} {'baseline/s':>11} {'ours/s':>9} {'ratio':>6}")
    for name, blobs in sets.items():
        for workers in sorted({1, cores}):
            base = rate(baseline, blobs, workers)
            mine = rate(ours, blobs, workers)
            print(f"{name:24} {workers:7d} {base:11.1f} {mine:9.1f} {mine / base:6.2f}x")
        distances = np.array([hamming(baseline(b), ours(b)) for b in blobs])
        print(
            f"{name:24} agreement: max {distances.max()} bits, mean {distances.mean():.2f}, "
            f"{(distances <= 8).mean() * 100:.1f}% within 8 bits"
        )


if __name__ == "__main__":
    main()
