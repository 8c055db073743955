"""Benign synthetic operation generator: exports, hash lists, tip and ground truth.

`generate(outdir, seed, scale)` writes everything the tests, demo and benchmarks read.
Same seed -> byte-identical files. Nothing in it depicts anything but drawn shapes.
"""

from __future__ import annotations

import random
from pathlib import Path

from casegraph.errors import InputError
from casegraph.synth.pipeline import Written, finish, write_operation

SCALES = ("small", "large")


def generate(outdir: Path, seed: int = 1, scale: str = "small") -> Path:
    """Write a synthetic operation under `outdir` (created; must be empty) and return it."""
    if scale not in SCALES:
        raise InputError(f"unknown scale {scale!r}; use one of: {', '.join(SCALES)}")
    outdir = Path(outdir)
    if outdir.exists() and any(outdir.iterdir()):
        raise InputError(f"{outdir} is not empty; give generate() a new or empty folder")
    if scale == "large":
        from casegraph.synth.large import generate_large

        return generate_large(outdir, seed)
    written = write_operation(outdir, seed, random.Random(seed))
    return finish(outdir, seed, "small", written)


__all__ = ["SCALES", "Written", "generate"]
