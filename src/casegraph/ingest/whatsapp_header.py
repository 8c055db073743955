"""WhatsApp message headers: one tolerant grammar, date order inferred over the whole file.

The date order, separators, year width, clock and AM/PM token follow the exporting phone's
locale and settings independently (shared/reference/chat-formats.md §1.1-1.2), so a header
is matched loosely and the day/month question is answered from every header of the file.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from casegraph.errors import InputError

HEADER = re.compile(
    r"""
^(?P<lead>[\ufeff\u200e\u200f]*)(?P<open>\[)?
(?P<d1>\d{1,4})(?P<sep>[./-]|\.\x20)(?P<d2>\d{1,2})(?P=sep)(?P<d3>\d{2,4})\.?
(?P<join>,\x20|\x20à\x20|\x20klo\x20|\x20)
(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?
(?:[\x20\u00a0\u202f](?P<ampm>[AaPp]\.?[\x20\u00a0\u202f]?[Mm]\.?))?\.?
(?(open)\]\x20?|\x20-\x20)""",
    re.X,
)

DATE_ORDERS = ("dmy", "mdy", "ymd")


def shape_of(match: re.Match[str]) -> tuple[str, ...]:
    """What makes two headers the same variant: bracket, separator, joiner, seconds, clock."""
    opening, sep, join, seconds, ampm = match.group("open", "sep", "join", "s", "ampm")
    return (
        "ios" if opening else "android",
        sep,
        join,
        "s" if seconds else "",
        "12h" if ampm else "",
    )


@dataclass
class HeaderSurvey:
    """What a first pass over the file learns: date fields in order, shapes, author labels."""

    dates: list[tuple[int, int, int]] = field(default_factory=list)  # distinct consecutive
    first_field_widths: Counter[int] = field(default_factory=Counter)
    year_widths: Counter[int] = field(default_factory=Counter)
    shapes: Counter[tuple[str, ...]] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    headers: int = 0
    lines: int = 0
    crlf: int = 0
    _last: tuple[str, str, str] = ("", "", "")
    _raw_shapes: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def finish(self) -> None:
        """Fold the raw per-header keys into the named shapes once, after the pass."""
        for (opening, sep, join, no_seconds, no_ampm), count in self._raw_shapes.items():
            key = ("ios" if opening else "android", sep, join, "" if no_seconds else "s",
                   "" if no_ampm else "12h")  # fmt: skip
            self.shapes[key] += count

    def add(self, match: re.Match[str], label: str | None) -> None:
        """Count one header; `label` is the text before the line's first ": ", if any."""
        self.headers += 1
        _, opening, d1, sep, d2, d3, join, _, _, seconds, ampm = match.groups()
        if d1 != self._last[0] or d2 != self._last[1] or d3 != self._last[2]:
            self._last = (d1, d2, d3)
            self.dates.append((int(d1), int(d2), int(d3)))
            self.first_field_widths[len(d1)] += 1
            self.year_widths[len(d3) if len(d1) < 3 else len(d1)] += 1
        shape = (opening, sep, join, seconds is None, ampm is None)
        self._raw_shapes[shape] = self._raw_shapes.get(shape, 0) + 1
        if label:
            self.labels[label] += 1


@dataclass(frozen=True)
class DateOrder:
    order: str  # dmy | mdy | ymd
    confidence: float
    reason: str


def infer_date_order(survey: HeaderSurvey, file_name: str, override: str | None) -> DateOrder:
    """Day/month order from all headers; an undecidable file fails naming the override."""
    if override is not None:
        if override not in DATE_ORDERS:
            raise InputError(
                f"{file_name}: unknown date order {override!r}; use --date-order dmy, mdy or ymd"
            )
        return DateOrder(override, 1.0, "given by --date-order")
    if not survey.dates:
        raise InputError(f"{file_name}: no WhatsApp message header found; is this a chat export?")
    if survey.first_field_widths.get(4, 0) or any(d[0] > 31 for d in survey.dates):
        return DateOrder("ymd", 1.0, "first field is a 4-digit year")
    first_is_day = any(d[0] > 12 for d in survey.dates)
    second_is_day = any(d[1] > 12 for d in survey.dates)
    if first_is_day and second_is_day:
        raise InputError(
            f"{file_name}: headers disagree on the date order (day > 12 in both fields); "
            "split the file or pass --date-order dmy|mdy"
        )
    if first_is_day:
        return DateOrder("dmy", 1.0, "a first field above 12 is a day")
    if second_is_day:
        return DateOrder("mdy", 1.0, "a second field above 12 is a day")
    # No field above 12: the day is the field that changes more often.
    changes_first = changes_second = 0
    for before, after in zip(survey.dates, survey.dates[1:], strict=False):
        changes_first += before[0] != after[0]
        changes_second += before[1] != after[1]
    total = changes_first + changes_second
    if total >= 3 and changes_first != changes_second:
        share = max(changes_first, changes_second) / total
        if share >= 0.75:
            order = "dmy" if changes_first > changes_second else "mdy"
            return DateOrder(
                order,
                round(min(0.95, share - 0.05), 2),
                f"day field changed {max(changes_first, changes_second)} times, "
                f"month field {min(changes_first, changes_second)}",
            )
    raise InputError(
        f"{file_name}: cannot tell day from month (no day above 12 and too few date changes); "
        "pass --date-order dmy or --date-order mdy"
    )


def ymd_of(d1: int, d2: int, d3: int, order: str) -> tuple[int, int, int]:
    if order == "dmy":
        year, month, day = d3, d2, d1
    elif order == "mdy":
        year, month, day = d3, d1, d2
    else:
        year, month, day = d1, d2, d3
    if year < 100:
        year += 2000  # two-digit years: century assumed, recorded in provenance
    return year, month, day


def hour_of(hour: int, ampm: str | None) -> int:
    if not ampm:
        return hour
    if ampm[0] in "Pp":
        return hour if hour == 12 else hour + 12
    return 0 if hour == 12 else hour
