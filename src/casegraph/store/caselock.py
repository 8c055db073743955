"""One writer per case at a time: whoever comes second waits, says so, and times out cleanly.

Two locks, always taken in this order and released in reverse:

- `cases/<name>/case.lock`, an `fcntl.flock` on a file beside the case's evidence (every
  backend): it guards the evidence directory and the SQLite file. Its content names the holder
  (verb, pid, host, since) so a waiter can say whom it waits for.
- on PostgreSQL, a session advisory lock keyed by the case id on a connection of its own
  (`application_name` names the holder): it also serialises homes on other machines that
  share the database.

Both are released by the kernel or the server when the holder dies, even by `kill -9`, so
there are no stale locks to clear. Within one process the lock is re-entrant per thread:
`ingest` holds it for the whole run and the `Case.mutate` transactions inside it pass through.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text

from casegraph.errors import CaseError

LOCK_FILE = "case.lock"
PG_LOCK_CLASS = 0x43470001  # advisory-lock namespace of casegraph case locks ("CG", 1)
POLL_SECONDS = 0.2
DEFAULT_TIMEOUT = 1800.0  # an ingest of a very large export can hold a case this long


def _say_on_stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


# Where "waiting for …" goes; the web app or tests may point it elsewhere.
notify_waiting: Callable[[str], None] = _say_on_stderr


# A browser request must not hang behind an hour-long ingest: the web app sets a short wait
# for the requests it serves (its job workers keep the long one).
request_wait: ContextVar[float | None] = ContextVar("casegraph_case_lock_wait", default=None)


def lock_timeout() -> float:
    """Seconds a writer waits for a busy case (`CASEGRAPH_LOCK_TIMEOUT`)."""
    short = request_wait.get()
    if short is not None:
        return short
    raw = os.environ.get("CASEGRAPH_LOCK_TIMEOUT", "")
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 7 * 86400:
        raise CaseError(
            f"CASEGRAPH_LOCK_TIMEOUT={raw!r} is not a number of seconds up to a week; "
            "unset it or fix it"
        )
    return seconds


@dataclass
class _ProcessHold:
    """This process's hold on one case: the thread that has it and how deep it is nested."""

    thread_lock: threading.RLock = field(default_factory=threading.RLock)
    depth: int = 0
    verb: str = ""
    file: IO[str] | None = None
    pg: Connection | None = None


_holds: dict[str, _ProcessHold] = {}
_holds_guard = threading.Lock()


def _holder_text(verb: str) -> str:
    return json.dumps(
        {
            "verb": verb,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        return f"{info['verb']} (pid {info['pid']} on {info['host']}, since {info['since']})"
    except (ValueError, KeyError, TypeError):
        return "another casegraph run"


def _wait(
    try_once: Callable[[], bool],
    who: Callable[[], str],
    case_name: str,
    deadline: float,
    timeout: float,
) -> None:
    """Poll `try_once` until it succeeds; say once whom we wait for; CaseError at the deadline."""
    told = False
    while not try_once():
        if not told:
            notify_waiting(
                f"waiting for case {case_name}: {who()} is writing to it "
                f"(up to {timeout:.0f} s, CASEGRAPH_LOCK_TIMEOUT)"
            )
            told = True
        if time.monotonic() >= deadline:
            raise CaseError(
                f"case {case_name} is busy: {who()} still holds it after {timeout:.0f} s; "
                "run again when it has finished, or raise CASEGRAPH_LOCK_TIMEOUT"
            )
        time.sleep(POLL_SECONDS)


def _take_file(
    directory: Path, case_name: str, verb: str, deadline: float, timeout: float
) -> IO[str]:
    directory.mkdir(parents=True, exist_ok=True)
    handle = (directory / LOCK_FILE).open("a+", encoding="utf-8")

    def try_once() -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def who() -> str:
        handle.seek(0)
        return _describe(handle.read())

    try:
        _wait(try_once, who, case_name, deadline, timeout)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    handle.truncate()
    handle.write(_holder_text(verb))
    handle.flush()
    return handle


def _release_file(handle: IO[str]) -> None:
    try:
        handle.seek(0)
        handle.truncate()
        handle.flush()
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def _take_pg(
    engine: Engine, case_id: int, case_name: str, verb: str, deadline: float, timeout: float
) -> Connection:
    connection = engine.connect()
    try:
        connection.execute(
            text("select set_config('application_name', :name, false)"),
            {"name": f"casegraph {verb} pid {os.getpid()}"[:63]},
        )
        connection.commit()

        def try_once() -> bool:
            got = connection.execute(
                text("select pg_try_advisory_lock(:cls, :obj)"),
                {"cls": PG_LOCK_CLASS, "obj": case_id},
            ).scalar_one()
            connection.commit()
            return bool(got)

        def who() -> str:
            name = connection.execute(
                text(
                    "select a.application_name from pg_locks l join pg_stat_activity a "
                    "on a.pid = l.pid where l.locktype = 'advisory' and l.granted "
                    "and l.classid = :cls and l.objid = :obj limit 1"
                ),
                {"cls": PG_LOCK_CLASS, "obj": case_id},
            ).scalar()
            connection.commit()
            return str(name) if name else "another casegraph run"

        _wait(try_once, who, case_name, deadline, timeout)
    except BaseException:
        connection.close()
        raise
    return connection


def _release_pg(connection: Connection, case_id: int) -> None:
    try:
        connection.execute(
            text("select pg_advisory_unlock(:cls, :obj)"), {"cls": PG_LOCK_CLASS, "obj": case_id}
        )
        connection.commit()
    finally:
        connection.close()


@contextmanager
def hold_case(
    directory: Path,
    case_name: str,
    case_id: int,
    verb: str,
    engine: Engine | None = None,
    timeout: float | None = None,
) -> Iterator[None]:
    """Hold the case's writer lock for the block (waiting for another holder first)."""
    timeout = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    key = str(directory.resolve())
    with _holds_guard:
        hold = _holds.setdefault(key, _ProcessHold())
    if not hold.thread_lock.acquire(timeout=timeout):
        raise CaseError(
            f"case {case_name} is busy: {hold.verb} in this process still holds it after "
            f"{timeout:.0f} s; try again when it has finished"
        )
    try:
        if hold.depth == 0:
            hold.file = _take_file(directory, case_name, verb, deadline, timeout)
            try:
                if engine is not None and engine.dialect.name == "postgresql":
                    hold.pg = _take_pg(engine, case_id, case_name, verb, deadline, timeout)
            except BaseException:
                _release_file(hold.file)
                hold.file = None
                raise
            hold.verb = verb
        hold.depth += 1
        try:
            yield
        finally:
            hold.depth -= 1
            if hold.depth == 0:
                _release(hold, case_id)
    finally:
        hold.thread_lock.release()


def _release(hold: _ProcessHold, case_id: int) -> None:
    pg, handle = hold.pg, hold.file
    hold.pg = hold.file = None
    try:
        if pg is not None:
            _release_pg(pg, case_id)
    finally:
        if handle is not None:
            _release_file(handle)


def held_by_this_process(directory: Path) -> bool:
    hold = _holds.get(str(directory.resolve()))
    return hold is not None and hold.depth > 0


def forget_after_fork(_: Any = None) -> None:
    """A forked child holds nothing: its copy of the parent's hold must not be released by it."""
    _holds.clear()


os.register_at_fork(after_in_child=forget_after_fork)
