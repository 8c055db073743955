"""`cached_view`, the one way a page caches: the view reads through a Reader of the viewer's
scope, runs once per case version and arguments, and again after any change to the case."""

from __future__ import annotations

from typing import Any

from casegraph.access.reader import Reader
from casegraph.store.cases import Home
from casegraph.web import cache
from casegraph.web.access import Scope


def test_a_view_runs_once_per_case_version_and_again_after_a_change(home: Home) -> None:
    case = home.create_case("cached-view")
    scope = Scope()
    calls: list[tuple[str, bool]] = []

    def view(reader: Reader, chat: str) -> dict[str, Any]:
        calls.append((chat, reader.scope is scope))
        return {"chat": chat, "version": len(calls)}

    cache._entries.clear()
    with case.read() as session:
        first = cache.cached_view(session, case, scope, "probe", view, "chat-a")
        again = cache.cached_view(session, case, scope, "probe", view, "chat-a")
        other = cache.cached_view(session, case, scope, "probe", view, "chat-b")
    assert first == again == {"chat": "chat-a", "version": 1}
    assert other == {"chat": "chat-b", "version": 2}
    case.record("analyst", "note.add", "note:1")
    with case.read() as session:
        after = cache.cached_view(session, case, scope, "probe", view, "chat-a")
    assert after == {"chat": "chat-a", "version": 3}
    assert calls == [("chat-a", True), ("chat-b", True), ("chat-a", True)]
