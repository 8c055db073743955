"""The jobs table: what a job is, who asked, where it stands; shared by every process.

A job moves queued -> running -> done | failed | cancelled. A running job whose worker stops
sending heartbeats (killed, machine lost) goes back to queued: every kind is idempotent, so
running it again gives the same case as running it once.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from casegraph.errors import CaseError
from casegraph.store.cases import Home
from casegraph.store.schema import JobRow

KINDS = ("ingest", "hashlist", "match", "analyze")
FINISHED = ("done", "failed", "cancelled")
STALE_AFTER = timedelta(seconds=30)
MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class JobView:
    id: str
    case: str
    kind: str
    status: str
    user: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    step: int
    steps: int
    note: str
    error: str
    result: dict[str, Any]
    attempts: int
    cancel_requested: bool

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__} | {"finished": self.finished}


def now() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _view(row: JobRow) -> JobView:
    return JobView(
        id=row.id,
        case=row.case_name,
        kind=row.kind,
        status=row.status,
        user=row.user,
        created_at=row.created_at.isoformat(timespec="seconds"),
        started_at=row.started_at.isoformat(timespec="seconds") if row.started_at else None,
        finished_at=row.finished_at.isoformat(timespec="seconds") if row.finished_at else None,
        step=row.step,
        steps=row.steps,
        note=row.note,
        error=row.error,
        result=dict(row.result or {}),
        attempts=row.attempts,
        cancel_requested=row.cancel_requested,
    )


def create_job(home: Home, case_name: str, kind: str, params: dict[str, Any], user: str) -> str:
    if kind not in KINDS:
        raise CaseError(f"unknown job kind {kind!r}; use one of {', '.join(KINDS)}")
    job_id = uuid.uuid4().hex
    with home.installation_sessions()() as session, session.begin():
        session.add(
            JobRow(
                id=job_id,
                case_name=case_name,
                kind=kind,
                params=params,
                status="queued",
                user=user,
                created_at=now(),
                worker="",
                attempts=0,
                step=0,
                steps=1,
                note="waiting for a job worker",
                error="",
                result={},
                cancel_requested=False,
            )
        )
    return job_id


def get_job(home: Home, job_id: str) -> JobView | None:
    with home.installation_sessions()() as session:
        row = session.get(JobRow, job_id)
        return _view(row) if row is not None else None


def job_params(home: Home, job_id: str) -> dict[str, Any]:
    with home.installation_sessions()() as session:
        row = session.get(JobRow, job_id)
        return dict(row.params) if row is not None else {}


def list_jobs(home: Home, case_name: str | None = None, limit: int = 100) -> list[JobView]:
    query = select(JobRow).order_by(JobRow.created_at.desc(), JobRow.id).limit(limit)
    if case_name is not None:
        query = query.where(JobRow.case_name == case_name)
    with home.installation_sessions()() as session:
        return [_view(row) for row in session.scalars(query)]


def claim(home: Home, job_id: str) -> bool:
    """Mark a queued job running on this worker; False when it is finished or taken."""
    with home.installation_sessions()() as session, session.begin():
        claimed = cast(
            CursorResult[Any],
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == "queued")
                .values(
                    status="running",
                    started_at=now(),
                    heartbeat_at=now(),
                    worker=worker_name(),
                    attempts=JobRow.attempts + 1,
                    note="started",
                )
            ),
        ).rowcount
    return bool(claimed)


def set_progress(home: Home, job_id: str, step: int, steps: int, note: str) -> bool:
    """Record progress and beat the heart; returns whether a cancel was asked for."""
    with home.installation_sessions()() as session, session.begin():
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(step=step, steps=steps, note=note, heartbeat_at=now())
        )
        return bool(session.scalar(select(JobRow.cancel_requested).where(JobRow.id == job_id)))


def heartbeat(home: Home, job_id: str) -> None:
    with home.installation_sessions()() as session, session.begin():
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == "running")
            .values(heartbeat_at=now())
        )


def finish(
    home: Home, job_id: str, status: str, note: str, error: str = "", result: Any = None
) -> None:
    with home.installation_sessions()() as session, session.begin():
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(
                status=status,
                finished_at=now(),
                note=note,
                error=error,
                result=result or {},
                heartbeat_at=now(),
            )
        )


def request_cancel(home: Home, job_id: str) -> JobView:
    """A queued job is cancelled at once; a running one stops at its next step."""
    with home.installation_sessions()() as session, session.begin():
        row = session.get(JobRow, job_id)
        if row is None:
            raise CaseError(f"no job {job_id}; see the case's jobs page")
        if row.status == "queued":
            row.status, row.finished_at, row.note = "cancelled", now(), "cancelled before it ran"
        elif row.status == "running":
            row.cancel_requested, row.note = True, "cancelling at the next step"
        view = _view(row)
    return view


def stale_after() -> timedelta:
    """How long a running job may go without a heartbeat (`CASEGRAPH_JOB_STALE_SECONDS`)."""
    seconds = os.environ.get("CASEGRAPH_JOB_STALE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else STALE_AFTER


def stale_jobs(home: Home, older_than: timedelta | None = None) -> list[str]:
    """Running jobs whose worker stopped beating: back to queued (or failed after 3 tries)."""
    limit = now() - (older_than if older_than is not None else stale_after())
    requeued = []
    with home.installation_sessions()() as session, session.begin():
        rows = session.scalars(
            select(JobRow).where(JobRow.status == "running", JobRow.heartbeat_at < limit)
        ).all()
        for row in rows:
            if row.attempts >= MAX_ATTEMPTS:
                row.status, row.finished_at = "failed", now()
                row.error = f"its worker stopped {row.attempts} times; see the worker logs"
                continue
            row.status = "queued"
            row.note = f"worker {row.worker} stopped answering; queued again"
            requeued.append(row.id)
    return requeued
