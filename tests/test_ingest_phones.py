"""Phone numbers as exports show them -> E.164, legacy forms folded."""

from __future__ import annotations

import pytest

from casegraph.ingest.phones import looks_like_phone, normalise_phone, phone_country


@pytest.mark.parametrize(
    ("shown", "region", "e164"),
    [
        ("+34 600 000 123", None, "+34600000123"),
        ("600 000 123", "ES", "+34600000123"),
        ("+52 1 55 1234 5678", None, "+525512345678"),  # Mexico's former mobile 1 folded
        ("+52 55 1234 5678", None, "+525512345678"),
        ("+1 (555) 010\u20114477", None, "+15550104477"),  # non-ASCII hyphen
        ("+34\u00a0600\u202f000\u00a0123", None, "+34600000123"),
        ("\u202a+34 600 000 123\u202c", None, "+34600000123"),
        ("+54 9 11 8750 0474", None, "+5491187500474"),  # Argentina's 9 is current: kept
    ],
)
def test_numbers_normalise_to_e164(shown: str, region: str | None, e164: str) -> None:
    assert normalise_phone(shown, region) == e164


@pytest.mark.parametrize("shown", ["Ana Ruiz", "2024", "+34 600", "Room 101-202", ""])
def test_names_and_short_numbers_are_not_phones(shown: str) -> None:
    assert normalise_phone(shown, "ES") is None


def test_national_form_needs_a_default_region() -> None:
    assert looks_like_phone("600 000 123")
    assert normalise_phone("600 000 123") is None


def test_country_comes_from_the_numbering_plan() -> None:
    assert phone_country("+525512345678") == "MX"
    assert phone_country("+34600000123") == "ES"
