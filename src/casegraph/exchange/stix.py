"""STIX 2.1 bundle of one referral: identities, accounts, phones, chats, media hashes, markings.

STIX has no phone-number object, so a new-SCO extension defines `phone-number-e164`; handling
code and 4x4 evaluation ride on every object as a property extension (fields, not just
markings), and the messaging platform of an account too (`account_type`'s vocabulary has no
WhatsApp or Telegram). The extension definitions are objects in the bundle and their JSON
schemas travel in the package (`stix/extensions/`), so `stix2.parse` needs no `allow_custom`
and nothing points at an unreachable host. Relationships use `related-to` with a description
where STIX suggests no type for the pair. TLP 2.0 uses the official marking-definition ids.
Media appear as `file` hashes only, never as `artifact` payloads.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casegraph.exchange.codes import TLP_EXTENSION_ID, TLP_MARKING_IDS, Handling
from casegraph.exchange.collect import ReferralData
from casegraph.exchange.keys import PublicKey

SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1 §2.9
PHONE_EXTENSION_ID = "extension-definition--3f0a7b6e-5c1d-4e8a-9b2f-6d4c8e1a7f35"
HANDLING_EXTENSION_ID = "extension-definition--8c2e4b1d-7a6f-4d3e-b5c9-1e0f2a3b4c5d"
ACCOUNT_EXTENSION_ID = "extension-definition--5b7d9e2a-3c4f-4a1b-8e6d-0f9a8b7c6d5e"
SCHEMA_DIR = Path(__file__).parent / "stix_extensions"
SCHEMA_PACKAGE_DIR = "stix/extensions"  # where the schemas sit inside a referral package
TLP_CREATED = "2022-10-01T00:00:00.000Z"
IDENTITY_CREATED = "2024-01-01T00:00:00.000Z"  # fixed: a stable id needs a stable version


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _sco_id(kind: str, contributing: dict[str, Any]) -> str:
    """STIX 2.1 §2.9: UUIDv5 over the canonical JSON of the ID contributing properties."""
    canonical = json.dumps(contributing, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{kind}--{uuid.uuid5(SCO_NAMESPACE, canonical)}"


def _sdo_id(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


def _stable_id(kind: str, name: str) -> str:
    """A version-4 UUID whose 122 free bits come from SHA-256 of `name`, not from a RNG.

    The spec asks SDOs and custom objects for UUIDv4 (and forbids the SCO namespace for a
    UUIDv5), yet an agency's identity and a phone number should keep one id across
    packages so a partner's store merges them; a hash is as collision-free as random bits.
    """
    digest = hashlib.sha256(f"casegraph-stix:{kind}:{name}".encode()).digest()[:16]
    return f"{kind}--{uuid.UUID(bytes=digest, version=4)}"


def tlp_marking(level: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_MARKING_IDS[level],
        "created": TLP_CREATED,
        "name": f"TLP:{level.upper()}",
        "extensions": {
            TLP_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}
        },
    }


class _Builder:
    def __init__(self, handling: Handling, sender_id: str, now: str) -> None:
        self.handling = handling
        self.sender_id = sender_id
        self.now = now
        self.objects: list[dict[str, Any]] = []

    def marked(self, obj: dict[str, Any], sdo: bool = True) -> dict[str, Any]:
        obj = {"spec_version": "2.1", **obj}
        if sdo:
            obj |= {"created": self.now, "modified": self.now, "created_by_ref": self.sender_id}
        obj["object_marking_refs"] = [TLP_MARKING_IDS[self.handling.tlp]]
        extensions = obj.setdefault("extensions", {})
        extensions[HANDLING_EXTENSION_ID] = {
            "extension_type": "property-extension",
            **self.handling.fields(),
        }
        self.objects.append(obj)
        return obj

    def related(self, source: str, target: str, description: str) -> None:
        """`related-to` is valid between any two objects; the description says how."""
        self.marked(
            {
                "type": "relationship",
                "id": _sdo_id("relationship"),
                "relationship_type": "related-to",
                "description": description,
                "source_ref": source,
                "target_ref": target,
            }
        )


EXTENSIONS = {
    PHONE_EXTENSION_ID: (
        "phone-number-e164",
        "A telephone number in E.164 form (STIX 2.1 has no phone-number SCO).",
        "new-sco",
    ),
    HANDLING_EXTENSION_ID: (
        "casegraph-handling",
        "Europol handling code (H0-H3), 4x4 evaluation, TLP and PAP of the item.",
        "property-extension",
    ),
    ACCOUNT_EXTENSION_ID: (
        "casegraph-account",
        "Messaging platforms of a user-account (account-type-ov has none of them).",
        "property-extension",
    ),
}


def schema_files() -> dict[str, bytes]:
    """The extensions' JSON schemas, as the package carries them under stix/extensions/."""
    return {
        f"{SCHEMA_PACKAGE_DIR}/{path.name}": path.read_bytes()
        for path in sorted(SCHEMA_DIR.glob("*.json"))
    }


