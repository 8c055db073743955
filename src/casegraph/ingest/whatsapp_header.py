"""WhatsApp message headers: one tolerant grammar, date order inferred over the whole file.

The date order, separators, year width, clock and AM/PM token follow the exporting phone's
locale and settings independently (shared/reference/chat-formats.md §1.1-1.2), so a header
is matched loosely and the day/month question is answered from every header of the file.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from casegraph.errors import InputError

HEADER = re.compile(
    r"""
^(?P<lead>[\ufeff\u200e\u200f]*)(?P<open>\[)?[\ufeff\u200e\u200f]*
(?P<d1>\d{1,4})(?P<sep>[./-]|\.\x20)(?P<d2>\d{1,2})(?P=sep)(?P<d3>\d{2,4})\.?
(?P<join>,\x20|\x20à\x20|\x20klo\x20|\x20)
(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?
(?:[\x20\u00a0\u202f](?P<ampm>[AaPp]\.?[\x20\u00a0\u202f]?[Mm]\.?))?\.?
(?(open)\]\x20?|\x20-\x20)""",
    re.X,
)

DATE_ORDERS = ("dmy", "mdy", "ymd")


def raw_shape(match: re.Match[str]) -> tuple[Any, ...]:
    """What makes two headers the same variant: bracket, separator, joiner, seconds, clock."""
    opening, sep, join, seconds, ampm = match.group("open", "sep", "join", "s", "ampm")
    return (opening, sep, join, seconds is None, ampm is None)


def named_shape(raw: tuple[Any, ...]) -> tuple[str, ...]:
    opening, sep, join, no_seconds, no_ampm = raw
    return ("ios" if opening else "android", sep, join, "" if no_seconds else "s",
            "" if no_ampm else "12h")  # fmt: skip


def shape_of(match: re.Match[str]) -> tuple[str, ...]:
    return named_shape(raw_shape(match))


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
    date_shapes: list[tuple[Any, ...]] = field(default_factory=list)  # raw shape of each date
    date_widths: list[int] = field(default_factory=list)  # digits in each date's first field
    # (first header ordinal, raw shape) where a run of same-shape headers starts
    runs: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    _last: tuple[Any, ...] = ()
    _run_shape: tuple[Any, ...] = ()
    _raw_shapes: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def finish(self) -> None:
        """Fold the raw per-header keys into the named shapes once, after the pass."""
        for raw, count in self._raw_shapes.items():
            self.shapes[named_shape(raw)] += count

    def add(self, match: re.Match[str], label: str | None) -> None:
        """Count one header; `label` is the text before the line's first ": ", if any."""
        _, opening, d1, sep, d2, d3, join, _, _, seconds, ampm = match.groups()
        shape = (opening, sep, join, seconds is None, ampm is None)
        if shape != self._run_shape:
            self._run_shape = shape
            self.runs.append((self.headers, shape))
        self.headers += 1
        if (d1, d2, d3, shape) != self._last:
            self._last = (d1, d2, d3, shape)
            self.dates.append((int(d1), int(d2), int(d3)))
            self.date_shapes.append(shape)
            self.date_widths.append(len(d1))
            self.first_field_widths[len(d1)] += 1
            self.year_widths[len(d3) if len(d1) < 3 else len(d1)] += 1
        self._raw_shapes[shape] = self._raw_shapes.get(shape, 0) + 1
        if label:
            self.labels[label] += 1

    def majority(self) -> tuple[Any, ...] | None:
        """The raw shape most headers of the file have."""
        if not self._raw_shapes:
            return None
        return max(self._raw_shapes.items(), key=lambda item: item[1])[0]


@dataclass(frozen=True)
class DateOrder:
    order: str  # dmy | mdy | ymd
    confidence: float
    reason: str
    # a header shape whose own dates decide a different order (files of several phones)
    by_shape: dict[tuple[Any, ...], str] = field(default_factory=dict)


def _decided(dates: list[tuple[int, int, int]], widths: Counter[int]) -> DateOrder | None:
    """The order a set of dates fixes by itself (a year first, a day above 12), if any."""
    if widths.get(4, 0) or any(d[0] > 31 for d in dates):
        return DateOrder("ymd", 1.0, "first field is a 4-digit year")
    first_is_day = any(d[0] > 12 for d in dates)
    second_is_day = any(d[1] > 12 for d in dates)
    if first_is_day and second_is_day:
        return DateOrder("", 0.0, "conflict")
    if first_is_day:
        return DateOrder("dmy", 1.0, "a first field above 12 is a day")
    if second_is_day:
        return DateOrder("mdy", 1.0, "a second field above 12 is a day")
    return None


def _by_changes(dates: list[tuple[int, int, int]]) -> DateOrder | None:
    """No field above 12: the day is the field that changes more often."""
    changes_first = changes_second = 0
    for before, after in pairwise(dates):
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
    return None


def infer_date_order(survey: HeaderSurvey, file_name: str, override: str | None) -> DateOrder:
    """Day/month order from all headers; an undecidable file fails naming the override.

    Each header shape is asked on its own first: a file concatenated from phones of
    different locales may hold a day-first and a month-first shape side by side.
    """
    if override is not None:
        if override not in DATE_ORDERS:
            raise InputError(
                f"{file_name}: unknown date order {override!r}; use --date-order dmy, mdy or ymd"
            )
        return DateOrder(override, 1.0, "given by --date-order")
    if not survey.dates:
        raise InputError(f"{file_name}: no WhatsApp message header found; is this a chat export?")
    per_shape = _orders_by_shape(survey)
    majority = survey.majority()
    main = per_shape.get(majority) if majority is not None else None
    if main is None and len(per_shape) <= 1:
        main = _decided(survey.dates, survey.first_field_widths)
    if main is not None and main.order == "":
        raise InputError(
            f"{file_name}: headers disagree on the date order (day > 12 in both fields); "
            "split the file or pass --date-order dmy|mdy"
        )
    if main is None:
        undecided = [d for d, s in zip(survey.dates, survey.date_shapes, strict=True)
                     if s not in per_shape]  # fmt: skip
        main = _by_changes(undecided or survey.dates)
    if main is None:
        raise InputError(
            f"{file_name}: cannot tell day from month (no day above 12 and too few date "
            "changes); pass --date-order dmy or --date-order mdy"
        )
    others = {s: o.order for s, o in per_shape.items() if o.order and o.order != main.order}
    return DateOrder(main.order, main.confidence, main.reason, others)


def _orders_by_shape(survey: HeaderSurvey) -> dict[tuple[Any, ...], DateOrder]:
    """The order each header shape's own dates decide (shapes that decide nothing left out)."""
    grouped: dict[tuple[Any, ...], tuple[list[tuple[int, int, int]], Counter[int]]] = {}
    rows = zip(survey.dates, survey.date_shapes, survey.date_widths, strict=True)
    for date, shape, width in rows:
        dates, widths = grouped.setdefault(shape, ([], Counter()))
        dates.append(date)
        widths[width] += 1
    found: dict[tuple[Any, ...], DateOrder] = {}
    for shape, (dates, widths) in grouped.items():
        decided = _decided(dates, widths)
        if decided is not None:
            found[shape] = decided
    return found


def ymd_of(d1: str, d2: str, d3: str, order: str) -> tuple[int, int, int]:
    """(year, month, day) of a header's date fields; a 4-digit year 0000 stays year 0."""
    if order == "dmy":
        year, month, day = d3, d2, d1
    elif order == "mdy":
        year, month, day = d3, d1, d2
    else:
        year, month, day = d1, d2, d3
    if len(year) <= 2:
        return int(year) + 2000, int(month), int(day)  # century assumed, in provenance
    return int(year), int(month), int(day)


def impossible_12h(hour: int, ampm: str | None) -> bool:
    """`23:59 PM`, `00:04 AM`: some phones write 24-hour times with an AM/PM token."""
    return bool(ampm) and (hour > 12 or hour == 0)


def hour_of(hour: int, ampm: str | None) -> int:
    """24-hour hour of a header; an impossible 12-hour time is read as the 24-hour time."""
    if not ampm or hour > 12 or hour == 0:
        return hour
    if ampm[0] in "Pp":
        return hour if hour == 12 else hour + 12
    return 0 if hour == 12 else hour
