"""VICS 2.0 hash set (`#Media`) of a referral's matched media: hashes and categories only.

Uses the project's own VICS writer (media/hashlists), so what partners' tools read is what
`casegraph hashlist import` reads back. Every item is a match on a list entry, so every item
is precategorised: `Category` is the VICS 2.0 US code of the first match whose scheme maps to
it (a VICS US entry first, then legacy VICS, NCMEC, numeric CSV codes such as PDQ lists use),
`IsPrecategorized` is true, `PrecategorizationSource` names the lists and `DateUpdated` is
when the referral was made. The original scheme and code of every match stay in Comments.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casegraph.exchange.codes import Handling
from casegraph.exchange.collect import ReferralData
from casegraph.media.hashlists.categories import VICS_US, vics_us_category
from casegraph.media.hashlists.vics import write_vics
from casegraph.model import HashEntry


def _vics_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _category(matches: list[dict[str, Any]]) -> str | None:
    """VICS US matches decide first; then any other scheme with a one-to-one code."""
    ordered = sorted(matches, key=lambda m: m["scheme"] != VICS_US)
    codes = (vics_us_category(m["scheme"], m["category"]) for m in ordered)
    return next((code for code in codes if code is not None), None)


def referral_entries(
    data: ReferralData, handling: Handling, updated_at: datetime | None = None
) -> list[HashEntry]:
    updated = _vics_time(updated_at or datetime.now(UTC))
    by_media: dict[str, list[dict[str, Any]]] = {}
    for match in data.matches:
        by_media.setdefault(str(match["media_sha256"]), []).append(match)
    entries: list[HashEntry] = []
    for media in data.media:
        matches = by_media.get(media["sha256"], [])
        category = _category(matches)
        comments = "; ".join(
            f"{m['list']}:{m['entry']} {m['scheme']}={m['category']} ({m['method']})"
            for m in matches
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
                    "IsPrecategorized": bool(matches),
                    "PrecategorizationSource": ", ".join(sorted({m["list"] for m in matches})),
                    "DateUpdated": updated,
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


def write_referral_vics(
    data: ReferralData, handling: Handling, path: Path, updated_at: datetime | None = None
) -> Path:
    return write_vics(
        referral_entries(data, handling, updated_at), path, variant="US", shape="Media"
    )
