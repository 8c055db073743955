"""Full-text search of message text: SQLite FTS5 (built lazily) or PostgreSQL tsvector."""

from __future__ import annotations

import re
import threading

from sqlalchemy import ColumnElement, Integer, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from casegraph.store.schema import MessageRow

_WORD = re.compile(r"\w+", re.UNICODE)
_built: dict[str, int] = {}
_lock = threading.Lock()


def fts_query(words: str) -> str:
    """User words as an FTS5 expression: every word required, each quoted (no syntax injection)."""
    return " ".join(f'"{w}"' for w in _WORD.findall(words)[:12])


def _ensure_fts(session: Session) -> bool:
    """Create or refresh the FTS5 index when messages changed; False when FTS5 is unavailable."""
    engine = session.get_bind().engine
    key = str(engine.url)
    # messages are only ever appended, so the newest id says whether the index is current
    current = int(session.scalar(select(func.max(MessageRow.id))) or 0)
    with _lock:
        if _built.get(key) == current:
            return True
        try:
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5("
                        "text, content='messages', content_rowid='id', tokenize='unicode61')"
                    )
                )
                connection.execute(text("INSERT INTO messages_fts(messages_fts) VALUES('rebuild')"))
        except OperationalError:
            return False
        _built[key] = current
    return True


def match_condition(session: Session, words: str) -> ColumnElement[bool]:
    """A WHERE condition on MessageRow that keeps the messages containing every word."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return func.to_tsvector("simple", MessageRow.text).op("@@")(
            func.plainto_tsquery("simple", words)
        )
    expression = fts_query(words)
    if expression and _ensure_fts(session):
        ids = (
            text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :fts")
            .bindparams(fts=expression)
            .columns(rowid=Integer)
        )
        return MessageRow.id.in_(ids)
    condition: ColumnElement[bool] = MessageRow.text.is_not(None)
    for word in _WORD.findall(words)[:12]:
        condition = condition & MessageRow.text.contains(word)
    return condition
