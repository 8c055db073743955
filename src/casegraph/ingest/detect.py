"""Which parser fits an input: files, zips and folders become source units.

A unit is one piece of evidence as submitted: a loose .txt/.json/.md, a zip, or an export
folder (Telegram Desktop's, signal-export's, an unzipped WhatsApp export). A folder that is
none of those is a folder *of* exports, and each entry becomes its own unit.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from casegraph.errors import InputError
from casegraph.ingest.archive import is_ignored
from casegraph.ingest.formats import chat_format, chat_formats, claim_members, sniff_file

SNIFF_BYTES = 64 * 1024
MAX_FOLDER_NESTING = 4
_CHATLIKE = re.compile(r"(chat|whatsapp)", re.I)


@dataclass(frozen=True)
class SourceUnit:
    path: Path
    format: str  # a registered chat format's name (`ingest.formats`)
    container: str  # file | zip | folder
    text_member: str | None = None  # the chat text inside a zip or folder

    def __post_init__(self) -> None:
        chat_format(self.format)  # an unknown format name raises here, not at parse time


def _unit_for_members(path: Path, names: list[str], container: str) -> SourceUnit | None:
    claimed = claim_members([n for n in names if not is_ignored(n)])
    if claimed is None:
        return None
    return SourceUnit(path, claimed[0].name, container, claimed[1])


def _known_formats() -> str:
    return ", ".join(f.name for f in chat_formats())


def detect_file(path: Path) -> SourceUnit:
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = [i.filename for i in archive.infolist() if not i.is_dir()]
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"{path.name}: not a readable zip ({exc}); check the copy") from exc
        unit = _unit_for_members(path, names, "zip")
        if unit is None:
            raise InputError(
                f"{path.name}: no chat inside that a known format claims ({_known_formats()}); "
                "is this a chat export?"
            )
        return unit
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    found = sniff_file(path.name, head)
    if found is None:
        raise InputError(
            f"{path.name}: not a chat export casegraph reads (known formats: "
            f"{_known_formats()}); check the file"
        )
    return SourceUnit(path, found.name, "file")


def find_sources(paths: list[Path]) -> list[SourceUnit]:
    """Units for every path given, folders expanded; InputError for anything unreadable."""
    units: list[SourceUnit] = []
    for path in paths:
        units.extend(_expand(path, 0))
    return units


def _expand(path: Path, depth: int) -> list[SourceUnit]:
    if path.is_symlink():
        raise InputError(f"{path}: is a symbolic link; pass the real file or folder")
    if not path.exists():
        raise InputError(f"{path}: no such file or folder; check the path")
    if path.is_file():
        return [detect_file(path)]
    if not path.is_dir():
        raise InputError(
            f"{path}: not a regular file or folder (a device or a pipe?); pass the export itself"
        )
    names = sorted(p.relative_to(path).as_posix() for p in path.iterdir() if p.is_file())
    texts = [n for n in names if n.lower().endswith(".txt") and _CHATLIKE.search(n)]
    # Several chat texts or zips side by side: a folder *of* exports, not one export.
    single = len(texts) <= 1 and not any(n.lower().endswith(".zip") for n in names)
    markers = {m for f in chat_formats() for m in f.marker_names}
    if single or markers.intersection(names):
        unit = _unit_for_members(path, names, "folder")
        if unit is not None:
            return [unit]
    if depth >= MAX_FOLDER_NESTING:
        raise InputError(f"{path}: folders nested too deep; pass the export folders directly")
    suffixes = {".zip", *(s for f in chat_formats() for s in f.suffixes)}
    units: list[SourceUnit] = []
    for child in sorted(path.iterdir()):
        if is_ignored(child.name):
            continue
        if child.is_file() and child.suffix.lower() not in suffixes:
            continue
        units.extend(_expand(child, depth + 1))
    if not units:
        raise InputError(f"{path}: no chat export found in this folder; check the path")
    return units
