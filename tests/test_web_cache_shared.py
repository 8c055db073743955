"""With Redis, one web worker's computed page data serves the others until the case changes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from casegraph.store.cases import Case, Home
from casegraph.web import cache
from casegraph.web.access import Scope
from casegraph.web.shared import REDIS_ENV

REDIS_URL = os.environ.get("CASEGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch, home: Home) -> Iterator[Case]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} does not answer ({exc}); set CASEGRAPH_TEST_REDIS_URL"
        if os.environ.get("CASEGRAPH_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.setenv(REDIS_ENV, REDIS_URL)
    yield home.create_case(f"cache-{os.urandom(4).hex()}")
    cache._entries.clear()


def _view(case: Case, calls: list[int], value: Any) -> Any:
    def compute() -> Any:
        calls.append(1)
        return value

    with case.read() as session:
        return cache.cached(session, case, Scope(), "overview", (), compute)


def _another_worker() -> None:
    cache._entries.clear()  # a second process has nothing in memory


def test_a_second_worker_reuses_what_the_first_computed(shared: Case) -> None:
    calls: list[int] = []
    assert _view(shared, calls, {"messages": 12, "chats": ["a", "b"]}) == {
        "messages": 12,
        "chats": ["a", "b"],
    }
    _another_worker()
    assert _view(shared, calls, {"messages": 99}) == {"messages": 12, "chats": ["a", "b"]}
    assert calls == [1]


def test_a_change_to_the_case_makes_every_worker_compute_again(shared: Case) -> None:
    calls: list[int] = []
    _view(shared, calls, {"messages": 12})
    with shared.mutate("analyst", "note.add", "note:1"):
        pass
    _another_worker()
    assert _view(shared, calls, {"messages": 13}) == {"messages": 13}
    assert calls == [1, 1]


def test_values_json_would_change_stay_in_the_worker_that_made_them(shared: Case) -> None:
    calls: list[int] = []
    _view(shared, calls, {"pair": (1, 2)})
    _another_worker()
    assert _view(shared, calls, {"pair": (1, 2)}) == {"pair": (1, 2)}
    assert calls == [1, 1]
