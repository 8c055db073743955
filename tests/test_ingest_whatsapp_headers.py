"""WhatsApp header grammar: every variant of the reference, date order, invisible characters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from casegraph.errors import InputError
from casegraph.ingest.records import ParsedChat
from casegraph.ingest.whatsapp import parse_whatsapp
from casegraph.model import ChatEvent, Message

MADRID = ZoneInfo("Europe/Madrid")
NBSP, NNBSP, LRM, BOM = "\u00a0", "\u202f", "\u200e", "\ufeff"


def parse(
    tmp_path: Path, text: str, **options: str
) -> tuple[ParsedChat, list[Message | ChatEvent]]:
    path = tmp_path / "chat.txt"
    path.write_bytes(text.encode("utf-8"))
    parsed = parse_whatsapp(lambda: path.open("rb"), file_name="chat.txt", tz=MADRID, **options)
    return parsed, list(parsed.records)


def messages(records: list[Message | ChatEvent]) -> list[Message]:
    return [r for r in records if isinstance(r, Message)]


# One row per variant of chat-formats.md §1.1: (line, expected local time, author, body).
VARIANTS = [
    ("3/14/19, 17:05 - Dana Whitfield: running ten minutes late",
     datetime(2019, 3, 14, 17, 5), "Dana Whitfield", "running ten minutes late"),
    (f"11/2/22, 9:47{NNBSP}PM - Theo Marsh: see you at the gate",
     datetime(2022, 11, 2, 21, 47), "Theo Marsh", "see you at the gate"),
    ("07/05/24, 08:15 - Tía Rosa: Buenos días a todos",
     datetime(2024, 5, 7, 8, 15), "Tía Rosa", "Buenos días a todos"),
    ("03.09.22, 19:02 - Jonas Keller: hallo zusammen",
     datetime(2022, 9, 3, 19, 2), "Jonas Keller", "hallo zusammen"),
    (f"04/10/21 6:12 p.{NBSP}m. - +34 600 000 123: Ya estoy en la puerta",
     datetime(2021, 10, 4, 18, 12), "+34600000123", "Ya estoy en la puerta"),
    ("18/07/2023 21:40 - Caio Lima: chegando",
     datetime(2023, 7, 18, 21, 40), "Caio Lima", "chegando"),
    ("2023/05/17, 11:20 pm - Mei Tan: on my way",
     datetime(2023, 5, 17, 23, 20), "Mei Tan", "on my way"),
    ("2021/03/09, 22:10. - Ken Ito: ok", datetime(2021, 3, 9, 22, 10), "Ken Ito", "ok"),
    ("05/06/2019 à 20:14 - Lucie Blanc: On se voit demain",
     datetime(2019, 6, 5, 20, 14), "Lucie Blanc", "On se voit demain"),
    ("4.2.2019 klo 18.05.33 - Aino Virta: selvä",
     datetime(2019, 2, 4, 18, 5, 33), "Aino Virta", "selvä"),
    ("21. 10. 23. 07:31 - Ivan Horvat: Dobro jutro",
     datetime(2023, 10, 21, 7, 31), "Ivan Horvat", "Dobro jutro"),
    ("[6/3/20, 18:41:09] Priya Nair: morning all",
     datetime(2020, 6, 3, 18, 41, 9), "Priya Nair", "morning all"),
    ("[12.01.22, 16:20:44] Lukas Brandt: Moin",
     datetime(2022, 1, 12, 16, 20, 44), "Lukas Brandt", "Moin"),
    (f"[21/09/2025, 11:14:02{NNBSP}AM] Nora Quint: hi",
     datetime(2025, 9, 21, 11, 14, 2), "Nora Quint", "hi"),
    ("[15/03/2023 17:55:18] Sam Okafor: here",
     datetime(2023, 3, 15, 17, 55, 18), "Sam Okafor", "here"),
    ("[11/04/21 10:03:27 p.m.] Lola Vidal: ¿Quién trae la llave?",
     datetime(2021, 4, 11, 22, 3, 27), "Lola Vidal", "¿Quién trae la llave?"),
    (f"{LRM}[2/9/19 1:40:12 p. m.] Bea Soto: vale",
     datetime(2019, 9, 2, 13, 40, 12), "Bea Soto", "vale"),
    (f"{BOM}[17.08.22, 09:12:45] Mia Roth: Guten Morgen",
     datetime(2022, 8, 17, 9, 12, 45), "Mia Roth", "Guten Morgen"),
]  # fmt: skip
# Date order for rows whose only line leaves day and month ambiguous.
ORDER_HINT = {
    1: "mdy", 2: "dmy", 3: "dmy", 4: "dmy", 8: "dmy", 9: "dmy", 11: "mdy", 12: "dmy", 15: "dmy",
    16: "dmy",
}  # fmt: skip


@pytest.mark.parametrize("index", range(len(VARIANTS)))
def test_every_reference_header_variant_parses(tmp_path: Path, index: int) -> None:
    line, local, author, body = VARIANTS[index]
    options = {"date_order": ORDER_HINT[index]} if index in ORDER_HINT else {}
    _, records = parse(tmp_path, line + "\n", **options)
    (message,) = messages(records)
    assert message.sent_at == local.replace(tzinfo=MADRID)
    assert message.author == author
    assert message.text == body


def test_day_above_twelve_in_first_field_means_day_first(tmp_path: Path) -> None:
    parsed, records = parse(tmp_path, "01/02/24, 10:00 - Ana: a\n25/02/24, 10:00 - Ana: b\n")
    assert parsed.provenance["date_order"] == "dmy"
    assert parsed.provenance["date_order_confidence"] == 1.0
    assert messages(records)[0].sent_at.month == 2


def test_day_above_twelve_in_second_field_means_month_first(tmp_path: Path) -> None:
    parsed, records = parse(tmp_path, "1/2/24, 10:00 - Ana: a\n1/25/24, 10:00 - Ana: b\n")
    assert parsed.provenance["date_order"] == "mdy"
    assert messages(records)[0].sent_at.month == 1


def test_day_order_inferred_from_which_field_changes_most(tmp_path: Path) -> None:
    lines = [f"{day:02d}/03/24, 10:00 - Ana: day {day}" for day in range(1, 10)]
    lines.append("01/04/24, 10:00 - Ana: next month")
    parsed, records = parse(tmp_path, "\n".join(lines) + "\n")
    assert parsed.provenance["date_order"] == "dmy"
    assert 0.5 < parsed.provenance["date_order_confidence"] < 1.0
    assert messages(records)[-1].sent_at.date().isoformat() == "2024-04-01"


def test_ambiguous_file_fails_naming_the_override(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--date-order"):
        parse(tmp_path, "01/02/24, 10:00 - Ana: a\n01/02/24, 11:00 - Ana: b\n")


def test_date_order_override_wins(tmp_path: Path) -> None:
    parsed, records = parse(tmp_path, "01/02/24, 10:00 - Ana: a\n", date_order="mdy")
    assert parsed.provenance["date_order"] == "mdy"
    assert messages(records)[0].sent_at.month == 1


def test_unknown_override_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dmy, mdy or ymd"):
        parse(tmp_path, "01/02/24, 10:00 - Ana: a\n", date_order="dym")


def test_headers_disagreeing_on_order_fail(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="disagree"):
        parse(tmp_path, "25/02/24, 10:00 - Ana: a\n02/25/24, 10:00 - Ana: b\n")


def test_a_file_without_headers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"chat\.txt: no WhatsApp message header"):
        parse(tmp_path, "just some notes\n")


def test_two_digit_years_are_recorded_as_assumed_century(tmp_path: Path) -> None:
    parsed, records = parse(tmp_path, "25/02/24, 10:00 - Ana: a\n")
    assert parsed.provenance["century_assumed"] is True
    assert messages(records)[0].sent_at.year == 2024


def test_twelve_am_is_midnight_and_twelve_pm_is_noon(tmp_path: Path) -> None:
    text = f"[25/02/24 12:05:00 a.{NBSP}m.] Ana: midnight\n[25/02/24 12:05:00 p. m.] Ana: noon\n"
    _, records = parse(tmp_path, text)
    assert [m.sent_at.hour for m in messages(records)] == [0, 12]


def test_times_are_aware_in_the_case_zone_across_dst(tmp_path: Path) -> None:
    _, records = parse(tmp_path, "25/03/24, 10:00 - Ana: summer\n25/01/24, 10:00 - Ana: winter\n")
    offsets = [m.sent_at.utcoffset().total_seconds() / 3600 for m in messages(records)]  # type: ignore[union-attr]
    assert offsets == [1.0, 1.0] or offsets == [2.0, 1.0]
    assert messages(records)[0].sent_at.isoformat().endswith("+01:00")


def test_bom_at_every_line_start_is_handled(tmp_path: Path) -> None:
    text = (
        f"{BOM}[17.08.22, 09:12:45] Mia Roth: Guten Morgen\n{BOM}[17.08.22, 09:13:00] Jan: Hallo\n"
    )
    _, records = parse(tmp_path, text)
    assert [(m.author, m.text) for m in messages(records)] == [
        ("Mia Roth", "Guten Morgen"),
        ("Jan", "Hallo"),
    ]


def test_crlf_never_leaves_carriage_returns_in_bodies(tmp_path: Path) -> None:
    parsed, records = parse(
        tmp_path, "25/02/24, 10:00 - Ana: one\r\ntwo\r\n25/02/24, 10:01 - Bo: x\r\n"
    )
    assert messages(records)[0].text == "one\ntwo"
    assert parsed.provenance["line_ending"] == "crlf"


def test_invisible_characters_in_bodies_are_preserved(tmp_path: Path) -> None:
    body = f"{LRM}hola{NNBSP}a todos 👨\u200d👩\u200d👧 ü"
    _, records = parse(tmp_path, f"25/02/24, 10:00 - Ana: {body}\n")
    assert messages(records)[0].text == body


def test_multiline_message_keeps_blank_lines(tmp_path: Path) -> None:
    text = "12/03/2018, 07:45 - +1 (555) 010-2233: Are we still on?\n\nReply before noon\n"
    _, records = parse(tmp_path, text, date_order="dmy")
    (message,) = messages(records)
    assert message.text == "Are we still on?\n\nReply before noon"
    assert message.author == "+15550102233"


def test_empty_and_view_once_messages_are_kept(tmp_path: Path) -> None:
    text = "[2/1/21, 23:14:09] Ola Berg:\n13/01/21, 10:00 - Ana:.\n25/01/21, 10:00 - Bo: null\n"
    _, records = parse(tmp_path, text.replace("[2/1/21", "[13/01/21"))
    kinds = [(m.author, m.kind) for m in messages(records)]
    assert kinds == [("Ola Berg", "view_once"), ("Ana", "view_once"), ("Bo", "view_once")]


def test_header_shaped_line_of_another_format_stays_in_the_body(tmp_path: Path) -> None:
    # quoted: one line of another format, older than the message it sits in
    lines = [f"[13/05/2024, 21:{m:02d}:00] Ruth Kane: msg {m}" for m in range(10)]
    lines.insert(3, "13/05/2024, 20:15 - Oscar Pell: I never said that")
    parsed, records = parse(tmp_path, "\n".join(lines) + "\n")
    found = messages(records)
    assert len(found) == 10
    assert found[2].text == "msg 2\n13/05/2024, 20:15 - Oscar Pell: I never said that"
    assert "header_like_line" in found[2].flags
    assert parsed.provenance["header_like_lines"] == 1
    assert "Oscar Pell" not in parsed.accounts


def test_out_of_order_lines_keep_file_order_and_their_own_times(tmp_path: Path) -> None:
    text = (
        "[13/05/2024, 21:10:44] Ruth Kane: forwarding what he sent:\n"
        "[13/05/2024, 21:02:13] Oscar Pell: I never said that\n"
        "[13/05/2024, 21:11:00] Ruth Kane: see?\n"
    )
    _, records = parse(tmp_path, text)
    found = messages(records)
    assert [m.seq for m in found] == [1, 2, 3]
    assert found[1].sent_at.minute == 2
    assert set(found[1].flags) == {"out_of_order", "suspect_header"}


def test_deleted_omitted_location_and_edited_bodies(tmp_path: Path) -> None:
    text = (
        "25/02/24, 10:00 - Ana: This message was deleted\n"
        "25/02/24, 10:01 - Ana: <Multimedia omitido>\n"
        f"25/02/24, 10:02 - Ana: {LRM}imagen omitida\n"
        "25/02/24, 10:03 - Ana: <Medien ausgeschlossen>\n"
        "25/02/24, 10:04 - Ana: location: https://maps.google.com/?q=40.4,-3.7\n"
        "25/02/24, 10:05 - Ana: fixed it <This message was edited>\n"
        "25/02/24, 10:06 - Ana: Se eliminó este mensaje.\n"
    )
    _, records = parse(tmp_path, text)
    found = messages(records)
    assert [m.kind for m in found] == [
        "deleted", "media_omitted", "media_omitted", "media_omitted", "location", "text", "deleted"
    ]  # fmt: skip
    assert "edited" in found[5].flags


def test_coverage_window_and_counts(tmp_path: Path) -> None:
    text = "25/02/24, 10:00 - Ana: a\n25/02/24, 10:01 - Ana left\n26/02/24, 09:00 - Bo: b\n"
    parsed, _ = parse(tmp_path, text)
    assert (parsed.messages, parsed.events) == (2, 1)
    assert parsed.first_at == datetime(2024, 2, 25, 10, 0, tzinfo=MADRID)
    assert parsed.last_at == datetime(2024, 2, 26, 9, 0, tzinfo=MADRID)


def test_byte_offsets_and_line_numbers_point_at_the_header(tmp_path: Path) -> None:
    text = "25/02/24, 10:00 - Ána: a\nmore\n25/02/24, 10:01 - Bo: b\n"
    path = tmp_path / "chat.txt"
    _, records = parse(tmp_path, text)
    second = messages(records)[1]
    raw = path.read_bytes()
    assert second.line == 3
    assert raw[second.byte_offset :].startswith(b"25/02/24, 10:01 - Bo")
