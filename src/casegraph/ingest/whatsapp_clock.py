"""Header text -> time, cached: one export repeats the same minute and hour many times.

`LocalClock` gives aware local datetimes (the pure parser's records). `UtcTextClock` gives the
naive-UTC text SQLAlchemy's SQLite DateTime stores ('YYYY-MM-DD HH:MM:SS.ffffff'), which also
sorts in time order, for the bulk writer; it converts each local hour once and appends the
minute and second, falling back to a full conversion in hours that a UTC-offset change
crosses or where the offset is not whole hours.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from casegraph.ingest.whatsapp_header import hour_of, shape_of, ymd_of

HOUR = timedelta(hours=1)
CACHE_LIMIT = 20_000  # exports run forward in time: old minutes rarely come back
MISSING: Any = object()


def _two_digits_below_60(digits: str) -> bool:
    """ASCII minute or second text that a time can hold (other digits take the slow path)."""
    return digits.isascii() and digits < "60"


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
    """Aware local time of a header, or None for a header foreign to the file."""

    def __init__(self, tz: tzinfo, order: str, foreign: set[tuple[str, ...]]) -> None:
        self.tz = tz
        self.order = order
        self.foreign = foreign
        self.cache: dict[str, datetime | None] = {}

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

    def parts(self, match: re.Match[str]) -> tuple[int, int, int, int, int, int] | None:
        """(year, month, day, hour, minute, second) of the header, None when foreign."""
        if self.foreign and shape_of(match) in self.foreign:
            return None
        _, _, d1, _, d2, d3, _, hour, minute, seconds, ampm = match.groups()
        year, month, day = ymd_of(int(d1), int(d2), int(d3), self.order)
        hour24 = hour_of(int(hour), ampm) if ampm else int(hour)
        return year, month, day, hour24, int(minute), int(seconds) if seconds else 0

    def _convert(self, match: re.Match[str]) -> datetime | None:
        parts = self.parts(match)
        if parts is None:
            return None
        try:
            return datetime(*parts, tzinfo=self.tz)
        except ValueError:
            return None

    def to_datetime(self, value: datetime) -> datetime:
        return value


class UtcTextClock(LocalClock):
    """Naive-UTC SQLite text of a header's time, or None for a header foreign to the file."""

    def __init__(self, tz: tzinfo, order: str, foreign: set[tuple[str, ...]]) -> None:
        super().__init__(tz, order, foreign)
        self.text_cache: dict[str, str | None] = {}
        self.hours: dict[tuple[str, ...], str | None] = {}

    def __call__(self, match: re.Match[str]) -> str | None:  # type: ignore[override]
        key = match.group(0)
        text = self.text_cache.get(key, MISSING)
        if text is MISSING:
            if len(self.text_cache) >= CACHE_LIMIT:
                self.text_cache.clear()
                self.hours.clear()
            text = self.text_cache[key] = self._text(match)
        return text

    def _text(self, match: re.Match[str]) -> str | None:
        if self.foreign and shape_of(match) in self.foreign:
            return None
        _, _, d1, _, d2, d3, _, hour, minute, seconds, ampm = match.groups()
        hour_key = (d1, d2, d3, hour, ampm)
        prefix = self.hours.get(hour_key, "")
        if prefix == "":
            prefix = self.hours[hour_key] = self._hour_prefix(match)
        seconds = seconds or "00"
        if prefix is not None and _two_digits_below_60(minute) and _two_digits_below_60(seconds):
            return f"{prefix}{minute}:{seconds}.000000"
        parts = self.parts(match)
        try:
            return None if parts is None else sqlite_utc_text(datetime(*parts, tzinfo=self.tz))
        except ValueError:
            return None

    def _hour_prefix(self, match: re.Match[str]) -> str | None:
        """'YYYY-MM-DD HH:' in UTC when the whole local hour has one whole-hour offset."""
        parts = self.parts(match)
        if parts is None:
            return None
        year, month, day, hour = parts[:4]
        try:
            start = datetime(year, month, day, hour, tzinfo=self.tz)
        except ValueError:
            return None
        offset = start.utcoffset()
        last_second = (start + timedelta(seconds=3599)).utcoffset()
        if offset is None or offset % HOUR or offset != last_second:
            return None
        utc = start.replace(tzinfo=None) - offset
        return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} {utc.hour:02d}:"

    def to_datetime(self, value: str) -> datetime:  # type: ignore[override]
        return from_sqlite_utc_text(value, self.tz)
