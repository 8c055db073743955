"""Custody checks over a whole case: every blob the database names is re-hashed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from casegraph.store.cases import Case
from casegraph.store.evidence import BlobProblem
from casegraph.store.schema import SourceMemberRow, SourceRow


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
