"""Background jobs: run the CLI's work with the job's user, report one line, leave nothing half."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from casegraph.errors import CaseError
from casegraph.jobs import records
from casegraph.jobs.queue import submit
from casegraph.jobs.work import Cancelled, Progress, execute
from casegraph.store.cases import Home
from casegraph.store.schema import AuditRow, MessageRow, SourceRow
from jobs_fixtures import small_export


def _count(home: Home, case: str, row: type) -> int:
    with home.open_case(case).read() as session:
        return int(session.scalar(select(func.count()).select_from(row)) or 0)


def _actions(home: Home, case: str) -> list[tuple[str, str]]:
    with home.open_case(case).read() as session:
        return [
            (a.actor, a.action) for a in session.scalars(select(AuditRow).order_by(AuditRow.seq))
        ]


def test_an_ingest_job_writes_the_source_under_its_users_name(home: Home, tmp_path: Path) -> None:
    home.create_case("op", timezone="Europe/Madrid")
    export = small_export(tmp_path)
    job_id = submit(
        home,
        "op",
        "ingest",
        {
            "paths": [str(export)],
            "captured_by": "UC 4471",
            "device": "unit phone 2",
            "capture_method": "export",
        },
        "ana",
    )
    assert records.get_job(home, job_id).status == "queued"  # type: ignore[union-attr]
    assert execute(home, job_id) == "done"
    job = records.get_job(home, job_id)
    assert job is not None and job.status == "done" and job.result["messages"] == 30
    assert _count(home, "op", MessageRow) == 30
    with home.open_case("op").read() as session:
        source = session.scalars(select(SourceRow)).one()
    assert source.captured_by == "UC 4471" and source.provenance["capture_device"] == "unit phone 2"
    actions = _actions(home, "op")
    assert ("ana", "ingest.source") in actions
    assert actions[-1] == ("ana", "job.done")


def test_queueing_a_job_is_audited_in_the_installation_log(home: Home, tmp_path: Path) -> None:
    from casegraph.intake.ledger import installation_case_id

    home.create_case("op")
    job_id = submit(home, "op", "analyze", {}, "ana")
    with home.installation_sessions()() as session:
        entry = session.scalars(
            select(AuditRow).where(AuditRow.case_id == installation_case_id(home))
        ).all()[-1]
    assert (entry.actor, entry.action, entry.target) == ("ana", "job.queued", f"job:{job_id}")
    assert entry.details == {"kind": "analyze", "case": "op"}


def test_a_refused_ingest_fails_with_one_line_and_leaves_the_case_as_it_was(
    home: Home, tmp_path: Path
) -> None:
    home.create_case("op")
    bad = tmp_path / "WhatsApp Chat with Broken.txt"
    bad.write_text("this is not a chat export at all\n", encoding="utf-8")
    job_id = submit(home, "op", "ingest", {"paths": [str(bad)]}, "ana")
    assert execute(home, job_id) == "failed"
    job = records.get_job(home, job_id)
    assert job is not None and job.error and "\n" not in job.error
    assert "Broken.txt" in job.error
    assert _count(home, "op", SourceRow) == 0
    assert _actions(home, "op")[-1] == ("ana", "job.failed")


def test_a_queued_job_cancelled_never_runs(home: Home, tmp_path: Path) -> None:
    home.create_case("op")
    job_id = submit(home, "op", "ingest", {"paths": [str(small_export(tmp_path))]}, "ana")
    assert records.request_cancel(home, job_id).status == "cancelled"
    assert execute(home, job_id) == "skipped"
    assert _count(home, "op", SourceRow) == 0


def test_a_running_job_stops_at_its_next_step_when_cancelled(home: Home, tmp_path: Path) -> None:
    home.create_case("op")
    job_id = submit(home, "op", "match", {}, "ana")
    assert records.claim(home, job_id)
    assert records.request_cancel(home, job_id).cancel_requested
    with pytest.raises(Cancelled):
        Progress(home, job_id).step(1, 2, "matching")


def test_a_job_whose_worker_stopped_beating_is_queued_again(home: Home, tmp_path: Path) -> None:
    from datetime import timedelta

    home.create_case("op")
    job_id = submit(home, "op", "analyze", {}, "ana")
    assert records.claim(home, job_id)
    assert records.stale_jobs(home, timedelta(seconds=-1)) == [job_id]
    job = records.get_job(home, job_id)
    assert job is not None and job.status == "queued" and "stopped answering" in job.note
    assert execute(home, job_id) == "done"


def test_a_job_that_lost_its_worker_three_times_fails_with_a_reason(home: Home) -> None:
    from datetime import timedelta

    home.create_case("op")
    job_id = submit(home, "op", "analyze", {}, "ana")
    for _ in range(records.MAX_ATTEMPTS):
        assert records.claim(home, job_id)
        records.stale_jobs(home, timedelta(seconds=-1))
    job = records.get_job(home, job_id)
    assert job is not None and job.status == "failed" and "stopped 3 times" in job.error


def test_an_unknown_kind_is_refused(home: Home) -> None:
    home.create_case("op")
    with pytest.raises(CaseError, match="unknown job kind"):
        records.create_job(home, "op", "format-disk", {}, "ana")
