"""The fast insert path for messages: driver-level batches inside the source's transaction.

SQLite gets `executemany` on the session's own DBAPI connection with pre-formatted values
(naive-UTC time text, JSON text), and for a big source the table's secondary indexes are
dropped and rebuilt before commit: SQLite DDL is transactional, so a crash at any point,
the rebuild included, rolls back to the case as it was. PostgreSQL gets `COPY ... FROM
STDIN` on the same connection; its indexes stay (another case may be reading the table).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

BATCH = 5000
BIG_SOURCE = 50_000  # rows of one table in one source above which its indexes are rebuilt
MESSAGE_COLUMNS = (
    "seq", "sent_at", "account_id", "author_label", "text", "kind", "attachment_ref", "line",
    "byte_offset", "flags", "native_id", "reply_to",
)  # fmt: skip
# One message row as the sink takes it, in MESSAGE_COLUMNS order; sent_at as naive-UTC text.
MessageRowValues = tuple[
    int, str, int | None, str, str, str, str | None, int, int, str, str | None, str | None
]


def create_index(cursor: Any, sql: str) -> None:
    """One CREATE INDEX; its own function so a crash test can stop the rebuild midway."""
    cursor.execute(sql)


class IndexPause:
    """A table's secondary indexes, dropped inside the open SQLite transaction until restore."""

    def __init__(self, session: Session, table: str) -> None:
        self.driver = session.connection().connection.driver_connection
        self.table = table
        self.dropped: list[str] = []

    def drop(self) -> None:
        assert self.driver is not None and self.driver.in_transaction, "needs the open transaction"
        cursor = self.driver.cursor()
        try:
            found = cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL ORDER BY name",
                (self.table,),
            ).fetchall()
            for name, sql in found:
                cursor.execute(f'DROP INDEX "{name}"')
                self.dropped.append(sql)
        finally:
            cursor.close()

    def restore(self) -> None:
        assert self.driver is not None
        cursor = self.driver.cursor()
        try:
            while self.dropped:
                create_index(cursor, self.dropped[0])
                self.dropped.pop(0)
        finally:
            cursor.close()


class MessageSink:
    """Writes batches of message rows of one chat and one source, fastest way per backend."""

    def __init__(self, session: Session, case_id: int, chat_id: int, source_id: int) -> None:
        self.session = session
        self.sqlite = session.connection().dialect.name == "sqlite"
        self.fixed = (int(case_id), int(chat_id), int(source_id))
        self.written = 0
        self.pause: IndexPause | None = None
        columns = ("case_id", "chat_id", "source_id", *MESSAGE_COLUMNS)
        values = ", ".join([*(str(v) for v in self.fixed), *("?" for _ in MESSAGE_COLUMNS)])
        self.insert_sql = f"INSERT INTO messages ({', '.join(columns)}) VALUES ({values})"
        self.copy_sql = f"COPY messages ({', '.join(columns)}) FROM STDIN"

    def write(self, rows: list[MessageRowValues]) -> None:
        """Insert `rows` and empty the list."""
        if not rows:
            return
        driver = self.session.connection().connection.driver_connection
        assert driver is not None
        if self.sqlite:
            if self.pause is None and self.written + len(rows) > BIG_SOURCE:
                self.pause = IndexPause(self.session, "messages")
                self.pause.drop()
            cursor = driver.cursor()
            try:
                cursor.executemany(self.insert_sql, rows)
            finally:
                cursor.close()
        else:
            fixed = self.fixed
            with driver.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
                for row in rows:
                    # naive-UTC text; PostgreSQL reads it in UTC only when told so
                    copy.write_row((*fixed, row[0], row[1] + "+00", *row[2:]))
        self.written += len(rows)
        rows.clear()

    def close(self) -> None:
        """Rebuild any dropped index: queries that follow in this transaction need them."""
        if self.pause is not None:
            self.pause.restore()
            self.pause = None
