"""PDQ perceptual hashes: Meta's reference (via `pdqhash`) and a numpy port that is faster.

Hex form is python-threatexchange's: the 256-bit hash as one big-endian number, 64 lowercase
hex characters. The numpy port follows pdq/cpp/hashing/pdqhashing.cpp step by step (luma,
two Jarosz box passes, centre decimation to 64x64, 16x16 DCT, median threshold). Every step
before the DCT is linear and separable, so the whole blur+decimate is two small matrices
built once per image size: `64x64 = rows @ luma @ cols.T`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pdqhash

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
MIN_DIM = 5  # the reference refuses smaller images (hash 0, quality 0)
BITS = 256


def bits_to_hex(bits: np.ndarray) -> str:
    """256 bits, most significant first (pdqhash's vector order) -> 64 hex characters."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hex_to_bytes(pdq_hex: str) -> bytes:
    """Validated 32-byte form of a PDQ hex string; ValueError names what is wrong."""
    text = pdq_hex.strip().lower()
    if len(text) != 64:
        raise ValueError(f"PDQ hash must be 64 hex characters, got {len(text)}")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise ValueError(f"PDQ hash {pdq_hex!r} is not hexadecimal") from exc


def hamming(a: str, b: str) -> int:
    """Bit distance between two PDQ hex strings."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def rgb_array(pixels: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8, C-contiguous: what both engines take (alpha, if any, is dropped)."""
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    return np.ascontiguousarray(pixels[:, :, :3], dtype=np.uint8)


def reference_pdq(pixels: np.ndarray) -> tuple[str, int]:
    """Meta's C++ reference through pdqhash; pixels as H x W x 3 (or 4) uint8."""
    vector, quality = pdqhash.compute(rgb_array(pixels))
    return bits_to_hex(vector), int(quality)


def reference_pdq_dihedral(pixels: np.ndarray) -> tuple[list[str], int]:
    """The eight rotations/flips in pdqhash's order (original, rot90, rot180, rot270, ...)."""
    vectors, quality = pdqhash.compute_dihedral(rgb_array(pixels))
    return [bits_to_hex(v) for v in vectors], int(quality)


# ---------------------------------------------------------------- numpy port


def _box_matrix(n: int, window: int) -> np.ndarray:
    """One pass of the reference's box1DFloat as an n x n matrix (edges average what exists)."""
    half = (window + 2) // 2
    lo = np.maximum(np.arange(n) - (window - half), 0)
    hi = np.minimum(np.arange(n) + half - 1, n - 1)
    matrix = np.zeros((n, n), dtype=np.float64)
    for k in range(n):
        matrix[k, lo[k] : hi[k] + 1] = 1.0 / (hi[k] - lo[k] + 1)
    return matrix


@lru_cache(maxsize=128)
def decimation_matrix(n: int, scale: int = 1) -> np.ndarray:
    """64 x ceil(n/scale) float32: two box passes then centre sampling, along one axis of
    length n; with scale > 1 the input is already block-averaged by `scale` (JPEG draft)."""
    window = (n + 2 * 64 - 1) // (2 * 64)
    picks = ((np.arange(64) + 0.5) * n / 64).astype(np.int64)
    if window <= 1:
        full = np.zeros((64, n), dtype=np.float64)
        full[np.arange(64), picks] = 1.0
    else:
        box = _box_matrix(n, window)
        full = box[picks] @ box
    if scale > 1:
        reduced = -(-n // scale)
        aggregate = np.zeros((n, reduced), dtype=np.float64)
        aggregate[np.arange(n), np.arange(n) // scale] = 1.0
        full = full @ aggregate
    return np.ascontiguousarray(full, dtype=np.float32)


def _dct_matrix() -> np.ndarray:
    i = np.arange(1, 17)[:, None]
    j = np.arange(64)[None, :]
    return np.sqrt(2.0 / 64) * np.cos(np.pi / 2.0 / 64 * i * (2 * j + 1))


DCT = _dct_matrix()


def quality_of(block: np.ndarray) -> int:
    """The reference's gradient heuristic on the 64x64 image (C int truncation kept)."""
    b = block.astype(np.float32)
    vertical = np.trunc((b[:-1, :] - b[1:, :]) * 100 / 255).astype(np.int64)
    horizontal = np.trunc((b[:, :-1] - b[:, 1:]) * 100 / 255).astype(np.int64)
    gradient_sum = int(np.abs(vertical).sum() + np.abs(horizontal).sum())
    return min(gradient_sum // 90, 100)


def _bits_from_dct(coefficients: np.ndarray) -> np.ndarray:
    flat = coefficients.reshape(-1)
    median = np.partition(flat, 127)[127]  # torben(): the lower median of 256 values
    # Reference sets bit i*16+j; pdqhash lists bit 255 first, so reverse.
    return (flat > median)[::-1]


@lru_cache(maxsize=128)
def decimation_band(n: int, scale: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The banded `decimation_matrix` as (64, K) column indices and weights (zero-padded)."""
    dense = decimation_matrix(n, scale)
    width = max(1, int((dense != 0).sum(axis=1).max()))
    indices = np.zeros((64, width), dtype=np.intp)
    weights = np.zeros((64, width), dtype=np.float32)
    for row in range(64):
        (nonzero,) = np.nonzero(dense[row])
        indices[row, : nonzero.size] = nonzero
        weights[row, : nonzero.size] = dense[row, nonzero]
    return indices, weights


def downsample_64(luma: np.ndarray, full_rows: int, full_cols: int, scale: int = 1) -> np.ndarray:
    """64x64 float64 from a luma plane that may be a 1/scale block-averaged version.

    Gathers the few rows/columns each output sample weighs instead of a dense matmul:
    no BLAS threads, so it stays fast on a busy machine and inside worker processes.
    """
    row_index, row_weight = decimation_band(full_rows, scale)
    col_index, col_weight = decimation_band(full_cols, scale)
    plane = np.asarray(luma, dtype=np.float32)
    rows = np.einsum("rkw,rk->rw", plane[row_index], row_weight)
    block = np.einsum("rck,ck->rc", rows[:, col_index], col_weight)
    return block.astype(np.float64)


def dct16(block64: np.ndarray) -> np.ndarray:
    return DCT @ block64 @ DCT.T


def pdq_from_luma(
    luma: np.ndarray, full_rows: int | None = None, full_cols: int | None = None, scale: int = 1
) -> tuple[str, int]:
    """PDQ of a luma plane (float or uint8 H x W). With `scale`, the plane is a reduced decode
    of an image of full_rows x full_cols, and the filter is the full-size one pushed down."""
    rows = full_rows if full_rows is not None else luma.shape[0]
    cols = full_cols if full_cols is not None else luma.shape[1]
    if rows < MIN_DIM or cols < MIN_DIM:
        return "0" * 64, 0
    if rows == 64 and cols == 64 and scale == 1:
        block = luma.astype(np.float64)
    else:
        block = downsample_64(luma, rows, cols, scale)
    return bits_to_hex(_bits_from_dct(dct16(block))), quality_of(block)


def luma_of(pixels: np.ndarray) -> np.ndarray:
    """Float32 luma with the reference's coefficients from H x W x 3/4 uint8 (or H x W)."""
    if pixels.ndim == 2:
        return pixels.astype(np.float32)
    return pixels[:, :, :3].astype(np.float32) @ LUMA


def fast_pdq(pixels: np.ndarray) -> tuple[str, int]:
    """Numpy PDQ of a full-resolution RGB(A) array; agrees with `reference_pdq`."""
    return pdq_from_luma(luma_of(pixels))


# Dihedral transforms act on the DCT coefficients (pdqhashing.cpp dct16OriginalTo*).
def _sign_grid(rule: str) -> np.ndarray:
    i = np.arange(16)[:, None]
    j = np.arange(16)[None, :]
    odd = {"i": (i & 1) + 0 * j, "j": (j & 1) + 0 * i, "ij": (i + j) & 1}[rule]
    return np.where(odd == 1, 1.0, -1.0)


def dihedral_from_dct(coefficients: np.ndarray) -> list[np.ndarray]:
    """The eight variants in pdqhash.compute_dihedral's order, as 16x16 coefficient grids."""
    a = coefficients
    j_odd = _sign_grid("j")  # +1 where j odd
    i_odd = _sign_grid("i")
    ij_even = -_sign_grid("ij")  # +1 where i+j even
    return [
        a,
        (a * j_odd).T,  # rot90: B[j][i] = A[i][j] if j odd else -A
        a * ij_even,  # rot180
        (a * i_odd).T,  # rot270
        a * i_odd,  # flipX
        a * j_odd,  # flipY
        a.T,  # flip plus 1 (transpose)
        (a * ij_even).T,  # flip minus 1
    ]


def fast_pdq_dihedral(pixels: np.ndarray) -> tuple[list[str], int]:
    luma = luma_of(pixels)
    rows, cols = luma.shape
    if rows < MIN_DIM or cols < MIN_DIM:
        return ["0" * 64] * 8, 0
    block = downsample_64(luma, rows, cols)
    variants = dihedral_from_dct(dct16(block))
    return [bits_to_hex(_bits_from_dct(v)) for v in variants], quality_of(block)
