"""The fixture corpus: one hand-written export per variant and quirk, its records beside it.

Each `tests/data/chats/<name>` has `<name>.expected.json` holding the parse options (format,
case time zone, date order), every record the file must give (in order), the warnings and the
provenance fields that matter. The parse goes through the format registry, as an ingest does.
The files were written by hand from the format reference, not by the synth generator, so the
parsers are not only checked against code that shares their authors' assumptions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from casegraph.ingest.formats import ParseRequest, chat_format
from casegraph.ingest.records import ParsedChat
from casegraph.model import ChatEvent, Message

CORPUS = Path(__file__).parent / "data" / "chats"
EXPECTED = sorted(CORPUS.glob("*.expected.json"))


def record_json(record: Message | ChatEvent) -> dict[str, Any]:
    """A record as the corpus writes it down: what an analyst would check by eye."""
    if isinstance(record, Message):
        return {
            "seq": record.seq,
            "record": "message",
            "at": record.sent_at.isoformat(),
            "author": record.author,
            "label": record.author_label,
            "text": record.text,
            "kind": record.kind,
            "attachment": record.attachment,
            "line": record.line,
            "flags": list(record.flags),
        }
    return {
        "seq": record.seq,
        "record": "event",
        "at": record.at.isoformat(),
        "type": record.type,
        "actor": record.actor,
        "targets": list(record.targets),
        "label": record.label,
        "line": record.line,
        "details": {k: v for k, v in sorted(record.details.items()) if k != "confirmed_wording"},
    }


def parse_fixture(source: Path, options: dict[str, Any]) -> list[ParsedChat]:
    request = ParseRequest(
        open_bytes=lambda: source.open("rb"),
        file_name=source.name,
        tz=ZoneInfo(options["tz"]),
        unit_name=source.name,
        container="file",
        chat_name=source.stem,
        date_order=options.get("date_order"),
    )
    return chat_format(options["format"]).parse(request)


def observed(source: Path, options: dict[str, Any]) -> dict[str, Any]:
    chats = []
    for parsed in parse_fixture(source, options):
        records = [record_json(r) for r in parsed.records]  # type: ignore[arg-type]
        provenance = {k: parsed.provenance.get(k) for k in options.get("provenance_keys", [])}
        chats.append({"records": records, "warnings": parsed.warnings, "provenance": provenance})
    return {"options": options, "chats": chats}


def test_the_corpus_covers_every_fixture_file() -> None:
    sources = {p.name for p in CORPUS.iterdir() if not p.name.endswith(".expected.json")}
    assert sources == {p.name.removesuffix(".expected.json") for p in EXPECTED}
    assert len(sources) >= 15


@pytest.mark.parametrize("expected_file", EXPECTED, ids=lambda p: p.name.split(".")[0])
def test_fixture_parses_to_its_expected_records(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text("utf-8"))
    source = expected_file.with_name(expected_file.name.removesuffix(".expected.json"))
    assert observed(source, expected["options"]) == expected
