"""What every hash-list reader returns, and the checks on hash values they share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casegraph.errors import InputError
from casegraph.model import HashEntry

HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(slots=True)
class ParsedList:
    """Entries of one list file; `deleted` holds ids the file withdraws (NCMEC tombstones)."""

    format: str
    entries: list[HashEntry] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    header: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def clean_hash(value: Any, kind: str, path: Path, where: str) -> str | None:
    """Lowercase hex of the right length, None when empty; InputError names file and place."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if len(text) != HEX_LENGTHS[kind] or not _HEX.match(text):
        raise InputError(
            f"{path}: {where}: {kind} {str(value)[:80]!r} is not {HEX_LENGTHS[kind]} hex "
            f"characters; fix or remove that value"
        )
    return text


def parse_bool(value: Any) -> bool | None:
    """Booleans as exports write them: true/false, "true"/"false", 1/0, "yes"/"no"."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y"):
        return True
    if text in ("false", "0", "no", "n", ""):
        return False
    return None


def has_any_hash(entry: HashEntry) -> bool:
    return any((entry.md5, entry.sha1, entry.sha256, entry.pdq))


# ---- the format registry ----------------------------------------------------------------


@dataclass(frozen=True)
class HashListFormat:
    """One hash-list file format; each reader module registers its own."""

    name: str  # what `--format` takes and `ParsedList.format` says
    sniff: Callable[[str], bool]  # the first 4 KiB as text (BOM removed, leading space kept)
    read: Callable[[Path], ParsedList]
    is_delta: bool  # True: a file holds changes (upserts, tombstones), not the whole list
    priority: int = 50  # lower is asked first


HASH_LIST_FORMATS: dict[str, HashListFormat] = {}


def register(list_format: HashListFormat) -> HashListFormat:
    known = HASH_LIST_FORMATS.get(list_format.name)
    if known is not None and known is not list_format:
        raise ValueError(f"hash-list format {list_format.name!r} is registered twice")
    HASH_LIST_FORMATS[list_format.name] = list_format
    return list_format
