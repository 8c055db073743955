"""The queue engine (huey): SQLite in the home by default, Redis when CASEGRAPH_REDIS_URL is set.

A queued message carries the home, its database URL and a job id; everything else is in the
jobs table. `casegraph worker` runs huey's consumer; `serve` may run an embedded worker
thread so a single-machine installation works with no extra process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from typing import Any

from casegraph.jobs import records
from casegraph.jobs.work import execute, heartbeat_seconds
from casegraph.store.cases import Home

log = logging.getLogger("casegraph.jobs")
REDIS_ENV = "CASEGRAPH_REDIS_URL"
_queues: dict[tuple[str, str | None], Any] = {}
_lock = threading.Lock()


def _run_job(home_root: str, db_url: str | None, job_id: str) -> str:
    from pathlib import Path

    return execute(Home(Path(home_root), db_url=db_url), job_id)


def queue_name(home: Home) -> str:
    """One queue per installation, so several homes can share one Redis server."""
    digest = hashlib.sha256(home.installation_url().encode()).hexdigest()[:12]
    return f"casegraph.{digest}.jobs"


def queue_for(home: Home) -> Any:
    """The huey instance for this home, with the one task registered on it."""
    redis_url = os.environ.get(REDIS_ENV) or None
    key = (str(home.root), redis_url)
    with _lock:
        queue = _queues.get(key)
        if queue is None:
            if redis_url:
                from huey import RedisHuey

                queue = RedisHuey(queue_name(home), url=redis_url, results=False)
            else:
                from huey import SqliteHuey

                home.root.mkdir(parents=True, exist_ok=True)
                queue = SqliteHuey("casegraph", filename=str(home.root / "jobs.sqlite"))
                queue.results = False
            queue.run_job = queue.task(name="casegraph.run_job", retries=0)(_run_job)
            _queues[key] = queue
    return queue


def enqueue(home: Home, job_id: str) -> None:
    queue_for(home).run_job(str(home.root), home.db_url, job_id)


def submit(home: Home, case_name: str, kind: str, params: dict[str, Any], user: str) -> str:
    """Record a job, audit it with its user, and queue it.

    The queueing goes to the installation's log: the case's writer may be busy with another
    job, and a browser must not wait for it. The work and its outcome go to the case's log.
    """
    from casegraph.intake.ledger import installation_mutate

    home.open_case(case_name)  # a one-line error for a missing case, before anything is written
    job_id = records.create_job(home, case_name, kind, params, user)
    details = {"kind": kind, "case": case_name}
    with installation_mutate(home, user, "job.queued", f"job:{job_id}", details=details):
        pass
    try:
        enqueue(home, job_id)
    except Exception as exc:  # Redis down: the job row says so instead of hanging "queued"
        records.finish(home, job_id, "failed", "failed", error=f"cannot queue the job: {exc}")
    return job_id


def recover(home: Home) -> list[str]:
    """Queue again the jobs whose worker died; called by every worker, periodically."""
    requeued = records.stale_jobs(home)
    for job_id in requeued:
        log.warning("job %s lost its worker; queued again", job_id)
        enqueue(home, job_id)
    return requeued


def _recovering(home: Home, stop: threading.Event) -> None:
    while not stop.wait(heartbeat_seconds() * 2):
        try:
            recover(home)
        except Exception:
            log.exception("recovering stale jobs failed")


def run_worker(home: Home, threads: int = 1) -> None:
    """huey's consumer for this home, in the foreground; Ctrl-C stops it after the job at hand."""
    queue = queue_for(home)
    recover(home)
    stop = threading.Event()
    threading.Thread(target=_recovering, args=(home, stop), daemon=True).start()
    consumer = queue.create_consumer(workers=threads, worker_type="thread", periodic=False)
    try:
        consumer.run()
    finally:
        stop.set()


class EmbeddedWorker:
    """A job worker thread inside `serve`, for one-machine installations."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="casegraph-jobs", daemon=True)

    def start(self) -> None:
        recover(self.home)
        self.thread.start()

    def _loop(self) -> None:
        queue = queue_for(self.home)
        ticks = 0
        while not self.stop.is_set():
            task = queue.dequeue()
            if task is None:
                ticks += 1
                if ticks % 20 == 0:
                    recover(self.home)
                self.stop.wait(0.25)
                continue
            try:
                queue.execute(task)
            except Exception:
                log.exception("job task failed")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