def _extension_definitions(sender_id: str, now: str) -> list[dict[str, Any]]:
    common = {"spec_version": "2.1", "created": now, "modified": now, "created_by_ref": sender_id}
    return [
        {
            "type": "extension-definition",
            "id": ext_id,
            **common,
            "name": name,
            "description": description,
            "schema": f"JSON Schema in the referral package: {SCHEMA_PACKAGE_DIR}/{name}.json",
            "version": "1.0.0",
            "extension_types": [extension_type],
        }
        for ext_id, (name, description, extension_type) in EXTENSIONS.items()
    ]


def _identity(key: PublicKey) -> dict[str, Any]:
    """Derived from the key alone, so every package carries the same object (one version)."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": _stable_id("identity", f"casegraph-key:{key.fingerprint}"),
        "created": IDENTITY_CREATED,
        "modified": IDENTITY_CREATED,
        "name": key.agency or key.name,
        "identity_class": "organization",
        "description": f"key fingerprint {key.fingerprint}, country {key.country or 'n/a'}",
    }


def build_bundle(
    data: ReferralData,
    handling: Handling,
    sender: PublicKey,
    recipient: PublicKey,
    case_name: str,
    created_at: datetime,
) -> dict[str, Any]:
    now = stamp(created_at)
    sender_identity = _identity(sender)
    b = _Builder(handling, sender_identity["id"], now)
    b.objects.extend([tlp_marking(handling.tlp), *_extension_definitions(b.sender_id, now)])
    b.marked(sender_identity, sdo=False)
    recipient_identity = b.marked(_identity(recipient), sdo=False)
    accounts = _accounts(b, data)
    files = {
        m["sha256"]: b.marked(
            {
                "type": "file",
                "id": _sco_id("file", {"hashes": {"SHA-256": m["sha256"]}}),
                "hashes": {"MD5": m["md5"], "SHA-1": m["sha1"], "SHA-256": m["sha256"]},
                "size": m["size"],
                **({"mime_type": m["mime"]} if m["mime"] else {}),
            },
            sdo=False,
        )["id"]
        for m in data.media
    }
    chat_ids = _chats(b, data, accounts, files)
    persons = _persons(b, data, accounts)
    context = [recipient_identity["id"], *accounts.values(), *files.values(), *chat_ids]
    if data.country != "unattributed":
        location = b.marked(
            {"type": "location", "id": _sdo_id("location"), "country": data.country}
        )
        context.append(location["id"])
    grouping = b.marked(
        {
            "type": "grouping",
            "id": _sdo_id("grouping"),
            "name": f"Investigation {data.country} from case {case_name}",
            "context": "suspicious-activity",
            "object_refs": [*context, *persons],
        }
    )
    b.marked(
        {
            "type": "report",
            "id": _sdo_id("report"),
            "name": f"Referral of case {case_name} to {recipient.agency or recipient.name}",
            "description": f"{len(data.accounts)} targets, {len(data.chats)} chats, "
            f"{len(files)} matched media (hashes only). {handling.comment()}",
            "report_types": ["threat-actor"],
            "published": now,
            "object_refs": [grouping["id"]],
        }
    )
    return {"type": "bundle", "id": _sdo_id("bundle"), "objects": b.objects}


def _accounts(b: _Builder, data: ReferralData) -> dict[str, str]:
    """One user-account per identifier; a number used on two platforms lists both."""
    ids: dict[str, str] = {}
    by_identifier: dict[str, dict[str, Any]] = {}
    for account in data.accounts:
        user_id = account["identifier"]
        obj = by_identifier.get(user_id)
        if obj is not None:
            platforms = obj["extensions"][ACCOUNT_EXTENSION_ID]["platforms"]
            platforms.append(account["platform"])
            ids[account["key"]] = obj["id"]
            continue
        obj = b.marked(
            {
                "type": "user-account",
                "id": _sco_id("user-account", {"user_id": user_id}),
                "user_id": user_id,
                **({"display_name": account["names"][0]} if account["names"] else {}),
                "extensions": {
                    ACCOUNT_EXTENSION_ID: {
                        "extension_type": "property-extension",
                        "platforms": [account["platform"]],
                    }
                },
            },
            sdo=False,
        )
        by_identifier[user_id] = obj
        ids[account["key"]] = obj["id"]
        if account["identifier_kind"] == "phone":
            phone = b.marked(
                {
                    "type": "phone-number-e164",
                    "id": _stable_id("phone-number-e164", user_id),
                    "value": user_id,
                    "extensions": {PHONE_EXTENSION_ID: {"extension_type": "new-sco"}},
                },
                sdo=False,
            )
            b.related(obj["id"], phone["id"], "the account is registered to this phone number")
    return ids


def _chats(
    b: _Builder, data: ReferralData, accounts: dict[str, str], files: dict[str, str]
) -> list[str]:
    ids: list[str] = []
    for chat in data.chats:
        group = b.marked(
            {
                "type": "identity",
                "id": _sdo_id("identity"),
                "name": chat["title"] or chat["native_id"],
                "identity_class": "group",
                "description": f"{chat['platform']} {chat['kind']}; former names: "
                + (", ".join(chat["aliases"]) or "none"),
            }
        )
        ids.append(group["id"])
        for member in sorted({accounts[m] for m in chat["members"]}):
            b.related(member, group["id"], "the account is a member of this group")
        times = [m["sent_at"] for m in data.messages if m["chat"] == chat["key"]]
        posted = [files[m["sha256"]] for m in data.media if chat["key"] in m["chats"]]
        refs = sorted({*(accounts[k] for k in chat["members"]), *posted})
        if times and refs:
            first, last = min(times), max(times)
            observed = b.marked(
                {
                    "type": "observed-data",
                    "id": _sdo_id("observed-data"),
                    "first_observed": stamp(datetime.fromisoformat(first)),
                    "last_observed": stamp(datetime.fromisoformat(last)),
                    "number_observed": len(times),
                    "object_refs": refs,
                }
            )
            ids.append(observed["id"])
    return ids


def _persons(b: _Builder, data: ReferralData, accounts: dict[str, str]) -> Iterable[str]:
    ids: list[str] = []
    for person in data.persons:
        actor = b.marked(
            {
                "type": "threat-actor",
                "id": _sdo_id("threat-actor"),
                "name": person["label"] or person["key"],
                "threat_actor_types": ["criminal"],
            }
        )
        ids.append(actor["id"])
        for account_id in sorted({accounts[k] for k in person["accounts"]}):
            b.related(actor["id"], account_id, "the person uses this account")
    return ids
