"""Header text -> time, cached: one export repeats the same minute and hour many times.

`LocalClock` gives aware local datetimes (the pure parser's records). `UtcTextClock` gives the
naive-UTC text SQLAlchemy's SQLite DateTime stores ('YYYY-MM-DD HH:MM:SS.ffffff'), which also
sorts in time order, for the bulk writer. It looks the case zone's UTC offset up once per
local day (a day without an offset change has one offset for all its hours, local mean time's
odd seconds included) and does the rest in integer arithmetic, falling back to a full
conversion on days a change crosses.

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
        self.cache: dict[str, Any] = {}  # header text -> its time (None: no header)
        self.impossible: set[str] = set()  # header texts with an impossible 12-hour time

    def __call__(self, match: re.Match[str]) -> Any:
        """The header's time in this clock's form (an aware datetime here, SQLite text in
        UtcTextClock), cached by header text; None when the header cannot be one."""
        key = match.group(0)
        at = self.cache.get(key, MISSING)
        if at is MISSING:  # a miss: most headers of a chat over decades, few of a busy one
            if len(self.cache) >= CACHE_LIMIT:
                self._forget()
            at = self.cache[key] = self._convert(match)
        return at

    def _forget(self) -> None:
        """Empty the caches (exports run forward in time: old minutes rarely come back)."""
        self.cache.clear()

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
        # (date fields, order) -> (UTC offset in seconds, that day's, the day before's and the
        # day after's date text); None when the offset changes that day or the date is invalid
        self.days: dict[tuple[str, ...], tuple[int, str, str | None, str | None] | None] = {}
        # local hour -> 'YYYY-MM-DD HH:' in UTC, for days whose offset is whole hours
        self.hours: dict[tuple[str | None, ...], str] = {}

    def _forget(self) -> None:
        super()._forget()
        self.days.clear()
        self.hours.clear()

    def _convert(self, match: re.Match[str]) -> str | None:  # type: ignore[override]
        _, _, d1, _, d2, d3, _, hour, minute, seconds, ampm = match.groups()
        order = self.order
        if self.shape_orders:
            order = self.shape_orders.get(raw_shape(match), order)
        hour_key = (d1, d2, d3, hour, ampm, order)
        prefix = self.hours.get(hour_key)
        if prefix is not None and _below_60(minute) and (seconds is None or _below_60(seconds)):
            return f"{prefix}{minute}:{seconds or '00'}.000000"
        day_key = (d1, d2, d3, order)
        day = self.days.get(day_key, MISSING)
        if day is MISSING:
            day = self.days[day_key] = self._day(d1, d2, d3, order)
        hours = int(hour)
        if ampm:
            if impossible_12h(hours, ampm):
                self.impossible.add(match.group(0))
            hours = hour_of(hours, ampm)
        minutes, secs = int(minute), int(seconds) if seconds else 0
        if hours > 23 or minutes > 59 or secs > 59:
            return None
        if day is None:
            return self._slow(match)
        offset, today, before, after = day
        total = hours * 3600 + minutes * 60 + secs - offset
        date_text: str | None = today
        if total < 0:
            total, date_text = total + 86400, before
        elif total >= 86400:
            total, date_text = total - 86400, after
        if date_text is None:
            return self._slow(match)
        hours, rest = divmod(total, 3600)
        if offset % 3600 == 0 and not (ampm and impossible_12h(int(hour), ampm)):
            self.hours[hour_key] = f"{date_text} {hours:02d}:"  # minutes and seconds carry over
        minutes, secs = divmod(rest, 60)
        return f"{date_text} {hours:02d}:{minutes:02d}:{secs:02d}.000000"

    def _slow(self, match: re.Match[str]) -> str | None:
        """Full conversion: days an offset change crosses, and the edges of the calendar."""
        at = LocalClock._convert(self, match)
        return sqlite_utc_text(at) if at is not None else None

    def _day(
        self, d1: str, d2: str, d3: str, order: str
    ) -> tuple[int, str, str | None, str | None] | None:
        year, month, day = ymd_of(d1, d2, d3, order)
        try:
            start = datetime(year, month, day, tzinfo=self.tz)
            first = start.utcoffset()
            last = datetime(year, month, day, 23, 59, 59, tzinfo=self.tz).utcoffset()
        except (ValueError, OverflowError):
            return None
        if first is None or first != last:
            return None
        today = start.date()
        return (
            int(first.total_seconds()),
            today.isoformat(),
            _neighbour(today, -1),
            _neighbour(today, 1),
        )

    def to_datetime(self, value: str) -> datetime:  # type: ignore[override]
        return from_sqlite_utc_text(value, self.tz)


def _below_60(digits: str) -> bool:
    """ASCII minute or second text a time can hold (other digits take the full path)."""
    return digits < "60" and digits.isascii()


def _neighbour(day: date, step: int) -> str | None:
    try:
        return (day + timedelta(days=step)).isoformat()
    except OverflowError:
        return None
