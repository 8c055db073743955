"""The way back: a partner acknowledges a referral and reports outcomes to its sender.

A response package uses the referral envelope (crypto.py: age-encrypted tar, signed
manifest, detached `.sig`) with one file, `response.json` (docs/schema/response-v1.json).
It goes only to the key that sent the referral, and the coordinator accepts it only from
the key the referral was sent to. Each report is kept as it came (who, when, what); the
investigation's figures are those of the partner's latest outcome report, so importing a
report twice, or an older one after a newer, never adds anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from casegraph import __version__
from casegraph.errors import CaseError, InputError
from casegraph.exchange.crypto import open_package, remove_package, seal_package, signature_path
from casegraph.exchange.investigations import STATUSES
from casegraph.exchange.keys import (
    PublicKey,
    check_usable,
    list_keys,
    load_identity,
    load_public,
)
from casegraph.exchange.package import default_identity
from casegraph.exchange.validate import RESPONSE_SCHEMA, check
from casegraph.store.cases import Case, Home
from casegraph.store.db import utcnow
from casegraph.store.schema import InvestigationRow, PartnerReportRow

RESPONSE_FORMAT = "casegraph-response/1"
ACK_STATUSES = ("received", "accepted", "declined")


@dataclass(frozen=True)
class Outcome:
    """What a partner's operation achieved, as totals so far (a later report replaces it)."""

    arrests: int = 0
    suspects: int = 0
    suspect_ages: list[int] = field(default_factory=list)
    minors_safeguarded: int = 0
    new_identifiers: list[dict[str, str]] = field(default_factory=list)
    new_media_sha256: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SentResponse:
    package: Path
    signature: Path
    kind: str
    referral_id: str
    version: int
    ciphertext_sha256: str


@dataclass(frozen=True)
class ImportedResponse:
    case: str
    country: str
    kind: str
    status: str
    reporter: str
    reported_at: str
    already_imported: bool
    figures: dict[str, int]


def _held_referral(case: Case, country: str) -> dict[str, Any]:
    with case.read() as session:
        row = session.scalars(
            select(InvestigationRow).where(
                InvestigationRow.case_id == case.id, InvestigationRow.country == country.upper()
            )
        ).one_or_none()
        held = dict(row.provenance.get("referral") or {}) if row is not None else {}
    if not held:
        raise CaseError(
            f"case {case.name!r} holds no received referral for {country.upper()}; "
            "responses answer a referral imported with `casegraph import-referral`"
        )
    return held


def _sender_key(home: Home, fingerprint: str) -> PublicKey:
    """The partner key that sent the referral: answers go back to it and to nobody else."""
    for info in list_keys(home.root):
        if info.kind == "partner" and info.fingerprint == fingerprint:
            return load_public(home.root, info.name)
    raise CaseError(
        f"the key that sent this referral ({fingerprint}) is not among the partner keys; "
        "import it with `casegraph keys import FILE`"
    )


def check_outcome(outcome: Outcome) -> None:
    for label in ("arrests", "suspects", "minors_safeguarded"):
        if getattr(outcome, label) < 0:
            raise CaseError(f"{label} cannot be negative")
    if len(outcome.suspect_ages) > outcome.suspects:
        raise CaseError(
            f"{len(outcome.suspect_ages)} ages for {outcome.suspects} suspect(s): "
            "give at most one age per suspect"
        )
    if any(age < 0 or age > 120 for age in outcome.suspect_ages):
        raise CaseError("suspect ages must be between 0 and 120")
    if outcome.arrests > outcome.suspects:
        raise CaseError(f"arrests ({outcome.arrests}) cannot exceed suspects ({outcome.suspects})")


