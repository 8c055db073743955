"""Telegram Desktop JSON: both export shapes, service actions, media and schema drift."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from casegraph.errors import InputError
from casegraph.ingest.telegram import parse_telegram
from casegraph.model import ChatEvent, Message
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import AttachmentRow, ChatRow

MADRID = ZoneInfo("Europe/Madrid")


def chat(messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": "Sticker Swap", "type": "private_supergroup", "id": 1700000001,
            "messages": messages, **extra}  # fmt: skip


def msg(i: int, **fields: Any) -> dict[str, Any]:
    base = {"id": i, "type": "message", "date": "2024-04-05T19:22:10",
            "date_unixtime": str(1712337730 + i), "from": "Ines Calvo", "from_id": "user5550123",
            "text": ""}  # fmt: skip
    base.update(fields)
    return base


def service(i: int, action: str, **fields: Any) -> dict[str, Any]:
    return {"id": i, "type": "service", "date": "2024-04-05T19:00:00",
            "date_unixtime": str(1712336400 + i), "actor": "Ines Calvo",
            "actor_id": "user5550123", "action": action, "text": "", **fields}  # fmt: skip


def parse(document: dict[str, Any]) -> list[tuple[Any, list[Message | ChatEvent]]]:
    chats = parse_telegram(json.dumps(document).encode(), file_name="result.json", tz=MADRID)
    return [(c, list(c.records)) for c in chats]


def test_single_chat_export_with_text_string_and_entity_list() -> None:
    [(parsed, records)] = parse(chat([
        msg(1, text="plain run"),
        msg(2, text=["Court 3 at seven, map: ", {"type": "link", "text": "https://example.org/m"}],
            reply_to_message_id=1),
    ]))  # fmt: skip
    first, second = records
    assert isinstance(first, Message) and first.text == "plain run"
    assert isinstance(second, Message)
    assert second.text == "Court 3 at seven, map: https://example.org/m"
    assert (second.native_id, second.reply_to, second.author) == ("2", "1", "user5550123")
    assert second.sent_at == datetime.fromtimestamp(1712337732, UTC)
    assert parsed.chat.native_id == "1700000001" and parsed.chat.kind == "private_supergroup"
    assert parsed.accounts["user5550123"].names == ["Ines Calvo"]


def test_full_export_shape_yields_every_chat() -> None:
    document = {"about": "x", "personal_information": {}, "chats": {"about": "y", "list": [
        chat([msg(1, text="a")]), chat([msg(1, text="b")], id=1700000002, name="Other")]},
        "left_chats": {"list": [chat([msg(1, text="c")], id=1700000003, name="Left")]}}  # fmt: skip
    titles = [c.chat.title for c, _ in parse(document)]
    assert titles == ["Sticker Swap", "Other", "Left"]


@pytest.mark.parametrize(
    ("action", "fields", "kind"),
    [
        (
            "create_group",
            {"title": "Sticker Swap", "members": ["Ines Calvo", "Pau Riba"]},
            "created",
        ),
        ("invite_members", {"members": ["Pau Riba"]}, "added"),
        ("remove_members", {"members": ["Pau Riba"]}, "removed"),
        ("join_group_by_link", {"inviter": "Ines Calvo"}, "joined_via_link"),
        ("edit_group_title", {"title": "New Name"}, "subject_changed"),
        ("edit_group_photo", {"photo": "photos/photo_1.jpg"}, "icon_changed"),
        ("migrate_to_supergroup", {}, "migrated"),
        ("migrate_from_group", {"title": "Old group"}, "migrated"),
        ("pin_message", {"message_id": 3}, "pinned"),
        ("phone_call", {"duration_seconds": 5, "discard_reason": "hangup"}, "call"),
        ("set_messages_ttl", {"period": 86400}, "disappearing_messages"),
        ("some_future_action", {}, "unclassified"),
    ],
)
def test_service_actions_become_events(action: str, fields: dict[str, Any], kind: str) -> None:
    [(_, records)] = parse(chat([msg(1, from_="x"), service(2, action, **fields)]))
    event = records[1]
    assert isinstance(event, ChatEvent)
    assert (event.type, event.actor, event.details["action"]) == (kind, "user5550123", action)


def test_member_names_resolve_to_ids_seen_elsewhere_in_the_chat() -> None:
    [(parsed, records)] = parse(chat([
        service(1, "invite_members", members=["Pau Riba", "Nadie Conocido"]),
        msg(2, **{"from": "Pau Riba", "from_id": "user777"}, text="hola"),
    ]))  # fmt: skip
    event = records[0]
    assert isinstance(event, ChatEvent)
    assert event.targets == ("user777", "Nadie Conocido")
    assert event.details["targets_resolved_by_name"] is True
    assert parsed.accounts["Nadie Conocido"].identifier_kind == "name"


def test_member_removing_themself_is_a_leave() -> None:
    [(_, records)] = parse(chat([service(1, "remove_members", members=["Ines Calvo"])]))
    assert isinstance(records[0], ChatEvent) and records[0].type == "left"


@pytest.mark.parametrize(
    ("fields", "kind", "flag"),
    [
        ({"photo": "photos/photo_1@05-04-2024_19-22-10.jpg", "width": 8}, "media", None),
        ({"file": "stickers/sticker.webp", "media_type": "sticker", "sticker_emoji": "😀"}, "media",
         "sticker_emoji:😀"),
        ({"file": "animations/a.mp4", "media_type": "animation"}, "media", "media_type:animation"),
        ({"file": "video_files/v.mp4", "media_type": "video_file"}, "media",
         "media_type:video_file"),
        ({"file": "voice_messages/audio_1@05-04-2024_19-22-10.ogg", "media_type": "voice_message"},
         "media", "media_type:voice_message"),
        ({"file": "(File not included. Change data exporting settings to download.)",
          "media_type": "video_file"}, "media", "not_exported:file not included"),
        ({"photo": "(File exceeds maximum size. Change data exporting settings to download.)"},
         "media", "not_exported:file exceeds maximum size"),
        ({"contact_information": {"first_name": "A", "phone_number": "+34600000000"}}, "contact",
         None),
        ({"location_information": {"latitude": 1.0, "longitude": 2.0}}, "location", None),
        ({"poll": {"question": "q", "answers": []}}, "poll", None),
    ],
)  # fmt: skip
def test_media_types_and_placeholders(fields: dict[str, Any], kind: str, flag: str | None) -> None:
    [(_, records)] = parse(chat([msg(1, **fields)]))
    message = records[0]
    assert isinstance(message, Message) and message.kind == kind
    if flag:
        assert flag in message.flags


def test_old_export_without_unixtime_entities_and_with_numeric_ids() -> None:
    old = {"id": 1, "type": "message", "date": "2020-11-30T09:12:00", "from": "Rui Costa",
           "from_id": 4401, "text": "bom dia"}  # fmt: skip
    anonymous = {"id": 2, "type": "message", "date": "2020-11-30T09:13:00", "from": None,
                 "from_id": None, "text": "?"}  # fmt: skip
    [(parsed, records)] = parse(chat([old, anonymous]))
    first, second = records
    assert isinstance(first, Message) and first.author == "user4401"
    assert first.sent_at == datetime(2020, 11, 30, 9, 12, tzinfo=MADRID)
    assert isinstance(second, Message) and second.author is None
    assert parsed.provenance["tz_assumed_records"] == 2
    assert parsed.warnings


def test_records_need_nothing_but_id_and_type() -> None:
    [(_, records)] = parse(chat([{"id": 1, "type": "message"}, {"id": 2, "type": "service"},
                                 {"id": 3, "type": "unsupported"}]))  # fmt: skip
    assert [type(r).__name__ for r in records] == ["Message", "ChatEvent"]


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b'{"name": "x"}'])
def test_not_an_export_is_a_clean_error(data: bytes) -> None:
    with pytest.raises(InputError, match=r"result\.json"):
        parse_telegram(data, file_name="result.json", tz=MADRID)


def test_export_folder_ingests_with_media_joined(home: Home, tmp_path: Path) -> None:
    folder = tmp_path / "ChatExport_2024-04-11"
    (folder / "photos").mkdir(parents=True)
    (folder / "photos" / "photo_1@05-04-2024_19-22-10.jpg").write_bytes(b"\xff\xd8benign")
    document = chat([
        service(1, "create_group", title="Swap", members=["Ines Calvo"]),
        service(2, "edit_group_title", title="Sticker Swap"),
        msg(3, photo="photos/photo_1@05-04-2024_19-22-10.jpg"),
        msg(4, file="(File not included. Change data exporting settings to download.)",
            media_type="sticker"),
    ])  # fmt: skip
    (folder / "result.json").write_text(json.dumps(document))
    case = home.create_case("op", timezone="Europe/Madrid")
    result = ingest_paths(case, [folder], "officer")
    with case.read() as session:
        row = session.scalars(select(ChatRow)).one()
        attachments = session.scalars(select(AttachmentRow).order_by(AttachmentRow.id)).all()
    assert (result.messages, result.events, result.media) == (2, 2, 1)
    assert (row.title, row.aliases, row.kind) == ("Sticker Swap", ["Swap"], "private_supergroup")
    assert attachments[0].member_path == "photos/photo_1@05-04-2024_19-22-10.jpg"
    assert (attachments[1].member_path, attachments[1].missing_reason) == (
        None,
        "file not included",
    )
    assert row.created_at is not None
