"""Property tests: random chats in random variants round-trip; no parser crashes on junk."""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from casegraph.errors import InputError
from casegraph.ingest.archive import survey_zip
from casegraph.ingest.detect import find_sources
from casegraph.ingest.signal import parse_signal_markdown, parse_sigtop_json
from casegraph.ingest.telegram import parse_telegram
from casegraph.ingest.whatsapp import parse_whatsapp
from casegraph.ingest.whatsapp_patterns import (
    attachment_reference,
    body_kind,
    classify_system,
    fold,
    wording,
)
from casegraph.model import EVENT_TYPES, ChatEvent, Message

MADRID = ZoneInfo("Europe/Madrid")
NBSP, NNBSP, LRM, BOM = "\u00a0", "\u202f", "\u200e", "\ufeff"
# CASEGRAPH_FUZZ_EXAMPLES raises the example count for a longer fuzzing run.
PROPERTY = settings(
    max_examples=int(os.environ.get("CASEGRAPH_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _h12(hour: int) -> int:
    return hour % 12 or 12


@dataclass(frozen=True)
class Variant:
    order: str
    header: Callable[[datetime], str]


VARIANTS = [
    Variant("mdy", lambda t: f"{t.month}/{t.day}/{t.year % 100:02d}, {t.hour}:{t.minute:02d} - "),
    Variant("dmy", lambda t: f"{t.day:02d}/{t.month:02d}/{t.year % 100:02d} {_h12(t.hour)}:"
            f"{t.minute:02d} {'a' if t.hour < 12 else 'p'}.{NBSP}m. - "),
    Variant("dmy", lambda t: f"[{t.day:02d}/{t.month:02d}/{t.year}, {_h12(t.hour)}:{t.minute:02d}:"
            f"{t.second:02d}{NNBSP}{'AM' if t.hour < 12 else 'PM'}] "),
    Variant("dmy", lambda t: f"{BOM}[{t.day:02d}.{t.month:02d}.{t.year % 100:02d}, "
            f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}] "),
    Variant("dmy", lambda t: f"{t.day:02d}/{t.month:02d}/{t.year} {t.hour:02d}:{t.minute:02d} - "),
    Variant("dmy", lambda t: f"{t.day:02d}/{t.month:02d}/{t.year} à {t.hour:02d}:"
            f"{t.minute:02d} - "),
    Variant("ymd", lambda t: f"{t.year}/{t.month:02d}/{t.day:02d}, {_h12(t.hour)}:{t.minute:02d} "
            f"{'am' if t.hour < 12 else 'pm'} - "),
    Variant("dmy", lambda t: f"{LRM}[{t.day}/{t.month}/{t.year % 100:02d} {_h12(t.hour)}:"
            f"{t.minute:02d}:{t.second:02d} {'a' if t.hour < 12 else 'p'}. m.] "),
]  # fmt: skip
PEOPLE = {"Ana Ruiz": "Ana Ruiz", "Lía 🌸": "Lía 🌸", "Bo Gil": "Bo Gil",
          "+34 600 000 123": "+34600000123", "+52 1 55 1234 5678": "+525512345678"}  # fmt: skip
EVENTS = [
    ("added", "{A} added {B}", ", "), ("added", "{A} añadió a {B}", " y "),
    ("added", "{A} hat {B} hinzugefügt.", " und "), ("removed", "{A} removed {B}", ", "),
    ("left", "{A} left", ""), ("left", "{A} salió del grupo", ""),
    ("joined_via_link", "{A} joined using this group's invite link", ""),
    ("created", "{A} created this group", ""), ("left", "{A} a quitté le groupe", ""),
]  # fmt: skip
WORD = st.text(
    alphabet=st.sampled_from([*list("abcdefghijkñáéü ¿?!.,😀"), LRM, "\u200d", NNBSP]),
    min_size=1,
    max_size=20,
)


@st.composite
def body(draw: st.DrawFn) -> str:
    first = draw(WORD)
    more = draw(st.lists(WORD.map(lambda w: "x" + w), max_size=2))
    text = "\n".join([first, *more])
    assume(text.strip(LRM + NNBSP + " ") and not text.endswith((" ", NNBSP)))
    assume(body_kind(text) is None and attachment_reference(text) is None)
    assume(classify_system(text.split("\n")[0]) is None)
    return text


@st.composite
def chat(draw: st.DrawFn) -> tuple[Variant, list[tuple[str, ...]]]:
    variant = draw(st.sampled_from(VARIANTS))
    items: list[tuple[str, ...]] = []
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):
            author = draw(st.sampled_from(sorted(PEOPLE)))
            text = draw(body())
            assume(classify_system(f"{author}: {text.split(chr(10))[0]}") is None)
            items.append(("message", author, text))
        else:
            kind, template, joiner = draw(st.sampled_from(EVENTS))
            actor = draw(st.sampled_from(sorted(PEOPLE)))
            targets = draw(
                st.lists(st.sampled_from(sorted(PEOPLE)), min_size=1, max_size=3, unique=True)
            )
            text = template.replace("{A}", actor).replace("{B}", joiner.join(targets))
            items.append(("event", kind, actor, *(targets if "{B}" in template else [])))
            items[-1] = (*items[-1][:3], text, *items[-1][3:])
    return variant, items


@PROPERTY
@given(generated=chat(), crlf=st.booleans(), start=st.integers(0, 700))
def test_random_chats_round_trip(
    tmp_path: Path, generated: tuple[Variant, list[tuple[str, ...]]], crlf: bool, start: int
) -> None:
    variant, items = generated
    at = datetime(2023, 1, 1, 0, 0, 0) + timedelta(hours=start * 11)
    times, lines = [], []
    for item in items:
        at += timedelta(minutes=37, seconds=13)
        times.append(at.replace(second=at.second if "[" in variant.header(at) else 0))
        header = variant.header(at)
        if item[0] == "message":
            lines.append(f"{header}{item[1]}: {item[2]}")
        else:
            lines.append(f"{header}{item[3]}")
    newline = "\r\n" if crlf else "\n"
    path = tmp_path / "chat.txt"
    path.write_bytes((newline.join(lines) + newline).encode())
    parsed = parse_whatsapp(lambda: path.open("rb"), file_name="chat.txt", tz=MADRID,
                            date_order=variant.order)  # fmt: skip
    records = list(parsed.records)
    assert len(records) == len(items)
    for record, item, when in zip(records, items, times, strict=True):
        moment = record.at if isinstance(record, ChatEvent) else record.sent_at
        assert moment == when.replace(tzinfo=MADRID)
        if item[0] == "message":
            assert isinstance(record, Message)
            assert (record.author, record.text, record.kind) == (PEOPLE[item[1]], item[2], "text")
        else:
            assert isinstance(record, ChatEvent)
            assert (record.type, record.actor) == (item[1], PEOPLE[item[2]])
            assert record.targets == tuple(PEOPLE[t] for t in item[4:])


JUNK = st.binary(max_size=400) | st.text(
    alphabet=st.sampled_from([*list("0123456789/.,:[] -apmAPM\n\r"), NBSP, NNBSP, LRM, BOM, "é"]),
    max_size=300,
).map(str.encode)


@PROPERTY
@given(data=JUNK, order=st.sampled_from([None, "dmy", "mdy", "ymd"]))
def test_whatsapp_parser_never_crashes(tmp_path: Path, data: bytes, order: str | None) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(data)
    try:
        parsed = parse_whatsapp(
            lambda: path.open("rb"), file_name="chat.txt", tz=MADRID, date_order=order
        )
        records = list(parsed.records)
    except InputError as exc:
        assert str(exc).startswith("chat.txt:")
        return
    assert all(isinstance(r, Message | ChatEvent) for r in records)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8)
    | st.sampled_from(["message", "service", "user12", "create_group", "2024-01-01T10:00:00",
                       "(File not included. Change data exporting settings to download.)"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "type", "messages", "chats", "list", "from", "from_id", "text",
                         "date", "date_unixtime", "action", "actor_id", "members", "photo", "file",
                         "name", "title", "body", "sent_at", "conversationId", "source",
                         "attachments", "groupV2Change", "details"]), children, max_size=6),
    max_leaves=30,
)  # fmt: skip


