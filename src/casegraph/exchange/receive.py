"""Receiving side: `casegraph verify` and `casegraph import-referral`.

Nothing touches a case until the package has passed every check (sender signature,
recipient, decryption, manifest signature, every file's SHA-256, the JSON Schema and the
references between documents). The import is one transaction; the package itself becomes
a source of the case, whose provenance records who sent it, when, and under which handling
code. One referral (id) lives in one case; later versions update it in place.
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

from casegraph.errors import CaseError, InputError
from casegraph.exchange.codes import Handling
from casegraph.exchange.crypto import OpenedPackage, open_package, signature_path
from casegraph.exchange.keys import check_usable, load_identity, load_public
from casegraph.exchange.package import MANIFEST_FORMAT, default_identity
from casegraph.exchange.upsert import Upserter
from casegraph.exchange.validate import REFERRAL_SCHEMA, check, check_references
from casegraph.store.cases import Case, Home
from casegraph.store.db import utcnow
from casegraph.store.evidence import hash_file
from casegraph.store.schema import InvestigationRow, SourceRow


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
    referral_id: str = ""
    version: int = 0
    previous_version: int | None = None


def _open(
    home: Home, package: Path, sender_key: str, identity: str | None, passphrase: str | None
) -> OpenedPackage:
    sender = load_public(home.root, sender_key)
    check_usable(home.root, sender, "sender")
    own = load_identity(home.root, identity or default_identity(home), passphrase)
    check_usable(home.root, own.public, "own")
    opened = open_package(package, sender, own)
    if opened.manifest.get("format") != MANIFEST_FORMAT:
        raise InputError(
            f"{package}: manifest format {opened.manifest.get('format')!r} is not "
            f"{MANIFEST_FORMAT}; ask the sender to upgrade casegraph and resend"
        )
    check(opened.manifest, REFERRAL_SCHEMA, "manifest", f"{opened.path} manifest.json")
    named = (opened.manifest["sender"]["fingerprint"], opened.manifest["recipient"]["fingerprint"])
    if named != (sender.fingerprint, own.public.fingerprint):
        raise InputError(
            f"{opened.path}: the manifest names other keys than the ones that signed and "
            "opened it; do not use it"
        )
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


@dataclass(frozen=True)
class ReceivedContent:
    """A package's documents after every check on form and references."""

    manifest: dict[str, Any]
    document: dict[str, Any]
    messages: list[dict[str, Any]]
    media_files: dict[str, bytes]


def read_content(opened: OpenedPackage, accept_media: bool) -> ReceivedContent:
    """Validate every document against the schema and each other; raise one line if not."""
    origin = str(opened.path)
    manifest = opened.manifest
    check(manifest, REFERRAL_SCHEMA, "manifest", f"{origin} manifest.json")
    document = _json_file(opened, "referral.json")
    check(document, REFERRAL_SCHEMA, "referral_data", f"{origin} referral.json")
    excerpts = _json_file(opened, "excerpts/messages.json")
    check(excerpts, REFERRAL_SCHEMA, "excerpts", f"{origin} excerpts/messages.json")
    if document["referral"] != manifest["referral"] or document["country"] != manifest["country"]:
        raise InputError(
            f"{origin}: referral.json and the manifest name different referrals or countries; "
            "ask for a resend"
        )
    check_references(document, excerpts["messages"], origin)
    return ReceivedContent(
        manifest, document, excerpts["messages"], _media_files(opened, document, accept_media)
    )


def _json_file(opened: OpenedPackage, name: str) -> Any:
    try:
        return json.loads(opened.files[name])
    except KeyError as exc:
        raise InputError(f"{opened.path}: {name} is missing; ask for a resend") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{opened.path}: {name} is not readable JSON; ask for a resend") from exc


def _media_files(
    opened: OpenedPackage, document: dict[str, Any], accept_media: bool
) -> dict[str, bytes]:
    """Media bytes only when our operator opted in, each one hashing to a listed media item."""
    paths = [path for path in opened.files if path.startswith("media/")]
    if not paths and not opened.manifest["include_media"]:
        return {}
    if not accept_media:
        raise InputError(
            f"{opened.path} carries {len(paths)} media file(s): casegraph works on hashes "
            "only; re-run with --accept-media if your unit has decided to receive them"
        )
    listed = {item["sha256"] for item in document["media"]}
    media: dict[str, bytes] = {}
    for path in paths:
        sha256 = path.removeprefix("media/")
        if hashlib.sha256(opened.files[path]).hexdigest() != sha256 or sha256 not in listed:
            raise InputError(
                f"{opened.path}: {path} does not hash to a media item the referral lists; "
                "nothing was imported"
            )
        media[sha256] = opened.files[path]
    return media


