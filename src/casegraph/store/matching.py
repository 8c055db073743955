"""Writes what media hashing and hash-list matching learn: media PDQ, lists, entries, matches.

Each public function is one audited transaction (`case.mutate`). Matching recomputes the
wanted set of matches (cheap: exact lookups + the PDQ index) and writes only the difference,
so match rows keep their ids across re-runs, and a run where no media hash, list or setting
changed writes nothing but its audit entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from casegraph.errors import InputError
from casegraph.media.hashing import dihedral_pdqs
from casegraph.media.hashlists import hash_list_format, read_hash_list
from casegraph.media.matcher import Hit, ListRecord, MediaRecord, find_hits
from casegraph.model import HashEntry, MediaHashes
from casegraph.store.cases import Case
from casegraph.store.db import utcnow
from casegraph.store.evidence import hash_file
from casegraph.store.schema import HashEntryRow, HashListRow, MatchRow, MediaRow

# A kind guessed from a file name gives way to what the bytes say in these cases.
_KIND_UPGRADES = {("other", None), ("sticker", "animated_sticker"), ("image", "sticker")}


@dataclass(slots=True)
class HashListResult:
    name: str
    list_id: int
    format: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MatchResult:
    matches: int = 0
    added: int = 0
    removed: int = 0
    updated: int = 0
    known_material: int = 0  # distinct media with a pertinent, unsuppressed hit
    suppressed: int = 0
    media_compared: int = 0


# ---------------------------------------------------------------- hashing


def hash_case_media(
    case: Case,
    progress: bool = False,
    dask_address: str | None = None,
    dask_evidence_root: str | None = None,
    actor: str = "cli",
) -> int:
    """Hash every media row not hashed yet, from its evidence blob; returns how many.

    On a Dask cluster the workers read the blobs from the evidence store by path; pass
    `dask_evidence_root` when they mount it under another path than this machine. The audit
    entry names `actor`, the person who ran it (never the module doing the work).
    """
    with case.read() as session:
        pending = session.execute(
            select(MediaRow.id, MediaRow.sha256).where(
                MediaRow.case_id == case.id, MediaRow.hashed.is_(False)
            )
        ).all()
    if not pending:
        return 0
    present = [(mid, sha) for mid, sha in pending if case.evidence.has(sha)]
    paths = [case.evidence.path_for(sha) for _mid, sha in present]
    if dask_address is None:
        from casegraph.media.parallel import map_hash_files

        results = map_hash_files(paths, progress=progress)
    else:
        from casegraph.scale.hashing import hash_paths_on_cluster

        results = hash_paths_on_cluster(
            paths,
            dask_address,
            progress=progress,
            local_root=case.evidence.root,
            worker_root=dask_evidence_root,
        )
    by_id = dict(zip((mid for mid, _sha in present), results, strict=True))
    for (_mid, sha), hashed in zip(present, results, strict=True):
        hashed.error = _neutral_error(case, sha, hashed.error)
    with case.mutate(actor, "media.hash", f"case:{case.name}") as session:
        rows = session.scalars(select(MediaRow).where(MediaRow.id.in_([m for m, _ in pending])))
        errors = 0
        for row in rows:
            result = by_id.get(row.id)
            if result is None:
                row.hash_error = "evidence blob missing from the store; re-ingest the source"
                errors += 1
            else:
                _apply_hashes(row, result)
                errors += result.error is not None
            row.hashed = True
        session.info["audit_details"].update(
            {"hashed": len(pending), "unhashable": errors, "dask": dask_address is not None}
        )
    return len(pending)


def _neutral_error(case: Case, sha256: str, error: str | None) -> str | None:
    """Decoders name the file they read; a report must not carry this machine's paths."""
    if error is None:
        return None
    # Decoders may shorten the path they quote, so everything up to the quote goes.
    error = re.sub(
        re.escape(str(case.evidence.root)) + r"[^'\"\s]*", f"evidence blob {sha256}", error
    )
    return re.sub(re.escape(str(case.directory)) + r"[^'\"\s]*", "a file of the case", error)


def _apply_hashes(row: MediaRow, result: MediaHashes) -> None:
    if result.file.sha256 != row.sha256:
        row.hash_error = f"evidence blob now hashes to {result.file.sha256}; verify the store"
        return
    if (row.kind, None) in _KIND_UPGRADES or (row.kind, result.kind) in _KIND_UPGRADES:
        row.kind = result.kind
    row.mime = result.mime or row.mime
    row.width, row.height = result.width, result.height
    row.pdq, row.pdq_quality = result.pdq, result.pdq_quality
    row.frame_pdqs = [[h, q] for h, q in result.frame_pdqs]
    row.hash_error = result.error


