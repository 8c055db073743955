"""Page data for a case's overview: what it holds, in figures, as the viewer's scope sees it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from casegraph.access.reader import Reader
from casegraph.report.summary import matched_media_query
from casegraph.store.schema import (
    AccountRow,
    ChatRow,
    MediaRow,
    MessageRow,
)
from casegraph.web.views_shared import iso


def overview(reader: Reader) -> dict[str, Any]:
    session, case = reader.session, reader.case

    def count(model: Any, where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)

    first, last = session.execute(
        select(func.min(MessageRow.sent_at), func.max(MessageRow.sent_at)).where(reader.messages())
    ).one()
    return {
        "case": {"name": case.name, "timezone": case.timezone, "agency": case.agency},
        "counts": {
            "chats": count(ChatRow, reader.chats()),
            "accounts": count(AccountRow, reader.accounts()),
            "messages": count(MessageRow, reader.messages()),
            "media": count(MediaRow, reader.media()) if not reader.limited else None,
            # the one count `case show` and the report print (report/summary.py)
            "matched media": int(session.scalar(matched_media_query(case.id)) or 0)
            if not reader.limited
            else None,
        },
        "first_message": iso(first, case),
        "last_message": iso(last, case),
        "limited": reader.limited,
    }