def import_referral(
    home: Home,
    package: Path,
    identity: str | None,
    sender_key: str,
    case_name: str | None = None,
    actor: str = "cli",
    passphrase: str | None = None,
    accept_media: bool = False,
) -> ImportResult:
    """Verify, validate and load a referral: one referral, one case, converging on updates.

    A package of a referral already held goes to the same case; a version not newer than the
    one held changes nothing. Any failure leaves nothing behind: no case, no blob, no row.
    """
    opened = _open(home, package, sender_key, identity, passphrase)
    content = read_content(opened, accept_media)
    manifest = content.manifest
    referral = manifest["referral"]
    held = find_referral_case(home, referral["id"], manifest["sender"]["fingerprint"])
    if held is not None and case_name is not None and case_name != held.case:
        raise CaseError(
            f"referral {referral['id']} is already held in case {held.case!r}; import its "
            f"updates there (--case {held.case} or no --case)"
        )
    name = held.case if held is not None else case_name or _default_case_name(manifest)
    if held is not None and held.version >= referral["version"]:
        return _unchanged(home, name, manifest, held, opened, actor)
    if held is None and home.exists(name):
        other = _referral_in(home.open_case(name), manifest["country"])
        if other is not None:
            raise CaseError(
                f"case {name!r} already holds referral {other.referral_id} for "
                f"{manifest['country']}; import this one into another case with --case"
            )
    created = not home.exists(name)
    try:
        if created:
            home.create_case(name, agency=manifest["recipient"].get("agency", ""), actor=actor)
        counts = _load(home.open_case(name), opened, content, actor)
    except BaseException:
        if created:
            home.discard_case(name)
        raise
    previous = held.version if held is not None else None
    return _result(name, manifest, previous, counts, created=created)


def _result(
    name: str,
    manifest: dict[str, Any],
    previous_version: int | None,
    counts: dict[str, int],
    created: bool = False,
    already_imported: bool = False,
) -> ImportResult:
    referral = manifest["referral"]
    return ImportResult(
        case=name,
        created=created,
        already_imported=already_imported,
        country=manifest["country"],
        sender=manifest["sender"],
        handling=manifest["handling"],
        referral_id=referral["id"],
        version=referral["version"],
        previous_version=previous_version,
        **counts,
    )


def _load(
    case: Case, opened: OpenedPackage, content: ReceivedContent, actor: str
) -> dict[str, int]:
    """The import's one transaction; blobs are written only once it has committed."""
    manifest = content.manifest
    handling = Handling.from_fields(manifest["handling"])
    referral = manifest["referral"]
    details = {
        "package": opened.path.name,
        "ciphertext_sha256": opened.ciphertext_sha256,
        "sender": manifest["sender"]["fingerprint"],
        "referral_id": referral["id"],
        "version": referral["version"],
        "media_files": len(content.media_files),
    }
    target = f"investigation:{manifest['country']}"
    with case.mutate(actor, "referral.import", target, "", details) as session:
        source = _add_source(session, case, opened, handling, actor)
        upserter = Upserter(session, case, source, manifest, handling)
        counts = upserter.load(content.document, content.messages)
        session.info["audit_details"].update(counts)
    case.evidence.put_file(opened.path)
    case.evidence.put_file(signature_path(opened.path))
    for body in content.media_files.values():
        case.evidence.put_bytes(body)
    return counts


def _unchanged(
    home: Home,
    name: str,
    manifest: dict[str, Any],
    held: HeldReferral,
    opened: OpenedPackage,
    actor: str,
) -> ImportResult:
    """Same or older version: nothing changes; the attempt itself is audited."""
    referral = manifest["referral"]
    details = {
        "package": opened.path.name,
        "ciphertext_sha256": opened.ciphertext_sha256,
        "referral_id": referral["id"],
        "version": referral["version"],
        "held_version": held.version,
        "already_imported": True,
    }
    home.open_case(name).record(
        actor, "referral.import.unchanged", f"investigation:{manifest['country']}", "", details
    )
    nothing = dict.fromkeys(("accounts", "chats", "messages", "media", "matches"), 0)
    return _result(name, manifest, held.version, nothing, already_imported=True)


@dataclass(frozen=True)
class HeldReferral:
    case: str
    referral_id: str
    version: int
    origin: str


def _referral_in(case: Case, country: str | None = None) -> HeldReferral | None:
    with case.read() as session:
        query = select(InvestigationRow).where(InvestigationRow.case_id == case.id)
        if country is not None:
            query = query.where(InvestigationRow.country == country)
        for row in session.scalars(query):
            held = row.provenance.get("referral")
            if held:
                return HeldReferral(case.name, held["id"], int(held["version"]), held["origin"])
    return None


def find_referral_case(home: Home, referral_id: str, origin: str) -> HeldReferral | None:
    """The one case of this installation that holds the referral, if any."""
    for name in home.case_names():
        case = home.open_case(name)
        with case.read() as session:
            rows = session.scalars(
                select(InvestigationRow).where(InvestigationRow.case_id == case.id)
            ).all()
        for row in rows:
            held = row.provenance.get("referral") or {}
            if held.get("id") == referral_id and held.get("origin") == origin:
                return HeldReferral(name, referral_id, int(held["version"]), origin)
    return None


def _add_source(
    session: Session, case: Case, opened: OpenedPackage, handling: Handling, actor: str
) -> SourceRow:
    """The package itself, kept as evidence with who sent it, when and how it may be used."""
    hashes = hash_file(opened.path)  # the blob itself is stored after the commit
    signature = signature_path(opened.path)
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
            "referral": manifest["referral"],
        },
    )
    session.add(source)
    session.flush()
    return source
