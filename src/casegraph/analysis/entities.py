"""Entities in message text: phone numbers, invite links, URLs, e-mail addresses, handles.

Each hit keeps the message it came from, so a conclusion built on it can be traced back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import phonenumbers

from casegraph.analysis.identity import normalise_phone
from casegraph.analysis.records import MessageRecord

WHATSAPP_INVITE = re.compile(r"(?:https?://)?chat\.whatsapp\.com/(?:invite/)?([A-Za-z0-9]{10,40})")
TELEGRAM_INVITE = re.compile(
    r"(?:https?://)?(?:t|telegram)\.me/(?:\+|joinchat/)([A-Za-z0-9_-]{8,40})"
)
URL = re.compile(r"\bhttps?://[^\s<>\"'()]+", re.IGNORECASE)
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}\b")
INTERNATIONAL_PHONE = re.compile(r"\+\d[\d \u00a0().\u2011-]{6,20}\d")
HANDLE = re.compile(r"(?<![\w@.])@([A-Za-z][A-Za-z0-9_]{3,31})\b")
TRAILING_PUNCTUATION = ".,;:!?)]}"


@dataclass(slots=True, frozen=True)
class Entity:
    kind: str  # phone | whatsapp_invite | telegram_invite | url | email | handle
    value: str  # normalised: E.164, canonical invite URL, lower-case e-mail, @handle
    raw: str = field(default="", compare=False)  # as written in the message


@dataclass(slots=True, frozen=True)
class EntityHit:
    entity: Entity
    message_id: int
    chat_id: int
    account_id: int | None


def canonical_whatsapp_invite(code: str) -> str:
    return f"https://chat.whatsapp.com/{code}"


def canonical_telegram_invite(code: str) -> str:
    return f"https://t.me/+{code}"


def could_hold_entities(text: str, default_region: str | None = None) -> bool:
    """False when no pattern can match: every URL has '/', every e-mail and handle '@', and
    every international number '+'; national numbers need digits and a region."""
    if "/" in text or "@" in text or "+" in text:
        return True
    return default_region is not None and any(ch.isdigit() for ch in text)


def extract(text: str, default_region: str | None = None) -> list[Entity]:
    """Every entity in one text, de-duplicated, in order of first appearance."""
    return scan(text, default_region) if could_hold_entities(text, default_region) else []


def scan(text: str, default_region: str | None = None) -> list[Entity]:
    """extract() without the quick check: every pattern run over the text."""
    found: list[Entity] = []
    invite_spans: list[tuple[int, int]] = []
    for match in WHATSAPP_INVITE.finditer(text):
        found.append(
            Entity("whatsapp_invite", canonical_whatsapp_invite(match.group(1)), match.group(0))
        )
        invite_spans.append(match.span())
    for match in TELEGRAM_INVITE.finditer(text):
        found.append(
            Entity("telegram_invite", canonical_telegram_invite(match.group(1)), match.group(0))
        )
        invite_spans.append(match.span())
    for match in URL.finditer(text):
        if not any(start <= match.start() < end for start, end in invite_spans):
            url = match.group(0).rstrip(TRAILING_PUNCTUATION)
            found.append(Entity("url", url, url))
    emails = list(EMAIL.finditer(text))
    for match in emails:
        found.append(Entity("email", match.group(0).lower(), match.group(0)))
    for match in HANDLE.finditer(text):
        found.append(Entity("handle", "@" + match.group(1), match.group(0)))
    found.extend(Entity("phone", e164, raw) for e164, raw in _phones(text, default_region))
    return list(dict.fromkeys(found))


def _phones(text: str, default_region: str | None) -> Iterator[tuple[str, str]]:
    """(E.164, as written) for each phone number in the text."""
    if not any(ch.isdigit() for ch in text):
        return
    # +country forms by pattern: phonenumbers' matcher skips legacy forms like Mexico's +52 1
    for match in INTERNATIONAL_PHONE.finditer(text):
        e164 = normalise_phone(match.group(0))
        if e164 is not None:
            yield e164, match.group(0)
    if default_region:
        for found in phonenumbers.PhoneNumberMatcher(
            text, default_region, phonenumbers.Leniency.VALID
        ):
            e164 = normalise_phone(found.raw_string, default_region)
            if e164 is not None:
                yield e164, found.raw_string


def extract_from_messages(
    messages: Iterable[MessageRecord], default_region: str | None = None
) -> list[EntityHit]:
    return [
        EntityHit(entity, m.id, m.chat_id, m.account_id)
        for m in messages
        if m.text and could_hold_entities(m.text, default_region)
        for entity in extract(m.text, default_region)
    ]
