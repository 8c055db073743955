"""Signal: signal-export Markdown (chat.md) and sigtop JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from casegraph.errors import InputError
from casegraph.ingest.signal import parse_signal_markdown, parse_sigtop_json
from casegraph.model import ChatEvent, Message
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths

MADRID = ZoneInfo("Europe/Madrid")


def markdown(tmp_path: Path, text: str) -> tuple[object, list[Message | ChatEvent]]:
    path = tmp_path / "chat.md"
    path.write_text(text, encoding="utf-8")
    parsed = parse_signal_markdown(lambda: path.open("rb"), chat_name="Sunday", tz=MADRID)
    return parsed, list(parsed.records)


def test_markdown_lines_old_and_new_time_forms(tmp_path: Path) -> None:
    _, records = markdown(
        tmp_path,
        "[2022-11-08 20:17:41] Me: Anyone up for Sunday?  \n"
        "[2020-11-30, 09:12] Rui Costa: bom dia  \nsecond line  \n",
    )
    first, second = records
    assert isinstance(first, Message) and (first.author, first.text) == (
        None,
        "Anyone up for Sunday?",
    )
    assert first.sent_at == datetime(2022, 11, 8, 20, 17, 41, tzinfo=MADRID)
    assert isinstance(second, Message) and second.author == "Rui Costa"
    assert second.text == "bom dia  \nsecond line"


def test_markdown_deleted_attachment_and_call(tmp_path: Path) -> None:
    _, records = markdown(
        tmp_path,
        "[2022-11-08 20:17:41] Ana: (This message was deleted)  \n"
        "[2022-11-08 20:18:00] Ana: ![IMG 1.jpg](./media/IMG%201.jpg)  \n"
        "[2022-11-08 20:19:00] Ana: Missed voice call  \n",
    )
    kinds = [(r.kind, r.attachment) for r in records if isinstance(r, Message)]
    assert kinds == [("deleted", None), ("media", "media/IMG 1.jpg"), ("call", None)]


def test_markdown_that_is_not_signal_export_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"chat\.md"):
        markdown(tmp_path, "# My notes\n")


def test_sigtop_json_messages_and_group_changes() -> None:
    values = [
        {"conversationId": "c-1", "type": "incoming", "body": "hola", "sent_at": 1709832041000,
         "source": "+34600000123", "id": "m1"},
        {"conversationId": "c-1", "type": "outgoing", "body": "qué tal", "sent_at": 1709832100000},
        {"conversationId": "c-1", "type": "incoming", "body": "", "sent_at": 1709832200000,
         "sourceServiceId": "AAAA-BBBB", "attachments": [{"fileName": "photo.jpg"}]},
        {"conversationId": "c-1", "type": "group-v2-change", "sent_at": 1709832300000,
         "groupV2Change": {"from": "AAAA-BBBB",
                           "details": [{"type": "member-add", "uuid": "CCCC"}]}},
        {"conversationId": "c-2", "type": "keychange", "sent_at": 1709832400000},
    ]  # fmt: skip
    chats = parse_sigtop_json(json.dumps(values).encode(), file_name="messages.json", tz=MADRID)
    assert [c.chat.native_id for c in chats if c.chat] == ["c-1", "c-2"]
    records = list(chats[0].records)
    incoming, outgoing, media, change = records
    assert isinstance(incoming, Message) and incoming.author == "+34600000123"
    assert incoming.sent_at == datetime.fromtimestamp(1709832041, UTC)
    assert isinstance(outgoing, Message) and (outgoing.author, outgoing.author_label) == (
        None,
        "You",
    )
    assert isinstance(media, Message) and (media.author, media.attachment) == (
        "uuid:aaaa-bbbb",
        "photo.jpg",
    )
    assert isinstance(change, ChatEvent) and (change.type, change.targets) == (
        "added",
        ("uuid:cccc",),
    )
    (key,) = list(chats[1].records)
    assert isinstance(key, ChatEvent) and key.type == "security_code_changed"


@pytest.mark.parametrize("data", [b"[", b'{"a": 1}', b"[1]"])
def test_sigtop_garbage_is_a_clean_error(data: bytes) -> None:
    with pytest.raises(InputError, match=r"messages\.json"):
        parse_sigtop_json(data, file_name="messages.json", tz=MADRID)


def test_signal_export_folder_ingests(home: Home, tmp_path: Path) -> None:
    folder = tmp_path / "Sunday"
    (folder / "media").mkdir(parents=True)
    (folder / "chat.md").write_text(
        "[2022-11-08 20:17:41] Ana: look  \n[2022-11-08 20:18:00] Ana: ![a.jpg](./media/a.jpg)  \n"
    )
    (folder / "media" / "a.jpg").write_bytes(b"\xff\xd8benign")
    case = home.create_case("op", timezone="Europe/Madrid")
    result = ingest_paths(case, [folder], "officer")
    assert (result.messages, result.media) == (2, 1)
    assert not [w for w in result.warnings if "not in the export" in w]
