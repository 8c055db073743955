"""Opening, creating and listing cases under a casegraph home.

Layout of a home (``--home`` / ``CASEGRAPH_HOME``)::

    installation.sqlite          users, tips, installation-wide audit
    cases/<name>/case.sqlite     the case (absent when --db-url names PostgreSQL)
    cases/<name>/evidence/       content-addressed write-once blobs
    cases/<name>/audit.head      newest audit entry (seq, hash), outside the database
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from casegraph import __version__
from casegraph.errors import CaseError
from casegraph.store.audit import AuditLog
from casegraph.store.db import make_engine, migrate, session_factory, sqlite_url, utcnow
from casegraph.store.evidence import EvidenceStore
from casegraph.store.schema import CaseRow
from casegraph.store.secret import installation_secret

CASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
INSTALLATION = "_installation"

_engines: dict[str, Engine] = {}


def _engine_for(url: str) -> Engine:
    """One engine per URL per process; migrations run the first time a URL is opened."""
    engine = _engines.get(url)
    if engine is None:
        engine = make_engine(url)
        try:
            migrate(engine)
        except OperationalError as exc:
            raise CaseError(
                f"cannot reach database {engine.url.render_as_string(hide_password=True)}: "
                f"{str(exc.orig).strip().splitlines()[0]}; check --db-url and that the server runs"
            ) from exc
        _engines[url] = engine
    return engine


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def check_case_name(name: str) -> str:
    if not CASE_NAME.match(name):
        raise CaseError(
            f"case name {name!r} is not allowed: use letters, digits, '.', '_' or '-' "
            "(at most 100, starting with a letter or digit)"
        )
    return name


def check_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CaseError(
            f"unknown time zone {tz!r}: use an IANA name such as Europe/Madrid"
        ) from exc
    return tz


@dataclass
class Case:
    """A handle on one case: its row id, database sessions, evidence blobs and audit chain."""

    name: str
    id: int
    timezone: str
    agency: str
    directory: Path
    sessions: sessionmaker[Session]
    evidence: EvidenceStore
    audit: AuditLog
    backend: str
    id_secret: bytes = field(default=b"", repr=False)  # keys account_key / chat_key

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def exclusive(self, verb: str) -> Iterator[None]:
        """Hold the case's writer lock (waiting, with a message, while another run holds it)."""
        from casegraph.store.caselock import hold_case

        engine = self.sessions.kw.get("bind")
        with hold_case(self.directory, self.name, self.id, verb, engine):
            yield

    @contextmanager
    def mutate(
        self,
        actor: str,
        action: str,
        target: str,
        reason: str = "",
        details: dict[str, Any] | None = None,
    ) -> Iterator[Session]:
        """One transaction with its audit entry; nothing of it persists unless all succeeds.

        The block may add keys to the returned session's `info["audit_details"]` to record
        what it did (counts, ids) in the audit entry.
        """
        with self.exclusive(action):
            session = self.sessions()
            session.info["audit_details"] = dict(details or {})
            try:
                yield session
                self.audit.append(
                    session, actor, action, target, reason, session.info["audit_details"]
                )
                session.commit()
                self.audit.write_anchor(session)
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def record(
        self,
        actor: str,
        action: str,
        target: str,
        reason: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        """An audit entry for an act that changes no case data (a download, a reveal)."""
        with self.mutate(actor, action, target, reason, details):
            pass


class Home:
    """A casegraph home directory, optionally pointing its cases at a PostgreSQL URL."""

    def __init__(self, root: Path, db_url: str | None = None) -> None:
        self.root = root
        self.db_url = db_url

    @property
    def backend(self) -> str:
        return "postgresql" if self.db_url else "sqlite"

    def case_dir(self, name: str) -> Path:
        return self.root / "cases" / name

    def _case_url(self, name: str) -> str:
        return self.db_url or sqlite_url(self.case_dir(name) / "case.sqlite")

    def installation_url(self) -> str:
        return self.db_url or sqlite_url(self.root / "installation.sqlite")

    def id_secret(self) -> bytes:
        """The key of this installation's public ids (store.secret)."""
        engine = _engine_for(self.db_url) if self.db_url else None
        return installation_secret(self.root, engine)

    def installation_sessions(self) -> sessionmaker[Session]:
        self.root.mkdir(parents=True, exist_ok=True)
        return session_factory(_engine_for(self.installation_url()))

    def create_case(
        self, name: str, timezone: str = "UTC", agency: str = "", actor: str = "cli"
    ) -> Case:
        check_case_name(name)
        check_timezone(timezone)
        if self.exists(name):
            raise CaseError(f"case {name!r} already exists in {self.root}; pick another name")
        directory = self.case_dir(name)
        created_dir = not directory.exists()
        directory.mkdir(parents=True, exist_ok=True)
        try:
            sessions = session_factory(_engine_for(self._case_url(name)))
            with sessions() as session, session.begin():
                row = CaseRow(
                    name=name,
                    timezone=timezone,
                    agency=agency,
                    created_at=utcnow(),
                    created_by=actor,
                    tool_version=__version__,
                )
                session.add(row)
        except BaseException:
            if created_dir:  # nothing half-made stays behind
                dispose_engines()
                shutil.rmtree(directory, ignore_errors=True)
            raise
        case = self.open_case(name)
        case.record(actor, "case.create", f"case:{name}", details={"timezone": timezone})
        return case

    def exists(self, name: str) -> bool:
        if self.db_url is None:
            return (self.case_dir(name) / "case.sqlite").is_file()
        sessions = session_factory(_engine_for(self.db_url))
        with sessions() as session:
            return session.scalar(select(CaseRow.id).where(CaseRow.name == name)) is not None

    def open_case(self, name: str) -> Case:
        check_case_name(name)
        if not self.exists(name):
            raise CaseError(
                f"no case {name!r} in {self.root}"
                f"{' (' + self.backend + ')' if self.db_url else ''}; "
                f"create it with: casegraph case create {name}"
            )
        sessions = session_factory(_engine_for(self._case_url(name)))
        with sessions() as session:
            row = session.scalars(select(CaseRow).where(CaseRow.name == name)).one()
        directory = self.case_dir(name)
        directory.mkdir(parents=True, exist_ok=True)
        return Case(
            name=name,
            id=row.id,
            timezone=row.timezone,
            agency=row.agency,
            directory=directory,
            sessions=sessions,
            evidence=EvidenceStore(directory / "evidence"),
            audit=AuditLog(row.id, directory / "audit.head"),
            backend=self.backend,
            id_secret=self.id_secret(),
        )

    def discard_case(self, name: str) -> None:
        """Remove a case entirely (rows, evidence, folder): undoes a creation whose first
        use failed, so nothing half-made stays behind."""
        check_case_name(name)
        if self.db_url is not None:
            sessions = session_factory(_engine_for(self.db_url))
            with sessions() as session, session.begin():
                session.execute(delete(CaseRow).where(CaseRow.name == name))
        dispose_engines()
        shutil.rmtree(self.case_dir(name), ignore_errors=True)

    def case_names(self) -> list[str]:
        if self.db_url is not None:
            sessions = session_factory(_engine_for(self.db_url))
            with sessions() as session:
                names = session.scalars(select(CaseRow.name).order_by(CaseRow.name)).all()
            return [n for n in names if n != INSTALLATION]
        base = self.root / "cases"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / "case.sqlite").is_file())
