"""Fuzzing the device-database parsers: cut, flipped or random bytes give one line, no crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casegraph.errors import InputError
from casegraph.ingest.whatsapp import chat_native_id
from casegraph.ingest.whatsapp_android_db import parse_msgstore
from casegraph.ingest.whatsapp_ios_db import parse_chatstorage
from casegraph.model import Message
from casegraph.synth.records import ChatPlan, Entry
from device_fixtures import ZONE, A, B, C, android_db, ios_db

PARSERS = {"android": (android_db, parse_msgstore), "ios": (ios_db, parse_chatstorage)}


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("db")
    return {name: make(folder / name).read_bytes() for name, (make, _p) in PARSERS.items()}


def _outcome(kind: str, data: bytes, folder: Path) -> None:
    path = folder / ("msgstore.db" if kind == "android" else "ChatStorage.sqlite")
    path.write_bytes(data)
    try:
        for chat in PARSERS[kind][1](path, path.name):
            list(chat.records)
    except InputError as exc:
        message = str(exc)
        assert message.startswith(path.name) and "\n" not in message


@pytest.mark.parametrize("kind", list(PARSERS))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_a_truncated_database_is_one_line_or_whole_records(
    kind: str, cut: float, originals: dict[str, bytes], tmp_path: Path
) -> None:
    data = originals[kind]
    _outcome(kind, data[: int(len(data) * cut)], tmp_path)


@pytest.mark.parametrize("kind", list(PARSERS))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), min_size=1, max_size=12))
def test_corrupted_pages_are_one_line_or_whole_records(
    kind: str, flips: list[tuple[float, int]], originals: dict[str, bytes], tmp_path: Path
) -> None:
    data = bytearray(originals[kind])
    for where, value in flips:
        data[min(len(data) - 1, int(len(data) * where))] = value
    _outcome(kind, bytes(data), tmp_path)


@pytest.mark.parametrize("kind", list(PARSERS))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tail=st.binary(max_size=3000))
def test_garbage_behind_a_sqlite_header_is_one_line(kind: str, tail: bytes, tmp_path: Path) -> None:
    _outcome(kind, b"SQLite format 3\x00" + tail, tmp_path)


# ---- round trip: what the synthetic phone wrote is what the parser reads -----------------

AUTHORS = (A, B, C)
LINES = st.lists(
    st.tuples(
        st.sampled_from(AUTHORS),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=60),
        st.integers(min_value=0, max_value=86_400 * 3),
    ),
    min_size=1,
    max_size=25,
)


def _plan(lines: list[tuple[str, str, int]]) -> ChatPlan:
    start = datetime(2024, 5, 20, 9, 0, 0)
    entries = [
        Entry(start, "event", A, event="created"),
        Entry(start, "event", A, event="added", targets=(B, C)),
    ]
    for author, text, offset in sorted(lines, key=lambda line: line[2]):
        entries.append(Entry(start + timedelta(seconds=offset + 1), "text", author, text=text))
    return ChatPlan("rt", "whatsapp", "Ida y vuelta", "android-es-12h", False, "es",
                    creator=A, created_at=start, members=[A, B, C], labels={},
                    entries=entries)  # fmt: skip


@pytest.mark.parametrize("schema", ["current", "legacy", "ios"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=LINES)
def test_messages_round_trip_through_each_schema(
    schema: str, lines: list[tuple[str, str, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp(schema)
    plan = _plan(lines)
    if schema == "ios":
        (chat,) = parse_chatstorage(ios_db(folder, plan, owner=A), "ChatStorage.sqlite")
    else:
        (chat,) = parse_msgstore(android_db(folder, plan, legacy=schema == "legacy"), "msgstore.db")
    read = [(m.author, m.text, m.sent_at) for m in chat.records if isinstance(m, Message)]
    expected = [
        (None if e.author == A else e.author, e.text, e.at.replace(tzinfo=ZONE).astimezone(UTC))
        for e in plan.entries
        if e.kind == "text"
    ]
    assert read == expected
    assert chat.chat is not None and chat.chat.native_id == chat_native_id("Ida y vuelta")
