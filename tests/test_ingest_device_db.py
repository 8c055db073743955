"""Seized-device WhatsApp databases: Android msgstore.db (both schemas), iOS ChatStorage.sqlite."""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casegraph.errors import InputError
from casegraph.ingest.formats import sniff_file
from casegraph.ingest.records import ParsedChat
from casegraph.ingest.whatsapp import chat_native_id
from casegraph.ingest.whatsapp_android_db import parse_msgstore
from casegraph.ingest.whatsapp_ios_db import parse_chatstorage, quoted_stanza
from casegraph.model import ChatEvent, Message
from casegraph.report.json_view import build_report
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import AttachmentRow, MembershipRow, SourceRow
from casegraph.synth.device_ios import quote_metadata
from device_fixtures import (
    STICKER,
    ZONE_NAME,
    A,
    B,
    C,
    D,
    E,
    android_db,
    group_plan,
    ios_db,
    write_export,
)

STICKER_SHA = hashlib.sha256(STICKER.data).hexdigest()


def _read(parsed: ParsedChat) -> list[Message | ChatEvent]:
    return list(parsed.records)


def _parse(kind: str, folder: Path) -> ParsedChat:
    if kind == "ios":
        chats = parse_chatstorage(ios_db(folder), "ChatStorage.sqlite")
    else:
        chats = parse_msgstore(android_db(folder, legacy=kind == "legacy"), "msgstore.db")
    assert len(chats) == 1
    return chats[0]


SCHEMAS = ["current", "legacy", "ios"]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_group_is_keyed_like_its_exports_by_the_creation_subject(
    schema: str, tmp_path: Path
) -> None:
    parsed = _parse(schema, tmp_path)
    records = _read(parsed)
    assert parsed.chat is not None
    assert parsed.chat.native_id == chat_native_id("Pegatinas")
    assert parsed.chat.title == "Pegatinas 2" and parsed.chat.aliases == ["Pegatinas"]
    assert parsed.provenance["group_jid"].endswith("@g.us")
    assert parsed.messages == 11 and len(records) == parsed.messages + parsed.events


@pytest.mark.parametrize("schema", SCHEMAS)
def test_messages_keep_authors_times_and_text_in_order(schema: str, tmp_path: Path) -> None:
    owner = B if schema == "ios" else A  # the phone's owner has no identifier in its database
    messages = [r for r in _read(_parse(schema, tmp_path)) if isinstance(r, Message)]
    texts = [(m.author, m.text) for m in messages if m.kind == "text"]
    expected = [(None if a == owner else a, t) for a, t in zip(
        [A, B, C, B, C, B, C, A, A], ["hola a todos", "buenas", "que tal", "me encanta", "otra vez",
                                     "vale", "genial", "si", "adios"], strict=True)]  # fmt: skip
    assert texts == expected
    assert [m.seq for m in messages] == sorted(m.seq for m in messages)
    first = messages[0]
    assert first.sent_at.isoformat() == "2024-03-21T09:05:13+00:00"  # 10:05:13 in Madrid
    assert any(m.kind == "deleted" and m.author == C for m in messages)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_owner_messages_are_labelled_device_owner(schema: str, tmp_path: Path) -> None:
    messages = [r for r in _read(_parse(schema, tmp_path)) if isinstance(r, Message)]
    owned = [m for m in messages if m.author is None]
    assert owned and all(m.author_label == "device owner" for m in owned)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_a_reply_names_the_quoted_message(schema: str, tmp_path: Path) -> None:
    messages = [r for r in _read(_parse(schema, tmp_path)) if isinstance(r, Message)]
    by_id = {m.native_id: m for m in messages}
    replies = [m for m in messages if m.reply_to]
    assert [(m.text, by_id[m.reply_to].text) for m in replies] == [("genial", "vale")]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_a_sticker_carries_whatsapps_stored_digest_and_kind(schema: str, tmp_path: Path) -> None:
    messages = [r for r in _read(_parse(schema, tmp_path)) if isinstance(r, Message)]
    (sticker,) = [m for m in messages if m.kind == "media"]
    assert sticker.author == B or schema == "ios"
    assert f"app_sha256:{STICKER_SHA}" in sticker.flags
    assert "kind:sticker" in sticker.flags
    assert any(f.startswith("not_exported:") for f in sticker.flags)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_system_events_become_typed_events(schema: str, tmp_path: Path) -> None:
    events = [r for r in _read(_parse(schema, tmp_path)) if isinstance(r, ChatEvent)]
    types = [e.type for e in events]
    assert types[:2] == ["encryption_notice", "created"]
    assert {"added", "subject_changed", "left"} <= set(types)
    added = {t for e in events if e.type == "added" for t in e.targets}
    owner = B if schema == "ios" else A
    assert added == {B, C, D, E} - {owner}
    (left,) = [e for e in events if e.type == "left"]
    assert left.actor == E
    (renamed,) = [e for e in events if e.type == "subject_changed"]
    assert renamed.details["new"] == "Pegatinas 2"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_roster_lists_the_silent_member(schema: str, tmp_path: Path) -> None:
    parsed = _parse(schema, tmp_path)
    listed = {entry.identifier for entry in parsed.roster if entry.role != "past"}
    assert D in listed  # never wrote a line, still a member


