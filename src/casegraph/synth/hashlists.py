"""Synthetic hash lists over drawn images, and the matches they must produce.

Entry ids follow the importers in casegraph.media.hashlists: a VICS entry is named by its
MediaID, a CSV entry without an id column by its PDQ hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from casegraph.media.hashing import hash_media_bytes
from casegraph.media.pdq import hamming
from casegraph.model import MediaHashes

VICS_CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"
MIME = {"webp": "image/webp", "jpg": "image/jpeg", "mp4": "video/mp4"}
PDQ_THRESHOLD, QUALITY_FLOOR = 31, 50


@dataclass(slots=True)
class ListEntry:
    list_name: str
    entry_id: str
    category: str
    md5: str | None = None
    sha1: str | None = None
    pdq: str | None = None


def write_vics(path: Path, rows: list[tuple[MediaHashes, str, int]]) -> list[ListEntry]:
    """A VICS 2.0 hash set (`#Media`): rows of (hashes, mime type, category)."""
    value = []
    entries = []
    for media_id, (hashes, mime, category) in enumerate(rows, start=1):
        value.append(
            {
                "MediaID": media_id,
                "Category": category,
                "MD5": hashes.file.md5,
                "SHA1": hashes.file.sha1,
                "MediaSize": hashes.file.size,
                "MimeType": mime,
                "IsPrecategorized": True,
                "Tags": "synthetic",
            }
        )
        entries.append(
            ListEntry(
                "known", str(media_id), str(category), md5=hashes.file.md5, sha1=hashes.file.sha1
            )
        )
    document = {"@odata.context": VICS_CONTEXT, "value": value}
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return entries


def write_pdq_csv(path: Path, rows: list[tuple[str, str, str]], list_name: str) -> list[ListEntry]:
    """CSV `pdq,category,label`: rows of (pdq hex, category, label)."""
    lines = ["pdq,category,label"] + [f"{pdq},{category},{label}" for pdq, category, label in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [ListEntry(list_name, pdq, category, pdq=pdq) for pdq, category, _ in rows]


def reference_pdq(data: bytes, filename: str) -> str:
    """PDQ as partners compute it (Meta's reference engine); lists carry these."""
    pdq = hash_media_bytes(data, filename, engine="reference").pdq
    if pdq is None:
        raise ValueError(f"{filename} has no PDQ hash; only images go into a PDQ list")
    return pdq


def expected_matches(
    media: dict[str, MediaHashes], entries: list[ListEntry]
) -> list[dict[str, object]]:
    """Every hit of every file on every entry: exact MD5/SHA-1, or PDQ within 31 at quality >= 50.

    An exact entry is reported once, by MD5 (the VICS key), when MD5 and SHA-1 both agree.
    """
    matches: list[dict[str, object]] = []
    for sha256 in sorted(media):
        hashes = media[sha256]
        for entry in entries:
            method, distance = None, 0
            if entry.md5 and entry.md5 == hashes.file.md5:
                method = "md5"
            elif entry.sha1 and entry.sha1 == hashes.file.sha1:
                method = "sha1"
            elif entry.pdq and hashes.pdq and (hashes.pdq_quality or 0) >= QUALITY_FLOOR:
                distance = hamming(entry.pdq, hashes.pdq)
                method = "pdq" if distance <= PDQ_THRESHOLD else None
            if method:
                matches.append(
                    {
                        "media_sha256": sha256,
                        "list": entry.list_name,
                        "entry": entry.entry_id,
                        "method": method,
                        "distance": distance,
                        "category": entry.category,
                    }
                )
    return matches
