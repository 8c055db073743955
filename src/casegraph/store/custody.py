"""Custody checks over a whole case: every blob the database names is re-hashed, and the
rows each source became are checked against the digests its ingest recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from casegraph.errors import CaseError
from casegraph.model import FileHashes, chat_key
from casegraph.store.cases import Case
from casegraph.store.evidence import BlobProblem
from casegraph.store.rowdigest import (
    EMPTY,
    RowKey,
    differing_fields,
    parsed_rows,
    source_digests,
    stored_rows,
)
from casegraph.store.schema import AuditRow, SourceMemberRow, SourceRow


@dataclass(frozen=True)
class EvidenceReport:
    checked: int
    problems: list[BlobProblem]
    unreferenced: list[str]  # blobs on disk no row names (left by an interrupted ingest)
    partials: list[str] = field(default_factory=list)  # temporary files of killed writers

    @property
    def ok(self) -> bool:
        return not self.problems


def expected_blobs(case: Case) -> dict[str, tuple[str, str, int]]:
    """sha256 -> (md5, sha1, size) of every source and archive member the case holds."""
    expected: dict[str, tuple[str, str, int]] = {}
    with case.read() as session:
        for row in session.execute(
            select(SourceRow.sha256, SourceRow.md5, SourceRow.sha1, SourceRow.size).where(
                SourceRow.case_id == case.id
            )
        ):
            expected[row[0]] = (row[1], row[2], row[3])
        for row in session.execute(
            select(
                SourceMemberRow.sha256,
                SourceMemberRow.md5,
                SourceMemberRow.sha1,
                SourceMemberRow.size,
            ).where(SourceMemberRow.case_id == case.id)
        ):
            expected[row[0]] = (row[1], row[2], row[3])
    return expected


def verify_evidence(case: Case) -> EvidenceReport:
    expected = expected_blobs(case)
    problems = case.evidence.verify(expected)
    unreferenced = [sha for sha in case.evidence.blobs() if sha not in expected]
    partials = [p.name for p in case.evidence.partials()]
    return EvidenceReport(len(expected), problems, unreferenced, partials)


# ---- the rows the evidence became -----------------------------------------------------------

ROW_PROBLEMS_PER_SOURCE = 10


@dataclass(frozen=True)
class RowProblem:
    source: str  # the file name as submitted
    sha256: str
    problem: str


@dataclass(frozen=True)
class RowsReport:
    sources: int
    problems: list[RowProblem]
    unrecorded: list[str]  # sources ingested before row digests were recorded

    @property
    def ok(self) -> bool:
        return not self.problems


def _recorded_digests(case: Case) -> dict[str, dict[str, str]]:
    """source sha256 -> chat key -> row digest, as each ingest's audit entry recorded it."""
    recorded: dict[str, dict[str, str]] = {}
    with case.read() as session:
        for target, details in session.execute(
            select(AuditRow.target, AuditRow.details).where(
                AuditRow.case_id == case.id, AuditRow.action == "ingest.source"
            )
        ):
            rows = (details or {}).get("rows")
            if isinstance(rows, dict):
                recorded[target.removeprefix("source:")] = rows
    return recorded


def verify_rows(case: Case, deep: bool = False) -> RowsReport:
    """Recompute each source's row digests; with `deep`, re-parse the evidence and compare
    row by row, naming each row that differs."""
    recorded = _recorded_digests(case)
    problems: list[RowProblem] = []
    unrecorded: list[str] = []
    with case.read() as session:
        sources = session.scalars(
            select(SourceRow).where(SourceRow.case_id == case.id).order_by(SourceRow.id)
        ).all()
    for source in sources:
        expected = recorded.get(source.sha256)
        if expected is None:
            unrecorded.append(source.filename)
        else:
            with case.read() as session:
                actual = source_digests(session, case.id, source.id)
            problems.extend(_compare_digests(source, expected, actual))
        if deep:
            with case.read() as session:
                stored = stored_rows(session, case.id, source.id)
            problems.extend(_compare_with_evidence(case, source, stored))
    return RowsReport(len(sources), problems, unrecorded)


def _compare_digests(
    source: SourceRow, expected: dict[str, str], actual: dict[str, str]
) -> list[RowProblem]:
    problems = []
    for chat in sorted(set(expected) | set(actual)):
        # a chat may have had no rows of this source: its digest is that of no rows
        if actual.get(chat, EMPTY) != expected.get(chat):
            what = (
                "appeared after ingest"
                if chat not in expected
                else "were removed"
                if chat not in actual
                else "changed since ingest"
            )
            problems.append(
                RowProblem(
                    source.filename,
                    source.sha256,
                    f"rows of chat {chat} {what} (digest recorded in the audit log differs; "
                    "run evidence verify --deep to name the rows)",
                )
            )
    return problems


def _compare_with_evidence(
    case: Case, source: SourceRow, stored: dict[str, dict[RowKey, Any]]
) -> list[RowProblem]:
    from casegraph.store.ingest import reparse_source

    with case.read() as session:
        members = {
            m.path: FileHashes(m.sha256, m.md5, m.sha1, m.size)
            for m in session.scalars(
                select(SourceMemberRow).where(SourceMemberRow.source_id == source.id)
            )
        }
    try:
        chats = reparse_source(case, source, members)
    except (CaseError, OSError) as exc:
        return [RowProblem(source.filename, source.sha256, f"cannot re-parse the evidence: {exc}")]
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for parsed in chats:
        fresh = dict(parsed_rows(parsed.records))
        assert parsed.chat is not None
        chat = chat_key(parsed.platform, parsed.chat.native_id, case.id_secret)
        seen.add(chat)
        problems.extend(_row_differences(source, chat, stored.get(chat, {}), fresh))
    for chat in sorted(set(stored) - seen):
        problems.append(
            RowProblem(source.filename, source.sha256, f"chat {chat} is not in the evidence")
        )
    return problems


def _row_differences(
    source: SourceRow,
    chat: str,
    stored: dict[RowKey, tuple[Any, ...]],
    fresh: dict[RowKey, tuple[Any, ...]],
) -> list[RowProblem]:
    lines: list[str] = []
    for key in sorted(set(stored) | set(fresh)):
        kind, seq = key
        if key not in stored:
            lines.append(f"{kind} {seq} of the evidence is missing from the database")
        elif key not in fresh:
            lines.append(f"{kind} {seq} in the database is not in the evidence")
        elif stored[key] != fresh[key]:
            fields = ", ".join(differing_fields(kind, stored[key], fresh[key]))
            line = fresh[key][7]  # both tables keep the source line at index 7
            lines.append(f"{kind} {seq} (line {line}) differs from the evidence in: {fields}")
    problems = [
        RowProblem(source.filename, source.sha256, f"chat {chat}: {text}")
        for text in lines[:ROW_PROBLEMS_PER_SOURCE]
    ]
    if len(lines) > ROW_PROBLEMS_PER_SOURCE:
        problems.append(
            RowProblem(
                source.filename,
                source.sha256,
                f"chat {chat}: {len(lines) - ROW_PROBLEMS_PER_SOURCE} more row(s) differ",
            )
        )
    return problems
