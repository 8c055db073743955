"""Many distinct benign media files in a case's evidence store, for scale tests and benchmarks.

A few drawn images are encoded once; each file then differs by a PNG text chunk, so every
file has its own SHA-256 while decoding and hashing cost what a real small sticker costs.
"""

from __future__ import annotations

import struct
import zlib

from casegraph.media.drawn import drawn_image, encode
from casegraph.store.cases import Case
from casegraph.store.schema import MediaRow

DISTINCT_PICTURES = 64


def _with_text_chunk(png: bytes, text: str) -> bytes:
    """The PNG with a tEXt chunk after IHDR (signature 8 bytes + IHDR chunk 25 bytes)."""
    body = b"Comment\x00" + text.encode("ascii")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    return png[:33] + chunk + png[33:]


def numbered_pngs(count: int, size: int = 64, seed: int = 0) -> list[bytes]:
    pictures = [encode(drawn_image(seed + i, size, size), "PNG") for i in range(DISTINCT_PICTURES)]
    return [_with_text_chunk(pictures[n % len(pictures)], f"file {n}") for n in range(count)]


def add_media_to_case(case: Case, files: list[bytes], batch: int = 2000) -> None:
    """Store each file as evidence and add an unhashed media row for it."""
    for start in range(0, len(files), batch):
        rows = []
        for data in files[start : start + batch]:
            hashes, _new = case.evidence.put_bytes(data)
            rows.append(
                MediaRow(
                    case_id=case.id,
                    sha256=hashes.sha256,
                    md5=hashes.md5,
                    sha1=hashes.sha1,
                    size=hashes.size,
                )
            )
        with case.mutate("synth", "media.add", f"case:{case.name}") as session:
            session.add_all(rows)
