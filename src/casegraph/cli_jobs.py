"""CLI verbs of background jobs: `worker` runs them, `jobs list|cancel` looks at them.

The other verbs never need a worker: they do their work in the calling process.
"""

from __future__ import annotations

from typing import Annotated

import typer

jobs_app = typer.Typer(help="Background jobs started from the web workspace.", no_args_is_help=True)


@jobs_app.command("list")
def jobs_list(
    case: Annotated[str | None, typer.Argument(help="Only this case's jobs")] = None,
) -> None:
    """Jobs, newest first: id, case, kind, status, user, progress or error."""
    from casegraph.cli import State, out
    from casegraph.jobs.records import list_jobs

    for job in list_jobs(State.home, case):
        detail = job.error or job.note
        out.print(f"{job.id}\t{job.case}\t{job.kind}\t{job.status}\t{job.user}\t{detail}")


@jobs_app.command("cancel")
def jobs_cancel(job_id: str) -> None:
    """Cancel a queued job, or stop a running one at its next step."""
    from casegraph.cli import State, out
    from casegraph.jobs.records import request_cancel

    job = request_cancel(State.home, job_id)
    out.print(f"job {job.id}: {job.status} ({job.note})")


def register(app: typer.Typer) -> None:
    if any(group.name == "jobs" for group in app.registered_groups):
        return
    app.add_typer(jobs_app, name="jobs")

    @app.command()
    def worker(
        threads: Annotated[int, typer.Option(help="Jobs run at the same time")] = 1,
    ) -> None:
        """Run background jobs (queue: SQLite in the home, or Redis with CASEGRAPH_REDIS_URL)."""
        import logging
        import os

        from casegraph.cli import State, out
        from casegraph.jobs.queue import REDIS_ENV, run_worker

        if threads < 1:
            raise typer.BadParameter("--threads must be 1 or more")
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        queue = os.environ.get(REDIS_ENV) or f"{State.home.root / 'jobs.sqlite'}"
        out.print(f"casegraph worker: {threads} thread(s), queue {queue}; Ctrl-C stops")
        run_worker(State.home, threads=threads)