@PROPERTY
@given(value=JSON, raw=st.binary(max_size=60))
def test_json_parsers_never_crash(value: object, raw: bytes) -> None:
    for data in (json.dumps(value).encode(), raw):
        for parse in (parse_telegram, parse_sigtop_json):
            try:
                chats = parse(data, file_name="x.json", tz=MADRID)
                for parsed in chats:
                    assert all(isinstance(r, Message | ChatEvent) for r in parsed.records)
            except InputError as exc:
                assert str(exc).startswith("x.json:")


@PROPERTY
@given(data=JUNK)
def test_signal_markdown_parser_never_crashes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "chat.md"
    path.write_bytes(b"[2022-11-08 20:17:41] Ana: hi\n" + data)
    parsed = parse_signal_markdown(lambda: path.open("rb"), chat_name="S", tz=MADRID)
    assert all(isinstance(r, Message) for r in parsed.records)


@PROPERTY
@given(
    data=st.binary(max_size=300),
    names=st.lists(
        st.text(min_size=1, max_size=12),
        max_size=3,
        unique_by=lambda n: n.replace("\x00", "") or "x",
    ),
)
def test_archive_detection_never_crashes(tmp_path: Path, data: bytes, names: list[str]) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(data)
    built = tmp_path / "built.zip"
    with zipfile.ZipFile(built, "w") as archive:
        for name in names:
            archive.writestr(name.replace("\x00", "") or "x", data)
    for path in (junk, built):
        try:
            find_sources([path])
            survey_zip(path)
        except InputError as exc:
            assert str(exc).startswith(path.name)


