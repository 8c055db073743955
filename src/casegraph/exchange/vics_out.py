"""VICS 2.0 hash set (`#Media`) of a referral's matched media: hashes and categories only.

Uses the project's own VICS writer (media/hashlists), so what partners' tools read is what
`casegraph hashlist import` reads back. A category is written only where its scheme is the
VICS 2.0 US one the file declares; other schemes go in as null with the code in Comments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casegraph.exchange.codes import Handling
from casegraph.exchange.collect import ReferralData
from casegraph.media.hashlists.categories import VICS_US
from casegraph.media.hashlists.vics import write_vics
from casegraph.model import HashEntry


def referral_entries(data: ReferralData, handling: Handling) -> list[HashEntry]:
    by_media: dict[str, list[dict[str, Any]]] = {}
    for match in data.matches:
        by_media.setdefault(str(match["media_sha256"]), []).append(match)
    entries: list[HashEntry] = []
    for media in data.media:
        matches = by_media.get(media["sha256"], [])
        us = [m for m in matches if m["scheme"] == VICS_US and m["category"] is not None]
        category = str(us[0]["category"]) if us else None
        comments = "; ".join(
            f"{m['list']}:{m['entry']} {m['scheme']}={m['category']}" for m in matches
        )
        entries.append(
            HashEntry(
                entry_id=media["sha256"],
                md5=media["md5"],
                sha1=media["sha1"],
                sha256=media["sha256"],
                pdq=media["pdq"],
                category=category,
                scheme=VICS_US if category else None,
                label=media["kind"],
                metadata={
                    "MediaSize": media["size"],
                    **({"MimeType": media["mime"]} if media["mime"] else {}),
                    "IsDistributed": True,
                    "Comments": f"{handling.comment()}; matched {comments}",
                    "MediaMetadata": {
                        "casegraph.handling_code": handling.handling_code,
                        "casegraph.evaluation": handling.evaluation,
                        "casegraph.tlp": handling.tlp,
                    },
                },
            )
        )
    return entries


def write_referral_vics(data: ReferralData, handling: Handling, path: Path) -> Path:
    return write_vics(referral_entries(data, handling), path, variant="US", shape="Media")
