"""Per-country investigations: status, moving people between them, outcome figures.

Analysis proposes one investigation per country (and "unattributed"); analysts resolve the
unattributed list and correct attributions by moving accounts, and record what partners
report back (arrests, suspects, minors, ages) for the coordination dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.errors import CaseError
from casegraph.store.cases import Case
from casegraph.store.db import utcnow
from casegraph.store.schema import AccountRow, InvestigationAccountRow, InvestigationRow

STATUSES = ("proposed", "referred", "acknowledged", "active", "arrests_made", "closed")
UNATTRIBUTED = "unattributed"


@dataclass(frozen=True)
class InvestigationView:
    country: str
    status: str
    agency: str
    accounts: list[str]
    arrests: int
    suspects: int
    minors: int
    suspect_ages: list[int] = field(default_factory=list)
    handling_code: str = "H2"
    evaluation: str = "B2"
    tlp: str = "amber"
    pap: str = "amber"
    provenance: dict[str, Any] = field(default_factory=dict)


def _country(value: str) -> str:
    if value.lower() == UNATTRIBUTED:
        return UNATTRIBUTED
    if len(value) != 2 or not value.isalpha():
        raise CaseError(
            f"country {value!r} is not an ISO 3166-1 alpha-2 code (e.g. ES) or 'unattributed'"
        )
    return value.upper()


def _investigation(session: Session, case: Case, country: str, create: bool) -> InvestigationRow:
    row = session.scalars(
        select(InvestigationRow).where(
            InvestigationRow.case_id == case.id, InvestigationRow.country == country
        )
    ).one_or_none()
    if row is None:
        if not create:
            raise CaseError(
                f"case {case.name!r} has no investigation for {country}; check the country"
            )
        row = InvestigationRow(case_id=case.id, country=country, created_at=utcnow())
        session.add(row)
        session.flush()
    return row


def _resolve_accounts(session: Session, case: Case, refs: list[str]) -> list[AccountRow]:
    """Accounts by public key (acct-…) or identifier (E.164, user id)."""
    found: list[AccountRow] = []
    for ref in refs:
        rows = session.scalars(
            select(AccountRow).where(
                AccountRow.case_id == case.id,
                (AccountRow.key == ref) | (AccountRow.identifier == ref),
            )
        ).all()
        if not rows:
            raise CaseError(f"no account {ref!r} in case {case.name!r}; use its id or identifier")
        found.extend(rows)
    return found


def move_accounts(
    case: Case, accounts: list[str], to_country: str, actor: str = "cli", reason: str = ""
) -> InvestigationView:
    """Move accounts into the investigation of `to_country` (made if missing); audited."""
    country = _country(to_country)
    if not reason.strip():
        raise CaseError("moving people between investigations needs a --reason")
    details: dict[str, Any] = {"to": country}
    with case.mutate(actor, "investigation.move", f"investigation:{country}", reason, details) as s:
        target = _investigation(s, case, country, create=True)
        moved: list[dict[str, str]] = []
        for account in _resolve_accounts(s, case, accounts):
            links = s.scalars(
                select(InvestigationAccountRow)
                .join(
                    InvestigationRow,
                    InvestigationRow.id == InvestigationAccountRow.investigation_id,
                )
                .where(
                    InvestigationRow.case_id == case.id,
                    InvestigationAccountRow.account_id == account.id,
                )
            ).all()
            origins = []
            for link in links:
                if link.investigation_id != target.id:
                    origin = s.get(InvestigationRow, link.investigation_id)
                    origins.append(origin.country if origin else "")
                    s.delete(link)
            if not any(link.investigation_id == target.id for link in links):
                s.add(
                    InvestigationAccountRow(
                        investigation_id=target.id, account_id=account.id, assigned_by="analyst"
                    )
                )
            moved.append({"account": account.key, "from": ",".join(sorted(origins))})
        s.info["audit_details"]["moved"] = moved
    return investigation_status(case, country)[0]


def set_status(
    case: Case,
    country: str,
    status: str | None = None,
    agency: str | None = None,
    actor: str = "cli",
    reason: str = "",
) -> InvestigationView:
    if status is not None and status not in STATUSES:
        raise CaseError(f"status {status!r} is unknown: use one of {', '.join(STATUSES)}")
    code = _country(country)
    details = {"status": status, "agency": agency}
    with case.mutate(actor, "investigation.status", f"investigation:{code}", reason, details) as s:
        row = _investigation(s, case, code, create=False)
        s.info["audit_details"]["previous"] = row.status
        if status is not None:
            if STATUSES.index(status) < STATUSES.index(row.status) and status != "active":
                raise CaseError(
                    f"investigation {code} is {row.status}; it cannot go back to {status}"
                )
            row.status = status
        if agency is not None:
            row.agency = agency
    return investigation_status(case, code)[0]


def record_outcome(
    case: Case,
    country: str,
    arrests: int | None = None,
    suspects: int | None = None,
    minors: int | None = None,
    suspect_ages: list[int] | None = None,
    actor: str = "cli",
    reason: str = "",
) -> InvestigationView:
    """Figures a partner reported; the audit entry records that they changed, not the ages."""
    code = _country(country)
    for label, value in (("arrests", arrests), ("suspects", suspects), ("minors", minors)):
        if value is not None and value < 0:
            raise CaseError(f"{label} cannot be negative")
    if minors is not None and suspects is not None and minors > suspects:
        raise CaseError(f"minors ({minors}) cannot exceed suspects ({suspects})")
    if suspect_ages is not None and any(age < 0 or age > 120 for age in suspect_ages):
        raise CaseError("suspect ages must be between 0 and 120")
    details: dict[str, Any] = {
        "arrests": arrests,
        "suspects": suspects,
        "minors": minors,
        "ages_recorded": None if suspect_ages is None else len(suspect_ages),
    }
    with case.mutate(actor, "investigation.outcome", f"investigation:{code}", reason, details) as s:
        row = _investigation(s, case, code, create=False)
        row.arrests = row.arrests if arrests is None else arrests
        row.suspects = row.suspects if suspects is None else suspects
        row.minors = row.minors if minors is None else minors
        if suspect_ages is not None:
            row.suspect_ages = list(suspect_ages)
        if arrests and STATUSES.index(row.status) < STATUSES.index("arrests_made"):
            row.status = "arrests_made"
    return investigation_status(case, code)[0]


def investigation_status(case: Case, country: str | None = None) -> list[InvestigationView]:
    """Every investigation (or one), with its accounts and outcome figures."""
    code = _country(country) if country else None
    with case.read() as session:
        query = select(InvestigationRow).where(InvestigationRow.case_id == case.id)
        if code:
            query = query.where(InvestigationRow.country == code)
        rows = session.scalars(query.order_by(InvestigationRow.country)).all()
        if code and not rows:
            raise CaseError(f"case {case.name!r} has no investigation for {code}")
        views = []
        for row in rows:
            keys = session.scalars(
                select(AccountRow.key)
                .join(InvestigationAccountRow, InvestigationAccountRow.account_id == AccountRow.id)
                .where(InvestigationAccountRow.investigation_id == row.id)
                .order_by(AccountRow.key)
            ).all()
            views.append(
                InvestigationView(
                    row.country,
                    row.status,
                    row.agency,
                    list(keys),
                    row.arrests,
                    row.suspects,
                    row.minors,
                    list(row.suspect_ages),
                    row.handling_code,
                    row.evaluation,
                    row.tlp,
                    row.pap,
                    dict(row.provenance),
                )
            )
    return views


def dashboard_totals(views: list[InvestigationView]) -> dict[str, Any]:
    """What the coordination dashboard shows across all countries."""
    ages = [age for v in views for age in v.suspect_ages]
    return {
        "investigations": sum(1 for v in views if v.country != UNATTRIBUTED),
        "unattributed_accounts": sum(len(v.accounts) for v in views if v.country == UNATTRIBUTED),
        "referred": sum(1 for v in views if v.status != "proposed"),
        "arrests": sum(v.arrests for v in views),
        "suspects": sum(v.suspects for v in views),
        "minors": sum(v.minors for v in views),
        "suspect_age_min": min(ages) if ages else None,
        "suspect_age_max": max(ages) if ages else None,
        "by_status": {s: sum(1 for v in views if v.status == s) for s in STATUSES},
    }
