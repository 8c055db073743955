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
    RowKey,
    differing_fields,
    digest,
    expand_ranges,
    link_digests,
    parsed_rows,
    stored_rows,
)
from casegraph.store.schema import (
    AuditRow,
    MessageRow,
    MessageSourceRow,
    SourceMemberRow,
    SourceRow,
)


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


@dataclass
class _Recorded:
    """What the audit log recorded of one source's rows (latest amendment wins)."""

    rows: dict[str, str]
    links: dict[str, str] = field(default_factory=dict)
    folded: dict[str, dict[str, list[list[int]]]] = field(default_factory=dict)


def _recorded_digests(case: Case) -> dict[str, _Recorded]:
    """source sha256 -> the row digests, fold links and folded rows its audit entries record.

    A later ingest whose rows folded into this source's and named their authors records this
    source's digests anew ("amended_rows"); entries are read in order, so those win."""
    recorded: dict[str, _Recorded] = {}
    with case.read() as session:
        for target, details in session.execute(
            select(AuditRow.target, AuditRow.details)
            .where(AuditRow.case_id == case.id, AuditRow.action == "ingest.source")
            .order_by(AuditRow.id)
        ):
            details = details or {}
            rows = details.get("rows")
            if isinstance(rows, dict):
                recorded[target.removeprefix("source:")] = _Recorded(
                    rows, details.get("links", {}), details.get("folded", {})
                )
            for other, amended in (details.get("amended_rows") or {}).items():
                if other in recorded:
                    recorded[other].rows = amended
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
        with case.read() as session:
            stored = stored_rows(session, case.id, source.id)
            links = link_digests(session, case.id, source.id)
        expected = recorded.get(source.sha256)
        if expected is None:
            unrecorded.append(source.filename)
        else:
            problems.extend(_compare_digests(source, expected.rows, stored))
            problems.extend(_compare_links(source, expected.links, links))
        if deep:
            folded = expected.folded if expected is not None else {}
            problems.extend(_compare_with_evidence(case, source, stored, folded))
    return RowsReport(len(sources), problems, unrecorded)


def _compare_digests(
    source: SourceRow, expected: dict[str, str], stored: dict[str, dict[RowKey, Any]]
) -> list[RowProblem]:
    problems = []
    for chat in sorted(set(expected) | set(stored)):
        actual = digest(stored.get(chat, {}))  # a chat may have had no rows of this source
        if actual != expected.get(chat):
            what = (
                "appeared after ingest"
                if chat not in expected
                else "were removed"
                if chat not in stored
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


def _compare_links(
    source: SourceRow, expected: dict[str, str], actual: dict[str, str]
) -> list[RowProblem]:
    return [
        RowProblem(
            source.filename,
            source.sha256,
            f"links of chat {chat} to the rows other sources hold for it changed since ingest "
            "(run evidence verify --deep to name the rows)",
        )
        for chat in sorted(set(expected) | set(actual))
        if expected.get(chat) != actual.get(chat)
    ]


def _folded_keys(
    case: Case, source: SourceRow, folded: dict[str, dict[str, list[list[int]]]]
) -> dict[str, set[RowKey]]:
    """chat key -> rows of the evidence that ingest folded into other sources' rows.

    A folded message counts only while its link to the row that holds it is there; folded
    events are covered by the link digest (one link stands for an event split per member)."""
    with case.read() as session:
        linked = set(
            session.scalars(
                select(MessageSourceRow.seq).where(MessageSourceRow.source_id == source.id)
            )
        )
    keys: dict[str, set[RowKey]] = {}
    for chat, runs in folded.items():
        messages = expand_ranges(runs.get("message", [])) & linked
        keys[chat] = {("message", seq) for seq in messages}
        keys[chat] |= {("event", seq) for seq in expand_ranges(runs.get("event", []))}
    return keys


def _named_later(case: Case, source: SourceRow) -> set[int]:
    """Seqs of this source's messages that other sources also hold: one of them may have
    named an author this source did not know (a device owner's own messages)."""
    with case.read() as session:
        return set(
            session.scalars(
                select(MessageRow.seq)
                .join(MessageSourceRow, MessageSourceRow.message_id == MessageRow.id)
                .where(MessageRow.source_id == source.id)
            )
        )


def _compare_with_evidence(
    case: Case,
    source: SourceRow,
    stored: dict[str, dict[RowKey, Any]],
    folded: dict[str, dict[str, list[list[int]]]],
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
    elsewhere = _folded_keys(case, source, folded)
    named_later = _named_later(case, source)
    for parsed in chats:
        fresh = dict(parsed_rows(parsed.records))  # a WhatsApp chat is known once read
        assert parsed.chat is not None
        chat = chat_key(parsed.platform, parsed.chat.native_id, case.id_secret)
        for key in elsewhere.get(chat, set()):
            fresh.pop(key, None)
        seen.add(chat)
        problems.extend(_row_differences(source, chat, stored.get(chat, {}), fresh, named_later))
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
    named_later: set[int],
) -> list[RowProblem]:
    lines: list[str] = []
    for key in sorted(set(stored) | set(fresh)):
        kind, seq = key
        if key not in stored:
            lines.append(f"{kind} {seq} of the evidence is missing from the database")
        elif key not in fresh:
            lines.append(f"{kind} {seq} in the database is not in the evidence")
        elif stored[key] != fresh[key]:
            differing = differing_fields(kind, stored[key], fresh[key])
            if differing == ["author"] and fresh[key][2] is None and seq in named_later:
                continue  # an overlapping source named the author this one left unknown
            fields = ", ".join(differing)
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
