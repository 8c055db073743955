"""CSV hash lists: a header naming any of md5, sha1, sha256, pdq, category, label.

Other columns are kept as entry metadata. `entry_id` (or `id`) names the entry when present;
otherwise the strongest hash in the row does, so re-importing the same rows updates them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from casegraph.errors import InputError
from casegraph.media.hashlists.base import (
    HashListFormat,
    ParsedList,
    clean_hash,
    has_any_hash,
    register,
)
from casegraph.media.hashlists.categories import CSV, is_pertinent
from casegraph.model import HashEntry

HASH_COLUMNS = ("md5", "sha1", "sha256", "pdq")
KNOWN_COLUMNS = (*HASH_COLUMNS, "category", "label")
ID_COLUMNS = ("entry_id", "id")


def read_csv(path: Path) -> ParsedList:
    parsed = ParsedList("csv")
    with path.open("r", encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path}: empty CSV; it needs a header such as 'pdq,category,label'")
        columns = [name.strip().lower() for name in header]
        if not set(columns) & set(HASH_COLUMNS):
            raise InputError(
                f"{path}: CSV header {header!r} names no hash column; "
                f"add one of {', '.join(HASH_COLUMNS)}"
            )
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise InputError(
                    f"{path}: line {line} has {len(row)} fields, the header {len(columns)}; "
                    "quote values that contain commas"
                )
            entry = _entry(dict(zip(columns, row, strict=True)), header, path, line)
            if entry.entry_id in seen:
                parsed.warnings.append(f"line {line}: entry {entry.entry_id} repeated; last kept")
                parsed.entries = [e for e in parsed.entries if e.entry_id != entry.entry_id]
            seen.add(entry.entry_id)
            parsed.entries.append(entry)
    return parsed


def _entry(values: dict[str, str], header: list[str], path: Path, line: int) -> HashEntry:
    where = f"line {line}"
    hashes = {k: clean_hash(values.get(k), k, path, where) for k in HASH_COLUMNS}
    category = (values.get("category") or "").strip() or None
    label = (values.get("label") or "").strip() or None
    explicit_id = next((values[c].strip() for c in ID_COLUMNS if values.get(c, "").strip()), None)
    original = {name.strip().lower(): name.strip() for name in header}
    metadata = {
        original[k]: v for k, v in values.items() if k not in KNOWN_COLUMNS and k not in ID_COLUMNS
    }
    entry = HashEntry(
        entry_id=explicit_id or "",
        md5=hashes["md5"],
        sha1=hashes["sha1"],
        sha256=hashes["sha256"],
        pdq=hashes["pdq"],
        category=category,
        scheme=CSV,
        pertinent=is_pertinent(CSV, category),
        label=label,
        metadata=metadata,
    )
    if not has_any_hash(entry):
        raise InputError(f"{path}: {where} has no hash value; fill one in or delete the line")
    if not entry.entry_id:
        entry.entry_id = entry.sha256 or entry.sha1 or entry.md5 or entry.pdq or ""
    return entry


def write_csv(entries: Iterable[HashEntry], path: Path) -> Path:
    """Write entries so that `read_csv` gives them back (ids, hashes, category, label, metadata)."""
    rows = list(entries)
    extra = sorted({key for e in rows for key in e.metadata})
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["entry_id", *KNOWN_COLUMNS, *extra])
        for e in rows:
            writer.writerow(
                [
                    e.entry_id,
                    e.md5 or "",
                    e.sha1 or "",
                    e.sha256 or "",
                    e.pdq or "",
                    e.category or "",
                    e.label or "",
                    *[str(e.metadata.get(k, "")) for k in extra],
                ]
            )
    return path


def _sniff(head: str) -> bool:
    """A first line naming a hash column (the header `read_csv` needs)."""
    lines = head.lstrip().splitlines()
    first = lines[0].lower() if lines else ""
    return any(name in first for name in HASH_COLUMNS)


register(HashListFormat("csv", _sniff, read_csv, is_delta=False, priority=90))
