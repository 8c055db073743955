"""The fast ingest path: chunked header scanning, cached UTC clock, bulk rows, index rebuild."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from casegraph.errors import InputError
from casegraph.ingest.whatsapp import parse_whatsapp, parse_whatsapp_bulk
from casegraph.ingest.whatsapp_clock import LocalClock, UtcTextClock, sqlite_utc_text
from casegraph.ingest.whatsapp_header import HEADER
from casegraph.ingest.whatsapp_scan import BlockScanner
from casegraph.model import Message
from casegraph.store import ingest_bulk, ingest_parallel
from casegraph.store.cases import Case, Home, dispose_engines
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import MessageRow, SourceRow

MADRID = ZoneInfo("Europe/Madrid")
# whole-hour, half-hour and half-hour-DST offsets
ZONES = ["Europe/Madrid", "America/Mexico_City", "Asia/Kolkata", "Australia/Lord_Howe",
         "America/St_Johns", "UTC"]  # fmt: skip
LINES = [
    b"01/02/24, 10:00 - Ana: hola",
    b"01/02/24, 10:01 - +34 600 000 111: ma\xc3\xb1ana \xf0\x9f\x8c\xb8",
    b"31/02/24, 10:02 - Ana: not a date, stays in the body",
    b"[01/02/24, 10:03:04] Bo: ios shape",
    b"continuation line",
    b"",
    b"broken \xff\xfe bytes",
    b"\xef\xbb\xbf01/02/24, 11:00 - Ana: after a BOM",
    b"trailing cr\r",
    b'01/02/24, 12:00 - Ana created group "Owls"',
]


def _opener(data: bytes) -> Any:
    return lambda: io.BytesIO(data)


def _reference_blocks(data: bytes, clock: Any) -> tuple[list[tuple[Any, ...]], int, int]:
    """The line-by-line reader the scanner replaced: the behaviour it must keep."""
    blocks: list[tuple[Any, ...]] = []
    pending: list[Any] | None = None
    offset = header_like = preamble = 0
    for number, raw in enumerate(io.BytesIO(data), start=1):
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        match = HEADER.match(line)
        at = clock(match) if match is not None else None
        if match is not None and at is not None:
            if pending is not None:
                blocks.append((pending[0], "\n".join(pending[1]), *pending[2:]))
            pending = [at, [line[match.end() :]], number, offset, []]
        elif pending is not None:
            if match is not None:
                header_like += 1
                pending[4].append("header_like_line")
            pending[1].append(line)
        else:
            preamble += 1
        offset += len(raw)
    if pending is not None:
        blocks.append((pending[0], "\n".join(pending[1]), *pending[2:]))
    return blocks, header_like, preamble


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.sampled_from(LINES), max_size=30),
    crlf=st.booleans(),
    final_newline=st.booleans(),
    chunk=st.integers(1, 80),
)
def test_chunked_scan_finds_the_blocks_the_line_reader_found(
    lines: list[bytes], crlf: bool, final_newline: bool, chunk: int
) -> None:
    newline = b"\r\n" if crlf else b"\n"
    data = newline.join(lines) + (newline if final_newline and lines else b"")
    clock = LocalClock(UTC, "dmy")
    scanner = BlockScanner(clock, chunk=chunk)
    found = [(at, body, line, byte, flags) for at, body, line, byte, flags in scanner.blocks(
        _opener(data)
    )]  # fmt: skip
    expected, header_like, preamble = _reference_blocks(data, clock)
    assert found == expected
    assert (scanner.header_like, scanner.preamble) == (header_like, preamble)
    for _, _, line, byte, _ in found:
        assert data.split(b"\n")[line - 1] == data[byte:].split(b"\n", 1)[0]


def _header_match(at: datetime, seconds: bool, twelve_hour: bool) -> Any:
    clock = at.strftime("%I:%M" if twelve_hour else "%H:%M")
    if seconds:
        clock += at.strftime(":%S")
    if twelve_hour:
        clock += " " + ("PM" if at.hour >= 12 else "AM")
    match = HEADER.match(f"{at:%d/%m/%Y}, {clock} - Ana: x")
    assert match is not None
    return match


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    at=st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2030, 12, 31)),
    seconds=st.booleans(),
    twelve_hour=st.booleans(),
)
def test_utc_text_clock_gives_the_stored_form_of_the_local_time(
    zone: str, at: datetime, seconds: bool, twelve_hour: bool
) -> None:
    tz = ZoneInfo(zone)
    at = at.replace(microsecond=0, second=at.second if seconds else 0)
    match = _header_match(at, seconds, twelve_hour)
    local = LocalClock(tz, "dmy")(match)
    assert local is not None
    assert UtcTextClock(tz, "dmy")(match) == sqlite_utc_text(local)


def test_utc_text_clock_handles_every_hour_around_daylight_saving_changes() -> None:
    local, text = LocalClock(MADRID, "dmy"), UtcTextClock(MADRID, "dmy")
    for start in (datetime(2024, 3, 30, 22), datetime(2024, 10, 26, 22)):
        for minutes in range(0, 8 * 60, 7):
            match = _header_match(start + timedelta(minutes=minutes), False, False)
            at = local(match)
            assert at is not None and text(match) == sqlite_utc_text(at)


def test_impossible_times_are_not_headers_for_either_clock() -> None:
    for header in ("30/02/24, 10:00 - A: x", "01/02/24, 10:61 - A: x", "01/02/24, 25:00 - A: x"):
        match = HEADER.match(header)
        assert match is not None
        assert LocalClock(MADRID, "dmy")(match) is None
        assert UtcTextClock(MADRID, "dmy")(match) is None


SAMPLE = (
    '01/02/24, 09:00 - +34 600 000 111 created group "Owls"\n'
    "01/02/24, 09:01 - +34 600 000 111: hola 🌸\nsegunda línea\n"
    "01/02/24, 09:00 - Lía: early (out of order)\n"
    "01/02/24, 09:05 - Lía: IMG-20240201-WA0001.jpg (file attached)\n"
    "01/02/24, 09:06 - Lía: <Media omitted>\n"
)


def _parse(tmp_path: Path, bulk: bool) -> tuple[Any, list[Any]]:
    path = tmp_path / "chat.txt"
    path.write_text(SAMPLE, encoding="utf-8")
    parse = parse_whatsapp_bulk if bulk else parse_whatsapp
    parsed = parse(
        lambda: path.open("rb"),
        file_name="chat.txt",
        tz=MADRID,
        date_order="dmy",
        default_region="ES",
    )
    return parsed, list(parsed.records)


def test_bulk_rows_carry_what_the_message_records_carry(tmp_path: Path) -> None:
    pure, records = _parse(tmp_path, bulk=False)
    bulk, rows = _parse(tmp_path, bulk=True)
    messages = [r for r in records if isinstance(r, Message)]
    tuples = [r for r in rows if isinstance(r, tuple)]
    assert len(messages) == len(tuples) == 4
    for message, row in zip(messages, tuples, strict=True):
        assert message.sent_at is not None
        assert row[:9] == (
            message.seq, sqlite_utc_text(message.sent_at), message.author, message.author_label,
            message.text, message.kind, message.attachment, message.line, message.byte_offset,
        )  # fmt: skip
        assert (json.loads(row[9]), row[10:]) == (list(message.flags), (None, None))
    assert (bulk.first_at, bulk.last_at) == (pure.first_at, pure.last_at)
    assert (bulk.messages, bulk.events) == (pure.messages, pure.events) == (4, 1)
    assert "out_of_order" in messages[1].flags


def _big_export(tmp_path: Path, count: int) -> Path:
    start = datetime(2024, 3, 30, 23, 0)  # crosses the spring daylight-saving change
    lines = [
        f"{start + timedelta(minutes=i):%d/%m/%y, %H:%M} - +34 600 000 {i % 40:03d}: m{i}"
        for i in range(count)
    ]
    path = tmp_path / "WhatsApp Chat with Big.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _indexes(case_dir: Path) -> set[str]:
    with sqlite3.connect(case_dir / "case.sqlite") as connection:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'"
        ).fetchall()
    return {name for (name,) in rows}


def _count(case: Case, table: type) -> int:
    with case.read() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_big_source_rebuilds_its_indexes_and_reads_back_exact_times(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_bulk, "BIG_SOURCE", 500)
    case = home.create_case("op", timezone="Europe/Madrid", agency="ES")
    before = _indexes(case.directory)
    result = ingest_paths(case, [_big_export(tmp_path, 2000)], "officer")
    assert result.messages == 2000 and _count(case, MessageRow) == 2000
    assert _indexes(case.directory) == before and "ix_messages_chat_seq" in before
    with case.read() as session:
        times = session.scalars(select(MessageRow.sent_at).order_by(MessageRow.seq)).all()
    first = datetime(2024, 3, 30, 23, 0, tzinfo=MADRID)
    assert times[0] == first and times[0].tzinfo is not None
    # 03:00 Madrid summer time follows 01:59 winter time: one real minute apart
    assert times[180] - times[179] == timedelta(minutes=1)
    assert times[180] == datetime(2024, 3, 31, 3, 0, tzinfo=MADRID)


WORKER = """
import sys, time
from pathlib import Path
from casegraph.errors import InputError
from casegraph.store import ingest_bulk, ingest_parallel
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths
ingest_bulk.BIG_SOURCE = 1000
original = ingest_bulk.create_index
def create_then_stall(cursor, sql):
    original(cursor, sql)
    print("rebuilding", flush=True)  # one index is back, the others are still dropped
    time.sleep(60)