# ---------------------------------------------------------------- hash lists


def import_hash_list(
    case: Case,
    path: Path,
    name: str | None = None,
    fmt: str = "auto",
    pdq_threshold: int = 31,
    quality_floor: int = 50,
    negative: bool = False,
    actor: str = "cli",
) -> HashListResult:
    """Import or update a list. A full-list format (VICS, CSV) is the whole list: entries
    missing from a re-import are removed. A delta format (NCMEC) upserts entries and applies
    its tombstones."""
    path = Path(path)
    if not 0 <= pdq_threshold <= 256:
        raise InputError(f"PDQ threshold {pdq_threshold} is out of range; use 0..256 (HMA: 31)")
    if not 0 <= quality_floor <= 100:
        raise InputError(f"quality floor {quality_floor} is out of range; use 0..100 (HMA: 50)")
    parsed = read_hash_list(path, fmt)
    list_name = name or path.name.split(".")[0]
    digest = hash_file(path).sha256
    details = {"file": str(path), "sha256": digest, "format": parsed.format}
    with case.mutate(actor, "hashlist.import", f"hashlist:{list_name}", details=details) as session:
        row = session.scalars(
            select(HashListRow).where(HashListRow.case_id == case.id, HashListRow.name == list_name)
        ).one_or_none()
        if row is None:
            row = HashListRow(case_id=case.id, name=list_name, imported_at=utcnow())
            session.add(row)
        row.format, row.source_sha256 = parsed.format, digest
        row.pdq_threshold, row.quality_floor, row.negative = pdq_threshold, quality_floor, negative
        row.imported_at = utcnow()
        session.flush()
        result = HashListResult(list_name, row.id, parsed.format, warnings=parsed.warnings)
        existing = {
            e.entry_id: e
            for e in session.scalars(select(HashEntryRow).where(HashEntryRow.list_id == row.id))
        }
        incoming = {e.entry_id: e for e in parsed.entries}
        for entry_id, entry in incoming.items():
            known = existing.get(entry_id)
            if known is None:
                session.add(_entry_row(row.id, entry))
                result.added += 1
            elif _entry_of(known) != entry:
                _fill_entry_row(known, entry)
                result.updated += 1
            else:
                result.unchanged += 1
        delta = hash_list_format(parsed.format).is_delta
        gone = set(parsed.deleted) if delta else set(existing) - set(incoming)
        gone_rows = [existing[e].id for e in gone if e in existing]
        if gone_rows:
            session.execute(delete(MatchRow).where(MatchRow.entry_id.in_(gone_rows)))
            session.execute(delete(HashEntryRow).where(HashEntryRow.id.in_(gone_rows)))
        result.removed = len(gone_rows)
        session.flush()
        row.entry_count = len(existing) + result.added - result.removed
        session.info["audit_details"].update(
            {
                "list": list_name,
                "added": result.added,
                "updated": result.updated,
                "removed": result.removed,
                "negative": negative,
                "pdq_threshold": pdq_threshold,
                "quality_floor": quality_floor,
            }
        )
    return result


def _entry_row(list_id: int, entry: HashEntry) -> HashEntryRow:
    row = HashEntryRow(list_id=list_id, entry_id=entry.entry_id)
    _fill_entry_row(row, entry)
    return row


def _fill_entry_row(row: HashEntryRow, entry: HashEntry) -> None:
    row.md5, row.sha1, row.sha256, row.pdq = entry.md5, entry.sha1, entry.sha256, entry.pdq
    row.category, row.scheme, row.pertinent = entry.category, entry.scheme, entry.pertinent
    row.label, row.extra = entry.label, dict(entry.metadata)


def _entry_of(row: HashEntryRow) -> HashEntry:
    return HashEntry(
        entry_id=row.entry_id,
        md5=row.md5,
        sha1=row.sha1,
        sha256=row.sha256,
        pdq=row.pdq,
        category=row.category,
        scheme=row.scheme,
        pertinent=bool(row.pertinent),
        label=row.label,
        metadata=dict(row.extra or {}),
    )


# ---------------------------------------------------------------- matching


