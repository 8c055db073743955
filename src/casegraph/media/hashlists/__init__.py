"""Hash lists in and out. Pure: files -> entries.

Each reader module registers its format (name, sniff, read, is_delta) in `base`; importing
this package loads the built-in ones (VICS JSON, NCMEC hash-sharing XML, CSV). Detection
asks each format in priority order and refuses a file none of them claims.
"""

from __future__ import annotations

from pathlib import Path

from casegraph.errors import InputError
from casegraph.media.hashlists import csvlist, ncmec, vics  # noqa: F401  (they register)
from casegraph.media.hashlists.base import HASH_LIST_FORMATS, HashListFormat, ParsedList
from casegraph.media.hashlists.csvlist import write_csv
from casegraph.media.hashlists.vics import write_vics

SNIFF_BYTES = 4096

__all__ = [
    "HashListFormat",
    "ParsedList",
    "detect_format",
    "format_names",
    "hash_list_format",
    "hash_list_formats",
    "read_hash_list",
    "write_csv",
    "write_vics",
]


def hash_list_formats() -> list[HashListFormat]:
    """Every registered format, most specific sniff first."""
    return sorted(HASH_LIST_FORMATS.values(), key=lambda f: (f.priority, f.name))


def format_names() -> list[str]:
    return [f.name for f in hash_list_formats()]


def hash_list_format(name: str) -> HashListFormat:
    """The format registered as `name`; InputError naming the known ones otherwise."""
    try:
        return HASH_LIST_FORMATS[name]
    except KeyError:
        known = ", ".join(["auto", *format_names()])
        raise InputError(f"unknown hash-list format {name!r}; use one of {known}") from None


def detect_format(path: Path) -> str:
    """The name of the first format whose sniff claims the file; InputError when none does."""
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    text = head.decode("utf-8-sig", errors="replace")
    for list_format in hash_list_formats():
        if list_format.sniff(text):
            return list_format.name
    raise InputError(
        f"{path}: cannot tell the hash-list format; pass --format {' or '.join(format_names())}"
    )


def read_hash_list(path: Path, fmt: str = "auto") -> ParsedList:
    """Entries of a hash-list file; every problem is an InputError naming the file."""
    if fmt != "auto":
        hash_list_format(fmt)  # an unknown name fails before the file is looked at
    if not path.is_file():
        raise InputError(f"hash list {path} does not exist; check the path")
    chosen = hash_list_format(detect_format(path) if fmt == "auto" else fmt)
    try:
        return chosen.read(path)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); re-save it as UTF-8") from exc