def test_android_remembers_who_left_with_when(tmp_path: Path) -> None:
    parsed = _parse("current", tmp_path)
    (past,) = [entry for entry in parsed.roster if entry.role == "past"]
    assert past.identifier == E and past.until is not None
    assert past.until.isoformat() == "2024-03-21T10:20:17+00:00"


def test_ios_members_keep_their_address_book_names(tmp_path: Path) -> None:
    parsed = _parse("ios", tmp_path)
    _read(parsed)
    assert parsed.accounts[C].names == ["Carlos Gil"]


def test_ios_quote_metadata_reads_field_5() -> None:
    assert quoted_stanza(quote_metadata("ABC123", "34600@s.whatsapp.net")) == "ABC123"
    assert quoted_stanza(b"\x08\x96\x01") is None  # a varint field only
    assert quoted_stanza(b"\x2a\xff") is None  # truncated length


def test_the_database_is_opened_read_only_and_left_untouched(tmp_path: Path) -> None:
    path = android_db(tmp_path)
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    path.chmod(0o444)
    tmp_path.chmod(0o555)  # not even a journal could be created beside it
    try:
        parse_msgstore(path, "msgstore.db")
    finally:
        tmp_path.chmod(0o755)
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["msgstore.db"]


def test_sniffing_tells_the_two_databases_apart(tmp_path: Path) -> None:
    android = android_db(tmp_path / "a").read_bytes()[:65536]
    ios = ios_db(tmp_path / "i").read_bytes()[:65536]
    assert sniff_file("msgstore.db", android).name == "whatsapp-android-db"  # type: ignore[union-attr]
    assert sniff_file("copy.bin", android).name == "whatsapp-android-db"  # type: ignore[union-attr]
    assert sniff_file("ChatStorage.sqlite", ios).name == "whatsapp-ios-db"  # type: ignore[union-attr]
    assert sniff_file("evidence-17.sqlite", ios).name == "whatsapp-ios-db"  # type: ignore[union-attr]


def test_another_sqlite_file_is_refused_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "msgstore.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    with pytest.raises(InputError, match=r"^msgstore.db: no message/jid .* decrypted") as caught:
        parse_msgstore(path, "msgstore.db")
    assert "\n" not in str(caught.value)


def test_a_schema_without_a_needed_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "ChatStorage.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZCONTACTJID, ZPARTNERNAME, "
            "ZSESSIONTYPE);"
            "CREATE TABLE ZWAGROUPMEMBER (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION, ZMEMBERJID);"
            "CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION);"
        )
    with pytest.raises(InputError, match=r"ZWAMESSAGE lacks column\(s\) ZFROMJID, ZGROUPEVENTTYPE"):
        parse_chatstorage(path, "ChatStorage.sqlite")


def test_an_encrypted_crypt15_copy_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "msgstore.db"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(2000))
    with pytest.raises(InputError, match=r"^msgstore.db: .*check the copy"):
        parse_msgstore(path, "msgstore.db")


# ---- into a case ----------------------------------------------------------------------


