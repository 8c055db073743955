"""Server-side sessions: a random id in an HttpOnly cookie, expiry both idle and absolute.

Kept in process memory: a restart logs everyone out, which is the safe failure.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

SESSION_COOKIE = "cg_session"
ANON_COOKIE = "cg_form"


@dataclass(slots=True)
class SessionEntry:
    user_id: int
    created: float
    seen: float


class SessionStore:
    def __init__(self, idle_seconds: float = 1800, max_seconds: float = 8 * 3600) -> None:
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self._entries: dict[str, SessionEntry] = {}
        self._lock = threading.Lock()

    def create(self, user_id: int) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._entries[sid] = SessionEntry(user_id, now, now)
        return sid

    def user_id(self, sid: str | None) -> int | None:
        """The session's user, touching its idle clock; None when unknown or expired."""
        if not sid:
            return None
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(sid)
            if entry is None:
                return None
            if now - entry.seen > self.idle_seconds or now - entry.created > self.max_seconds:
                del self._entries[sid]
                return None
            entry.seen = now
            return entry.user_id

    def end(self, sid: str | None) -> None:
        with self._lock:
            self._entries.pop(sid or "", None)

    def end_user(self, user_id: int) -> None:
        with self._lock:
            for sid in [s for s, e in self._entries.items() if e.user_id == user_id]:
                del self._entries[sid]
