"""Tip validation: what a member of the public may send, and how it is normalised."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casegraph.errors import InputError
from casegraph.intake.tips import (
    LIMITS,
    RECEIPT,
    new_receipt,
    normalise_invite_link,
    validate_tip,
)


def test_phone_numbers_are_normalised_to_e164_and_deduplicated() -> None:
    tip = validate_tip(
        {"platform": "whatsapp", "phones": "+34 600 000 101\n+34600000101; +52 1 55 5000 0101"}
    )
    assert tip.phones == ["+34600000101", "+525550000101"]


def test_numbers_without_country_code_are_set_aside_with_a_note() -> None:
    tip = validate_tip({"platform": "whatsapp", "group_name": "Pegatinas", "phones": "600000101"})
    assert tip.phones == []
    assert "600000101" in tip.notes[0]


def test_invite_link_typed_without_scheme_gets_its_canonical_form() -> None:
    tip = validate_tip({"platform": "whatsapp", "invite_link": "www.chat.whatsapp.com/AbCd123/"})
    assert tip.invite_link == "https://chat.whatsapp.com/AbCd123"


def test_a_link_to_another_site_is_refused_with_the_fix() -> None:
    with pytest.raises(InputError, match="is not a WhatsApp, Telegram or Signal group link"):
        validate_tip({"platform": "whatsapp", "invite_link": "https://example.org/group"})


def test_unknown_platform_is_refused() -> None:
    with pytest.raises(InputError, match="platform 'myspace' is not one of"):
        validate_tip({"platform": "myspace", "group_name": "x"})


def test_a_tip_must_name_the_group_somehow() -> None:
    with pytest.raises(InputError, match="names no group"):
        validate_tip({"platform": "telegram", "description": "I saw something"})


def test_oversized_fields_are_refused_with_the_limit() -> None:
    with pytest.raises(InputError, match=f"under {LIMITS['description']}"):
        validate_tip({"platform": "telegram", "group_name": "g", "description": "x" * 6000})


def test_link_of_another_platform_is_noted_not_refused() -> None:
    tip = validate_tip({"platform": "whatsapp", "invite_link": "https://t.me/joinchat/AAAA"})
    assert tip.notes == ["invite link is a telegram link, tip says whatsapp"]


def test_same_link_typed_two_ways_gives_the_same_dedupe_key() -> None:
    one = validate_tip({"platform": "whatsapp", "invite_link": "chat.whatsapp.com/Xy12"})
    two = validate_tip(
        {"platform": "whatsapp", "invite_link": "https://chat.whatsapp.com/Xy12", "contact": "a"}
    )
    assert one.dedupe_key == two.dedupe_key


def test_receipts_have_the_documented_shape() -> None:
    assert RECEIPT.match(new_receipt())


@given(
    code=st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        min_size=1,
        max_size=30,
    ),
    host=st.sampled_from(["chat.whatsapp.com", "t.me", "telegram.me"]),
    scheme=st.sampled_from(["", "http://", "https://", "https://www."]),
)
def test_normalising_an_invite_link_is_idempotent(code: str, host: str, scheme: str) -> None:
    once = normalise_invite_link(f"{scheme}{host}/{code}")
    assert once == f"https://{host}/{code}"
    assert normalise_invite_link(once) == once