ingest_bulk.create_index = create_then_stall
case = Home(Path(sys.argv[1])).open_case("op")
ingest_paths(case, [Path(sys.argv[2])], captured_by="officer")
"""


def test_kill_9_during_the_index_rebuild_leaves_the_case_as_before(tmp_path: Path) -> None:
    path = _big_export(tmp_path, 5000)
    home = Home(tmp_path / "home")
    case_dir = home.create_case("op", timezone="Europe/Madrid", agency="ES").directory
    before = _indexes(case_dir)
    dispose_engines()
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(home.root), str(path)], stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "rebuilding"
    worker.kill()
    worker.wait()
    case = home.open_case("op")
    assert (_count(case, SourceRow), _count(case, MessageRow)) == (0, 0)
    assert _indexes(case_dir) == before
    with case.read() as session:
        assert case.audit.verify(session) == []
    assert ingest_paths(case, [path], "officer").messages == 5000
    assert _indexes(case_dir) == before


def test_small_sources_keep_their_indexes_throughout(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped: list[str] = []
    monkeypatch.setattr(ingest_bulk.IndexPause, "drop", lambda self: dropped.append(self.table))
    case = home.create_case("op", timezone="Europe/Madrid", agency="ES")
    ingest_paths(case, [_big_export(tmp_path, 200)], "officer")
    assert dropped == []


def _report_with_parallel_from(tmp_path: Path, name: str, threshold: int, export: Path) -> Any:
    from casegraph.report.json_view import build_report

    original = ingest_parallel.PARALLEL_FROM_BYTES
    ingest_parallel.PARALLEL_FROM_BYTES = threshold
    try:
        home = Home(tmp_path / "home")  # one installation: the same public ids
        case = home.create_case(f"op-{name}", timezone="Europe/Madrid", agency="ES")
        result = ingest_paths(case, [export], "officer")
        with case.read() as session:
            rows = session.execute(
                select(MessageRow.seq, MessageRow.sent_at, MessageRow.line, MessageRow.byte_offset,
                       MessageRow.flags, MessageRow.author_label).order_by(MessageRow.seq)
            ).all()  # fmt: skip
        report = build_report(case)
        dispose_engines()
        (source,) = report["sources"]
        return (result.messages, result.warnings, source["provenance"], report["chats"],
                report["accounts"], rows)  # fmt: skip
    finally:
        ingest_parallel.PARALLEL_FROM_BYTES = original


def test_parsing_in_a_child_process_gives_the_same_case(tmp_path: Path) -> None:
    export = tmp_path / "WhatsApp Chat with Owls.txt"
    export.write_text(SAMPLE + _big_export(tmp_path, 300).read_text(), encoding="utf-8")
    in_child = _report_with_parallel_from(tmp_path, "child", 0, export)
    in_process = _report_with_parallel_from(tmp_path, "inline", 1 << 40, export)
    assert in_child[0] == in_process[0] == 304
    assert in_child == in_process


def test_a_refused_export_fails_the_same_from_a_child_process(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_parallel, "PARALLEL_FROM_BYTES", 0)
    case = home.create_case("op", timezone="Europe/Madrid", agency="ES")
    path = tmp_path / "chat.txt"
    path.write_text("01/02/24, 10:00 - Ana: a\n01/02/24, 11:00 - Ana: b\n", encoding="utf-8")
    with pytest.raises(InputError, match="--date-order"):
        ingest_paths(case, [path], "officer")
    assert _count(case, SourceRow) == 0 and list(case.evidence.blobs()) == []


PARALLEL_WORKER = """
import os, sys
from pathlib import Path
from casegraph.store import ingest_parallel
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths
ingest_parallel.PARALLEL_FROM_BYTES = 0
original = ingest_parallel._child
def announced(*args):
    print("child", os.getpid(), flush=True)
    original(*args)
