"""Receiving side: `casegraph verify` and `casegraph import-referral`.

Nothing touches a case until the package has passed every check (sender signature,
recipient, decryption, manifest signature, every file's SHA-256). The import is one
transaction; the package itself becomes a source of the case, whose provenance records
who sent it, when, and under which handling code.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.errors import InputError
from casegraph.exchange.codes import Handling
from casegraph.exchange.crypto import OpenedPackage, open_package, signature_path
from casegraph.exchange.keys import check_usable, load_identity, load_public
from casegraph.exchange.package import DATA_FORMAT, MANIFEST_FORMAT, default_identity
from casegraph.exchange.upsert import Upserter
from casegraph.store.cases import Case, Home
from casegraph.store.db import utcnow
from casegraph.store.schema import SourceRow


@dataclass(frozen=True)
class VerifyResult:
    package: Path
    sender: dict[str, str]
    recipient: dict[str, str]
    case: str
    country: str
    created_at: str
    handling: dict[str, str]
    files: int
    ciphertext_sha256: str


@dataclass(frozen=True)
class ImportResult:
    case: str
    created: bool
    already_imported: bool
    country: str
    accounts: int
    chats: int
    messages: int
    media: int
    matches: int
    sender: dict[str, str]
    handling: dict[str, str]


def _open(
    home: Home, package: Path, sender_key: str, identity: str | None, passphrase: str | None
) -> OpenedPackage:
    sender = load_public(home.root, sender_key)
    check_usable(home.root, sender, "sender")
    own = load_identity(home.root, identity or default_identity(home), passphrase)
    check_usable(home.root, own.public, "own")
    opened = open_package(package, sender, own)
    if opened.manifest.get("format") != MANIFEST_FORMAT:
        raise InputError(f"{package}: manifest format {opened.manifest.get('format')!r} unknown")
    return opened


def verify(
    home: Home,
    package: Path,
    sender_key: str,
    identity: str | None = None,
    passphrase: str | None = None,
) -> VerifyResult:
    """Check a package end to end without importing it; raises InputError on any failure."""
    opened = _open(home, package, sender_key, identity, passphrase)
    manifest = opened.manifest
    return VerifyResult(
        package=opened.path,
        sender=manifest["sender"],
        recipient=manifest["recipient"],
        case=manifest["case"],
        country=manifest["country"],
        created_at=manifest["created_at"],
        handling=manifest["handling"],
        files=len(manifest["files"]),
        ciphertext_sha256=opened.ciphertext_sha256,
    )


def _default_case_name(manifest: dict[str, Any]) -> str:
    raw = f"ref-{manifest['case']}-{manifest['country']}"
    return re.sub(r"[^A-Za-z0-9._-]", "-", raw)[:100]


def import_referral(
    home: Home,
    package: Path,
    identity: str | None,
    sender_key: str,
    case_name: str | None = None,
    actor: str = "cli",
    passphrase: str | None = None,
) -> ImportResult:
    """Verify, decrypt and load a referral into a new or existing case (one transaction)."""
    opened = _open(home, package, sender_key, identity, passphrase)
    manifest = opened.manifest
    try:
        document = json.loads(opened.files["referral.json"])
    except (KeyError, json.JSONDecodeError) as exc:
        raise InputError(f"{opened.path}: no readable referral.json; ask for a resend") from exc
    if document.get("format") != DATA_FORMAT:
        raise InputError(f"{opened.path}: referral.json format {document.get('format')!r} unknown")
    handling = Handling.from_fields(manifest["handling"])
    excerpts = json.loads(opened.files.get("excerpts/messages.json", b'{"messages": []}'))
    name = case_name or _default_case_name(manifest)
    created = not home.exists(name)
    case = (
        home.create_case(name, agency=manifest["recipient"].get("agency", ""), actor=actor)
        if created
        else home.open_case(name)
    )
    media_files = _check_media_files(opened)
    details = {
        "package": opened.path.name,
        "ciphertext_sha256": opened.ciphertext_sha256,
        "sender": manifest["sender"]["fingerprint"],
    }
    target = f"investigation:{manifest['country']}"
    with case.mutate(actor, "referral.import", target, "", details) as session:
        if _already_imported(session, case, opened.ciphertext_sha256):
            session.info["audit_details"]["already_imported"] = True
            counts = {"accounts": 0, "chats": 0, "messages": 0, "media": 0, "matches": 0}
            already = True
        else:
            source = _add_source(session, case, opened, handling, actor)
            upserter = Upserter(session, case, source, manifest, handling)
            counts = upserter.load(document, excerpts.get("messages", []))
            session.info["audit_details"].update(counts)
            already = False
    if not already:
        for body in media_files.values():
            case.evidence.put_bytes(body)
    return ImportResult(
        case=name,
        created=created,
        already_imported=already,
        country=manifest["country"],
        sender=manifest["sender"],
        handling=handling.fields(),
        **counts,
    )


def _check_media_files(opened: OpenedPackage) -> dict[str, bytes]:
    media: dict[str, bytes] = {}
    for path, body in opened.files.items():
        if path.startswith("media/"):
            sha256 = path.removeprefix("media/")
            if hashlib.sha256(body).hexdigest() != sha256:
                raise InputError(f"{opened.path}: {path} does not hash to its name")
            media[sha256] = body
    return media


def _already_imported(session: Session, case: Case, digest: str) -> bool:
    return (
        session.scalar(
            select(SourceRow.id).where(SourceRow.case_id == case.id, SourceRow.sha256 == digest)
        )
        is not None
    )


def _add_source(
    session: Session, case: Case, opened: OpenedPackage, handling: Handling, actor: str
) -> SourceRow:
    """The package itself, kept as evidence with who sent it, when and how it may be used."""
    hashes, _new = case.evidence.put_file(opened.path)
    signature = signature_path(opened.path)
    case.evidence.put_file(signature)
    manifest = opened.manifest
    source = SourceRow(
        case_id=case.id,
        sha256=hashes.sha256,
        md5=hashes.md5,
        sha1=hashes.sha1,
        size=hashes.size,
        filename=opened.path.name,
        original_path=str(opened.path),
        format="casegraph-referral",
        captured_by=manifest["sender"].get("agency") or manifest["sender"]["name"],
        capture_method="referral",
        captured_at=datetime.fromisoformat(manifest["created_at"]),
        received_by=actor,
        received_at=utcnow(),
        tool=str(manifest.get("tool", "casegraph")),
        provenance={
            "kind": "referral",
            "sender": manifest["sender"],
            "recipient": manifest["recipient"],
            "sent_at": manifest["created_at"],
            "origin_case": manifest["case"],
            "country": manifest["country"],
            "handling": handling.fields(),
            "signature_file": signature.name,
            "verified": True,
        },
    )
    session.add(source)
    session.flush()
    return source