def match_case(
    case: Case,
    pdq_threshold: int | None = None,
    dihedral: bool = False,
    actor: str = "cli",
    dask_address: str | None = None,
) -> MatchResult:
    """Match every media row against every list; write the difference to the matches table.

    A hit on a negative list (known false positives) suppresses that media's other hits.
    """
    if pdq_threshold is not None and not 0 <= pdq_threshold <= 256:
        raise InputError(f"PDQ threshold {pdq_threshold} is out of range; use 0..256 (HMA: 31)")
    with case.read() as session:
        media_rows = session.scalars(select(MediaRow).where(MediaRow.case_id == case.id)).all()
        media = [_media_record(case, m, dihedral) for m in media_rows]
        lists = _list_records(session, case.id)
    search = None
    if dask_address is not None:
        from casegraph.scale.matching import cluster_searcher

        search = cluster_searcher(dask_address)
    hits = (
        find_hits(media, lists, pdq_threshold)
        if search is None
        else find_hits(media, lists, pdq_threshold, search=search)
    )
    negative_lists = {hl.id for hl in lists if hl.negative}
    details = {"pdq_threshold": pdq_threshold, "dihedral": dihedral, "lists": len(lists)}
    with case.mutate(actor, "match.run", f"case:{case.name}", details=details) as session:
        result = _write_matches(session, case.id, hits, negative_lists)
        result.media_compared = len(media)
        session.info["audit_details"].update(
            {
                "matches": result.matches,
                "added": result.added,
                "removed": result.removed,
                "updated": result.updated,
                "known_material": result.known_material,
                "suppressed": result.suppressed,
            }
        )
    return result


def _media_record(case: Case, row: MediaRow, dihedral: bool) -> MediaRecord:
    variants: list[str] = []
    if dihedral and row.pdq and case.evidence.has(row.sha256):
        variants = dihedral_pdqs(case.evidence.read(row.sha256))
    return MediaRecord(
        id=row.id,
        sha256=row.sha256,
        md5=row.md5,
        sha1=row.sha1,
        pdq=row.pdq,
        quality=row.pdq_quality,
        frames=[(str(h), int(q)) for h, q in (row.frame_pdqs or [])],
        dihedral=variants,
    )


def _list_records(session: Session, case_id: int) -> list[ListRecord]:
    records = []
    for hl in session.scalars(select(HashListRow).where(HashListRow.case_id == case_id)):
        record = ListRecord(hl.id, hl.name, hl.pdq_threshold, hl.quality_floor, hl.negative)
        for e in session.scalars(select(HashEntryRow).where(HashEntryRow.list_id == hl.id)):
            record.entries.append((e.id, _entry_of(e)))
        records.append(record)
    return records


def _fields(hit: Hit) -> tuple[object, ...]:
    return (hit.method, hit.distance, hit.quality, hit.category, hit.scheme, hit.pertinent)


def _write_matches(
    session: Session, case_id: int, hits: list[Hit], negative_lists: set[int]
) -> MatchResult:
    result = MatchResult(matches=len(hits))
    existing = {
        (m.media_id, m.entry_id): m
        for m in session.scalars(select(MatchRow).where(MatchRow.case_id == case_id))
    }
    wanted = {(h.media_id, h.entry_row_id): h for h in hits}
    for key in set(existing) - set(wanted):
        session.delete(existing.pop(key))
        result.removed += 1
    for key, hit in wanted.items():
        row = existing.get(key)
        if row is None:
            row = MatchRow(case_id=case_id, media_id=hit.media_id, entry_id=hit.entry_row_id)
            session.add(row)
            existing[key] = row
            result.added += 1
        elif (row.method, row.distance, row.quality, row.category, row.scheme, row.pertinent) != (
            _fields(hit)
        ):
            result.updated += 1
        row.list_id = hit.list_id
        row.method, row.distance, row.quality = hit.method, hit.distance, hit.quality
        row.category, row.scheme, row.pertinent = hit.category, hit.scheme, hit.pertinent
    session.flush()
    suppressor: dict[int, int] = {}
    for key, row in sorted(existing.items()):
        if row.list_id in negative_lists:
            suppressor.setdefault(key[0], row.id)
    known: set[int] = set()
    for key, row in existing.items():
        by = suppressor.get(key[0]) if row.list_id not in negative_lists else None
        row.suppressed_by = by
        result.suppressed += by is not None
        if row.pertinent and by is None:
            known.add(key[0])
    result.known_material = len(known)
    return result
