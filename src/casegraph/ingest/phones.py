"""Phone numbers as written in exports -> E.164, one subscriber one identifier.

Exports show numbers the way the exporting phone formats them ("+34 600 000 123",
"+1 (555) 010‑4477" with a non-ASCII hyphen, national forms without a country code). Legacy
forms that the numbering plan has since dropped are folded to the current one.
"""

from __future__ import annotations

import re

import phonenumbers

# Hyphens, spaces and bidi marks that phones and exports put around digits.
_SEPARATORS = str.maketrans(
    {
        **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"},
        **{c: " " for c in "\u00a0\u202f\u2007\u2009\u200a\u3000"},
        **{c: None for c in "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"},
    }
)
_PHONE_SHAPE = re.compile(r"^\+?[\d\s().\-/]{6,30}$")


def _clean(raw: str) -> str:
    return raw.translate(_SEPARATORS).strip()


def looks_like_phone(raw: str) -> bool:
    """True for strings made only of digits and phone punctuation, with at least 7 digits."""
    cleaned = _clean(raw)
    if not _PHONE_SHAPE.match(cleaned):
        return False
    return sum(ch.isdigit() for ch in cleaned) >= 7


def _fold_legacy(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    # Mexico dropped the mobile "1" after +52 in 2019; old exports still carry it.
    if number.country_code == 52:
        national = str(number.national_number)
        if len(national) == 11 and national.startswith("1"):
            number.national_number = int(national[1:])
    return number


def normalise_phone(
    raw: str, default_region: str | None = None, *, valid_only: bool = False
) -> str | None:
    """E.164 form of `raw`, or None when it is not a phone number.

    National forms (no leading +) need `default_region` (ISO 3166-1 alpha-2, the case's
    region); without it they are not treated as numbers. Senders in exports need only be
    possible numbers; `valid_only` asks the numbering plan too (for numbers found in free text,
    where digit runs that merely look like numbers abound).
    """
    if not looks_like_phone(raw):
        return None
    cleaned = _clean(raw)
    if not cleaned.startswith("+") and not default_region:
        return None
    try:
        number = phonenumbers.parse(cleaned, None if cleaned.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return None
    number = _fold_legacy(number)
    if not phonenumbers.is_possible_number(number):
        return None
    if valid_only and not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_country(e164: str) -> str | None:
    """ISO country of an E.164 number, None when the plan does not say (e.g. +1 fictional)."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "ZZ" else None
