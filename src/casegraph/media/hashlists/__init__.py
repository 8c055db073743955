"""Hash lists in and out: VICS JSON, NCMEC hash-sharing XML, CSV. Pure: files -> entries."""

from __future__ import annotations

from pathlib import Path

from casegraph.errors import InputError
from casegraph.media.hashlists.base import ParsedList
from casegraph.media.hashlists.csvlist import read_csv, write_csv
from casegraph.media.hashlists.ncmec import read_ncmec
from casegraph.media.hashlists.vics import read_vics, write_vics

FORMATS = ("auto", "vics", "ncmec", "csv")

__all__ = ["FORMATS", "ParsedList", "detect_format", "read_hash_list", "write_csv", "write_vics"]


def detect_format(path: Path) -> str:
    """vics, ncmec or csv from the first bytes; InputError when none fits."""
    with path.open("rb") as stream:
        head = stream.read(4096)
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith("{") or text.startswith("["):
        return "vics"
    if text.startswith("<"):
        return "ncmec"
    first_line = text.splitlines()[0].lower() if text else ""
    if any(name in first_line for name in ("md5", "sha1", "sha256", "pdq")):
        return "csv"
    raise InputError(f"{path}: cannot tell the hash-list format; pass --format vics, ncmec or csv")


def read_hash_list(path: Path, fmt: str = "auto") -> ParsedList:
    """Entries of a hash-list file; every problem is an InputError naming the file."""
    if fmt not in FORMATS:
        raise InputError(f"unknown hash-list format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise InputError(f"hash list {path} does not exist; check the path")
    chosen = detect_format(path) if fmt == "auto" else fmt
    try:
        if chosen == "vics":
            return read_vics(path)
        if chosen == "ncmec":
            return read_ncmec(path)
        return read_csv(path)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); re-save it as UTF-8") from exc
