"""The standard-format files of a referral package: STIX 2.1, MISP, VICS and what they need.

One entry point for package.py, so the formats (and the extension schemas and taxonomies
that make them readable without reaching any host) change without touching the packager.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path

from casegraph.exchange.codes import Handling
from casegraph.exchange.collect import ReferralData
from casegraph.exchange.keys import PublicKey
from casegraph.exchange.misp import build_event, event_json, taxonomy_files
from casegraph.exchange.stix import build_bundle, schema_files
from casegraph.exchange.vics_out import write_referral_vics


def standard_files(
    data: ReferralData,
    handling: Handling,
    case_name: str,
    sender: PublicKey,
    recipient: PublicKey,
    created_at: datetime,
) -> dict[str, bytes]:
    """stix/bundle.json (+ stix/extensions/), misp/event.json (+ misp/taxonomies/), vics/."""
    bundle = build_bundle(data, handling, sender, recipient, case_name, created_at)
    event = build_event(
        data,
        handling,
        case_name,
        sender.agency or sender.name,
        created_at,
        sender_fingerprint=sender.fingerprint,
        recipient=(recipient.agency or recipient.name, recipient.fingerprint),
    )
    with tempfile.TemporaryDirectory() as scratch:
        vics = write_referral_vics(data, handling, Path(scratch) / "hashset.json", created_at)
        vics_bytes = vics.read_bytes()
    return {
        "stix/bundle.json": json.dumps(
            bundle, indent=1, sort_keys=True, ensure_ascii=False
        ).encode(),
        **schema_files(),
        "misp/event.json": event_json(event).encode(),
        **taxonomy_files(),
        "vics/hashset.json": vics_bytes,
    }
