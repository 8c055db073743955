"""Entity extraction from message text, each hit linked to its message."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from casegraph.analysis.entities import (
    Entity,
    could_hold_entities,
    extract,
    extract_from_messages,
    scan,
)
from casegraph.analysis.records import MessageRecord

INVITE_CODE = st.text(
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789", min_size=20, max_size=24
)
FILLER = st.text(st.sampled_from("abc xyz ¿?!¡ ,.\n"), max_size=40)


def test_whatsapp_and_telegram_invites_are_canonical() -> None:
    found = extract(
        "ven: chat.whatsapp.com/AbCdEfGhIjK123 o t.me/joinchat/XyZ123456789 "
        "o https://t.me/+QwErTy123456"
    )
    assert Entity("whatsapp_invite", "https://chat.whatsapp.com/AbCdEfGhIjK123") in found
    assert Entity("telegram_invite", "https://t.me/+XyZ123456789") in found
    assert Entity("telegram_invite", "https://t.me/+QwErTy123456") in found
    assert not any(e.kind == "url" for e in found)  # an invite is not counted again as a URL


def test_urls_emails_handles_and_phones() -> None:
    found = extract(
        "mira https://example.org/a). escribe a Faro@Example.org, @faro_norte "
        "o al +52 1 55 1234 0102"
    )
    assert Entity("url", "https://example.org/a") in found
    assert Entity("email", "faro@example.org") in found
    assert Entity("handle", "@faro_norte") in found
    assert Entity("phone", "+525512340102") in found
    assert Entity("handle", "@Example") not in found


def test_national_phone_numbers_need_a_region() -> None:
    assert not any(e.kind == "phone" for e in extract("llama al 600 000 101"))
    assert Entity("phone", "+34600000101") in extract("llama al 600 000 101", "ES")


def test_hits_keep_their_message_chat_and_author() -> None:
    message = MessageRecord(
        7,
        chat_id=3,
        account_id=5,
        sent_at=datetime(2024, 1, 1, tzinfo=UTC),
        text="https://chat.whatsapp.com/AbCdEfGhIjK123",
    )
    (hit,) = extract_from_messages([message])
    assert (hit.message_id, hit.chat_id, hit.account_id) == (7, 3, 5)


@given(before=FILLER, code=INVITE_CODE, after=FILLER)
def test_an_invite_link_is_found_wherever_it_stands(before: str, code: str, after: str) -> None:
    text = f"{before} https://chat.whatsapp.com/{code} {after}"
    assert Entity("whatsapp_invite", f"https://chat.whatsapp.com/{code}") in extract(text)


ENTITY_ALPHABET = st.sampled_from("abc.:/@+ 0123456789-_chatwsp.me")


@given(text=st.text(ENTITY_ALPHABET, max_size=60), region=st.sampled_from([None, "ES"]))
def test_texts_the_quick_check_rules_out_hold_no_entity(text: str, region: str | None) -> None:
    if not could_hold_entities(text, region):
        assert scan(text, region) == []
