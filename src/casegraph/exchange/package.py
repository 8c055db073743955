"""`casegraph refer`: one investigation -> a signed, encrypted referral package.

Inside the package (see crypto.py for the envelope)::

    referral.json        casegraph's own form (what import-referral reads)
    stix/bundle.json     STIX 2.1 bundle
    misp/event.json      MISP event
    vics/hashset.json    VICS 2.0 hash set of the matched media
    excerpts/messages.json  messages the targets authored
    summary.html         the readable summary
    media/<sha256>       only when an analyst asks for media, with a reason (audited)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casegraph import __version__
from casegraph.errors import CaseError
from casegraph.exchange.codes import Handling
from casegraph.exchange.collect import ReferralData, collect, find_investigation
from casegraph.exchange.crypto import seal_package, signature_path
from casegraph.exchange.keys import PublicKey, load_identity, load_public, own_identity_names
from casegraph.exchange.openpgp import read_recipient as read_pgp_recipient
from casegraph.exchange.standards import standard_files
from casegraph.exchange.summary import render_summary
from casegraph.store.cases import Case, Home
from casegraph.store.schema import InvestigationRow

DATA_FORMAT = "casegraph-referral-data/1"
MANIFEST_FORMAT = "casegraph-referral/1"


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


def _json(document: Any) -> bytes:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False).encode()


def _party(key: PublicKey) -> dict[str, str]:
    return {
        "name": key.name,
        "agency": key.agency,
        "country": key.country,
        "fingerprint": key.fingerprint,
    }


def item_codes(handling: Handling, assessor: str, assessed_at: datetime) -> dict[str, str]:
    """Codes as every shared item carries them: scheme, code, who assessed it and when."""
    return {**handling.fields(), "assessor": assessor, "assessed_at": assessed_at.isoformat()}


def referral_document(data: ReferralData, codes: dict[str, str], case_name: str) -> dict[str, Any]:
    """casegraph's own form; every item carries the handling and evaluation fields."""

    def marked(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**item, "handling": codes} for item in items]

    return {
        "format": DATA_FORMAT,
        "case": case_name,
        "country": data.country,
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
    recipient_pgp: Path | None = None,
) -> ReferralResult:
    """Build, sign and encrypt the referral of one investigation; audited in the case.

    `recipient_pgp` (an OpenPGP public key file) encrypts to that key instead of age.

    Without `handling`, the codes stored on the investigation apply; the codes sent are
    stored on it, so the next referral of the same investigation carries them again.
    """
    if include_media and not reason.strip():
        raise CaseError("--include-media sends media files: give the reason with --reason")
    if country.lower() == "unattributed":
        raise CaseError(
            "unattributed accounts go to no partner: move them into a country first "
            "(casegraph investigation move CASE ACCOUNT... --to CC --reason R)"
        )
    case = home.open_case(case_name)
    handling = handling or investigation_handling(case, country)
    recipient = load_public(home.root, recipient_key)
    pgp = read_pgp_recipient(recipient_pgp) if recipient_pgp else None
    sender = load_identity(home.root, identity or default_identity(home), passphrase)
    data = collect(case, country)
    if not data.accounts:
        raise CaseError(
            f"investigation {data.country} of case {case_name!r} has no targets; "
            "move accounts into it first (casegraph investigation move)"
        )
    created_at = datetime.now(UTC).replace(microsecond=0)
    files = _package_files(data, handling, case_name, sender.public, recipient, created_at)
    media_files = 0
    if include_media:
        for media in data.media:
            if case.evidence.has(media["sha256"]):
                files[f"media/{media['sha256']}"] = case.evidence.read(media["sha256"])
                media_files += 1
    files["summary.html"] = render_summary(
        data,
        handling,
        case_name,
        sender.public.agency or sender.public.name,
        recipient.agency or recipient.name,
        created_at,
        media_files,
    ).encode()
    manifest = {
        "format": MANIFEST_FORMAT,
        "tool": f"casegraph {__version__}",
        "case": case_name,
        "country": data.country,
        "created_at": created_at.isoformat(),
        "sender": _party(sender.public),
        "recipient": _party(recipient),
        "handling": handling.fields(),
        "include_media": include_media,
        "files": [
            {"path": name, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
            for name, body in sorted(files.items())
        ],
    }
    stem = f"referral-{case_name}-{data.country}-{created_at.strftime('%Y%m%dT%H%M%SZ')}"
    details = {
        "recipient": _party(recipient),
        "include_media": include_media,
        "media_files": media_files,
        "targets": len(data.accounts),
        "chats": len(data.chats),
        "media": len(data.media),
        "messages": len(data.messages),
    }
    target = f"investigation:{data.country}"
    with case.mutate(actor, "referral.create", target, reason, details) as session:
        package = seal_package(
            files, manifest, sender, recipient, out_dir, stem, created_at, pgp_recipient=pgp
        )
        try:
            digest = hashlib.sha256(package.read_bytes()).hexdigest()
            session.info["audit_details"].update(package=package.name, ciphertext_sha256=digest)
            if pgp is not None:  # which OpenPGP key could open it
                session.info["audit_details"]["openpgp_recipient"] = pgp.fingerprint
            investigation = find_investigation(session, case, data.country)
            if investigation.status == "proposed":
                investigation.status = "referred"
            investigation.agency = investigation.agency or recipient.agency
            _record_handling(investigation, handling)
            sent = {
                "to": _party(recipient),
                "at": created_at.isoformat(),
                "package": package.name,
                "ciphertext_sha256": digest,
                "targets": len(data.accounts),
            }
            provenance = dict(investigation.provenance)
            # a new dict, so SQLAlchemy sees the JSON column change
            investigation.provenance = {**provenance, "sent": [*provenance.get("sent", []), sent]}
            session.flush()
        except BaseException:
            package.unlink(missing_ok=True)
            signature_path(package).unlink(missing_ok=True)
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
    )


def _package_files(
    data: ReferralData,
    handling: Handling,
    case_name: str,
    sender: PublicKey,
    recipient: PublicKey,
    created_at: datetime,
) -> dict[str, bytes]:
    codes = item_codes(handling, sender.agency or sender.name, created_at)
    excerpts = {
        "case": case_name,
        "country": data.country,
        "handling": codes,
        "messages": [{**m, "handling": codes} for m in data.messages],
    }
    return {
        "referral.json": _json(referral_document(data, codes, case_name)),
        "excerpts/messages.json": _json(excerpts),
        **standard_files(data, handling, case_name, sender, recipient, created_at),
    }


def result_dict(result: ReferralResult) -> dict[str, Any]:
    """JSON-ready form for the CLI."""
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(result).items()}
