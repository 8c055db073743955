"""Server-side sessions: a random id in an HttpOnly cookie, expiry both idle and absolute.

Stored where every web worker sees them (see web/shared.py): the installation database by
default, Redis when configured. Only a SHA-256 of the cookie value is stored, so reading the
store does not hand out live sessions. A session is `full`, or `totp` between a right
password and the second factor's code.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update

from casegraph.store.cases import Home
from casegraph.store.db import transaction
from casegraph.store.schema import WebSessionRow
from casegraph.web.shared import redis_client, redis_prefix, redis_url

SESSION_COOKIE = "cg_session"
ANON_COOKIE = "cg_form"
FULL = "full"
TOTP = "totp"
TOTP_STAGE_SECONDS = 300  # time allowed between the password and the code
TOUCH_SECONDS = 30  # the idle clock is written at most this often, not on every request


@dataclass(frozen=True, slots=True)
class SessionInfo:
    user_id: int
    stage: str
    created: float
    seen: float


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class SessionStore(ABC):
    """The expiry rules; subclasses keep the records."""

    idle_seconds: float
    max_seconds: float

    @abstractmethod
    def create(self, user_id: int, stage: str = FULL) -> str: ...

    @abstractmethod
    def get(self, sid: str | None) -> SessionInfo | None:
        """The session, touching its idle clock; None when unknown or expired."""

    @abstractmethod
    def end(self, sid: str | None) -> None: ...

    @abstractmethod
    def end_user(self, user_id: int, keep: str | None = None) -> None:
        """End every session of the user, except `keep` (the browser that asked)."""

    def user_id(self, sid: str | None) -> int | None:
        """The user of a full (not half-logged-in) session, or None."""
        info = self.get(sid)
        return info.user_id if info is not None and info.stage == FULL else None

    def expired(self, info: SessionInfo, now: float) -> bool:
        longest = self.max_seconds if info.stage == FULL else TOTP_STAGE_SECONDS
        longest = min(longest, self.max_seconds)
        return now - info.seen > self.idle_seconds or now - info.created > longest

    def stale(self, info: SessionInfo, now: float) -> bool:
        return now - info.seen > min(TOUCH_SECONDS, self.idle_seconds / 4)


class SqlSessionStore(SessionStore):
    """Sessions in the installation database (SQLite or PostgreSQL)."""

    def __init__(self, home: Home, idle_seconds: float, max_seconds: float) -> None:
        self.home = home
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds

    def create(self, user_id: int, stage: str = FULL) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        with transaction(self.home.installation_sessions()) as session:
            session.execute(  # forget the expired ones while we are here
                delete(WebSessionRow).where(
                    or_(
                        WebSessionRow.seen < now - self.idle_seconds,
                        WebSessionRow.created < now - self.max_seconds,
                    )
                )
            )
            session.add(
                WebSessionRow(
                    id_hash=_hash(sid), user_id=user_id, stage=stage, created=now, seen=now
                )
            )
        return sid

    def get(self, sid: str | None) -> SessionInfo | None:
        if not sid:
            return None
        now = time.time()
        key = _hash(sid)
        columns = (WebSessionRow.user_id, WebSessionRow.stage, WebSessionRow.created)
        with self.home.installation_sessions()() as session:  # plain columns: every request
            row = session.execute(
                select(*columns, WebSessionRow.seen).where(WebSessionRow.id_hash == key)
            ).first()
        if row is None:
            return None
        info = SessionInfo(*row)
        if self.expired(info, now):
            self.end(sid)
            return None
        if self.stale(info, now):
            with transaction(self.home.installation_sessions()) as session:
                session.execute(
                    update(WebSessionRow).where(WebSessionRow.id_hash == key).values(seen=now)
                )
        return info

    def end(self, sid: str | None) -> None:
        if not sid:
            return
        with transaction(self.home.installation_sessions()) as session:
            session.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == _hash(sid)))

    def end_user(self, user_id: int, keep: str | None = None) -> None:
        with transaction(self.home.installation_sessions()) as session:
            query = delete(WebSessionRow).where(WebSessionRow.user_id == user_id)
            if keep:
                query = query.where(WebSessionRow.id_hash != _hash(keep))
            session.execute(query)


class RedisSessionStore(SessionStore):
    """Sessions in Redis: a hash per session, expiring with the idle time, a set per user."""

    def __init__(self, client: Any, prefix: str, idle_seconds: float, max_seconds: float) -> None:
        self.redis = client
        self.prefix = prefix
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds

    def _key(self, sid: str) -> str:
        return f"{self.prefix}session:{_hash(sid)}"

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}user-sessions:{user_id}"

    def _ttl(self) -> int:
        return max(1, int(min(self.idle_seconds, self.max_seconds)) + 1)

    def create(self, user_id: int, stage: str = FULL) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        key = self._key(sid)
        fields = {"user_id": user_id, "stage": stage, "created": now, "seen": now}
        with self.redis.pipeline() as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, self._ttl())
            pipe.sadd(self._user_key(user_id), key)
            pipe.expire(self._user_key(user_id), max(1, int(self.max_seconds) + 1))
            pipe.execute()
        return sid

    def get(self, sid: str | None) -> SessionInfo | None:
        if not sid:
            return None
        now = time.time()
        raw = self.redis.hgetall(self._key(sid))
        if not raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        info = SessionInfo(
            int(fields["user_id"]), fields["stage"], float(fields["created"]), float(fields["seen"])
        )
        if self.expired(info, now):
            self.end(sid)
            return None
        if self.stale(info, now):
            with self.redis.pipeline() as pipe:
                pipe.hset(self._key(sid), "seen", now)
                pipe.expire(self._key(sid), self._ttl())
                pipe.execute()
        return info

    def end(self, sid: str | None) -> None:
        if not sid:
            return
        key = self._key(sid)
        user_id = self.redis.hget(key, "user_id")
        self.redis.delete(key)
        if user_id is not None:
            self.redis.srem(self._user_key(int(user_id)), key)

    def end_user(self, user_id: int, keep: str | None = None) -> None:
        kept = self._key(keep) if keep else None
        members = [m.decode() for m in self.redis.smembers(self._user_key(user_id))]
        doomed = [m for m in members if m != kept]
        if doomed:
            self.redis.delete(*doomed)
            self.redis.srem(self._user_key(user_id), *doomed)


def session_store(
    home: Home, idle_seconds: float = 1800, max_seconds: float = 8 * 3600
) -> SessionStore:
    """Redis when CASEGRAPH_REDIS_URL is set, else the installation database."""
    url = redis_url()
    if url:
        return RedisSessionStore(redis_client(url), redis_prefix(home), idle_seconds, max_seconds)
    return SqlSessionStore(home, idle_seconds, max_seconds)
