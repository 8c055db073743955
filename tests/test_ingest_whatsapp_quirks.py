"""Real-world corner cases of WhatsApp exports (issue 14) and hostile-input bounds (issue 12)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from casegraph.ingest.records import ParsedChat
from casegraph.ingest.whatsapp import parse_whatsapp, parse_whatsapp_bulk
from casegraph.ingest.whatsapp_clock import sqlite_utc_text
from casegraph.ingest.whatsapp_patterns import LOCALES, classify_system, wording
from casegraph.model import ChatEvent, Message
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LRM, BOM, NNBSP = "\u200e", "\ufeff", "\u202f"


def parse(
    tmp_path: Path, text: str, tz: ZoneInfo = BERLIN, **options: str
) -> tuple[ParsedChat, list[Message | ChatEvent]]:
    path = tmp_path / "chat.txt"
    path.write_bytes(text.encode("utf-8"))
    parsed = parse_whatsapp(lambda: path.open("rb"), file_name="chat.txt", tz=tz, **options)
    return parsed, list(parsed.records)


def bulk_rows(tmp_path: Path, text: str, tz: ZoneInfo = BERLIN) -> tuple[ParsedChat, list]:  # type: ignore[type-arg]
    path = tmp_path / "bulk.txt"
    path.write_bytes(text.encode("utf-8"))
    parsed = parse_whatsapp_bulk(lambda: path.open("rb"), file_name="bulk.txt", tz=tz)
    return parsed, list(parsed.records)


def messages(records: list[Message | ChatEvent]) -> list[Message]:
    return [r for r in records if isinstance(r, Message)]


def events(records: list[Message | ChatEvent]) -> list[ChatEvent]:
    return [r for r in records if isinstance(r, ChatEvent)]


# ---- 1. BOMs inside the header -----------------------------------------------------------


def test_bom_inside_the_opening_bracket_starts_a_message(tmp_path: Path) -> None:
    text = f"[29.01.18, 12:20:03] Anna: hallo\n[{BOM}29.01.18, 12:24:03] Bob: eins\n"
    _, records = parse(tmp_path, text)
    assert [(m.author, m.text) for m in messages(records)] == [("Anna", "hallo"), ("Bob", "eins")]


def test_repeated_boms_before_the_bracket_start_a_message(tmp_path: Path) -> None:
    text = (
        f"{BOM}{BOM}[29.01.18, 12:20:03] Anna: hallo\n"
        f"{BOM}{BOM}{LRM}[29.01.18, 12:25:03] Cem: zwei\n"
    )
    _, records = parse(tmp_path, text)
    assert [(m.author, m.text) for m in messages(records)] == [("Anna", "hallo"), ("Cem", "zwei")]


def test_boms_inside_body_lines_stay_in_the_body(tmp_path: Path) -> None:
    text = f"[29.01.18, 12:26:03] Dora: mid{BOM}body\n{BOM}still body\n"
    _, records = parse(tmp_path, text)
    assert messages(records)[0].text == f"mid{BOM}body\n{BOM}still body"


# ---- 2. impossible 12-hour times -----------------------------------------------------------

TWELVE_HOUR = (
    f"[3/14/24, 11:58:00{NNBSP}PM] Dana Whitfield: almost midnight\n"
    f"[3/14/24, 23:59:00{NNBSP}PM] Theo Marsh: this phone wrote 24-hour time\n"
    f"[3/15/24, 00:04:00{NNBSP}AM] Dana Whitfield: and this one too\n"
    f"[3/15/24, 1:10:00{NNBSP}AM] Theo Marsh: back to normal\n"
)


def test_impossible_12_hour_times_are_read_as_24_hour_and_flagged(tmp_path: Path) -> None:
    parsed, records = parse(tmp_path, TWELVE_HOUR)
    found = messages(records)
    assert [m.author for m in found] == [
        "Dana Whitfield",
        "Theo Marsh",
        "Dana Whitfield",
        "Theo Marsh",
    ]
    assert found[1].sent_at == datetime(2024, 3, 14, 23, 59, tzinfo=BERLIN)
    assert found[2].sent_at == datetime(2024, 3, 15, 0, 4, tzinfo=BERLIN)
    assert [("impossible_12h_time" in m.flags) for m in found] == [False, True, True, False]
    assert parsed.provenance["impossible_12h_times"] == 2
    assert any("impossible 12-hour time" in w for w in parsed.warnings)


def test_impossible_12_hour_times_give_the_same_rows_in_bulk_mode(tmp_path: Path) -> None:
    _, records = parse(tmp_path, TWELVE_HOUR)
    _, rows = bulk_rows(tmp_path, TWELVE_HOUR)
    assert [row[1] for row in rows] == [sqlite_utc_text(m.sent_at) for m in messages(records)]
    assert [json.loads(row[9]) for row in rows] == [list(m.flags) for m in messages(records)]


def test_hours_beyond_24_stay_impossible_with_an_am_pm_token(tmp_path: Path) -> None:
    text = f"[3/14/24, 11:58:00{NNBSP}PM] Dana: a\n[3/14/24, 25:01:00{NNBSP}PM] Theo: b\n"
    _, records = parse(tmp_path, text)
    found = messages(records)
    assert len(found) == 1 and "header_like_line" in found[0].flags


# ---- 3. notices in the author slot -----------------------------------------------------------

BUSINESS_NOTICE = {
    "en": "This business uses a secure service from Meta to manage this chat. Tap to learn more.",
    "de": "Dieses Unternehmen nutzt einen sicheren Service von Meta, um diesen Chat zu verwalten. "
    "Tippe, um mehr zu erfahren.",
    "es": "Esta empresa usa un servicio seguro de Meta para administrar este chat. Toca para "
    "obtener más información.",
    "pt": "Esta empresa usa um serviço seguro da Meta para gerenciar esta conversa. Toque para "
    "saber mais.",
    "fr": "Cette entreprise utilise un service sécurisé de Meta pour gérer cette discussion. "
    "Appuyez pour en savoir plus.",
    "it": "Questa azienda usa un servizio sicuro di Meta per gestire questa chat. Tocca per "
    "saperne di più.",
}
ENCRYPTION_NOTICE = {
    "en": "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them. Tap to learn more.",
    "de": "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses "
    "Chats kann sie lesen oder anhören, nicht einmal WhatsApp. Tippe, um mehr zu erfahren.",
    "es": "Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este "
    "chat, ni siquiera WhatsApp, puede leerlos ni escucharlos.",
    "pt": "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta.",
    "fr": "Les messages et les appels sont chiffrés de bout en bout.",
    "it": "I messaggi e le chiamate sono crittografati end-to-end. Nessuno al di fuori di questa "
    "chat può leggerli.",
}


def test_every_locale_has_both_notices() -> None:
    assert sorted(BUSINESS_NOTICE) == sorted(LOCALES) == sorted(ENCRYPTION_NOTICE)


@pytest.mark.parametrize("locale", LOCALES)
def test_ios_business_notice_in_the_author_slot_is_an_event(tmp_path: Path, locale: str) -> None:
    text = (
        f"[13.03.24, 10:00:00] Tienda Norte: {LRM}{BUSINESS_NOTICE[locale]}\n"
        "[13.03.24, 10:01:00] Ana: hola\n"
    )
    parsed, records = parse(tmp_path, text)
    [notice] = events(records)
    assert (notice.type, notice.label, notice.details["locale"]) == (
        "business_notice",
        "Tienda Norte",
        locale,
    )
    assert [m.author for m in messages(records)] == ["Ana"]
    assert "Tienda Norte" not in parsed.accounts


@pytest.mark.parametrize("locale", LOCALES)
def test_android_business_notice_without_author_is_an_event(tmp_path: Path, locale: str) -> None:
    text = f"12/03/2024, 10:00 - {BUSINESS_NOTICE[locale]}\n12/03/2024, 10:01 - Ana: hola\n"
    _, records = parse(tmp_path, text, date_order="dmy")
    assert [e.type for e in events(records)] == ["business_notice"]


@pytest.mark.parametrize("locale", LOCALES)
def test_ios_encryption_notice_in_the_author_slot_is_an_event(tmp_path: Path, locale: str) -> None:
    text = f"[13.03.24, 10:00:00] Nachtschicht: {LRM}{ENCRYPTION_NOTICE[locale]}\n"
    _, records = parse(tmp_path, text)
    [notice] = events(records)
    assert (notice.type, notice.details["locale"]) == ("encryption_notice", locale)


@pytest.mark.parametrize(
    "notice",
    [
        # non-breaking hyphens, as iOS typesets them
        ENCRYPTION_NOTICE["de"].replace("Ende-zu-Ende", "Ende\u2011zu\u2011Ende"),
        # decomposed umlauts (u + U+0308)
        ENCRYPTION_NOTICE["de"].replace("ü", "u\u0308").replace("ß", "ss"),
        # no full stop after the first sentence
        "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt",
        "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Nur Personen in diesem Chat "
        "können sie lesen, anhören oder teilen. Mehr erfahren",
    ],
)
def test_german_ios_encryption_notice_forms_are_classified(tmp_path: Path, notice: str) -> None:
    text = f"[13.03.24, 10:00:00] Nachtschicht: {LRM}{notice}\n[13.03.24, 10:01:00] Ana: hallo\n"
    _, records = parse(tmp_path, text)
    assert [e.type for e in events(records)] == ["encryption_notice"]


# ---- 4. files mixing header formats -----------------------------------------------------------

# Two officers' exports pasted into one file: an iPhone in en-US (month first, 12-hour) and
# an Android phone in German (day first, dotted dates), then one more iPhone message.
MIXED = [
    f"[3/14/24, 9:00:00{NNBSP}AM] Dana Whitfield: morning",
    f"[3/14/24, 9:05:00{NNBSP}AM] Theo Marsh: hi",
    f"[3/14/24, 9:07:00{NNBSP}AM] Dana Whitfield: coffee?",
    f"[3/15/24, 6:30:00{NNBSP}PM] Theo Marsh: later",
    "15.03.24, 18:40 - Jonas Keller: hallo zusammen",
    "15.03.24, 18:41 - Mia Roth: Guten Abend",
    "16.03.24, 09:12 - Jonas Keller: Treffen um 10?",
    "16.03.24, 09:13 - Mia Roth: ok",
    f"[3/16/24, 10:00:00{NNBSP}AM] Dana Whitfield: see you there",
]


def test_concatenated_exports_in_two_header_formats_read_every_message(tmp_path: Path) -> None:
    parsed, records = parse(tmp_path, "\n".join(MIXED) + "\n")
    found = messages(records)
    assert len(found) == len(MIXED)
    assert found[4].sent_at == datetime(2024, 3, 15, 18, 40, tzinfo=BERLIN)
    assert found[6].sent_at == datetime(2024, 3, 16, 9, 12, tzinfo=BERLIN)
    assert [("mixed_header_format" in m.flags) for m in found] == [False] * 4 + [True] * 4 + [False]
    assert parsed.provenance["mixed_format_headers"] == 4
    assert parsed.provenance["header_like_lines"] == 0
    assert any("second header format" in w for w in parsed.warnings)


def test_each_header_format_gets_its_own_date_order(tmp_path: Path) -> None:
    # German lines: day first (dotted, day 15 and 16); iPhone lines: month first (3/14)
    parsed, records = parse(tmp_path, "\n".join(MIXED) + "\n")
    assert parsed.provenance["date_order"] == "mdy"
    [german] = parsed.provenance["date_orders_by_header_shape"]
    assert (german["date_separator"], german["date_order"]) == (".", "dmy")
    assert messages(records)[0].sent_at.date().isoformat() == "2024-03-14"


def test_one_line_of_another_format_in_time_order_is_its_own_message(tmp_path: Path) -> None:
    lines = [f"[13/05/2024, 21:{m:02d}:00] Ruth Kane: msg {m}" for m in range(6)]
    lines.insert(3, "13/05/2024, 21:02 - Oscar Pell: I never said that")
    _, records = parse(tmp_path, "\n".join(lines) + "\n")
    found = messages(records)
    assert [m.author for m in found][2:5] == ["Ruth Kane", "Oscar Pell", "Ruth Kane"]
    assert found[3].flags == ("mixed_header_format",)


def test_a_quoted_header_later_than_the_next_message_stays_in_the_body(tmp_path: Path) -> None:
    lines = [f"[13/05/2024, 21:{m:02d}:00] Ruth Kane: msg {m}" for m in range(6)]
    lines.insert(3, "14/05/2024, 08:00 - Oscar Pell: from the other group")
    _, records = parse(tmp_path, "\n".join(lines) + "\n")
    found = messages(records)
    assert len(found) == 6
    assert found[2].text.endswith("\n14/05/2024, 08:00 - Oscar Pell: from the other group")
    assert "header_like_line" in found[2].flags


def test_a_header_without_an_author_in_another_format_stays_in_the_body(tmp_path: Path) -> None:
    lines = [f"[13/05/2024, 21:{m:02d}:00] Ruth Kane: msg {m}" for m in range(6)]
    lines.insert(3, "13/05/2024, 21:02 - that was when it happened")
    _, records = parse(tmp_path, "\n".join(lines) + "\n")
    assert len(messages(records)) == 6


# ---- issue 12: impossible dates, years 0000 and 9999 --------------------------------------------


def test_a_first_line_with_an_impossible_date_is_warned_not_dropped_silently(
    tmp_path: Path,
) -> None:
    text = "31/02/24, 10:00 - Ana: lost?\n01/03/24, 10:00 - Bo: hola\n13/03/24, 10:00 - Ana: ok\n"
    parsed, records = parse(tmp_path, text)
    assert [m.text for m in messages(records)] == ["hola", "ok"]
    assert parsed.provenance["lines_before_first_header"] == 1
    assert any("before the first readable header" in w and "lost?" in w for w in parsed.warnings)


def test_year_0000_is_no_date_and_no_century_is_assumed(tmp_path: Path) -> None:
    text = (
        "13/03/2024 10:00 - Ana: hola\n14/03/0000 10:00 - Bo: when?\n15/03/2024 10:00 - Ana: ok\n"
    )
    parsed, records = parse(tmp_path, text)
    found = messages(records)
    assert [m.sent_at.year for m in found] == [2024, 2024]
    assert found[0].text == "hola\n14/03/0000 10:00 - Bo: when?"
    assert parsed.provenance["century_assumed"] is False


@pytest.mark.parametrize("bulk", [False, True])
def test_year_9999_west_of_utc_stays_body_text_instead_of_overflowing(
    tmp_path: Path, bulk: bool
) -> None:
    text = (
        "13/03/24, 10:00 - Ana: hola\n31/12/9999, 23:59 - Bo: the end\n14/03/24, 10:00 - Ana: ok\n"
    )
    if bulk:
        _, rows = bulk_rows(tmp_path, text, tz=NEW_YORK)
        assert [row[4] for row in rows] == ["hola\n31/12/9999, 23:59 - Bo: the end", "ok"]
    else:
        _, records = parse(tmp_path, text, tz=NEW_YORK)
        assert len(messages(records)) == 2


def test_year_9999_west_of_utc_ingests_with_a_flag_not_a_traceback(tmp_path: Path) -> None:
    export = tmp_path / "WhatsApp Chat with Owls.txt"
    export.write_text("13/03/24, 10:00 - Ana: hola\n31/12/9999, 23:59 - Bo: the end\n")
    case = Home(tmp_path / "home").create_case("op", timezone="America/New_York")
    result = ingest_paths(case, [export], captured_by="test")
    assert result.messages == 1
    assert any("header-shaped line" in w for w in result.warnings)


def test_telegram_year_9999_west_of_utc_is_flagged_not_a_traceback(tmp_path: Path) -> None:
    export = tmp_path / "result.json"
    records = [
        {"id": 1, "type": "message", "date": "2024-03-13T10:00:00", "from": "Ana",
         "from_id": "user1", "text": "hola"},
        {"id": 2, "type": "message", "date": "9999-12-31T23:59:59", "from": "Bo",
         "from_id": "user2", "text": "the end"},
    ]  # fmt: skip
    export.write_text(
        json.dumps({"name": "Owls", "type": "private_group", "id": 7, "messages": records})
    )
    case = Home(tmp_path / "home").create_case("op", timezone="America/New_York")
    result = ingest_paths(case, [export], captured_by="test")
    assert result.messages == 2
    assert any("date_unreadable" in w for w in result.warnings)


# ---- issue 12 finding 3: system-line matching in linear time -------------------------------------

MEGABYTE = 1 << 20


def _adversarial_lines(locale: str, size: int) -> list[str]:
    """Lines shaped like the start of every template of a locale, repeating its literal
    words so a backtracking matcher would try each split point (ending never matching)."""
    lines = []
    for template in wording().templates:
        if template.locale != locale or not template.slots:
            continue
        pieces = [p for p in template.literals if p] or ["x"]
        unit = "Bob" + "x".join(pieces[:-1] or pieces) + " zu x "
        head = template.literals[0] or "Bob"
        lines.append((head + unit * (size // len(unit) + 1))[:size])
    return lines


@pytest.mark.parametrize("locale", LOCALES)
def test_system_line_matching_is_linear_on_1_mb_adversarial_lines(locale: str) -> None:
    # a backtracking matcher took ~10 s per 64 KB here and ~45 min per MB: this test would
    # not finish on it; the linear matcher reads each line once per template
    lines = _adversarial_lines(locale, MEGABYTE)
    assert lines
    mixed = "Bob hat den Betreff von " + "x zu " * (MEGABYTE // 5)
    for line in [*lines, mixed]:
        match = classify_system(line)
        assert match is None or match.locale in LOCALES


def test_ten_64_kb_subject_lookalikes_parse_as_messages(tmp_path: Path) -> None:
    body = "Bob hat den Betreff von " + "„alt“ zu " * (64 * 1024 // 9)
    lines = [f"13/03/24, 10:{m:02d} - Bob: {body}" for m in range(10)]
    _, records = parse(tmp_path, "\n".join(lines) + "\n")
    found = messages(records)
    assert len(found) == 10 and all(m.text == body and m.kind == "text" for m in found)


def test_a_1_mb_line_of_attachment_lookalikes_parses_as_text(tmp_path: Path) -> None:
    body = "<Anhang: " + "a" * MEGABYTE + " " + "x <attached" * 1000
    _, records = parse(tmp_path, f"13/03/24, 10:00 - Bob: {body}\n")
    [message] = messages(records)
    assert (message.kind, message.attachment) == ("text", None)
