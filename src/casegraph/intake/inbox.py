"""Tips in and out: submission with dedupe and auto-linking, status by receipt, triage.

Every change is one installation transaction with its audit entry. A repeat report of a group
already reported is kept (its words may add something) with status `duplicate`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from casegraph.errors import InputError
from casegraph.intake.ledger import installation_mutate
from casegraph.intake.linking import CaseLink, find_cases
from casegraph.intake.tips import RECEIPT, STATUSES, TipInput, validate_tip
from casegraph.intake.writer import Pending, writer_for
from casegraph.store.cases import Home, check_case_name
from casegraph.store.schema import TipRow

# What the public sees. Only a person's decision to close a tip shows; whether the tip matched
# a case or an earlier tip never does, or one report would tell a suspect what we know.
RECEIVED = "received and being handled"
CLOSED = "reviewed and closed"
PUBLIC_STATUS = {status: CLOSED if status == "no_action" else RECEIVED for status in STATUSES}


@dataclass(slots=True)
class SubmitResult:
    receipt: str
    status: str
    links: list[CaseLink] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TipView:
    receipt: str
    platform: str
    group_name: str
    invite_link: str
    phones: list[str]
    description: str
    contact: str
    received_at: datetime
    status: str
    linked_cases: list[str]
    origin: str
    reports: int


def record_tip(
    home: Home, tip: TipInput, origin: str = "web", actor: str = "public"
) -> SubmitResult:
    """Store a validated tip, linking it to the cases it mentions."""
    links = find_cases(home, tip)
    stored = writer_for(home).store(Pending(tip=tip, links=links, origin=origin, actor=actor))
    return SubmitResult(receipt=stored.receipt, status=stored.status, links=links, notes=tip.notes)


def submit_tip(
    home: Home, fields: dict[str, object], origin: str = "web", actor: str = "public"
) -> SubmitResult:
    """Validate and store what a form or API call sent (InputError on bad input)."""
    return record_tip(home, validate_tip(fields), origin=origin, actor=actor)


async def submit_tip_async(
    home: Home, fields: dict[str, object], origin: str = "web", actor: str = "public"
) -> SubmitResult:
    """`submit_tip` for an event loop: waits for the commit without holding a thread."""
    tip = validate_tip(fields)
    links = find_cases(home, tip)
    pending = Pending(tip=tip, links=links, origin=origin, actor=actor)
    await asyncio.wrap_future(writer_for(home).enqueue(pending))
    return SubmitResult(
        receipt=pending.receipt, status=pending.status, links=links, notes=tip.notes
    )


def public_status(home: Home, receipt: str) -> str | None:
    """What the reporter may know about their tip, or None for an unknown receipt."""
    receipt = receipt.strip().upper()
    if not RECEIPT.match(receipt):
        return None
    with home.installation_sessions()() as session:
        status = session.scalar(select(TipRow.status).where(TipRow.receipt == receipt))
    return PUBLIC_STATUS.get(status) if status else None


def _view(row: TipRow, reports: int) -> TipView:
    return TipView(
        receipt=row.receipt,
        platform=row.platform,
        group_name=row.group_name,
        invite_link=row.invite_link,
        phones=list(row.phones or []),
        description=row.description,
        contact=row.contact,
        received_at=row.received_at,
        status=row.status,
        linked_cases=[c for c in (row.linked_case or "").split(",") if c],
        origin=row.origin,
        reports=reports,
    )


def list_tips(home: Home, status: str | None = None, limit: int = 100) -> list[TipView]:
    """Newest first; `reports` counts every tip about the same group."""
    with home.installation_sessions()() as session:
        query = select(TipRow).order_by(TipRow.received_at.desc(), TipRow.id.desc()).limit(limit)
        if status:
            query = query.where(TipRow.status == status)
        rows = session.scalars(query).all()
        keys = {row.dedupe_key for row in rows}
        counts = dict(
            session.execute(
                select(TipRow.dedupe_key, func.count())
                .where(TipRow.dedupe_key.in_(keys))
                .group_by(TipRow.dedupe_key)
            ).all()
        )
        return [_view(row, int(counts.get(row.dedupe_key, 1))) for row in rows]


def get_tip(home: Home, receipt: str) -> TipView | None:
    with home.installation_sessions()() as session:
        row = session.scalars(select(TipRow).where(TipRow.receipt == receipt)).first()
        if row is None:
            return None
        reports = session.scalar(select(func.count()).where(TipRow.dedupe_key == row.dedupe_key))
        return _view(row, int(reports or 1))


def triage_tip(
    home: Home, receipt: str, status: str, actor: str, case: str | None = None, reason: str = ""
) -> TipView:
    """Set a tip's status; `case_opened` with a new case name creates that case."""
    if status not in STATUSES:
        raise InputError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if status in ("linked", "case_opened") and not case:
        raise InputError(f"status {status!r} needs the case the tip belongs to")
    if case:
        check_case_name(case)
        if not home.exists(case):
            if status != "case_opened":
                raise InputError(f"no case {case!r}; choose 'case opened' to create it")
            home.create_case(case, actor=actor)
    with installation_mutate(
        home, actor, "tip.triage", f"tip:{receipt}", reason, {"status": status, "case": case}
    ) as session:
        row = session.scalars(select(TipRow).where(TipRow.receipt == receipt)).first()
        if row is None:
            raise InputError(f"no tip with receipt {receipt!r}; check the receipt number")
        session.info["audit_details"]["was"] = row.status
        row.status = status
        if case:
            names = [c for c in (row.linked_case or "").split(",") if c and c != case]
            row.linked_case = ",".join([case, *names])[:200]
    view = get_tip(home, receipt)
    assert view is not None
    return view
