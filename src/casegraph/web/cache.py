"""Derived page data kept until the case changes: in memory, and in Redis when it is set.

Every change to a case goes through `Case.mutate`, which appends to its audit chain, so the
newest audit sequence number is the case's version: one indexed lookup tells whether
aggregates over a million messages can be reused. With `CASEGRAPH_REDIS_URL` every web worker
shares what one of them computed; values go there as JSON (never pickles) and only when they
come back equal, so a shared entry can never run code or change type.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casegraph.access.reader import Reader
from casegraph.store.cases import Case
from casegraph.store.schema import AuditRow
from casegraph.web.access import Scope
from casegraph.web.shared import redis_client, redis_url

T = TypeVar("T")
MAX_ENTRIES = 512
SHARED_SECONDS = 3600
_entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
_lock = threading.Lock()


def case_version(session: Session, case: Case) -> int:
    return int(
        session.scalar(select(func.max(AuditRow.seq)).where(AuditRow.case_id == case.id)) or 0
    )


def scope_key(scope: Scope) -> Hashable:
    if not scope.limited:
        return "all"
    return (tuple(sorted(scope.investigations or ())), tuple(sorted(scope.countries or ())))


def cached(
    session: Session,
    case: Case,
    scope: Scope,
    name: str,
    args: Hashable,
    compute: Callable[[], T],
) -> T:
    """`compute()` once per case version, scope and arguments."""
    key = (str(case.directory), case.name, name, args, scope_key(scope))
    version = case_version(session, case)
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] == version:
            _entries.move_to_end(key)
            return hit[1]
    shared = _shared_key(key)
    found = _shared_get(shared, version)
    value: T = found[0] if found is not None else compute()
    if found is None:
        _shared_set(shared, version, value)
    with _lock:
        _entries[key] = (version, value)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def cached_view(
    session: Session, case: Case, scope: Scope, name: str, view: Callable[..., T], *args: Hashable
) -> T:
    """`view(Reader, *args)` as this scope reads the case, once per case version: the one way
    a page caches its data."""
    return cached(
        session, case, scope, name, args, lambda: view(Reader(session, case, scope), *args)
    )


def _shared_key(key: Hashable) -> str | None:
    if redis_url() is None:
        return None
    return "casegraph:page:" + hashlib.sha256(repr(key).encode()).hexdigest()


def _shared_get(shared: str | None, version: int) -> tuple[Any] | None:
    url = redis_url()
    if shared is None or url is None:
        return None
    try:
        raw = redis_client(url).get(shared)
    except Exception:  # the cache is an optimisation: Redis away means compute here
        return None
    if raw is None:
        return None
    entry = json.loads(raw)
    return (entry["data"],) if entry.get("version") == version else None


def _shared_set(shared: str | None, version: int, value: Any) -> None:
    url = redis_url()
    if shared is None or url is None:
        return
    try:
        text = json.dumps({"version": version, "data": value})
    except (TypeError, ValueError):
        return
    if json.loads(text)["data"] != value:  # tuples, sets or dates would come back changed
        return
    try:
        redis_client(url).set(shared, text, ex=SHARED_SECONDS)
    except Exception:
        return
