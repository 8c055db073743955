"""Rate limits and login lockouts shared by every web worker (see web/shared.py).

Two mechanisms: token buckets per key (an address, an address and a form), and a count of
failed logins per account name that locks the name for a while, whatever address the
attempts come from. Unknown names lock the same way as real ones, so a lockout says nothing
about which accounts exist.
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, select, update

from casegraph.store.cases import Home
from casegraph.store.db import transaction
from casegraph.store.schema import LoginFailureRow, ThrottleRow
from casegraph.web.shared import (
    insert_ignoring_duplicates,
    redis_client,
    redis_prefix,
    redis_url,
)


@dataclass(frozen=True, slots=True)
class Lockout:
    """`failures` wrong logins within `window` seconds lock an account name for `seconds`."""

    failures: int = 5
    seconds: float = 900
    window: float = 900


class Throttle(ABC):
    def __init__(self, lockout: Lockout) -> None:
        self.lockout = lockout

    @abstractmethod
    def take(self, key: str, rate: float, burst: int) -> bool:
        """Take one token from the bucket `key` (refilled at `rate`/s up to `burst`)."""

    @abstractmethod
    def locked(self, account: str) -> bool:
        """Whether logins to this account name are refused for now."""

    @abstractmethod
    def failed(self, account: str) -> None:
        """Count a failed login; the count reaching the limit locks the name."""

    @abstractmethod
    def succeeded(self, account: str) -> None:
        """A right password and code: the count starts again."""


def account_name(username: str) -> str:
    return username.strip().lower()[:300]


class SqlThrottle(Throttle):
    """Buckets and failure counts in the installation database, each change one statement."""

    def __init__(self, home: Home, lockout: Lockout) -> None:
        super().__init__(lockout)
        self.home = home

    def take(self, key: str, rate: float, burst: int) -> bool:
        now = time.time()
        refilled = ThrottleRow.tokens + (now - ThrottleRow.stamp) * rate
        tokens = case((refilled > burst, float(burst)), else_=refilled)
        with transaction(self.home.installation_sessions()) as session:
            taken = session.execute(
                update(ThrottleRow)
                .where(ThrottleRow.key == key, tokens >= 1.0)
                .values(tokens=tokens - 1.0, stamp=now)
            )
            if getattr(taken, "rowcount", 0) == 1:
                return True
            if random.random() < 0.01:  # full buckets carry no information: forget them
                session.execute(delete(ThrottleRow).where(ThrottleRow.stamp < now - 86400))
            if burst < 1:
                return False
            values = {"key": key, "tokens": burst - 1.0, "stamp": now}
            return insert_ignoring_duplicates(session, ThrottleRow, values)

    def locked(self, account: str) -> bool:
        with self.home.installation_sessions()() as session:
            until = session.scalar(
                select(LoginFailureRow.locked_until).where(
                    LoginFailureRow.username == account_name(account)
                )
            )
        return until is not None and until > time.time()

    def failed(self, account: str) -> None:
        name, now, rule = account_name(account), time.time(), self.lockout
        row = LoginFailureRow.username == name
        fresh = LoginFailureRow.first_at < now - rule.window
        with transaction(self.home.installation_sessions()) as session:
            counted = session.execute(
                update(LoginFailureRow)
                .where(row)
                .values(
                    failures=case((fresh, 1), else_=LoginFailureRow.failures + 1),
                    first_at=case((fresh, now), else_=LoginFailureRow.first_at),
                )
            )
            if getattr(counted, "rowcount", 0) != 1:
                values = {"username": name, "failures": 1, "first_at": now, "locked_until": 0.0}
                if not insert_ignoring_duplicates(session, LoginFailureRow, values):
                    session.execute(
                        update(LoginFailureRow)
                        .where(row)
                        .values(failures=LoginFailureRow.failures + 1)
                    )
            session.execute(
                update(LoginFailureRow)
                .where(row, LoginFailureRow.failures >= rule.failures)
                .values(failures=0, first_at=now, locked_until=now + rule.seconds)
            )

    def succeeded(self, account: str) -> None:
        with transaction(self.home.installation_sessions()) as session:
            session.execute(
                delete(LoginFailureRow).where(
                    LoginFailureRow.username == account_name(account),
                    LoginFailureRow.locked_until <= time.time(),
                )
            )


# Atomic in Redis; the server's clock, so workers on several machines agree.
_TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(bucket[1]) or burst
local stamp = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + (now - stamp) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], 86400)
return allowed
"""
_FAIL = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if count >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
  redis.call('DEL', KEYS[1])
end
return count
"""


class RedisThrottle(Throttle):
    def __init__(self, client: Any, prefix: str, lockout: Lockout) -> None:
        super().__init__(lockout)
        self.redis = client
        self.prefix = prefix
        self._take = client.register_script(_TAKE)
        self._fail = client.register_script(_FAIL)

    def take(self, key: str, rate: float, burst: int) -> bool:
        return bool(self._take(keys=[f"{self.prefix}bucket:{key}"], args=[rate, burst]))

    def locked(self, account: str) -> bool:
        return bool(self.redis.exists(f"{self.prefix}lock:{account_name(account)}"))

    def failed(self, account: str) -> None:
        name, rule = account_name(account), self.lockout
        self._fail(
            keys=[f"{self.prefix}failures:{name}", f"{self.prefix}lock:{name}"],
            args=[rule.failures, max(1, int(rule.window)), max(1, int(rule.seconds))],
        )

    def succeeded(self, account: str) -> None:
        self.redis.delete(f"{self.prefix}failures:{account_name(account)}")


def throttle_for(home: Home, lockout: Lockout | None = None) -> Throttle:
    """Redis when CASEGRAPH_REDIS_URL is set, else the installation database."""
    url = redis_url()
    if url:
        return RedisThrottle(redis_client(url), redis_prefix(home), lockout or Lockout())
    return SqlThrottle(home, lockout or Lockout())


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One named limit over a shared throttle: `rate` per second sustained, `burst` at once."""

    throttle: Throttle
    name: str
    rate: float
    burst: int

    def allow(self, key: str) -> bool:
        return self.throttle.take(f"{self.name}|{key}", self.rate, self.burst)
