"""`casegraph worker` processes: jobs wait for a worker, survive a worker's kill -9, run once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casegraph.jobs import records
from casegraph.jobs.queue import submit
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.custody import verify_evidence
from casegraph.store.schema import MessageRow, SourceRow
from jobs_fixtures import small_export

STALE_SECONDS = "2"


def _worker(home: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, CASEGRAPH_JOB_STALE_SECONDS=STALE_SECONDS)
    return subprocess.Popen(
        [sys.executable, "-m", "casegraph", "--home", str(home), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(home: Home, job_id: str, statuses: tuple[str, ...], seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = records.get_job(home, job_id)
        if job is not None and job.status in statuses:
            return job.status
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {statuses}: {records.get_job(home, job_id)}")


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_a_job_queued_with_no_worker_runs_when_one_starts(
    tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    home = Home(tmp_path / "home")
    home.create_case("op")
    job_id = submit(home, "op", "ingest", {"paths": [str(small_export(tmp_path))]}, "ana")
    time.sleep(0.5)
    assert records.get_job(home, job_id).status == "queued"  # type: ignore[union-attr]
    workers.append(_worker(home.root))
    assert _wait_for(home, job_id, ("done", "failed")) == "done"


def test_a_job_whose_worker_is_killed_is_finished_once_by_another(
    tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    home = Home(tmp_path / "home")
    home.create_case("op")
    exports = [small_export(tmp_path, 20_000, title=f"Group {n}") for n in range(6)]
    job_id = submit(home, "op", "ingest", {"paths": [str(p) for p in exports]}, "ana")
    first = _worker(home.root)
    workers.append(first)
    deadline = time.monotonic() + 60
    while records.get_job(home, job_id).step < 2:  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the first worker never got going"
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert records.get_job(home, job_id).status == "running"  # type: ignore[union-attr]
    workers.append(_worker(home.root))
    assert _wait_for(home, job_id, ("done", "failed"), seconds=120) == "done"
    job = records.get_job(home, job_id)
    assert job is not None and job.attempts == 2
    dispose_engines()
    case = Home(tmp_path / "home").open_case("op")
    with case.read() as session:
        assert session.scalar(select(func.count()).select_from(SourceRow)) == 6
        assert session.scalar(select(func.count()).select_from(MessageRow)) == 6 * 20_000
    assert not verify_evidence(case).problems