def send_response(
    home: Home,
    case_name: str,
    country: str,
    out_dir: Path,
    status: str | None = None,
    reason: str = "",
    outcome: Outcome | None = None,
    identity: str | None = None,
    actor: str = "cli",
    passphrase: str | None = None,
) -> SentResponse:
    """Sign and encrypt an acknowledgement (status) or outcome report to the referral sender."""
    if (status is None) == (outcome is None):
        raise CaseError("a response is either an acknowledgement (--status) or an outcome report")
    if status is not None and status not in ACK_STATUSES:
        raise CaseError(f"status {status!r} is unknown: use one of {', '.join(ACK_STATUSES)}")
    if status == "declined" and not reason.strip():
        raise CaseError("declining a referral needs a --reason (sent to the coordinator)")
    if outcome is not None:
        check_outcome(outcome)
    case = home.open_case(case_name)
    held = _held_referral(case, country)
    recipient = _sender_key(home, held["origin"])
    check_usable(home.root, recipient, "recipient")
    sender = load_identity(home.root, identity or default_identity(home), passphrase)
    check_usable(home.root, sender.public, "own")
    now = datetime.now(UTC).replace(microsecond=0)
    kind = "acknowledgement" if status is not None else "outcome"
    response: dict[str, Any] = {
        "format": RESPONSE_FORMAT,
        "kind": kind,
        "referral": {"id": held["id"], "version": int(held["version"])},
        "origin_case": held["origin_case"],
        "country": country.upper(),
        "reported_at": now.isoformat(),
        "reporter": sender.public.party(),
    }
    if status is not None:
        response["status"] = status
        if reason.strip():
            response["reason"] = reason
    if outcome is not None:
        response["outcome"] = {
            "arrests": outcome.arrests,
            "suspects": outcome.suspects,
            "suspect_ages": list(outcome.suspect_ages),
            "minors_safeguarded": outcome.minors_safeguarded,
            "new_identifiers": list(outcome.new_identifiers),
            "new_media_sha256": sorted(set(outcome.new_media_sha256)),
        }
    body = json.dumps(response, indent=1, sort_keys=True, ensure_ascii=False).encode()
    check(response, RESPONSE_SCHEMA, "response", "the response")
    manifest = {
        "format": RESPONSE_FORMAT,
        "tool": f"casegraph {__version__}",
        "created_at": now.isoformat(),
        "sender": sender.public.party(),
        "recipient": recipient.party(),
        "files": [
            {"path": "response.json", "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
        ],
    }
    stem = (
        f"response-{held['origin_case']}-{country.upper()}-{kind}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    )
    details: dict[str, Any] = {
        "kind": kind,
        "status": status,
        "referral_id": held["id"],
        "version": held["version"],
        "to": recipient.fingerprint,
    }
    package: Path | None = None
    try:
        with case.mutate(
            actor, f"response.{kind}.send", f"investigation:{country.upper()}", reason, details
        ) as session:
            package = seal_package(
                {"response.json": body}, manifest, sender, recipient, out_dir, stem, now
            )
            digest = hashlib.sha256(package.read_bytes()).hexdigest()
            session.info["audit_details"].update(package=package.name, ciphertext_sha256=digest)
    except BaseException:
        if package is not None:
            remove_package(package)
        raise
    return SentResponse(
        package, signature_path(package), kind, held["id"], int(held["version"]), digest
    )


def import_response(
    home: Home,
    package: Path,
    sender_key: str,
    identity: str | None = None,
    actor: str = "cli",
    passphrase: str | None = None,
    case_name: str | None = None,
) -> ImportedResponse:
    """Verify a partner's response and record it on the investigation it answers
    (in `case_name` only, when given)."""
    sender = load_public(home.root, sender_key)
    check_usable(home.root, sender, "sender")
    own = load_identity(home.root, identity or default_identity(home), passphrase)
    opened = open_package(package, sender, own)
    origin = str(opened.path)
    if opened.manifest.get("format") != RESPONSE_FORMAT:
        raise InputError(
            f"{origin} is not a response package ({RESPONSE_FORMAT}); "
            "referrals are read with `casegraph import-referral`"
        )
    check(opened.manifest, RESPONSE_SCHEMA, "manifest", f"{origin} manifest.json")
    try:
        response = json.loads(opened.files["response.json"])
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{origin}: response.json is not readable; ask for a resend") from exc
    check(response, RESPONSE_SCHEMA, "response", f"{origin} response.json")
    if response["reporter"]["fingerprint"] != sender.fingerprint:
        raise InputError(f"{origin}: the reporter named inside is not the signing key")
    if case_name is not None and response["origin_case"] != case_name:
        raise InputError(
            f"{origin} answers case {response['origin_case']!r}, not {case_name!r}; "
            "upload it on that case's page"
        )
    if not home.exists(response["origin_case"]):
        raise InputError(
            f"{origin} answers case {response['origin_case']!r}, which is not in this installation"
        )
    case = home.open_case(response["origin_case"])
    country = response["country"]
    details = {
        "package": opened.path.name,
        "ciphertext_sha256": opened.ciphertext_sha256,
        "kind": response["kind"],
        "reporter": sender.fingerprint,
    }
    with case.mutate(
        actor, f"response.{response['kind']}.import", f"investigation:{country}", "", details
    ) as session:
        investigation = session.scalars(
            select(InvestigationRow).where(
                InvestigationRow.case_id == case.id, InvestigationRow.country == country
            )
        ).one_or_none()
        _check_sent(investigation, response, sender, origin)
        assert investigation is not None  # _check_sent refuses a missing investigation
        known = session.scalar(
            select(PartnerReportRow.id).where(
                PartnerReportRow.case_id == case.id,
                PartnerReportRow.package_sha256 == opened.ciphertext_sha256,
            )
        )
        already = known is not None
        session.info["audit_details"]["already_imported"] = already
        if not already:
            _record(session, case, investigation, response, sender, opened.ciphertext_sha256)
        figures = {
            "arrests": investigation.arrests,
            "suspects": investigation.suspects,
            "minors": investigation.minors,
        }
    if not already:
        case.evidence.put_file(opened.path)
        case.evidence.put_file(signature_path(opened.path))
    return ImportedResponse(
        case.name,
        country,
        response["kind"],
        str(response.get("status", "")),
        sender.agency or sender.name,
        response["reported_at"],
        already,
        figures,
    )


def _check_sent(
    investigation: InvestigationRow | None,
    response: dict[str, Any],
    sender: PublicKey,
    origin: str,
) -> None:
    """Only the key a referral went to may answer it, and only about a version we sent."""
    versions = investigation.provenance.get("referral_versions", {}) if investigation else {}
    sent = versions.get(sender.fingerprint)
    about = response["referral"]
    if sent is None or sent["id"] != about["id"] or about["version"] > int(sent["version"]):
        raise InputError(
            f"{origin} answers referral {about['id']} version {about['version']}, which this "
            f"installation did not send to key {sender.name} ({sender.fingerprint}); not imported"
        )


def _record(
    session: Session,
    case: Case,
    investigation: InvestigationRow,
    response: dict[str, Any],
    sender: PublicKey,
    digest: str,
) -> None:
    reported_at = datetime.fromisoformat(response["reported_at"])
    report = PartnerReportRow(
        case_id=case.id,
        country=response["country"],
        kind=response["kind"],
        status=response.get("status", ""),
        referral_id=response["referral"]["id"],
        referral_version=response["referral"]["version"],
        reporter=sender.agency or sender.name,
        reporter_country=sender.country,
        reporter_fingerprint=sender.fingerprint,
        reported_at=reported_at,
        received_at=utcnow(),
        package_sha256=digest,
        details={key: response[key] for key in ("reason", "outcome") if key in response},
    )
    session.add(report)
    session.flush()
    if response["kind"] == "acknowledgement" and response["status"] == "accepted":
        _advance(investigation, "acknowledged")
    if response["kind"] == "outcome" and _is_latest_outcome(session, case, report):
        outcome = response["outcome"]
        investigation.arrests = outcome["arrests"]
        investigation.suspects = outcome["suspects"]
        investigation.suspect_ages = list(outcome["suspect_ages"])
        investigation.minors = outcome["minors_safeguarded"]
        if outcome["arrests"]:
            _advance(investigation, "arrests_made")


def _advance(investigation: InvestigationRow, status: str) -> None:
    """Statuses only move forward; a partner's report never takes one back."""
    if STATUSES.index(investigation.status) < STATUSES.index(status):
        investigation.status = status


def _is_latest_outcome(session: Session, case: Case, report: PartnerReportRow) -> bool:
    newer = session.scalar(
        select(PartnerReportRow.id).where(
            PartnerReportRow.case_id == case.id,
            PartnerReportRow.country == report.country,
            PartnerReportRow.kind == "outcome",
            PartnerReportRow.reported_at > report.reported_at,
        )
    )
    return newer is None


def partner_outcomes(
    session: Session, case: Case, where: ColumnElement[bool] | None = None
) -> list[dict[str, Any]]:
    """Per country, what partners reported back: latest acknowledgement and latest outcome,
    with who reported it and when (reported by them, received here). Pages pass the scoped
    layer's `Reader.partner_reports()` as `where`."""
    query = select(PartnerReportRow).where(PartnerReportRow.case_id == case.id)
    if where is not None:
        query = query.where(where)
    latest: dict[tuple[str, str], PartnerReportRow] = {}
    for row in session.scalars(query.order_by(PartnerReportRow.reported_at, PartnerReportRow.id)):
        latest[(row.country, row.kind)] = row
    result = []
    for country in sorted({country for country, _kind in latest}):
        ack = latest.get((country, "acknowledgement"))
        outcome_row = latest.get((country, "outcome"))
        outcome = outcome_row.details.get("outcome", {}) if outcome_row else {}
        shown = outcome_row or ack
        assert shown is not None  # every country here has at least one report
        result.append(
            {
                "case": case.name,
                "country": country,
                "acknowledgement": ack.status if ack else "",
                "declined_reason": ack.details.get("reason", "") if ack else "",
                "arrests": outcome.get("arrests"),
                "suspects": outcome.get("suspects"),
                "suspect_ages": outcome.get("suspect_ages", []),
                "minors_safeguarded": outcome.get("minors_safeguarded"),
                "new_identifiers": len(outcome.get("new_identifiers", [])),
                "new_media": len(outcome.get("new_media_sha256", [])),
                "reporter": shown.reporter,
                "reporter_country": shown.reporter_country,
                "reported_at": shown.reported_at.isoformat(),
                "received_at": shown.received_at.isoformat(),
            }
        )
    return result