# ---- issue 14: invisible marks in headers, mixed formats; issue 12: linear matching ----------

MARKS = st.text(alphabet=st.sampled_from([BOM, LRM]), max_size=3)


def _lines(variant: Variant, items: list[tuple[str, ...]], at: datetime) -> tuple[list, list]:  # type: ignore[type-arg]
    times, lines = [], []
    for item in items:
        at += timedelta(minutes=37, seconds=13)
        times.append(at.replace(second=at.second if "[" in variant.header(at) else 0))
        header = variant.header(at)
        lines.append(f"{header}{item[1]}: {item[2]}" if item[0] == "message" else header + item[3])
    return times, lines


@PROPERTY
@given(generated=chat(), before=MARKS, inside=MARKS)
def test_boms_and_marks_around_the_opening_bracket_round_trip(
    tmp_path: Path, generated: tuple[Variant, list[tuple[str, ...]]], before: str, inside: str
) -> None:
    variant, items = generated
    times, lines = _lines(variant, items, datetime(2023, 5, 20, 8, 0))
    marked = [before + line.lstrip(BOM + LRM).replace("[", "[" + inside, 1) for line in lines]
    path = tmp_path / "chat.txt"
    path.write_text("\n".join(marked) + "\n", encoding="utf-8")
    parsed = parse_whatsapp(lambda: path.open("rb"), file_name="chat.txt", tz=MADRID,
                            date_order=variant.order)  # fmt: skip
    records = list(parsed.records)
    assert [r.at if isinstance(r, ChatEvent) else r.sent_at for r in records] == [
        t.replace(tzinfo=MADRID) for t in times
    ]


