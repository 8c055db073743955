"""Query parameters every route validates the same way: a bad value is a 400 naming it.

Routes declare `page: Page = 1` or `until: Day = ""`; FastAPI checks the value before the
handler runs and the app turns the refusal into a 400 with this module's message.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator

MAX_PAGE = 1_000_000  # far past any real case; keeps OFFSET inside a 64-bit integer
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)  # a day later, and a time-zone shift, must still be a date


def _day(value: str) -> str:
    """'' (no filter) or an ISO day (YYYY-MM-DD, a time may follow) in the supported range."""
    text = value.strip()
    if not text:
        return ""
    try:
        day = date.fromisoformat(text[:10])
        if len(text) > 10:
            datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not a day; write it as YYYY-MM-DD") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{text[:10]} is outside {FIRST_DAY} to {LAST_DAY}")
    return text


Page = Annotated[
    int,
    Query(ge=1, le=MAX_PAGE, description=f"Page number, 1 to {MAX_PAGE:,}"),
]
Day = Annotated[
    str,
    AfterValidator(_day),
    Query(description="A day, YYYY-MM-DD (in the case's time zone)"),
]
