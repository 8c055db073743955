"""What each job kind does, with progress, cancellation and a one-line outcome.

The work is the same domain functions the CLI verbs call, run with the job's user as the
audit actor; each keeps its own transactions, so a failed or cancelled job leaves every
source, list or analysis either fully written or not at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from casegraph.errors import CaseError, InputError
from casegraph.jobs import records
from casegraph.store.cases import Case, Home

log = logging.getLogger("casegraph.jobs")


class Cancelled(Exception):
    """The job's user asked to stop; raised between steps."""


class Progress:
    def __init__(self, home: Home, job_id: str) -> None:
        self.home, self.job_id = home, job_id

    def step(self, done: int, total: int, note: str) -> None:
        if records.set_progress(self.home, self.job_id, done, total, note):
            raise Cancelled


def heartbeat_seconds() -> float:
    """A few beats fit in the time after which a silent job is taken back."""
    return max(0.2, records.stale_after().total_seconds() / 6)


def _ingest(case: Case, params: dict[str, Any], user: str, progress: Progress) -> dict[str, Any]:
    from casegraph.store.ingest import Custody, ingest_paths

    captured_at = params.get("captured_at")
    custody = Custody(
        captured_by=params.get("captured_by") or user,
        method=params.get("capture_method") or "",  # empty: by source kind
        captured_at=datetime.fromisoformat(captured_at) if captured_at else None,
        device=params.get("device") or "",
    )
    paths = [Path(p) for p in params["paths"]]
    totals = {"sources": 0, "skipped": 0, "messages": 0}
    for number, path in enumerate(paths):
        progress.step(
            number, len(paths), f"ingesting {params.get('names', {}).get(str(path), path.name)}"
        )
        result = ingest_paths(case, [path], custody.captured_by, actor=user, custody=custody)
        totals["sources"] += result.sources_added
        totals["skipped"] += result.sources_skipped
        totals["messages"] += result.messages
    return totals


def _hashlist(case: Case, params: dict[str, Any], user: str, progress: Progress) -> dict[str, Any]:
    from casegraph.store.matching import import_hash_list

    progress.step(0, 1, "importing the hash list")
    path = Path(params["path"])
    result = import_hash_list(
        case,
        path,
        name=params.get("name") or None,
        fmt=params.get("format") or "auto",
        negative=bool(params.get("negative")),
        actor=user,
    )
    return {"list": result.name, "added": result.added, "removed": result.removed}


def _match(case: Case, params: dict[str, Any], user: str, progress: Progress) -> dict[str, Any]:
    from casegraph.store.matching import hash_case_media, match_case

    progress.step(0, 2, "hashing media")
    hashed = hash_case_media(case)
    progress.step(1, 2, "matching against the hash lists")
    result = match_case(case, actor=user)
    return {"hashed": hashed, "matches": result.matches, "known_material": result.known_material}


def _analyze(case: Case, params: dict[str, Any], user: str, progress: Progress) -> dict[str, Any]:
    from casegraph.analysis.run import analyze_case

    progress.step(0, 1, "analysing people, groups, lineage and spread")
    result = analyze_case(case, actor=user)
    return {"persons": result.persons, "break_offs": result.chats_with_parent}


Runner = Callable[[Case, dict[str, Any], str, Progress], dict[str, Any]]
RUNNERS: dict[str, Runner] = {
    "ingest": _ingest,
    "hashlist": _hashlist,
    "match": _match,
    "analyze": _analyze,
}


SUMMARIES = {
    "ingest": "ingest finished: {sources} new source(s), {messages} messages"
    " ({skipped} already in the case)",
    "hashlist": "hash list {list} imported: {added} added, {removed} removed",
    "match": "match finished: {hashed} media hashed, {matches} match(es),"
    " {known_material} known-material file(s)",
    "analyze": "analyze finished: {persons} persons, {break_offs} break-off group(s)",
}


def summary(kind: str, result: dict[str, Any]) -> str:
    return SUMMARIES[kind].format(**result)


def execute(home: Home, job_id: str) -> str:
    """Run one job to its end; returns its final status. Never raises for the job's own errors."""
    if not records.claim(home, job_id):
        return "skipped"
    job = records.get_job(home, job_id)
    assert job is not None
    params = records.job_params(home, job_id)
    stop = threading.Event()
    beating = threading.Thread(target=_beat, args=(home, job_id, stop), daemon=True)
    beating.start()
    try:
        case = home.open_case(job.case)
        result = RUNNERS[job.kind](case, params, job.user, Progress(home, job_id))
    except Cancelled:
        return _end(home, job, "cancelled", "cancelled by its user")
    except (CaseError, InputError) as exc:
        return _end(home, job, "failed", "failed", _one_line(str(exc)))
    except Exception as exc:  # the page needs a line, the log keeps the traceback
        log.exception("job %s (%s) crashed", job_id, job.kind)
        line = f"internal error ({type(exc).__name__}: {exc}); the worker log has the details"
        return _end(home, job, "failed", "failed", _one_line(line))
    finally:
        stop.set()
    return _end(home, job, "done", summary(job.kind, result), result=result)


def _end(
    home: Home,
    job: records.JobView,
    status: str,
    note: str,
    error: str = "",
    result: dict[str, Any] | None = None,
) -> str:
    """Record the outcome on the job and in the case's audit log, under the job's user."""
    records.finish(home, job.id, status, note, error=error, result=result)
    _drop_upload(home, job.id)
    try:
        case = home.open_case(job.case)
        details = {"kind": job.kind, "error": error} if error else {"kind": job.kind}
        case.record(job.user, f"job.{status}", f"job:{job.id}", details=details)
    except CaseError:
        log.warning("job %s: case %s is gone; outcome kept on the job only", job.id, job.case)
    return status


def _drop_upload(home: Home, job_id: str) -> None:
    """A finished job's staged upload goes: the evidence store holds what was accepted."""
    from casegraph.jobs.uploads import discard_upload, get_upload

    upload_id = records.job_params(home, job_id).get("upload")
    upload = get_upload(home, upload_id) if upload_id else None
    if upload is not None:
        discard_upload(home, upload)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]


def _beat(home: Home, job_id: str, stop: threading.Event) -> None:
    while not stop.wait(heartbeat_seconds()):
        try:
            records.heartbeat(home, job_id)
        except Exception:  # a missed beat only delays recovery; the job goes on
            log.warning("heartbeat of job %s failed", job_id)