@PROPERTY
@given(first=chat(), second=chat(), start=st.integers(0, 300))
def test_two_exports_in_different_header_formats_concatenated_round_trip(
    tmp_path: Path,
    first: tuple[Variant, list[tuple[str, ...]]],
    second: tuple[Variant, list[tuple[str, ...]]],
    start: int,
) -> None:
    (variant_a, items_a), (variant_b, items_b) = first, second
    assume(variant_a is not variant_b and len(items_a) >= 3 and len(items_b) >= 3)
    # days 13 to 20 of a month: every day-first or month-first shape decides its own order
    at = datetime(2023, 3, 13, 0, 0) + timedelta(minutes=start * 7)
    times_a, lines_a = _lines(variant_a, items_a, at)
    times_b, lines_b = _lines(variant_b, items_b, times_a[-1])
    path = tmp_path / "chat.txt"
    path.write_text("\n".join(lines_a + lines_b) + "\n", encoding="utf-8")
    parsed = parse_whatsapp(lambda: path.open("rb"), file_name="chat.txt", tz=MADRID)
    records = list(parsed.records)
    assert [r.at if isinstance(r, ChatEvent) else r.sent_at for r in records] == [
        t.replace(tzinfo=MADRID) for t in times_a + times_b
    ]
    # the shape with more headers is the file's own (the first one on a tie)
    minority = len(items_b) if len(items_a) >= len(items_b) else len(items_a)
    assert parsed.provenance["mixed_format_headers"] == minority


def _reference_regex(template: str) -> re.Pattern[str]:
    """The backtracking regex the templates used to compile to: the meaning to agree with."""
    quote = '["“”„«»]'
    phone = r"\+?[\d\s()\-.\u2010-\u2015\u00a0\u202f]{6,30}?"
    subject = rf"{quote}?\s?(?P<{{}}>.+?)\s?{quote}?"
    slots = {"{A}": r"(?P<A>.+?)", "{B}": r"(?P<B>.+?)", "{PA}": rf"(?P<PA>{phone})",
             "{PB}": rf"(?P<PB>{phone})", "{*}": r".*",
             **{f"{{{n}}}": subject.format(n) for n in ("G", "OLD", "NEW")}}  # fmt: skip
    split = re.compile("(" + "|".join(re.escape(s) for s in slots) + ")")
    body = "".join(slots.get(p) or re.escape(p) for p in split.split(template) if p)
    return re.compile(rf"^{body}\.?$", re.S)


FILLERS = ["Bob", "Ana Ruiz", '"Owls"', "„Alt“", "+34 600 000 111", "x", "zu", "a b", "à", "de"]


@st.composite
def template_line(draw: st.DrawFn) -> tuple[Any, str]:
    template = draw(st.sampled_from(wording().templates))
    pieces = [p for t in wording().templates for p in t.literals if p]
    parts = []
    for index, literal in enumerate(template.literals):
        parts.append(literal)
        if index < len(template.slots):
            words = draw(st.lists(st.sampled_from(FILLERS) | st.sampled_from(pieces), max_size=3))
            parts.append("".join(words))
    return template, "".join(parts) + draw(st.sampled_from(["", "."]))


@settings(max_examples=int(os.environ.get("CASEGRAPH_FUZZ_EXAMPLES", "300")), deadline=None)
@given(case=template_line())
def test_linear_template_matcher_agrees_with_the_backtracking_regex(case: tuple[Any, str]) -> None:
    template, line = case
    assume("'" not in template.template and "’" not in template.template)
    reference = _reference_regex(template.template).match(line)
    found = template.match(fold(line), line)
    expected = (
        None
        if reference is None
        else {k: v for k, v in reference.groupdict().items() if v is not None}
    )
    assert (None if found is None else {k: v for k, v in found.items() if k != "*"}) == expected


@PROPERTY
@given(
    pieces=st.lists(
        st.sampled_from(sorted({p for t in wording().templates for p in t.literals if p}))
        | st.sampled_from(FILLERS),
        max_size=40,
    ),
    repeat=st.integers(1, 2000),
)
def test_system_matching_never_fails_on_repeated_template_words(
    pieces: list[str], repeat: int
) -> None:
    line = "".join(pieces) * repeat
    match = classify_system(line)
    assert match is None or match.type in EVENT_TYPES
    reference = attachment_reference("<Anhang: " + line)
    assert reference is None or (len(reference) <= 255 and "\n" not in reference)
