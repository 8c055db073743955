"""Header text -> time, cached: one export repeats the same minute and hour many times.

`LocalClock` gives aware local datetimes (the pure parser's records). `UtcTextClock` gives the
naive-UTC text SQLAlchemy's SQLite DateTime stores ('YYYY-MM-DD HH:MM:SS.ffffff'), which also
sorts in time order, for the bulk writer. It looks the case zone's UTC offset up once per
local day (a day without an offset change has one offset for all its hours) and does the rest
in integer arithmetic, falling back to a full conversion on days a change crosses or where
the offset is not whole minutes.

A header whose date does not exist, or whose time cannot be expressed in UTC (year 9999 west
of UTC, year 1 east of it), is no header (None); an impossible 12-hour time (`23:59 PM`) is
read as the 24-hour time and its header text kept in `impossible` for the scanner to flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from casegraph.ingest.records import in_utc_range
from casegraph.ingest.whatsapp_header import hour_of, impossible_12h, raw_shape, ymd_of

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
CACHE_LIMIT = 20_000  # exports run forward in time: old minutes rarely come back
MISSING: Any = object()
NO_SHAPE_ORDERS: Mapping[tuple[Any, ...], str] = {}


def sqlite_utc_text(at: datetime) -> str:
    """The form SQLAlchemy's SQLite DateTime stores: naive UTC with microseconds."""
    utc = at.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}"
    )


def from_sqlite_utc_text(text: str, tz: tzinfo) -> datetime:
    """Inverse of `sqlite_utc_text`, as an aware datetime in `tz`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).astimezone(tz)


class LocalClock:
    """Aware local time of a header, or None when its date or time cannot be."""

    def __init__(
        self,
        tz: tzinfo,
        order: str,
        shape_orders: Mapping[tuple[Any, ...], str] = NO_SHAPE_ORDERS,
    ) -> None:
        self.tz = tz
        self.order = order
        self.shape_orders = shape_orders  # shapes whose own dates fix another order
        self.cache: dict[str, datetime | None] = {}
        self.impossible: set[str] = set()  # header texts with an impossible 12-hour time

    def __call__(self, match: re.Match[str]) -> datetime | None:
        key = match.group(0)
        try:
            return self.cache[key]
        except KeyError:
            pass
        if len(self.cache) >= CACHE_LIMIT:
            self.cache.clear()
        at = self.cache[key] = self._convert(match)
        return at

    def parts(self, match: re.Match[str]) -> tuple[int, int, int, int, int, int]:
        """(year, month, day, hour, minute, second) of the header, possibly impossible."""
        _, _, d1, _, d2, d3, _, hour, minute, seconds, ampm = match.groups()
        order = self.shape_orders.get(raw_shape(match), self.order) if self.shape_orders else None
        year, month, day = ymd_of(d1, d2, d3, order or self.order)
        hour_number = int(hour)
        if ampm and impossible_12h(hour_number, ampm):
            self.impossible.add(match.group(0))
        hour24 = hour_of(hour_number, ampm) if ampm else hour_number
        return year, month, day, hour24, int(minute), int(seconds) if seconds else 0

    def _convert(self, match: re.Match[str]) -> datetime | None:
        try:
            at = datetime(*self.parts(match), tzinfo=self.tz)
        except ValueError:
            return None
        return at if in_utc_range(at) else None

    def to_datetime(self, value: datetime) -> datetime:
        return value


class UtcTextClock(LocalClock):
    """Naive-UTC SQLite text of a header's time, or None when its date or time cannot be."""

    def __init__(
        self,
        tz: tzinfo,
        order: str,
        shape_orders: Mapping[tuple[Any, ...], str] = NO_SHAPE_ORDERS,
    ) -> None:
        super().__init__(tz, order, shape_orders)
        self.text_cache: dict[str, str | None] = {}
        self.day_offsets: dict[tuple[int, int, int], int | None] = {}  # minutes east of UTC

    def __call__(self, match: re.Match[str]) -> str | None:  # type: ignore[override]
        key = match.group(0)
        text = self.text_cache.get(key, MISSING)
        if text is MISSING:
            if len(self.text_cache) >= CACHE_LIMIT:
                self.text_cache.clear()
                self.day_offsets.clear()
            text = self.text_cache[key] = self._text(match)
        return text

    def _text(self, match: re.Match[str]) -> str | None:
        parts = self.parts(match)
        year, month, day, hour, minute, second = parts
        if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
            return None
        day_key = (year, month, day)
        offset = self.day_offsets.get(day_key, MISSING)
        if offset is MISSING:
            offset = self.day_offsets[day_key] = self._day_offset(year, month, day)
        if offset is None:  # no such day, an offset change that day, or out of range
            try:
                at = datetime(*parts, tzinfo=self.tz)
            except ValueError:
                return None
            return sqlite_utc_text(at) if in_utc_range(at) else None
        total = hour * 60 + minute - offset
        shift, total = divmod(total, 1440)
        if shift:
            moved = date(year, month, day) + timedelta(days=shift)
            year, month, day = moved.year, moved.month, moved.day
        hour, minute = divmod(total, 60)
        return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}.000000"

    def _day_offset(self, year: int, month: int, day: int) -> int | None:
        """The zone's offset in minutes for the whole local day; None if it changes that day."""
        try:
            start = datetime(year, month, day, tzinfo=self.tz)
            end = datetime(year, month, day, 23, 59, 59, tzinfo=self.tz)
            first, last = start.utcoffset(), end.utcoffset()
            # the day before and after must exist in UTC too (year 1 and 9999 edges)
            (start - DAY).astimezone(UTC), (end + DAY).astimezone(UTC)
        except (ValueError, OverflowError):
            return None
        if first is None or first != last or first % MINUTE:
            return None
        return int(first // MINUTE)

    def to_datetime(self, value: str) -> datetime:  # type: ignore[override]
        return from_sqlite_utc_text(value, self.tz)
