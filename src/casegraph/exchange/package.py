"""`casegraph refer`: one investigation -> a signed, encrypted referral package.

Inside the package (see crypto.py for the envelope)::

    referral.json        casegraph's own form (what import-referral reads)
    stix/bundle.json     STIX 2.1 bundle (+ stix/extensions/*.json, its extension schemas)
    misp/event.json      MISP event (+ misp/taxonomies/, the europol-* taxonomies it tags with)
    vics/hashset.json    VICS 2.0 hash set of the matched media
    excerpts/messages.json  messages the targets authored
    summary.html         the readable summary
    media/<sha256>       only when a reviewer sends media, with a reason (audited)

Every package carries its referral id, version and the version it supersedes, so the
partner's import converges on one case instead of adding a copy (see receive.py).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from casegraph import __version__
from casegraph.errors import CaseError
from casegraph.exchange.codes import Handling
from casegraph.exchange.collect import ReferralData, collect, find_investigation
from casegraph.exchange.crypto import remove_package, seal_package, signature_path
from casegraph.exchange.keys import (
    Identity,
    PublicKey,
    check_usable,
    load_identity,
    load_public,
    own_identity_names,
)
from casegraph.exchange.openpgp import PgpRecipient
from casegraph.exchange.openpgp import read_recipient as read_pgp_recipient
from casegraph.exchange.standards import standard_files
from casegraph.exchange.summary import render_summary
from casegraph.store.cases import Case, Home
from casegraph.store.schema import InvestigationRow, UserRow

PACKAGE_FORMAT_VERSION = 2
DATA_FORMAT = f"casegraph-referral-data/{PACKAGE_FORMAT_VERSION}"
MANIFEST_FORMAT = f"casegraph-referral/{PACKAGE_FORMAT_VERSION}"


@dataclass(frozen=True)
class ReferralResult:
    package: Path
    signature: Path
    country: str
    targets: int
    chats: int
    media: int
    matches: int
    messages: int
    media_files: int
    recipient_fingerprint: str
    ciphertext_sha256: str
    referral_id: str = ""
    version: int = 1


def _json(document: Any) -> bytes:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False).encode()


def item_codes(handling: Handling, assessor: str, assessed_at: datetime) -> dict[str, str]:
    """Codes as every shared item carries them: scheme, code, who assessed it and when."""
    return {**handling.fields(), "assessor": assessor, "assessed_at": assessed_at.isoformat()}


def referral_document(
    data: ReferralData, codes: dict[str, str], case_name: str, referral: dict[str, Any]
) -> dict[str, Any]:
    """casegraph's own form; every item carries the handling and evaluation fields."""

    def marked(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**item, "handling": codes} for item in items]

    return {
        "format": DATA_FORMAT,
        "case": case_name,
        "country": data.country,
        "referral": referral,
        "handling": codes,
        "investigation": {"country": data.country, "status": data.status, "agency": data.agency},
        "accounts": marked(data.accounts),
        "persons": marked(data.persons),
        "chats": marked(data.chats),
        "media": marked(data.media),
        "matches": marked(data.matches),
    }


def stored_handling(row: InvestigationRow) -> dict[str, str]:
    return {
        "handling_code": row.handling_code,
        "evaluation": row.evaluation,
        "tlp": row.tlp,
        "pap": row.pap,
        "conditions": row.conditions,
    }


def investigation_handling(case: Case, country: str, **overrides: str | None) -> Handling:
    """The codes stored on the investigation, with each given override replacing its field."""
    with case.read() as session:
        fields = stored_handling(find_investigation(session, case, country))
    fields.update({name: value for name, value in overrides.items() if value is not None})
    return Handling.from_fields(fields)


def _record_handling(row: InvestigationRow, handling: Handling) -> None:
    row.handling_code = handling.handling_code
    row.evaluation = handling.evaluation
    row.tlp = handling.tlp
    row.pap = handling.pap
    row.conditions = handling.conditions


