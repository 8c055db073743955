"""Which cases a tip is about: cases holding an account, invite link or group it names.

Each case's identifiers are indexed once and kept in memory; the index is rebuilt when the
case's sources change, so a tip costs a dictionary lookup per case, not a scan of messages.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from casegraph.errors import InputError
from casegraph.intake.tips import INVITE_IN_TEXT, TipInput, normalise_invite_link
from casegraph.store.cases import Case, Home
from casegraph.store.schema import AccountRow, ChatEventRow, ChatRow, MessageRow, SourceRow


@dataclass(slots=True)
class CaseIndex:
    fingerprint: tuple[int, int]
    identifiers: set[str] = field(default_factory=set)
    invite_links: set[str] = field(default_factory=set)
    group_names: set[str] = field(default_factory=set)


@dataclass(slots=True)
class CaseLink:
    case: str
    reasons: list[str]


_cache: dict[tuple[str, str], CaseIndex] = {}
_checked: dict[tuple[str, str], float] = {}
_lock = threading.Lock()
# Under a burst of tips, re-check a case for new evidence at most this often.
RECHECK_SECONDS = 2.0


def _fingerprint(case: Case) -> tuple[int, int]:
    with case.read() as session:
        count, last = session.execute(
            select(func.count(SourceRow.id), func.max(SourceRow.id)).where(
                SourceRow.case_id == case.id
            )
        ).one()
        chats = session.scalar(select(func.count(ChatRow.id)).where(ChatRow.case_id == case.id))
    return (int(count or 0) * 1_000_003 + int(last or 0), int(chats or 0))


def _links_in(text: str) -> set[str]:
    found = set()
    for raw in INVITE_IN_TEXT.findall(text or ""):
        try:
            found.add(normalise_invite_link(raw.rstrip(".,;")))
        except InputError:
            continue
    return found


def build_index(case: Case) -> CaseIndex:
    index = CaseIndex(fingerprint=_fingerprint(case))
    with case.read() as session:
        index.identifiers = set(
            session.scalars(select(AccountRow.identifier).where(AccountRow.case_id == case.id))
        )
        for title, aliases, native in session.execute(
            select(ChatRow.title, ChatRow.aliases, ChatRow.native_id).where(
                ChatRow.case_id == case.id
            )
        ):
            for name in [title, *(aliases or [])]:
                if name:
                    index.group_names.add(str(name).casefold())
            index.invite_links |= _links_in(native)
        for text in session.scalars(
            select(MessageRow.text).where(
                MessageRow.case_id == case.id,
                MessageRow.text.contains("://")
                | MessageRow.text.contains("t.me/")
                | MessageRow.text.contains("chat.whatsapp.com"),
            )
        ):
            index.invite_links |= _links_in(text)
        for text, details in session.execute(
            select(ChatEventRow.text, ChatEventRow.details).where(ChatEventRow.case_id == case.id)
        ):
            index.invite_links |= _links_in(f"{text} {details or ''}")
    return index


def case_index(home: Home, name: str) -> CaseIndex:
    key = (str(home.root), name)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
        if cached is not None and now - _checked.get(key, 0.0) < RECHECK_SECONDS:
            return cached
    case = home.open_case(name)
    fingerprint = _fingerprint(case)
    if cached is None or cached.fingerprint != fingerprint:
        cached = build_index(case)
    with _lock:
        _cache[key] = cached
        _checked[key] = now
    return cached


def forget_cached_indexes() -> None:
    """Drop every cached index (tests that rebuild a case under the same name use this)."""
    with _lock:
        _cache.clear()
        _checked.clear()


def find_cases(home: Home, tip: TipInput) -> list[CaseLink]:
    """Cases the tip mentions, with the reasons (numbers, link, group name) for each."""
    links: list[CaseLink] = []
    for name in home.case_names():
        index = case_index(home, name)
        reasons = [
            f"phone {p} is an account in the case" for p in tip.phones if p in index.identifiers
        ]
        if tip.invite_link and tip.invite_link in index.invite_links:
            reasons.append(f"invite link {tip.invite_link} appears in the case")
        if tip.group_name and tip.group_name.casefold() in index.group_names:
            reasons.append(f"group name {tip.group_name!r} is a chat title in the case")
        if reasons:
            links.append(CaseLink(case=name, reasons=reasons))
    return links
