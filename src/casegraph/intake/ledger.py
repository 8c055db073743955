"""The installation's own audit chain (users, tips, exposures), kept like a case's.

Installation-wide rows live in the installation database; their audit entries hang off a
pseudo-case row named `_installation` there, so the same hash-chained AuditLog serves both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph import __version__
from casegraph.store.audit import AuditLog
from casegraph.store.cases import INSTALLATION, Home
from casegraph.store.db import utcnow
from casegraph.store.schema import CaseRow

_ids: dict[str, int] = {}
# Appends to one hash chain must not interleave: two would claim the same sequence number.
write_lock = threading.Lock()


def installation_case_id(home: Home) -> int:
    """Row id of the `_installation` pseudo-case, created the first time it is needed."""
    url = home.installation_url()
    if url in _ids:
        return _ids[url]
    sessions = home.installation_sessions()
    with sessions() as session, session.begin():
        row_id = session.scalar(select(CaseRow.id).where(CaseRow.name == INSTALLATION))
        if row_id is None:
            row = CaseRow(
                name=INSTALLATION,
                timezone="UTC",
                created_at=utcnow(),
                created_by="casegraph",
                tool_version=__version__,
            )
            session.add(row)
            session.flush()
            row_id = row.id
    _ids[url] = row_id
    return row_id


def installation_audit(home: Home) -> AuditLog:
    return AuditLog(installation_case_id(home), home.root / "installation.audit.head")


@contextmanager
def installation_writer(home: Home, verb: str) -> Iterator[None]:
    """The one writer of the installation's audit chain at a time, across threads (write_lock)
    and across web and job processes (a file lock in the home, and a PostgreSQL advisory lock)."""
    from casegraph.store.caselock import hold_case

    directory = home.root / "locks" / "installation"
    directory.mkdir(parents=True, exist_ok=True)
    engine = home.installation_sessions().kw.get("bind")
    with write_lock, hold_case(directory, INSTALLATION, installation_case_id(home), verb, engine):
        yield


@contextmanager
def installation_mutate(
    home: Home,
    actor: str,
    action: str,
    target: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> Iterator[Session]:
    """One installation transaction with its audit entry, like `Case.mutate`."""
    audit = installation_audit(home)
    with installation_writer(home, action):
        session = home.installation_sessions()()
        session.info["audit_details"] = dict(details or {})
        try:
            yield session
            audit.append(session, actor, action, target, reason, session.info["audit_details"])
            session.commit()
            audit.write_anchor(session)
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