def default_identity(home: Home) -> str:
    names = own_identity_names(home.root)
    if len(names) != 1:
        raise CaseError(
            f"{len(names)} own keys in {home.root / 'keys' / 'own'}; "
            + ("create one with `casegraph keys generate NAME`" if not names else "pass --identity")
        )
    return names[0]


@dataclass(frozen=True)
class MediaReview:
    """Who, holding the reviewer role, decided that media files go out, and why."""

    reviewer: str
    reason: str


@dataclass(frozen=True)
class ReferralPlan:
    """Everything checked before a byte is written: who sends what to whom, which version."""

    case: Case
    data: ReferralData
    handling: Handling
    sender: Identity
    recipient: PublicKey
    media_review: MediaReview | None
    reason: str
    country_mismatch: bool
    created_at: datetime
    referral: dict[str, Any]
    pgp_recipient: PgpRecipient | None = None  # encrypt to this OpenPGP key instead of age


def refer(
    home: Home,
    case_name: str,
    country: str,
    recipient_key: str,
    out_dir: Path,
    include_media: bool = False,
    reason: str = "",
    identity: str | None = None,
    handling: Handling | None = None,
    actor: str = "cli",
    passphrase: str | None = None,
    reviewer: str | None = None,
    country_reason: str | None = None,
    recipient_pgp: Path | None = None,
) -> ReferralResult:
    """Build, sign and encrypt the referral of one investigation; audited in the case.

    `recipient_pgp` (an OpenPGP public key file) encrypts to that key instead of age; the
    casegraph `recipient_key` is still required: it names the partner agency and country
    (the recipient guard applies to it), is signed into the .sig and keys the versions.

    Without `handling`, the codes stored on the investigation apply; the codes sent are
    stored on it, so the next referral of the same investigation carries them again.
    `reason` is required (and audited) when media files go out or when the recipient key's
    country is not the investigation's; a caller whose `reason` is always filled (the web
    form) passes the country justification apart as `country_reason`.
    """
    plan = validate_referral(
        home,
        case_name,
        country,
        recipient_key,
        include_media,
        reason,
        identity,
        handling,
        passphrase,
        reviewer,
        country_reason,
        recipient_pgp,
    )
    files, manifest, media_files = build_referral(plan)
    return seal_and_record(plan, files, manifest, media_files, out_dir, actor)


def validate_referral(
    home: Home,
    case_name: str,
    country: str,
    recipient_key: str,
    include_media: bool = False,
    reason: str = "",
    identity: str | None = None,
    handling: Handling | None = None,
    passphrase: str | None = None,
    reviewer: str | None = None,
    country_reason: str | None = None,
    recipient_pgp: Path | None = None,
) -> ReferralPlan:
    """Every refusal happens here, before anything is built or written."""
    if country.lower() == "unattributed":
        raise CaseError(
            "unattributed accounts go to no partner: move them into a country first "
            "(casegraph investigation move CASE ACCOUNT... --to CC --reason R)"
        )
    media_review = _media_review(home, include_media, reviewer, reason)
    case = home.open_case(case_name)
    handling = handling or investigation_handling(case, country)
    recipient = load_public(home.root, recipient_key)
    check_usable(home.root, recipient, "recipient")
    pgp = read_pgp_recipient(recipient_pgp) if recipient_pgp else None
    data = collect(case, country)
    mismatch = recipient.country.upper() != data.country
    justification = reason if country_reason is None else country_reason
    if mismatch and not justification.strip():
        raise CaseError(
            f"recipient key {recipient.name} is for country {recipient.country or '(none)'} "
            f"({recipient.agency or 'no agency'}), but investigation {data.country} is being "
            "referred; pick that country's key, or give --reason to send it anyway (audited)"
        )
    if mismatch and country_reason is not None:
        reason = f"{reason}; other country's key: {country_reason}".lstrip("; ")
    if not data.accounts:
        raise CaseError(
            f"investigation {data.country} of case {case_name!r} has no targets; "
            "move accounts into it first (casegraph investigation move)"
        )
    sender = load_identity(home.root, identity or default_identity(home), passphrase)
    check_usable(home.root, sender.public, "own")
    with case.read() as session:
        investigation = find_investigation(session, case, data.country)
        previous = investigation.provenance.get("referral_versions", {}).get(recipient.fingerprint)
    referral = next_version(previous)
    created_at = datetime.now(UTC).replace(microsecond=0)
    return ReferralPlan(
        case,
        data,
        handling,
        sender,
        recipient,
        media_review,
        reason,
        mismatch,
        created_at,
        referral,
        pgp,
    )


