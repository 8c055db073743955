"""A browser request never hangs behind a long ingest: it waits briefly, then gets one line."""

from __future__ import annotations

import threading
import time

from casegraph.store.cases import Home
from web_fixtures import csrf_of, login, make_client, seed_users


def test_a_change_to_a_case_another_writer_holds_is_refused_after_a_short_wait(
    home: Home,
) -> None:
    seed_users(home, "analyst")
    case = home.create_case("busy")
    client = make_client(home, case_wait_seconds=1.0)
    login(client, "analyst")
    holding, release = threading.Event(), threading.Event()

    def long_ingest() -> None:
        with case.exclusive("ingest"):
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=long_ingest)
    writer.start()
    try:
        holding.wait(10)
        token = csrf_of(client.get("/cases/busy/jobs").text)
        began = time.monotonic()
        answer = client.post(
            "/api/cases/busy/persons/merge",
            data={"csrf_token": token, "accounts": "x y", "reason": "same phone, two names"},
        )
        waited = time.monotonic() - began
    finally:
        release.set()
        writer.join()
    assert answer.status_code == 400
    assert "is busy" in answer.json()["detail"] and "ingest" in answer.json()["detail"]
    assert waited < 15
