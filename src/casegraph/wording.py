"""Words for codes, so reports and reasons read as sentences: "an IT number", "Italian",
"WhatsApp". Pure functions; every layer may use them.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

PLATFORMS = {"whatsapp": "WhatsApp", "telegram": "Telegram", "signal": "Signal", "other": "other"}
# Letters whose English name starts with a vowel sound: "an FR number", "a US number".
VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
COUNTED_PLURAL = re.compile(r"\b(\d+) (\w+)\((e?s)\)")
ISO_DATETIME = re.compile(
    r"\b(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?([+-]\d{2}:\d{2}|Z)?"
)


def with_article(code: str) -> str:
    """`code` read aloud with its article: "an IT", "a CO", "an MX", "a US"."""
    if not code:
        return code
    return f"an {code}" if code[0].upper() in VOWEL_SOUND_LETTERS else f"a {code}"


@cache
def language_name(code: str) -> str:
    """The English name of an ISO 639-1 code ("it" -> "Italian"); the code when unknown."""
    from lingua import IsoCode639_1, Language

    try:
        language = Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
    except (ValueError, AttributeError):
        return code
    return str(language.name).capitalize()


def platform_name(platform: str) -> str:
    """How the platform spells itself: "WhatsApp", "Telegram", "Signal"."""
    return PLATFORMS.get(platform, platform)


def readable_time(value: datetime | str | None) -> str:
    """ "2024-03-04 09:09 +01:00": minutes are enough to read, the offset keeps it exact."""
    if value is None or value == "":
        return "—"
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    offset = moment.strftime("%z")
    shown = f" {offset[:3]}:{offset[3:]}" if offset else ""
    return moment.strftime("%Y-%m-%d %H:%M") + shown


def readable_times_in(text: str) -> str:
    """`text` with every ISO 8601 time in it written as `readable_time` writes it."""

    def shorten(match: re.Match[str]) -> str:
        day, minutes, offset = match.groups()
        zone = "" if offset is None else (" UTC" if offset == "Z" else f" {offset}")
        return f"{day} {minutes}{zone}"

    return ISO_DATETIME.sub(shorten, text)


def plurals_in(text: str) -> str:
    """ "1 chat(s)" -> "1 chat", "3 time(s)" -> "3 times", "2 match(es)" -> "2 matches"."""

    def settle(match: re.Match[str]) -> str:
        number, word, ending = match.groups()
        return f"{number} {word}" if number == "1" else f"{number} {word}{ending}"

    return COUNTED_PLURAL.sub(settle, text)
