"""Headline counts of a case, for `case show`, `match`, the demo and the reports.

One match count everywhere: MATCHED_MEDIA is the number of distinct media files with at
least one hit on a pertinent category (category 0 and uncategorised entries are not known
material) that no negative list suppressed. A file matching two lists, or two entries of one
list, counts once; a raw hit count (one per file and list entry) is never shown as "matches".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

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
    "investigations": InvestigationRow,
}
MATCHED_MEDIA = "matched media"  # the label of the one match count, wherever it is shown


def known_material_condition(case_id: int) -> ColumnElement[bool]:
    """Which match rows make their media known material (pertinent, not suppressed)."""
    return (
        (MatchRow.case_id == case_id)
        & MatchRow.pertinent.is_(True)
        & MatchRow.suppressed_by.is_(None)
    )


def matched_media_query(case_id: int) -> Select[int]:
    """The one match count as a query: distinct media files that are known material."""
    return select(func.count(func.distinct(MatchRow.media_id))).where(
        known_material_condition(case_id)
    )


def matched_media_in_report(matches: Iterable[Mapping[str, Any]]) -> list[str]:
    """The same count over the JSON report's `matches`: sorted SHA-256 of known material."""
    return sorted({m["media_sha256"] for m in matches if m["pertinent"] and not m["suppressed"]})


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
            if label == "hash lists":
                summary[MATCHED_MEDIA] = session.scalar(matched_media_query(case.id))
        summary["audit entries"] = case.audit.count(session)
    return summary