def test_ingest_records_the_database_as_evidence(home: Home, tmp_path: Path) -> None:
    case = home.create_case("seized", timezone=ZONE_NAME)
    path = android_db(tmp_path)
    result = ingest_paths(case, [path], captured_by="forensic lab")
    assert result.sources_added == 1 and result.messages == 11
    with case.read() as session:
        source = session.scalars(select(SourceRow)).one()
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.format == "whatsapp-android-db-file"
    assert source.capture_method == "device database"
    assert ingest_paths(case, [path], captured_by="forensic lab").sources_skipped == 1


def test_a_capture_method_the_caller_names_wins_over_device_database(
    home: Home, tmp_path: Path
) -> None:
    from casegraph.store.ingest import Custody

    case = home.create_case("seized", timezone=ZONE_NAME)
    custody = Custody("forensic lab", method="device extraction", device="handset 2")
    ingest_paths(case, [android_db(tmp_path)], "forensic lab", custody=custody)
    with case.read() as session:
        source = session.scalars(select(SourceRow)).one()
    assert (source.capture_method, source.provenance["capture_device"]) == (
        "device extraction",
        "handset 2",
    )


def test_ingest_keeps_the_roster_as_memberships(home: Home, tmp_path: Path) -> None:
    # The owner cleared the chat's history: only the participant table still names D.
    path = android_db(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM message_system_chat_participant")
    case = home.create_case("seized", timezone=ZONE_NAME)
    ingest_paths(case, [path], captured_by="lab")
    report = build_report(case)
    (chat,) = report["chats"]
    ids = {a["identifier"]: a["id"] for a in report["accounts"]}
    assert ids[D] in chat["members"]
    with case.read() as session:
        vias = set(session.scalars(select(MembershipRow.via)))
    assert "device_roster_member" in vias


def test_a_stored_digest_links_the_attachment_to_the_exported_file(
    any_home: Home, case_name: str, tmp_path: Path
) -> None:
    case = any_home.create_case(case_name, timezone=ZONE_NAME)
    ingest_paths(case, [android_db(tmp_path / "phone")], captured_by="lab")
    with case.read() as session:
        (stored,) = session.scalars(
            select(AttachmentRow).where(AttachmentRow.stored_sha256.is_not(None))
        ).all()
        assert stored.media_id is None and stored.kind == "sticker"
        assert stored.stored_sha256 == STICKER_SHA
        assert base64.b64encode(bytes.fromhex(STICKER_SHA)).decode()  # WhatsApp's base64 form
    ingest_paths(case, [write_export(tmp_path / "export", group_plan())], captured_by="officer")
    report = build_report(case)
    (media,) = report["media"]
    assert media["sha256"] == STICKER_SHA
    assert media["occurrences"] == 1  # the export's and the database's posting are one message


@pytest.mark.parametrize("database", ["android", "ios"])
def test_an_export_and_a_database_of_one_group_are_one_chat(
    database: str, home: Home, tmp_path: Path
) -> None:
    case = home.create_case("merge", timezone=ZONE_NAME)
    db = android_db(tmp_path / "phone") if database == "android" else ios_db(tmp_path / "phone")
    ingest_paths(case, [write_export(tmp_path / "export", group_plan()), db], captured_by="lab")
    report = build_report(case)
    (chat,) = report["chats"]
    assert chat["messages"] == 11
    assert [s["format"] for s in chat["sources"]] == [
        "whatsapp-zip",
        f"whatsapp-{database}-db-file",
    ]
    assert chat["overlap"]["messages_in_several_sources"] == 11


def test_a_database_joins_an_export_that_starts_after_a_rename(home: Home, tmp_path: Path) -> None:
    # The export's window holds no subject event: it is keyed by its file name, "Pegatinas 2",
    # the database by the creation subject "Pegatinas"; a shared subject and members join them.
    late = replace(group_plan(), entries=group_plan().entries[-2:])
    case = home.create_case("late", timezone=ZONE_NAME)
    ingest_paths(case, [write_export(tmp_path / "export", late)], captured_by="officer")
    ingest_paths(case, [android_db(tmp_path / "phone")], captured_by="lab")
    report = build_report(case)
    (chat,) = report["chats"]
    assert chat["messages"] == 11 and len(chat["sources"]) == 2


def test_a_group_with_the_same_name_but_other_members_stays_apart(
    home: Home, tmp_path: Path
) -> None:
    stranger = "+34699000000"
    other = replace(
        group_plan(),
        entries=[replace(e, author=stranger) for e in group_plan().entries[-1:]],
        labels={stranger: "+34 699 00 00 00"},
    )
    case = home.create_case("apart", timezone=ZONE_NAME)
    ingest_paths(case, [write_export(tmp_path / "export", other)], captured_by="officer")
    ingest_paths(case, [android_db(tmp_path / "phone")], captured_by="lab")
    assert len(build_report(case)["chats"]) == 2


def test_a_phone_folder_is_one_source_and_its_wal_is_flagged(home: Home, tmp_path: Path) -> None:
    phone = tmp_path / "devices" / "android-phone"
    android_db(phone)
    (phone / "msgstore.db-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(60))
    ios_db(tmp_path / "devices" / "iphone")
    case = home.create_case("phones", timezone=ZONE_NAME)
    result = ingest_paths(case, [tmp_path / "devices"], captured_by="lab")
    assert result.sources_added == 2
    assert sorted(s["format"] for s in result.sources) == [
        "whatsapp-android-db-folder",
        "whatsapp-ios-db-folder",
    ]
    assert any("msgstore.db-wal kept as evidence but not read" in w for w in result.warnings)
    assert len(build_report(case)["chats"]) == 1  # one group, seen by both phones


def test_other_sqlite_files_in_an_exports_folder_are_left_alone(home: Home, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    write_export(folder, group_plan())
    with sqlite3.connect(folder / "cache.db") as db:
        db.execute("CREATE TABLE t (x)")
    case = home.create_case("mixed", timezone=ZONE_NAME)
    assert ingest_paths(case, [folder], captured_by="officer").sources_added == 1


def test_synth_phones_hold_the_groups_the_exports_hold(home: Home, synth_small: Path) -> None:
    exports = sorted((synth_small / "exports").iterdir())
    case = home.create_case("synth", timezone=ZONE_NAME)
    ingest_paths(case, exports, captured_by="officer")
    before = {c["id"]: c["messages"] for c in build_report(case)["chats"]}
    result = ingest_paths(case, [synth_small / "devices"], captured_by="lab")
    assert result.sources_added == 2
    report = build_report(case)
    after = {c["id"]: c for c in report["chats"]}
    assert set(after) == set(before)  # no new chat: each phone's group joined its export's
    merged = {c["title"]: c for c in after.values() if len(c["sources"]) > 1}
    assert set(merged) == {"Los Stickers del Barrio", "Stickers Privados"}
    # Android export and Android phone name everyone by number: every message folds.
    barrio = merged["Los Stickers del Barrio"]
    assert barrio["messages"] == before[barrio["id"]]
    assert barrio["overlap"]["messages_in_several_sources"] == barrio["messages"]
    # The iOS export shows some members by contact name, the iPhone's database by number:
    # their messages stay apart and each such member becomes a proposed link.
    kinds = {a["id"]: a["identifier_kind"] for a in report["accounts"]}
    proposals = report["person_proposals"]
    assert proposals
    assert all(sorted(kinds[k] for k in p["accounts"]) == ["name", "phone"] for p in proposals)
    stickers = [m for m in report["media"] if m["sticker_pack"]]
    assert stickers and all(m["sticker_pack"]["publisher"] for m in stickers)


def test_the_cli_refuses_a_cut_database_in_one_line_and_keeps_the_case(
    run_cli: Any, home: Home, tmp_path: Path
) -> None:
    good = android_db(tmp_path / "phone").read_bytes()
    cut = tmp_path / "cut" / "msgstore.db"
    cut.parent.mkdir()
    cut.write_bytes(good[: len(good) // 3])
    assert run_cli("case", "create", "seized", "--timezone", ZONE_NAME)[0] == 0
    code, _out, err = run_cli("ingest", "seized", str(cut), "--captured-by", "lab")
    assert code == 2
    assert err.startswith("error: msgstore.db:") and err.count("\n") == 1
    case = home.open_case("seized")
    assert build_report(case)["sources"] == []
    assert list(case.evidence.blobs()) == []
