"""Page data for the audit log: one page of entries and, on the first, the chain's problems."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.access.redact import audit_details
from casegraph.store.audit import AuditLog
from casegraph.web.paging import page_of


def audit_entries(
    session: Session, log: AuditLog, page: int = 1, size: int = 100, names_visible: bool = True
) -> dict[str, Any]:
    """One page of an audit log; an auditor (`names_visible` False) sees actions and public
    ids, not the file names that carry chat titles."""
    from casegraph.store.schema import AuditRow

    page = max(1, page)
    found, more = page_of(
        session,
        select(AuditRow).where(AuditRow.case_id == log.case_id).order_by(AuditRow.seq.desc()),
        page,
        size,
    )
    rows = [row for (row,) in found]
    return {
        "entries": [
            {
                "seq": r.seq,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "reason": r.reason,
                "details": audit_details(r.details, names_visible),
                "hash": r.entry_hash[:16],
            }
            for r in rows
        ],
        "page": page,
        "more": more,
        "problems": [f"#{p.seq}: {p.problem}" for p in log.verify(session)] if page == 1 else [],
    }
