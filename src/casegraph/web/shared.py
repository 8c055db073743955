"""Where web state that every worker must agree on lives: the installation database, or Redis.

Sessions, rate limits and lockouts are kept in the installation database (SQLite file or
PostgreSQL) unless `CASEGRAPH_REDIS_URL` names a Redis server; either way several `serve`
workers, on one machine or several, see the same state.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from casegraph.errors import CaseError
from casegraph.store.cases import Home
from casegraph.store.db import transaction
from casegraph.store.schema import InstallationSecretRow

REDIS_ENV = "CASEGRAPH_REDIS_URL"


def redis_url() -> str | None:
    return os.environ.get(REDIS_ENV) or None


@functools.lru_cache(maxsize=8)
def redis_client(url: str) -> Any:
    """The process's redis-py client for `url` (a pool, shared by sessions, limits and the page
    cache); one clear error when the server does not answer."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise CaseError(f"cannot reach Redis at {url}: {exc}; check {REDIS_ENV}") from exc
    return client


def redis_prefix(home: Home) -> str:
    """Keys of one installation, so several homes can share one Redis server."""
    digest = hashlib.sha256(home.installation_url().encode()).hexdigest()[:12]
    return f"casegraph:{digest}:"


def insert_ignoring_duplicates(session: Session, model: Any, values: dict[str, Any]) -> bool:
    """INSERT that does nothing when the primary key exists; True when the row was added."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    key = inspect(model).primary_key[0]
    added = session.execute(
        insert(model).values(**values).on_conflict_do_nothing().returning(key)
    ).first()
    return added is not None


def web_secret(home: Home, name: str = "csrf") -> bytes:
    """An installation-wide random key, made once and then read by every worker."""
    with transaction(home.installation_sessions()) as session:
        insert_ignoring_duplicates(
            session, InstallationSecretRow, {"name": name, "value": secrets.token_hex(32)}
        )
    with home.installation_sessions()() as session:
        value = session.scalar(
            select(InstallationSecretRow.value).where(InstallationSecretRow.name == name)
        )
    assert value is not None
    return bytes.fromhex(value)
