"""What a parser hands to the writer: a chat, its parties and a stream of records.

Records stream (a generator) so that a million-message export never sits in memory; the
fields that depend on the whole file (title, coverage window, counts) are filled in as the
stream is consumed and are final once it is exhausted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from casegraph.ingest.phones import normalise_phone, phone_country
from casegraph.model import Account, Chat, ChatEvent, Message

Record = Message | ChatEvent
# A message for the store's bulk path: (seq, sent_at as naive-UTC SQLite text, author
# identifier, author label, text, kind, attachment reference, line, byte offset, flags JSON,
# native id, reply-to id).
BulkMessage = tuple[
    int, str, str | None, str, str, str, str | None, int, int, str, str | None, str | None
]

BIDI_AND_BOM = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"


@dataclass(frozen=True)
class RosterEntry:
    """A participant a device database lists for a group, current or past, with its times."""

    identifier: str
    role: str = "member"  # member | admin | superadmin | past
    since: datetime | None = None
    until: datetime | None = None


def in_utc_range(at: datetime) -> bool:
    """Whether an aware time can be expressed in UTC without overflowing (year 9999 west of
    UTC cannot); parsers treat such a time as unreadable instead of failing in the store."""
    try:
        at.astimezone(UTC)
    except OverflowError:
        return False
    return True


@dataclass
class ParsedChat:
    platform: str
    records: Iterator[Record]  # BulkMessage tuples in place of Message from bulk parsers
    accounts: dict[str, Account]
    chat: Chat | None = None  # final once `records` is exhausted
    provenance: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    first_at: datetime | None = None
    last_at: datetime | None = None
    messages: int = 0
    events: int = 0
    roster: list[RosterEntry] = field(default_factory=list)  # device databases list members

    def note(self, at: datetime, is_message: bool) -> None:
        if self.first_at is None:
            self.first_at = at
        self.last_at = at
        if is_message:
            self.messages += 1
        else:
            self.events += 1


class PartyBook:
    """Turns what an export shows for a person (name, formatted number) into an account."""

    def __init__(
        self,
        platform: str,
        default_region: str | None,
        self_words: frozenset[str] = frozenset(),
    ) -> None:
        self.platform = platform
        self.default_region = default_region
        self.self_words = self_words
        self.accounts: dict[str, Account] = {}
        self._cache: dict[str, str | None] = {}

    def resolve(self, shown: str) -> str | None:
        """Identifier of the account shown as `shown`; None for the exporter ("You") or blank."""
        try:
            return self._cache[shown]
        except KeyError:
            pass
        identifier = self._resolve(shown)
        self._cache[shown] = identifier
        return identifier

    def _resolve(self, shown: str) -> str | None:
        key = shown.strip(BIDI_AND_BOM + " \u00a0")
        if key.startswith("~"):  # WhatsApp marks non-contacts with "~ " before the push name
            key = key[1:].strip(" \u00a0\u202f")
        if not key or key in self.self_words:
            return None
        e164 = normalise_phone(key, self.default_region)
        if e164 is not None:
            self.add(e164, None, "phone", phone_country(e164))
            return e164
        identifier = unicodedata.normalize("NFC", key)
        self.add(identifier, shown.strip("\ufeff"), "name")
        return identifier

    def add(self, identifier: str, name: str | None, kind: str, country: str | None = None) -> None:
        account = self.accounts.get(identifier)
        if account is None:
            account = Account(self.platform, identifier, [], country, kind)  # type: ignore[arg-type]
            self.accounts[identifier] = account
        if name and name not in account.names:
            account.names.append(name)
