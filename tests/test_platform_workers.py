"""A unit's deployment on one machine (issue 13): PostgreSQL, Redis, `serve --workers 2` and two
`casegraph worker` processes. Two analysts upload at once into two cases; one job worker is
killed mid-job; every job finishes once, nothing is lost or doubled, custody and audit verify."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from casegraph.jobs import records
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.schema import MessageRow, SourceRow
from casegraph.web.users import add_user
from jobs_fixtures import small_export
from web_fixtures import csrf_of

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
REDIS_URL = os.environ.get("CASEGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "quiet-harbour-lantern-2031"
MESSAGES = 40_000
CLI = [sys.executable, "-m", "casegraph"]


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} does not answer ({exc}); set CASEGRAPH_TEST_REDIS_URL"
        if os.environ.get("CASEGRAPH_REQUIRE_REDIS") == "1":
            pytest.fail(message + " — CI requires it")
        pytest.skip(message)


@pytest.fixture
def unit(tmp_path: Path, pg_url: str) -> Iterator[dict[str, Any]]:
    _redis_or_skip()
    env = {**os.environ, "CASEGRAPH_DB_URL": pg_url, "CASEGRAPH_REDIS_URL": REDIS_URL}
    env["CASEGRAPH_JOB_STALE_SECONDS"] = "3"
    home = Home(tmp_path / "home", db_url=pg_url)
    suffix = os.urandom(3).hex()
    cases = [f"op-a-{suffix}", f"op-b-{suffix}"]
    for name in cases:
        home.create_case(name, timezone="Europe/Madrid")
    for user in ("analyst-one", "analyst-two"):
        add_user(home, f"{user}-{suffix}", PASSWORD, "analyst")
    dispose_engines()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home_args = ["--home", str(home.root)]
    serve = [*CLI, *home_args, "serve", "--port", str(port), "--workers", "2", "--no-job-worker"]
    processes = {
        "web": subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
        "worker-1": subprocess.Popen(
            [*CLI, *home_args, "worker"], env=env, stderr=(tmp_path / "worker-1.log").open("w")
        ),
        "worker-2": subprocess.Popen(
            [*CLI, *home_args, "worker"], env=env, stderr=(tmp_path / "worker-2.log").open("w")
        ),
    }
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # three interpreters start; slow on a busy machine
    while True:
        try:
            httpx.get(f"{url}/login", timeout=2)
            break
        except httpx.TransportError:
            assert processes["web"].poll() is None, processes["web"].stderr.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "serve --workers 2 did not start"
            time.sleep(0.2)
    try:
        yield {
            "home": home,
            "url": url,
            "cases": cases,
            "users": [f"analyst-one-{suffix}", f"analyst-two-{suffix}"],
            "processes": processes,
            "env": env,
        }
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(
                    signal.SIGKILL if process is not processes["web"] else signal.SIGTERM
                )
            process.wait(timeout=60)


def _login(url: str, username: str) -> httpx.Client:
    browser = httpx.Client(base_url=url, timeout=60)
    token = csrf_of(browser.get("/login").text)
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert browser.post("/login", data=data).status_code == 303
    return browser


def _upload(browser: httpx.Client, case: str, export: Path) -> str:
    token = csrf_of(browser.get(f"/cases/{case}/jobs").text)
    data = export.read_bytes()
    started = browser.post(
        f"/api/cases/{case}/uploads",
        data={
            "csrf_token": token,
            "kind": "export",
            "filename": export.name,
            "size": str(len(data)),
            "captured_by": "UC officer 4471",
        },
    ).json()
    headers = {"X-CSRF-Token": token}
    offset, chunk = 0, 256 * 1024  # several requests: the two web workers take turns
    while offset < len(data):
        answer = browser.put(
            f"/api/uploads/{started['upload']}?offset={offset}",
            content=data[offset : offset + chunk],
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        offset = answer.json()["offset"]
    finished = browser.post(f"/api/uploads/{started['upload']}/finish", headers=headers)
    assert finished.status_code == 200, finished.text
    return str(finished.json()["job"])


def test_two_analysts_two_web_workers_two_job_workers_one_killed(
    unit: dict[str, Any], tmp_path: Path
) -> None:
    home, url = unit["home"], unit["url"]
    exports = [small_export(tmp_path, MESSAGES, title=f"Group {n}") for n in range(4)]
    browsers = [_login(url, user) for user in unit["users"]]
    jobs: list[str] = []

    failures: list[str] = []

    def upload_all(first: int) -> None:  # analyst one into case A, analyst two into case B
        try:
            for n in (first, first + 2):
                jobs.append(_upload(browsers[first], unit["cases"][first], exports[n]))
        except Exception as exc:  # the main loop reports it instead of waiting out its deadline
            failures.append(f"upload by analyst {first + 1} failed: {exc!r}")

    uploaders = [threading.Thread(target=upload_all, args=(first,)) for first in (0, 1)]
    for thread in uploaders:
        thread.start()

    # kill the first worker seen running a job, mid-job
    processes = unit["processes"]
    pids = {str(processes[name].pid): name for name in ("worker-1", "worker-2")}
    victim = None
    seen_running_on: set[str] = set()
    deadline = time.monotonic() + 180
    while victim is None or len(seen_running_on) < 2 or len(jobs) < 4:
        assert not failures, failures
        if time.monotonic() > deadline:
            logs = {
                n: (tmp_path / f"{n}.log").read_text()[-2000:] for n in ("worker-1", "worker-2")
            }
            states = [records.get_job(home, j) for j in jobs]
            raise AssertionError(f"jobs ran only on {seen_running_on}: {states} {logs}")
        for job_id in list(jobs):
            job = records.get_job(home, job_id)
            assert job is not None
            if job.status == "running" and _worker_of(home, job_id) in pids:
                seen_running_on.add(_worker_of(home, job_id))
                victim = victim or pids[_worker_of(home, job_id)]
        time.sleep(0.05)
        if victim is not None and processes[victim].poll() is None:
            processes[victim].send_signal(signal.SIGKILL)  # mid-job: the job is running there
            processes[victim].wait()
    for thread in uploaders:
        thread.join()

    deadline = time.monotonic() + 600
    while not all(records.get_job(home, j).finished for j in jobs):  # type: ignore[union-attr]
        assert time.monotonic() < deadline, [records.get_job(home, j) for j in jobs]
        time.sleep(0.5)
    finals = [records.get_job(home, j) for j in jobs]
    assert [j.status for j in finals] == ["done"] * 4, finals  # type: ignore[union-attr]
    assert any(j.attempts == 2 for j in finals)  # type: ignore[union-attr]

    dispose_engines()
    for case_name in unit["cases"]:
        case = Home(home.root, db_url=home.db_url).open_case(case_name)
        with case.read() as session:
            assert (
                session.scalar(
                    select(func.count()).select_from(SourceRow).where(SourceRow.case_id == case.id)
                )
                == 2
            )
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(MessageRow)
                    .where(MessageRow.case_id == case.id)
                )
                == 2 * MESSAGES
            )
        for verb in (["evidence", "verify", case_name], ["audit", "verify", case_name]):
            check = subprocess.run(
                [*CLI, "--home", str(home.root), *verb],
                env=unit["env"],
                capture_output=True,
                text=True,
            )
            assert check.returncode == 0, check.stdout + check.stderr


def _worker_of(home: Home, job_id: str) -> str:
    """The pid part of the worker that holds (or last held) the job."""
    from casegraph.store.schema import JobRow

    with home.installation_sessions()() as session:
        worker = session.scalar(select(JobRow.worker).where(JobRow.id == job_id)) or ""
    return worker.rsplit(":", 1)[-1]
