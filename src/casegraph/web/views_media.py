"""Page data for media: where each item was posted (the chats and accounts this scope sees,
the rest counted) and what it matched, known material apart from non-pertinent hits."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from casegraph.access.reader import Reader
from casegraph.access.redact import outside
from casegraph.media.hashlists.categories import category_meaning, category_words
from casegraph.store.schema import (
    AttachmentRow,
    HashListRow,
    MatchRow,
    MediaRow,
)
from casegraph.web.paging import page_of
from casegraph.web.views_shared import NotVisible

LINKS_PER_ROW = 5  # chats or accounts named per row; the rest are "and N more"


def _where_posted(reader: Reader, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per media id: the visible chats and accounts that posted it, and postings hidden."""
    posted: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"chats": {}, "accounts": {}, "seen": 0, "hidden": 0}
    )
    for posting in reader.every_posting(AttachmentRow.media_id.in_(ids)):
        entry = posted[posting.media_id]
        if not posting.visible:
            entry["hidden"] += 1
            continue
        entry["seen"] += 1
        title = posting.chat_title or "untitled chat"
        entry["chats"].setdefault(posting.chat_key, {"id": posting.chat_key, "title": title})
        if posting.account_key is not None:
            entry["accounts"].setdefault(
                posting.account_key,
                {
                    "id": posting.account_key,
                    "name": posting.author_name,
                    "identifier": posting.identifier,
                },
            )
    return posted


def _matches(reader: Reader, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for media_id, list_name, category, scheme, method, pertinent in reader.session.execute(
        select(
            MatchRow.media_id,
            HashListRow.name,
            MatchRow.category,
            MatchRow.scheme,
            MatchRow.method,
            MatchRow.pertinent,
        )
        .join(HashListRow, HashListRow.id == MatchRow.list_id)
        .where(MatchRow.media_id.in_(ids), MatchRow.suppressed_by.is_(None))
        .order_by(HashListRow.name, MatchRow.category)
    ):
        found[media_id].append(
            {
                "list": list_name,
                "category": category,
                "scheme": scheme,
                "words": category_words(scheme, category),
                "meaning": category_meaning(scheme, category),
                "method": method,
                "pertinent": bool(pertinent),
            }
        )
    return found


def _first(items: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    shown = list(items.values())
    return shown[:LINKS_PER_ROW], max(0, len(shown) - LINKS_PER_ROW)


def media(reader: Reader, page: int = 1, size: int = 60) -> dict[str, Any]:
    """One page of media. Matched items (a pertinent hit: known material) carry hash and
    category and are never previewed; non-pertinent hits are listed apart and never count."""
    page = max(1, page)
    found, more = page_of(
        reader.session, select(MediaRow).where(reader.media()).order_by(MediaRow.id), page, size
    )
    rows: list[MediaRow] = [row for (row,) in found]
    ids = [r.id for r in rows]
    posted, matches = _where_posted(reader, ids), _matches(reader, ids)
    items = []
    for r in rows:
        where = posted.get(r.id, {"chats": {}, "accounts": {}, "seen": 0, "hidden": 0})
        chats, more_chats = _first(where["chats"])
        accounts, more_accounts = _first(where["accounts"])
        hits = matches.get(r.id, [])
        known = [m for m in hits if m["pertinent"]]
        items.append(
            {
                "sha256": r.sha256,
                "md5": r.md5,
                "kind": r.kind,
                "size": r.size,
                "occurrences": where["seen"],
                "occurrences_outside_scope": outside(where["hidden"], "posting"),
                "chats": chats,
                "more_chats": more_chats,
                "accounts": accounts,
                "more_accounts": more_accounts,
                "matched": bool(known),
                "matches": hits,
                "known_matches": known,
                "non_pertinent": [m for m in hits if not m["pertinent"]],
                "cluster": r.cluster,
                "sticker_pack": r.sticker_pack,
            }
        )
    return {"media": items, "page": page, "more": more}


def media_row(reader: Reader, sha256: str) -> tuple[MediaRow, bool]:
    """The media row and whether it matched known material (then it is never rendered)."""
    session = reader.session
    row = session.scalars(select(MediaRow).where(reader.media(), MediaRow.sha256 == sha256)).first()
    if row is None:
        raise NotVisible(sha256)
    matched = session.scalar(
        select(func.count()).where(
            MatchRow.media_id == row.id,
            MatchRow.pertinent.is_(True),
            MatchRow.suppressed_by.is_(None),
        )
    )
    return row, bool(matched)