def next_version(previous: dict[str, Any] | None) -> dict[str, Any]:
    """Version 1 with a new id, or the next version of the same referral to the same key."""
    if previous is None:
        return {"id": f"ref-{uuid.uuid4().hex}", "version": 1, "supersedes": None}
    return {
        "id": previous["id"],
        "version": int(previous["version"]) + 1,
        "supersedes": {
            "version": int(previous["version"]),
            "ciphertext_sha256": previous["ciphertext_sha256"],
        },
    }


def _media_review(
    home: Home, include_media: bool, reviewer: str | None, reason: str
) -> MediaReview | None:
    """Media bytes leave only on the word of a named reviewer, with a reason."""
    if not include_media:
        return None
    if not reviewer or not reason.strip():
        raise CaseError(
            "--include-media sends media files: it needs --reviewer NAME (a user with the "
            "reviewer role) and --reason (both audited)"
        )
    with home.installation_sessions()() as session:
        role = session.scalar(
            select(UserRow.role).where(
                UserRow.username == reviewer.strip().lower(), UserRow.disabled.is_(False)
            )
        )
    if role != "reviewer":
        raise CaseError(
            f"--reviewer {reviewer!r} is not an enabled user with the reviewer role; "
            "add one with `casegraph user add NAME --role reviewer`"
        )
    return MediaReview(reviewer.strip().lower(), reason)


def build_referral(plan: ReferralPlan) -> tuple[dict[str, bytes], dict[str, Any], int]:
    """The package files and the manifest listing them; nothing is written yet."""
    data, sender, recipient = plan.data, plan.sender.public, plan.recipient
    files = _package_files(
        data, plan.handling, plan.case.name, sender, recipient, plan.created_at, plan.referral
    )
    media_files = 0
    if plan.media_review is not None:
        for media in data.media:
            if plan.case.evidence.has(media["sha256"]):
                files[f"media/{media['sha256']}"] = plan.case.evidence.read(media["sha256"])
                media_files += 1
    files["summary.html"] = render_summary(
        data,
        plan.handling,
        plan.case.name,
        sender.agency or sender.name,
        recipient.agency or recipient.name,
        plan.created_at,
        media_files,
    ).encode()
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "tool": f"casegraph {__version__}",
        "case": plan.case.name,
        "country": data.country,
        "created_at": plan.created_at.isoformat(),
        "sender": sender.party(),
        "recipient": recipient.party(),
        "handling": plan.handling.fields(),
        "referral": plan.referral,
        "include_media": plan.media_review is not None,
        "files": [
            {"path": name, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
            for name, body in sorted(files.items())
        ],
    }
    if plan.media_review is not None:
        manifest["media_review"] = asdict(plan.media_review)
    return files, manifest, media_files


