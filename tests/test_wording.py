"""Codes read as words: articles, language and platform names, times and plurals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casegraph.wording import (
    language_name,
    platform_name,
    plurals_in,
    readable_time,
    readable_times_in,
    with_article,
)


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("IT", "an IT"),
        ("ES", "an ES"),
        ("FR", "an FR"),
        ("MX", "an MX"),
        ("CO", "a CO"),
        ("US", "a US"),
        ("BR", "a BR"),
        ("GB", "a GB"),
    ],
)
def test_country_codes_take_the_article_of_their_spoken_letter(code: str, said: str) -> None:
    assert with_article(code) == said


def test_languages_are_named_and_unknown_codes_stay_codes() -> None:
    assert language_name("it") == "Italian"
    assert language_name("pt") == "Portuguese"
    assert language_name("zz") == "zz"


def test_platforms_are_spelt_as_they_spell_themselves() -> None:
    assert [platform_name(p) for p in ("whatsapp", "telegram", "signal")] == [
        "WhatsApp",
        "Telegram",
        "Signal",
    ]


def test_plurals_follow_the_number() -> None:
    text = "posted matched media 1 time(s) in 2 chat(s), 3 match(es), 1 match(es)"
    assert plurals_in(text) == "posted matched media 1 time in 2 chats, 3 matches, 1 match"


def test_times_in_text_are_shortened_to_minutes_with_their_offset() -> None:
    text = "first posted at 2024-03-04T09:09:31+01:00 and at 2024-03-05T10:00:00Z"
    assert (
        readable_times_in(text)
        == "first posted at 2024-03-04 09:09 +01:00 and at 2024-03-05 10:00 UTC"
    )


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15),
)
def test_an_iso_time_and_its_text_form_read_the_same(moment: datetime, minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    assert readable_times_in(aware.isoformat()) == readable_time(aware)
