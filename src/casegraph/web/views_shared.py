"""What every page-data module shares: the not-visible error, case-time ISO times, the page size."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from casegraph.store.cases import Case

PAGE_SIZE = 100


class NotVisible(LookupError):
    """The row does not exist or this user may not see it (the two look the same)."""


def iso(at: datetime | None, case: Case) -> str | None:
    return at.astimezone(ZoneInfo(case.timezone)).isoformat() if at is not None else None
