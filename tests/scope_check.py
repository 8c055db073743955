"""The need-to-know check shared by the scope tests: who may see which identifiers of a case,
and whether a response body shows one it should not.

What a principal may see is worked out here from the tables directly, by the rules of
issue 10, without the application's read layer, so the check does not trust what it checks.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from casegraph.store.cases import Case
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatRow,
    InvestigationAccountRow,
    InvestigationRow,
    MatchRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    PartnerReportRow,
)

FULL = ("admin", "analyst", "reviewer")
KINDS = (
    "phone",
    "platform id",
    "account key",
    "chat key",
    "chat title",
    "display name",
    "media hash",
    "package name",
    "partner unit",
)
# what an auditor may see of a case: the public ids and hashes, and the partner units evidence
# went to or came from (the audit trail's "to whom"), never a name, number or title of the case
PSEUDONYMOUS = {"account key", "chat key", "media hash", "package name", "partner unit"}
MIN_TEXT = 5  # shorter names would be found inside ordinary words
_PHONE_SPAN = re.compile(r"\+?\d[\d \u00a0().\-]{6,}\d")


@dataclass(frozen=True)
class Identifier:
    kind: str
    text: str
    # ("account" | "chat" | "media" | "package", row id or 0), or ("report", a country code)
    owner: tuple[str, Any]


@dataclass
class Inventory:
    """Every identifier of one case, and the facts the scope rules need."""

    case: str
    identifiers: list[Identifier] = field(default_factory=list)
    members: dict[int, set[int]] = field(default_factory=dict)  # chat -> accounts
    creators: dict[int, int] = field(default_factory=dict)  # chat -> account
    postings: list[tuple[int, int | None, int]] = field(default_factory=list)  # media, author, chat
    referred: dict[str, set[int]] = field(default_factory=dict)  # country -> accounts
    account_keys: dict[int, str] = field(default_factory=dict)
    chat_keys: dict[int, str] = field(default_factory=dict)
    media: dict[int, tuple[str, str, bool]] = field(default_factory=dict)  # sha256, kind, matched
    countries: dict[str, str] = field(default_factory=dict)  # country -> status
    reported: set[str] = field(default_factory=set)  # countries a partner reported back on

    @classmethod
    def of(cls, case: Case, packages: Iterable[Path] = ()) -> Inventory:
        inv = cls(case.name)
        add = inv.identifiers.append
        with case.read() as s:
            for a in s.scalars(select(AccountRow).where(AccountRow.case_id == case.id)):
                inv.account_keys[a.id] = a.key
                owner = ("account", a.id)
                add(Identifier("account key", a.key, owner))
                kind = "phone" if a.identifier_kind == "phone" else "platform id"
                if kind == "phone" or a.identifier_kind != "name":
                    add(Identifier(kind, a.identifier, owner))
                else:  # an export that shows a contact name instead of a number
                    add(Identifier("display name", a.identifier, owner))
                for name in a.names or []:
                    add(Identifier("display name", name, owner))
            for c in s.scalars(select(ChatRow).where(ChatRow.case_id == case.id)):
                inv.chat_keys[c.id] = c.key
                add(Identifier("chat key", c.key, ("chat", c.id)))
                for title in {c.title, *(c.aliases or [])} - {None, ""}:
                    add(Identifier("chat title", str(title), ("chat", c.id)))
                inv.members.setdefault(c.id, set())
                if c.created_by is not None:
                    inv.creators[c.id] = c.created_by
            matched = set(
                s.scalars(
                    select(MatchRow.media_id).where(
                        MatchRow.case_id == case.id, MatchRow.pertinent.is_(True)
                    )
                )
            )
            for m in s.scalars(select(MediaRow).where(MediaRow.case_id == case.id)):
                inv.media[m.id] = (m.sha256, m.kind, m.id in matched)
                add(Identifier("media hash", m.sha256, ("media", m.id)))
                add(Identifier("media hash", m.md5, ("media", m.id)))
            for chat_id, account_id in s.execute(
                select(MembershipRow.chat_id, MembershipRow.account_id).where(
                    MembershipRow.case_id == case.id
                )
            ):
                inv.members.setdefault(chat_id, set()).add(account_id)
            for media_id, author, chat_id in s.execute(
                select(AttachmentRow.media_id, MessageRow.account_id, MessageRow.chat_id)
                .join(MessageRow, MessageRow.id == AttachmentRow.message_id)
                .where(AttachmentRow.case_id == case.id, AttachmentRow.media_id.is_not(None))
            ):
                inv.postings.append((int(media_id), author, chat_id))
            for inv_row in s.scalars(
                select(InvestigationRow).where(InvestigationRow.case_id == case.id)
            ):
                inv.countries[inv_row.country] = inv_row.status
                if inv_row.status != "proposed":
                    inv.referred.setdefault(inv_row.country, set()).update(
                        s.scalars(
                            select(InvestigationAccountRow.account_id).where(
                                InvestigationAccountRow.investigation_id == inv_row.id
                            )
                        )
                    )
            for report in s.scalars(
                select(PartnerReportRow).where(PartnerReportRow.case_id == case.id)
            ):  # what a partner reported on its country's investigation is that country's
                owner = ("report", report.country)
                inv.reported.add(report.country)
                add(Identifier("partner unit", report.reporter, owner))
                outcome = (report.details or {}).get("outcome", {})
                for found in outcome.get("new_identifiers", []):
                    text = str(found.get("identifier", ""))
                    add(Identifier("phone" if text.startswith("+") else "platform id", text, owner))
                for sha256 in outcome.get("new_media_sha256", []):
                    add(Identifier("media hash", sha256, owner))
        for path in packages:
            add(Identifier("package name", path.name, ("package", 0)))
        return inv


@dataclass
class Allowance:
    """What one principal may see of one case (by issue 10's rules)."""

    accounts: set[int]
    chats: set[int]
    media: set[int]
    kinds: set[str]  # identifier kinds it may see at all
    packages: bool
    reports: set[str] = field(default_factory=set)  # countries whose partner reports it may see

    def allows(self, ident: Identifier) -> bool:
        if ident.kind not in self.kinds:
            return False
        what, row = ident.owner
        return {
            "account": row in self.accounts,
            "chat": row in self.chats,
            "media": row in self.media,
            "package": self.packages,
            "report": row in self.reports,
        }[what]


def allowance(inv: Inventory, role: str, country: str | None) -> Allowance:
    everything = Allowance(
        set(inv.account_keys), set(inv.chat_keys), set(inv.media), set(KINDS), True, inv.reported
    )
    if role in FULL:
        return everything
    if role == "auditor":
        everything.kinds = set(PSEUDONYMOUS)
        return everything
    if role != "liaison" or country not in inv.referred:
        return Allowance(set(), set(), set(), set(), False)
    accounts = inv.referred[country]
    chats = {c for c, members in inv.members.items() if members & accounts}
    chats |= {c for c, creator in inv.creators.items() if creator in accounts}
    media = {m for m, author, chat in inv.postings if author in accounts and chat in chats}
    return Allowance(accounts, chats, media, set(KINDS), False, {country} & inv.reported)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def readable(body: str, content_type: str) -> str:
    """The body as a reader sees it: JSON unescaped, HTML entities decoded."""
    if "json" in content_type:
        try:
            return json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            return body
    return html.unescape(body)


@dataclass
class Forbidden:
    """The identifiers one principal must not meet in a response."""

    texts: list[Identifier]
    phones: list[tuple[Identifier, str]]  # with the digits a formatted number ends in

    @classmethod
    def of(cls, inv: Inventory, allowed: Allowance) -> Forbidden:
        shown = [i.text for i in inv.identifiers if allowed.allows(i)]
        texts: list[Identifier] = []
        phones: list[tuple[Identifier, str]] = []
        for ident in inv.identifiers:
            if allowed.allows(ident):
                continue
            if ident.kind == "phone":
                phones.append((ident, _digits(ident.text)[-9:]))
            elif len(ident.text) >= MIN_TEXT and not any(ident.text in s for s in shown):
                texts.append(ident)
        return cls(texts, phones)

    def __len__(self) -> int:
        return len(self.texts) + len(self.phones)

    def found_in(self, body: str, known: str = "") -> list[str]:
        """Forbidden identifiers in `body`, leaving out what the request itself carried."""
        found = [f"{i.kind} {i.text}" for i in self.texts if i.text in body and i.text not in known]
        spans = {_digits(m.group()) for m in _PHONE_SPAN.finditer(body)}
        for ident, tail in self.phones:
            if any(span.endswith(tail) for span in spans) and ident.text not in known:
                found.append(f"phone {ident.text}")
        return found


def flat_routes(routes: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(full path, route) of every route, through included routers at any depth: FastAPI 0.16x
    keeps an included router as one entry of `app.routes`, so a plain loop finds none."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from flat_routes(inner.routes, prefix + str(getattr(context, "prefix", "") or ""))
        elif hasattr(route, "path"):
            yield prefix + route.path, route
