"""Headline counts of a case, for `case show` and the demo."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from casegraph.store.cases import Case
from casegraph.store.schema import (
    AccountRow,
    ChatEventRow,
    ChatRow,
    HashListRow,
    InvestigationRow,
    MatchRow,
    MediaRow,
    MessageRow,
    SourceRow,
)

COUNTED: dict[str, Any] = {
    "sources": SourceRow,
    "chats": ChatRow,
    "accounts": AccountRow,
    "messages": MessageRow,
    "events": ChatEventRow,
    "media": MediaRow,
    "hash lists": HashListRow,
    "matches": MatchRow,
    "investigations": InvestigationRow,
}


def case_summary(case: Case) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "name": case.name,
        "timezone": case.timezone,
        "agency": case.agency or "-",
        "backend": case.backend,
        "directory": str(case.directory),
    }
    with case.read() as session:
        for label, table in COUNTED.items():
            summary[label] = session.scalar(
                select(func.count()).select_from(table).where(table.case_id == case.id)
            )
        summary["known material"] = session.scalar(
            select(func.count(func.distinct(MatchRow.media_id))).where(
                MatchRow.case_id == case.id,
                MatchRow.pertinent.is_(True),
                MatchRow.suppressed_by.is_(None),
            )
        )
        summary["audit entries"] = case.audit.count(session)
    return summary
