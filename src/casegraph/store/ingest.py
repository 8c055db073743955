"""Chat evidence in: hash every file into the evidence store, parse, write one transaction.

Per source unit (a zip, a folder, a loose file): the bytes go to the content-addressed
evidence store first (a crash there leaves only unreferenced blobs), then the parser reads
them back from the store and the records are written in one `case.mutate` transaction
(`ingest_writer`, messages through `ingest_bulk`), so a killed ingest leaves the case as it
was. A source whose SHA-256 is already in the case is skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casegraph import __version__
from casegraph.errors import CaseError, InputError
from casegraph.ingest import formats
from casegraph.ingest.archive import open_zip_members, survey_folder, survey_zip
from casegraph.ingest.detect import SourceUnit, find_sources
from casegraph.ingest.records import ParsedChat
from casegraph.model import FileHashes
from casegraph.store import ingest_parallel
from casegraph.store.cases import Case
from casegraph.store.db import utcnow
from casegraph.store.evidence import hash_file
from casegraph.store.ingest_device import link_stored_digests
from casegraph.store.ingest_writer import SourceWriter
from casegraph.store.rowdigest import link_digests, seq_ranges, source_digests
from casegraph.store.schema import SourceMemberRow, SourceRow


@dataclass(frozen=True, slots=True)
class Custody:
    """Who captured the evidence, how, when and on what device (the custody record's fields)."""

    captured_by: str
    method: str = ""  # empty: by source kind ("export" or "device database")
    captured_at: datetime | None = None
    device: str = ""


@dataclass
class IngestResult:
    sources_added: int = 0
    sources_skipped: int = 0
    messages: int = 0
    events: int = 0
    media: int = 0
    warnings: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Acquired:
    """A source unit whose bytes are in the evidence store."""

    unit: SourceUnit
    hashes: FileHashes
    members: dict[str, FileHashes]  # path inside the export -> hashes (empty for loose files)
    ignored: list[str]
    written: list[str]  # blobs new to the evidence store, removed again if parsing refuses


def default_region(case: Case) -> str | None:
    """National-format numbers are read in the region of the case's agency, when it is one."""
    agency = (case.agency or "").strip().upper()
    return agency if len(agency) == 2 and agency.isalpha() else None


def ingest_paths(
    case: Case,
    paths: list[Path],
    captured_by: str,
    actor: str = "cli",
    date_order: str | None = None,
    progress: bool = False,
    custody: Custody | None = None,
) -> IngestResult:
    """Ingest every export under `paths`; one transaction per source, re-runs are no-ops."""
    units = find_sources(paths)
    result = IngestResult()
    custody = custody or Custody(captured_by)
    # One writer per case: a second ingest (or match) waits for this one, and blobs this run
    # writes cannot be taken away by another run's cleanup while it works.
    with case.exclusive("ingest"), ExitStack() as stack:
        removed = case.evidence.remove_partials()
        if removed:
            result.warnings.append(
                f"removed {len(removed)} partial file(s) an interrupted run left in "
                f"{case.evidence.root / 'tmp'}"
            )
        bar = stack.enter_context(_progress()) if progress else None
        for unit in units:
            _ingest_unit(case, unit, custody, actor, date_order, result, bar)
    return result


# ---- acquisition ----------------------------------------------------------------------------


def _known_source(case: Case, sha256: str) -> bool:
    with case.read() as session:
        return (
            session.scalar(
                select(SourceRow.id).where(SourceRow.case_id == case.id, SourceRow.sha256 == sha256)
            )
            is not None
        )


def _acquire(case: Case, unit: SourceUnit) -> Acquired | None:
    """Store the unit's bytes; None when the case already holds this exact source."""
    evidence = case.evidence
    written: list[str] = []

    def keep(hashes: FileHashes, new: bool) -> FileHashes:
        if new:
            written.append(hashes.sha256)
        return hashes

    try:
        if unit.container == "folder":
            files, ignored = survey_folder(unit.path)
            with evidence.batch():
                members = {rel: keep(*evidence.put_file(unit.path / rel)) for rel in files}
            manifest = json.dumps(
                {"folder": unit.path.name, "files": {p: h.sha256 for p, h in members.items()}},
                sort_keys=True,
                ensure_ascii=False,
            ).encode()
            if _known_source(case, hashlib.sha256(manifest).hexdigest()):
                return None
            # The folder's identity is its manifest, kept as evidence like any file.
            return Acquired(unit, keep(*evidence.put_bytes(manifest)), members, ignored, written)
        zip_members, ignored = survey_zip(unit.path) if unit.container == "zip" else ([], [])
        if _known_source(case, hash_file(unit.path).sha256):  # hostile zips failed above
            return None
        hashes = keep(*evidence.put_file(unit.path))
        contents: dict[str, FileHashes] = {}
        stored = evidence.path_for(hashes.sha256)
        with evidence.batch():  # the zip itself is on disk already: its members are read from it
            for member, stream in open_zip_members(stored, zip_members, unit.path.name):
                contents[member.path] = keep(*evidence.put_stream(stream))  # type: ignore[arg-type]
        return Acquired(unit, hashes, contents, ignored, written)
    except InputError:
        _discard(case, written)
        raise


def _discard(case: Case, blobs: list[str]) -> None:
    """Remove blobs this ingest wrote: refused input leaves nothing of itself behind.

    Runs under the case lock; a blob that a committed row names is evidence and stays, even
    if this run was the one that wrote it.
    """
    named = _named_blobs(case, blobs)
    for sha256 in blobs:
        if sha256 not in named:
            case.evidence.path_for(sha256).unlink(missing_ok=True)


def _named_blobs(case: Case, blobs: list[str]) -> set[str]:
    named: set[str] = set()
    with case.read() as session:
        for start in range(0, len(blobs), 500):
            chunk = blobs[start : start + 500]
            for column, case_column in (
                (SourceRow.sha256, SourceRow.case_id),
                (SourceMemberRow.sha256, SourceMemberRow.case_id),
            ):
                named.update(
                    session.scalars(select(column).where(case_column == case.id, column.in_(chunk)))
                )
    return named


# ---- parsing ------------------------------------------------------------------------------


def _opener(case: Case, sha256: str) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    return lambda: case.evidence.open(sha256)


def _parse(case: Case, acquired: Acquired, date_order: str | None) -> list[ParsedChat]:
    unit = acquired.unit
    chat_format = formats.chat_format(unit.format)
    text_sha = (
        acquired.members[unit.text_member].sha256
        if unit.text_member is not None
        else acquired.hashes.sha256
    )
    blob = case.evidence.path_for(text_sha)
    request = formats.ParseRequest(
        open_bytes=_opener(case, text_sha),
        file_name=f"{unit.path.name}:{unit.text_member}" if unit.text_member else unit.path.name,
        tz=ZoneInfo(case.timezone),
        unit_name=unit.path.name,
        container=unit.container,
        text_member=unit.text_member,
        chat_name=unit.path.name if unit.container != "file" else unit.path.parent.name,
        blob_path=blob,
        member_paths={m: case.evidence.path_for(h.sha256) for m, h in acquired.members.items()},
        date_order=date_order,
        default_region=default_region(case),
        bulk=True,
    )
    if (
        chat_format.forkable
        and blob.stat().st_size >= ingest_parallel.PARALLEL_FROM_BYTES
        and ingest_parallel.can_fork()
    ):
        return [ingest_parallel.parse_in_child(chat_format, request)]
    return chat_format.parse(request)


# ---- writing ------------------------------------------------------------------------------


def _ingest_unit(
    case: Case,
    unit: SourceUnit,
    custody: Custody,
    actor: str,
    date_order: str | None,
    result: IngestResult,
    bar: Any,
) -> None:
    acquired = _acquire(case, unit)
    if acquired is None:
        result.sources_skipped += 1
        return
    try:
        chats = _parse(case, acquired, date_order)  # surveys run here: bad files fail unwritten
    except InputError:
        _discard(case, acquired.written)
        raise
    try:
        _write_source(case, unit, acquired, chats, custody, actor, date_order, result, bar)
    except IntegrityError as exc:  # only a writer that bypassed the case lock gets here
        raise CaseError(
            f"{unit.path.name}: another run stored this source at the same moment; "
            "run the ingest again (what is already stored is skipped)"
        ) from exc


def _capture_method(unit: SourceUnit) -> str:
    """The custody method a source implies when the caller named none."""
    return "device database" if unit.format.endswith("-db") else "export"


def _write_source(
    case: Case,
    unit: SourceUnit,
    acquired: Acquired,
    chats: list[ParsedChat],
    custody: Custody,
    actor: str,
    date_order: str | None,
    result: IngestResult,
    bar: Any,
) -> None:
    sha = acquired.hashes.sha256
    with case.mutate(
        actor, "ingest.source", f"source:{sha}", details={"file": unit.path.name}
    ) as s:
        source = SourceRow(
            case_id=case.id,
            sha256=sha,
            md5=acquired.hashes.md5,
            sha1=acquired.hashes.sha1,
            size=acquired.hashes.size,
            filename=unit.path.name,
            original_path=str(unit.path),
            format=f"{unit.format}-{unit.container}",
            captured_by=custody.captured_by,
            capture_method=custody.method or _capture_method(unit),
            captured_at=custody.captured_at,
            received_by=actor,
            received_at=utcnow(),
            tool="casegraph",
            tool_version=__version__,
            provenance={},
        )
        s.add(source)
        s.flush()
        writer = SourceWriter(case, s, source.id, sha, unit, acquired.members, bar)
        summaries = [writer.write_chat(parsed) for parsed in chats]
        referenced = writer.media.finish_members()
        if writer.media.new_media:  # files a device database knew only by digest
            link_stored_digests(s, case.id)
        provenance: dict[str, Any] = {
            "chats": summaries,
            "ignored_members": acquired.ignored,
            "unreferenced_members": sorted(set(acquired.members) - referenced - {unit.text_member}),
            "missing_members": writer.media.missing,
            # what a re-parse (`evidence verify --deep`) needs to read the source the same way
            "text_member": unit.text_member,
            "date_order": date_order,
        }
        if custody.device:
            provenance["capture_device"] = custody.device
        source.provenance = provenance
        s.flush()
        s.info["audit_details"].update(
            {
                "sha256": sha,
                "format": source.format,
                "messages": writer.messages,
                "events": writer.events,
                "members": len(acquired.members),
                "rows": writer.row_digests()
                if writer.digests_complete
                else source_digests(s, case.id, source.id),
                **_fold_record(s, case, source.id, writer),
            }
        )
    result.sources_added += 1
    result.messages += writer.messages
    result.events += writer.events
    result.media += writer.media.new_media
    result.sources.append({"sha256": sha, "filename": unit.path.name, "format": source.format})
    for parsed in chats:
        result.warnings.extend(parsed.warnings)
    if provenance["missing_members"]:
        result.warnings.append(
            f"{unit.path.name}: {len(provenance['missing_members'])} referenced file(s) not in "
            "the export (exported without media?)"
        )
    if provenance["unreferenced_members"]:
        result.warnings.append(
            f"{unit.path.name}: {len(provenance['unreferenced_members'])} file(s) in the export "
            "that no message references"
        )


def _fold_record(s: Session, case: Case, source_id: int, writer: SourceWriter) -> dict[str, Any]:
    """What overlap folding did, for the audit entry: this source's rows folded into others'
    (by seq), its links to them, and the new digests of sources whose rows took an author."""
    if not writer.folds:
        return {}
    amended = set().union(*(f.attributed_sources for f in writer.folds.values()))
    shas = dict(
        s.execute(select(SourceRow.id, SourceRow.sha256).where(SourceRow.id.in_(amended))).all()
    )
    return {
        "folded": {
            chat: {"message": seq_ranges(f.messages), "event": seq_ranges(f.events)}
            for chat, f in sorted(writer.folds.items())
        },
        "links": link_digests(s, case.id, source_id),
        "amended_rows": {
            shas[other]: source_digests(s, case.id, other) for other in sorted(amended)
        },
    }


def reparse_source(
    case: Case, source: SourceRow, members: dict[str, FileHashes]
) -> list[ParsedChat]:
    """Parse a stored source again from its evidence blobs, as its ingest did."""
    fmt, container = source.format.rsplit("-", 1)
    provenance = source.provenance or {}
    unit = SourceUnit(Path(source.filename), fmt, container, provenance.get("text_member"))
    hashes = FileHashes(source.sha256, source.md5, source.sha1, source.size)
    acquired = Acquired(unit, hashes, members, [], [])
    return _parse(case, acquired, provenance.get("date_order"))


def _progress() -> Any:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} records"),
        TimeElapsedColumn(),
        transient=True,
    )


def iter_units(paths: list[Path]) -> Iterator[SourceUnit]:
    """The source units `ingest_paths` would ingest, for callers that only want to look."""
    yield from find_sources(paths)
