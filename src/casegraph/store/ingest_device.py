"""What device databases add to a source's write: rosters, group matching, stored digests.

- A device database lists a group's members (current and past) even when they never wrote:
  `fold_roster` adds them to the memberships the writer derives from messages and events.
- A group seen in an export and in a device database is one chat. Both are keyed by their
  earliest known subject; when that differs (an export starts after a rename), a chat from a
  device database joins an existing chat that had one of its subjects and shares members.
- WhatsApp stores each media file's SHA-256: `link_stored_digests` joins those attachments
  to media rows of the same bytes, whichever source brought the file.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import exists, select, union, update
from sqlalchemy.orm import Session

from casegraph.ingest.records import RosterEntry
from casegraph.ingest.whatsapp_clock import sqlite_utc_text
from casegraph.model import Chat
from casegraph.store.schema import (
    AttachmentRow,
    ChatEventRow,
    ChatRow,
    ChatSourceRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    SourceRow,
)

DEVICE_FORMATS = ("whatsapp-android-db", "whatsapp-ios-db")


def fold_roster(
    members: dict[int, list[Any]],
    roster: list[RosterEntry],
    account_id: Callable[[str], int | None],
) -> None:
    """Members the database lists join the chat's memberships (`via` says the roster)."""
    for entry in roster:
        account = account_id(entry.identifier)
        if account is None:
            continue
        until = sqlite_utc_text(entry.until) if entry.until else None
        since = sqlite_utc_text(entry.since) if entry.since else None
        known = members.get(account)
        if known is None:
            via = "device_roster_past" if entry.role == "past" else f"device_roster_{entry.role}"
            members[account] = [since, until, via]
        elif entry.role == "past" and until and known[1] is None and (known[0] or "") < until:
            known[1] = until


def _fold(title: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def _accounts_of(session: Session, chat_id: int) -> set[int]:
    query: Any = union(
        select(MessageRow.account_id).where(MessageRow.chat_id == chat_id),
        select(ChatEventRow.actor_id).where(ChatEventRow.chat_id == chat_id),
        select(MembershipRow.account_id).where(MembershipRow.chat_id == chat_id),
    )
    return {a for (a,) in session.execute(query) if a is not None}


def same_group_chat(
    session: Session, case_id: int, chat: Chat, pending_id: int, from_device: bool
) -> int | None:
    """An existing chat that is this group under another key: a shared subject and members.

    Only where a device database is involved (this source, or the candidate's), since only
    a database's full subject history makes a former title strong evidence.
    """
    if not from_device and not _case_has_device_source(session, case_id):
        return None  # the common case: exports only, nothing to look up
    names = {_fold(t) for t in (chat.title, *chat.aliases) if t}
    candidates = []
    for chat_id, title, aliases in session.execute(
        select(ChatRow.id, ChatRow.title, ChatRow.aliases).where(
            ChatRow.case_id == case_id,
            ChatRow.platform == chat.platform,
            ChatRow.id != pending_id,
            ChatRow.kind == chat.kind,
        )
    ):
        if names & {_fold(t) for t in (title, *(aliases or [])) if t}:
            candidates.append(int(chat_id))
    if not candidates:
        return None
    mine = _accounts_of(session, pending_id)
    best: tuple[int, int] | None = None
    for candidate in candidates:
        if not from_device and not _has_device_source(session, candidate):
            continue
        shared = len(mine & _accounts_of(session, candidate))
        if shared and (best is None or shared > best[0]):
            best = (shared, candidate)
    return best[1] if best else None


def _device_formats() -> list[str]:
    return [f"{f}-{c}" for f in DEVICE_FORMATS for c in ("file", "zip", "folder")]


def _case_has_device_source(session: Session, case_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    SourceRow.case_id == case_id, SourceRow.format.in_(_device_formats())
                )
            )
        )
    )


def _has_device_source(session: Session, chat_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    ChatSourceRow.chat_id == chat_id,
                    ChatSourceRow.source_id == SourceRow.id,
                    SourceRow.format.in_(_device_formats()),
                )
            )
        )
    )


def link_stored_digests(session: Session, case_id: int) -> int:
    """Attachments known only by the app's stored digest, joined to media of those bytes."""
    media_id = (
        select(MediaRow.id)
        .where(MediaRow.case_id == case_id, MediaRow.sha256 == AttachmentRow.stored_sha256)
        .scalar_subquery()
    )
    result = session.execute(
        update(AttachmentRow)
        .where(
            AttachmentRow.case_id == case_id,
            AttachmentRow.media_id.is_(None),
            AttachmentRow.stored_sha256.is_not(None),
            exists().where(
                MediaRow.case_id == case_id, MediaRow.sha256 == AttachmentRow.stored_sha256
            ),
        )
        .values(media_id=media_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
