"""Page data for lineage: the break-off tree of the chats the viewer may see."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from casegraph.access.reader import Reader
from casegraph.access.redact import lineage_evidence, outside
from casegraph.store.schema import (
    ChatRow,
)
from casegraph.web.views_shared import iso


def lineage(reader: Reader) -> dict[str, Any]:
    """Break-off tree: roots are chats without a (visible) parent; evidence names only the
    visible, and a parent outside the scope is neither linked nor named."""
    rows = list(reader.session.scalars(select(ChatRow).where(reader.chats())))
    by_id = {r.id: r for r in rows}
    children: dict[int | None, list[ChatRow]] = defaultdict(list)
    for row in rows:
        children[row.parent_id if row.parent_id in by_id else None].append(row)

    def node(row: ChatRow, depth: int) -> dict[str, Any]:
        parent_hidden = row.parent_id is not None and row.parent_id not in by_id
        return {
            "id": row.key,
            "title": row.title,
            "created_at": iso(row.created_at, reader.case),
            "confidence": row.parent_confidence,
            "parent_outside_scope": outside(1, "parent chat") if parent_hidden else None,
            "evidence": lineage_evidence(
                reader, list(row.parent_evidence or [])[:5], not parent_hidden
            ),
            "children": [node(c, depth + 1) for c in children.get(row.id, []) if depth < 50],
        }

    return {"roots": [node(r, 0) for r in children[None]]}