ingest_parallel._child = announced
case = Home(Path(sys.argv[1])).open_case("op")
ingest_paths(case, [Path(sys.argv[2])], captured_by="officer")
"""


def _ended(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" in status.read_text()
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not ingest_parallel.can_fork(), reason="the parser child needs fork")
def test_kill_9_of_the_writer_ends_its_parser_child_and_changes_nothing(tmp_path: Path) -> None:
    path = _big_export(tmp_path, 60_000)
    home = Home(tmp_path / "home")
    home.create_case("op", timezone="Europe/Madrid", agency="ES")
    dispose_engines()
    worker = subprocess.Popen(
        [sys.executable, "-c", PARALLEL_WORKER, str(home.root), str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    word, pid = worker.stdout.readline().split()
    assert word == "child"
    worker.kill()
    worker.wait()
    deadline = time.monotonic() + 30
    while not _ended(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ended(int(pid))
    case = home.open_case("op")
    assert (_count(case, SourceRow), _count(case, MessageRow)) == (0, 0)


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(
        [*ZONES, "Europe/Madrid", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu"]
    ),
    at=st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2100, 12, 31)),
    seconds=st.booleans(),
)
def test_utc_text_clock_matches_the_full_conversion_over_centuries(
    zone: str, at: datetime, seconds: bool
) -> None:
    # whatstk's generator spreads dates over centuries: local mean time (odd seconds of
    # offset), war-time zones and half-hour daylight saving must all come out exact
    tz = ZoneInfo(zone)
    at = at.replace(microsecond=0, second=at.second if seconds else 0)
    match = _header_match(at, seconds, False)
    local = LocalClock(tz, "dmy")(match)
    assert local is not None
    assert UtcTextClock(tz, "dmy")(match) == sqlite_utc_text(local)


def test_utc_text_clock_edges_of_the_calendar_are_no_time_not_an_overflow() -> None:
    for zone, header in (("America/New_York", "31/12/9999, 23:59 - A: x"),
                         ("Asia/Tokyo", "01/01/0001, 00:10 - A: x")):  # fmt: skip
        match = HEADER.match(header)
        assert match is not None
        assert LocalClock(ZoneInfo(zone), "dmy")(match) is None
        assert UtcTextClock(ZoneInfo(zone), "dmy")(match) is None
