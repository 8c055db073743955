"""A generated small operation ingests to exactly what its truth.json says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casegraph.report.json_view import build_report
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import SourceMemberRow


@pytest.fixture(scope="module")
def ingested(
    tmp_path_factory: pytest.TempPathFactory, synth_small: Path
) -> Iterator[tuple[dict[str, Any], dict[str, Any], Any]]:
    home = Home(tmp_path_factory.mktemp("synth-home"))
    case = home.create_case("synth", timezone="Europe/Madrid", agency="ES")
    ingest_paths(case, [synth_small / "exports"], "officer")
    truth = json.loads((synth_small / "truth.json").read_text())
    yield truth, build_report(case), case
    dispose_engines()


def _chats_by_title(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {chat["title"]: chat for chat in report["chats"]}


def test_every_chat_is_found_with_its_counts(
    ingested: tuple[dict[str, Any], dict[str, Any], Any],
) -> None:
    truth, report, _ = ingested
    chats = _chats_by_title(report)
    assert len(report["chats"]) == len(truth["chats"])
    for expected in truth["chats"]:
        chat = chats[expected["title"]]
        assert chat["platform"] == expected["platform"]
        assert chat["messages"] == expected["messages"], expected["id"]
        assert chat["events"] == expected["events"], expected["id"]
        assert sorted(chat["aliases"]) == sorted(expected["aliases"]), expected["id"]


def test_creators_and_creation_times_match(
    ingested: tuple[dict[str, Any], dict[str, Any], Any],
) -> None:
    truth, report, _ = ingested
    identifiers = {a["id"]: a["identifier"] for a in report["accounts"]}
    chats = _chats_by_title(report)
    for expected in truth["chats"]:
        chat = chats[expected["title"]]
        assert identifiers.get(chat["created_by"]) == expected["creator"], expected["id"]
        assert chat["created_at"] == expected["created_at"], expected["id"]


def test_members_match_by_number_or_by_the_name_the_export_shows(
    ingested: tuple[dict[str, Any], dict[str, Any], Any],
) -> None:
    truth, report, _ = ingested
    accounts = {a["id"]: a for a in report["accounts"]}
    names_of = {a["identifier"]: set(a["names"]) for a in truth["accounts"]}
    chats = _chats_by_title(report)
    for expected in truth["chats"]:
        members = [accounts[m] for m in chats[expected["title"]]["members"]]
        assert len(members) == len(expected["members"]), expected["id"]
        by_identifier = {m["identifier"] for m in members if m["identifier_kind"] != "name"}
        assert by_identifier <= set(expected["members"]), expected["id"]
        # A saved contact shows a name, not a number: it must be one of the remaining members.
        remaining = set(expected["members"]) - by_identifier
        for member in (m for m in members if m["identifier_kind"] == "name"):
            owner = [i for i in remaining if member["identifier"] in names_of.get(i, ())]
            assert owner, (expected["id"], member["identifier"])
            remaining -= {owner[0]}


def test_every_media_file_of_the_truth_is_stored_and_hashed(
    ingested: tuple[dict[str, Any], dict[str, Any], Any],
) -> None:
    truth, report, case = ingested
    with case.read() as session:
        stored = set(session.scalars(select(SourceMemberRow.sha256)))
    media = {m["sha256"]: m for m in report["media"]}
    for item in truth["media"]:
        if any("!" in f or "ChatExport" in f for f in item["files"]):
            assert item["sha256"] in stored
            assert media[item["sha256"]]["md5"] == item["md5"]
