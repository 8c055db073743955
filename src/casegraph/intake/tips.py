"""Public tips: validation of what a member of the public typed, and the record kept of it.

Validation is strict about size and shape (it faces the internet) and lenient about content:
phone numbers that do not parse are kept out of the identifiers but stay in the description.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from casegraph.errors import InputError
from casegraph.ingest.phones import normalise_phone

PLATFORMS = ("whatsapp", "telegram", "signal", "other")
STATUSES = ("new", "linked", "case_opened", "no_action", "duplicate")
LIMITS = {
    "group_name": 200,
    "invite_link": 500,
    "phones": 2000,
    "description": 5000,
    "contact": 300,
}
MAX_PHONES = 20
_RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on a phone
RECEIPT = re.compile(r"^TIP-[A-Z2-9]{4}-[A-Z2-9]{4}$")
_INVITE_HOSTS = {
    "chat.whatsapp.com": "whatsapp",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "signal.group": "signal",
}
INVITE_IN_TEXT = re.compile(
    r"(?:https?://)?(?:chat\.whatsapp\.com|t\.me|telegram\.me|signal\.group)/[^\s<>\"')]+",
    re.IGNORECASE,
)
_PHONE_SPLIT = re.compile(r"[,;\n]+")


@dataclass(slots=True)
class TipInput:
    """A validated tip, identifiers normalised; `notes` says what was set aside and why."""

    platform: str
    group_name: str = ""
    invite_link: str = ""
    phones: list[str] = field(default_factory=list)
    description: str = ""
    contact: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def dedupe_key(self) -> str:
        """Same group reported twice -> same key: the invite link, else name and numbers."""
        if self.invite_link:
            basis = f"link|{self.invite_link}"
        else:
            basis = f"group|{self.platform}|{self.group_name.casefold()}|{','.join(self.phones)}"
        return hashlib.sha256(basis.encode()).hexdigest()


def new_receipt() -> str:
    chars = "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(8))
    return f"TIP-{chars[:4]}-{chars[4:]}"


def normalise_invite_link(raw: str) -> str:
    """Canonical `https://host/code` form so the same link typed two ways compares equal."""
    text = raw.strip()
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host not in _INVITE_HOSTS:
        raise InputError(
            f"invite link {raw[:80]!r} is not a WhatsApp, Telegram or Signal group link; "
            "paste the link as the app shows it (e.g. https://chat.whatsapp.com/...)"
        )
    path = parts.path.strip("/")
    if host == "signal.group":  # Signal keeps the group secret in the fragment
        path = parts.fragment or path
    if not path:
        raise InputError(f"invite link {raw[:80]!r} has no group code; paste the whole link")
    return f"https://{host}/{path}"


def platform_of_link(link: str) -> str | None:
    host = (urlsplit(link).hostname or "").lower().removeprefix("www.")
    return _INVITE_HOSTS.get(host)


def _text(fields: dict[str, object], name: str) -> str:
    value = fields.get(name, "")
    if value is None:
        return ""
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value)
    text = str(value).replace("\x00", "").strip()
    if len(text) > LIMITS[name]:
        raise InputError(f"{name} is {len(text)} characters long; keep it under {LIMITS[name]}")
    return text


def validate_tip(fields: dict[str, object], default_region: str | None = None) -> TipInput:
    """Check and normalise a submitted tip; InputError names the field and the fix."""
    platform = str(fields.get("platform") or "").strip().lower()
    if platform not in PLATFORMS:
        raise InputError(f"platform {platform!r} is not one of {', '.join(PLATFORMS)}; choose one")
    tip = TipInput(platform=platform)
    tip.group_name = _text(fields, "group_name")
    tip.invite_link = normalise_invite_link(_text(fields, "invite_link"))
    tip.description = _text(fields, "description")
    tip.contact = _text(fields, "contact")
    raw_phones = [p.strip() for p in _PHONE_SPLIT.split(_text(fields, "phones")) if p.strip()]
    if len(raw_phones) > MAX_PHONES:
        raise InputError(f"{len(raw_phones)} phone numbers given; send at most {MAX_PHONES}")
    for raw in raw_phones:
        e164 = normalise_phone(raw, default_region)
        if e164 is None:
            tip.notes.append(f"not a phone number with country code: {raw[:40]}")
        elif e164 not in tip.phones:
            tip.phones.append(e164)
    if tip.invite_link:
        linked = platform_of_link(tip.invite_link)
        if platform != "other" and linked != platform:
            tip.notes.append(f"invite link is a {linked} link, tip says {platform}")
    if not (tip.group_name or tip.invite_link or tip.phones):
        raise InputError(
            "the tip names no group: give the group name, its invite link or a phone number"
        )
    return tip
