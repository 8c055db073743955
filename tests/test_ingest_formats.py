"""Formats plug in: chat and hash-list formats register themselves; unknown names raise."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from casegraph.errors import InputError
from casegraph.ingest import formats
from casegraph.ingest.detect import SourceUnit, detect_file, find_sources
from casegraph.ingest.records import ParsedChat
from casegraph.media import hashlists
from casegraph.media.hashlists.base import HASH_LIST_FORMATS, HashListFormat, ParsedList
from casegraph.model import Chat, HashEntry, Message
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths
from casegraph.store.matching import import_hash_list
from casegraph.store.schema import ChatRow, ChatSourceRow, HashEntryRow, MessageRow

TALLY_MAGIC = b"TALLYCHAT 1\n"


def _parse_tally(request: formats.ParseRequest) -> list[ParsedChat]:
    """A toy line format: 'TALLYCHAT 1' then one 'author|text' message per line."""
    with request.open_bytes() as stream:
        lines = stream.read().decode().splitlines()[1:]
    parsed = ParsedChat("tally", iter(()), {})
    parsed.chat = Chat("tally", "tally:one", "Tally group", [])
    at = datetime(2024, 1, 1, tzinfo=UTC)
    records = []
    for seq, line in enumerate(lines, start=1):
        author, text = line.split("|", 1)
        parsed.note(at, True)
        records.append(Message(seq, at, None, text, "text", author, line=seq + 1))
    parsed.records = iter(records)
    return [parsed]


TALLY = formats.ChatFormat(
    name="tally",
    platform="tally",
    parse=_parse_tally,
    sniff=lambda name, head: head.startswith(TALLY_MAGIC),
    member=lambda names: next((n for n in names if n.endswith("tally.log")), None),
    suffixes=(".log",),
    export_cap=(2, 1),
    priority=5,
)


@pytest.fixture
def tally() -> Iterator[formats.ChatFormat]:
    formats.register(TALLY)
    yield TALLY
    del formats._REGISTRY["tally"]


def test_built_in_chat_formats_are_registered() -> None:
    names = {f.name for f in formats.chat_formats()}
    assert {"whatsapp", "telegram", "signal-md", "sigtop-json"} <= names


def test_an_unknown_chat_format_name_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown chat format 'palmchat'.*whatsapp"):
        formats.chat_format("palmchat")
    with pytest.raises(InputError, match="unknown chat format"):
        SourceUnit(tmp_path / "x.txt", "palmchat", "file")


def test_a_name_registers_once() -> None:
    clone = formats.ChatFormat("whatsapp", "whatsapp", _parse_tally, lambda n, h: False)
    with pytest.raises(ValueError, match="registered twice"):
        formats.register(clone)


def test_a_registered_format_is_detected_without_editing_detection(
    tmp_path: Path, tally: formats.ChatFormat
) -> None:
    loose = tmp_path / "seized.log"
    loose.write_bytes(TALLY_MAGIC + b"ana|hola\n")
    assert detect_file(loose).format == "tally"
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "tally.log").write_bytes(TALLY_MAGIC + b"ana|hola\n")
    [unit] = find_sources([folder])
    assert (unit.format, unit.container, unit.text_member) == ("tally", "folder", "tally.log")


def test_a_loose_file_no_format_claims_is_refused_naming_the_formats(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md.bak"
    notes.write_text("anything at all\n")
    with pytest.raises(InputError, match=r"known formats: .*whatsapp"):
        detect_file(notes)


def test_a_registered_format_is_parsed_and_its_export_cap_applies(
    tmp_path: Path, home: Home, tally: formats.ChatFormat
) -> None:
    export = tmp_path / "seized.log"
    export.write_bytes(TALLY_MAGIC + b"ana|hola\nbea|buenas\n")
    case = home.create_case("op", timezone="UTC")
    result = ingest_paths(case, [export], captured_by="test")
    assert result.messages == 2
    with case.read() as session:
        chat = session.scalars(select(ChatRow)).one()
        assert (chat.platform, chat.title) == ("tally", "Tally group")
        texts = session.scalars(select(MessageRow.text).order_by(MessageRow.seq)).all()
        assert texts == ["hola", "buenas"]
        # two messages reach the format's cap of two: the export may be cut
        assert session.scalars(select(ChatSourceRow.possibly_truncated)).one() is True


def test_formats_without_a_cap_are_never_marked_truncated(tmp_path: Path) -> None:
    assert formats.chat_format("telegram").export_cap is None
    assert formats.chat_format("whatsapp").export_cap is not None


# ---- hash lists ------------------------------------------------------------------------

SHA256_A = "a" * 64
SHA256_B = "b" * 64


def _read_pairs(path: Path) -> ParsedList:
    """A toy delta format: 'PAIRS' then '+id sha256' upserts and '-id' tombstones."""
    parsed = ParsedList("pairs")
    for line in path.read_text().splitlines()[1:]:
        if line.startswith("-"):
            parsed.deleted.add(line[1:])
        else:
            entry_id, sha256 = line[1:].split()
            parsed.entries.append(HashEntry(entry_id=entry_id, sha256=sha256))
    return parsed


PAIRS = HashListFormat("pairs", lambda head: head.startswith("PAIRS"), _read_pairs, True, 5)


@pytest.fixture
def pairs() -> Iterator[HashListFormat]:
    hashlists.base.register(PAIRS)
    yield PAIRS
    del HASH_LIST_FORMATS["pairs"]


def test_built_in_hash_list_formats_are_registered() -> None:
    assert hashlists.format_names() == ["vics", "ncmec", "csv"]
    assert [f.is_delta for f in hashlists.hash_list_formats()] == [False, True, False]


def test_an_unknown_hash_list_format_raises_naming_the_known_ones(tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("sha256\n" + SHA256_A + "\n")
    with pytest.raises(InputError, match="unknown hash-list format 'tsv'; use one of auto, vics"):
        hashlists.read_hash_list(listed, "tsv")


def test_a_file_no_hash_list_format_claims_is_refused(tmp_path: Path) -> None:
    listed = tmp_path / "list.txt"
    listed.write_text("just words\n")
    with pytest.raises(InputError, match="cannot tell the hash-list format"):
        hashlists.read_hash_list(listed)


def test_a_registered_delta_format_is_sniffed_and_applied_as_a_delta(
    tmp_path: Path, home: Home, pairs: HashListFormat
) -> None:
    case = home.create_case("op", timezone="UTC")
    first = tmp_path / "day1.pairs"
    first.write_text(f"PAIRS\n+e1 {SHA256_A}\n+e2 {SHA256_B}\n")
    second = tmp_path / "day2.pairs"
    second.write_text("PAIRS\n-e1\n")  # a delta: e2 is not named and stays
    assert import_hash_list(case, first, name="feed").format == "pairs"
    result = import_hash_list(case, second, name="feed")
    assert result.removed == 1
    with case.read() as session:
        assert session.scalars(select(HashEntryRow.entry_id)).all() == ["e2"]


def test_a_full_list_format_removes_entries_a_re_import_leaves_out(
    tmp_path: Path, home: Home
) -> None:
    case = home.create_case("op", timezone="UTC")
    listed = tmp_path / "list.csv"
    listed.write_text(f"entry_id,sha256\ne1,{SHA256_A}\ne2,{SHA256_B}\n")
    import_hash_list(case, listed, name="feed")
    listed.write_text(f"entry_id,sha256\ne2,{SHA256_B}\n")
    assert import_hash_list(case, listed, name="feed").removed == 1
