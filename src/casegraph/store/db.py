"""Engines for the two backends and schema migration on open.

SQLite is the embedded default (WAL, foreign keys on, one file per case); PostgreSQL is
chosen by URL. Both are brought to the newest Alembic revision when opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from casegraph.errors import CaseError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions. Opening a database already there needs no
# Alembic import (a tenth of a second on every command); tests/test_store.py keeps it equal
# to the scripts' head.
HEAD_REVISION = "i14dev"


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` form users type and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # bad driver names, malformed URLs
        raise CaseError(f"cannot use database URL {url!r}: {exc}; fix --db-url") from exc


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The head of the migration scripts, read from the scripts themselves."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision a database is at (None: never migrated), as Alembic records it."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    found = list(versions)
    return found[0] if len(found) == 1 else None


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when already there)."""
    with engine.connect() as connection:
        current = current_revision(connection)
    if current == HEAD_REVISION:
        return
    from alembic import command

    with engine.begin() as connection:
        cfg = _alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed whole on success, rolled back whole on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