def seal_and_record(
    plan: ReferralPlan,
    files: dict[str, bytes],
    manifest: dict[str, Any],
    media_files: int,
    out_dir: Path,
    actor: str,
) -> ReferralResult:
    """Write the package and its audit entry together: if either fails, neither remains."""
    data, recipient = plan.data, plan.recipient
    stem = f"referral-{plan.case.name}-{data.country}-{plan.created_at.strftime('%Y%m%dT%H%M%SZ')}"
    details: dict[str, Any] = {
        "recipient": recipient.party(),
        "referral_id": plan.referral["id"],
        "version": plan.referral["version"],
        "include_media": plan.media_review is not None,
        "media_files": media_files,
        "targets": len(data.accounts),
        "chats": len(data.chats),
        "media": len(data.media),
        "messages": len(data.messages),
    }
    if plan.media_review is not None:
        details["reviewer"] = plan.media_review.reviewer
    if plan.country_mismatch:
        details["country_mismatch"] = {"investigation": data.country, "key": recipient.country}
    package: Path | None = None
    try:
        with plan.case.mutate(
            actor, "referral.create", f"investigation:{data.country}", plan.reason, details
        ) as session:
            investigation = find_investigation(session, plan.case, data.country)
            versions = dict(investigation.provenance.get("referral_versions", {}))
            if (
                next_version(versions.get(recipient.fingerprint))["version"]
                != plan.referral["version"]
            ):
                raise CaseError(
                    f"investigation {data.country} was referred to {recipient.name} meanwhile; "
                    "run refer again"
                )
            package = seal_package(
                files,
                manifest,
                plan.sender,
                recipient,
                out_dir,
                stem,
                plan.created_at,
                pgp_recipient=plan.pgp_recipient,
            )
            digest = hashlib.sha256(package.read_bytes()).hexdigest()
            session.info["audit_details"].update(package=package.name, ciphertext_sha256=digest)
            if plan.pgp_recipient is not None:  # which OpenPGP key could open it
                pgp_fingerprint = plan.pgp_recipient.fingerprint
                session.info["audit_details"]["openpgp_recipient"] = pgp_fingerprint
            if investigation.status == "proposed":
                investigation.status = "referred"
            investigation.agency = investigation.agency or recipient.agency
            _record_handling(investigation, plan.handling)
            sent = {
                "to": recipient.party(),
                "at": plan.created_at.isoformat(),
                "package": package.name,
                "ciphertext_sha256": digest,
                "targets": len(data.accounts),
                "referral_id": plan.referral["id"],
                "version": plan.referral["version"],
            }
            if plan.pgp_recipient is not None:
                sent["openpgp_recipient"] = plan.pgp_recipient.fingerprint
            versions[recipient.fingerprint] = {**plan.referral, "ciphertext_sha256": digest}
            provenance = dict(investigation.provenance)
            # a new dict, so SQLAlchemy sees the JSON column change
            investigation.provenance = {
                **provenance,
                "sent": [*provenance.get("sent", []), sent],
                "referral_versions": versions,
            }
            session.flush()
    except BaseException:
        if package is not None:
            remove_package(package)
        raise
    return ReferralResult(
        package=package,
        signature=signature_path(package),
        country=data.country,
        targets=len(data.accounts),
        chats=len(data.chats),
        media=len(data.media),
        matches=len(data.matches),
        messages=len(data.messages),
        media_files=media_files,
        recipient_fingerprint=recipient.fingerprint,
        ciphertext_sha256=digest,
        referral_id=plan.referral["id"],
        version=plan.referral["version"],
    )


def _package_files(
    data: ReferralData,
    handling: Handling,
    case_name: str,
    sender: PublicKey,
    recipient: PublicKey,
    created_at: datetime,
    referral: dict[str, Any],
) -> dict[str, bytes]:
    codes = item_codes(handling, sender.agency or sender.name, created_at)
    excerpts = {
        "case": case_name,
        "country": data.country,
        "handling": codes,
        "messages": [{**m, "handling": codes} for m in data.messages],
    }
    return {
        "referral.json": _json(referral_document(data, codes, case_name, referral)),
        "excerpts/messages.json": _json(excerpts),
        **standard_files(data, handling, case_name, sender, recipient, created_at),
    }


def result_dict(result: ReferralResult) -> dict[str, Any]:
    """JSON-ready form for the CLI."""
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(result).items()}
