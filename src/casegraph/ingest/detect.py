"""Which parser fits an input: files, zips and folders become source units.

A unit is one piece of evidence as submitted: a loose .txt/.json/.md, a zip, or an export
folder (Telegram Desktop's, signal-export's, an unzipped WhatsApp export). A folder that is
none of those is a folder *of* exports, and each entry becomes its own unit.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from casegraph.errors import InputError
from casegraph.ingest.archive import is_ignored
from casegraph.ingest.whatsapp_header import HEADER
from casegraph.ingest.whatsapp_patterns import name_hint

SNIFF_BYTES = 64 * 1024
MAX_FOLDER_NESTING = 4
_CHATLIKE = re.compile(r"(chat|whatsapp)", re.I)


@dataclass(frozen=True)
class SourceUnit:
    path: Path
    format: str  # whatsapp | telegram | signal-md | sigtop-json
    container: str  # file | zip | folder
    text_member: str | None = None  # the chat text inside a zip or folder


def whatsapp_text_member(names: list[str]) -> str | None:
    """`_chat.txt`, else a localized export name, else the shortest chat-like .txt."""
    texts = [n for n in names if n.lower().endswith(".txt") and not is_ignored(n)]
    for name in texts:
        if PurePosixPath(name).name == "_chat.txt":
            return name
    for name in texts:
        if name_hint(PurePosixPath(name).name):
            return name
    chatlike = sorted((n for n in texts if _CHATLIKE.search(PurePosixPath(n).name)), key=len)
    if chatlike:
        return chatlike[0]
    return texts[0] if len(texts) == 1 else None


def _sniff_whatsapp(head: bytes) -> bool:
    text = head.decode("utf-8", "replace")
    return any(HEADER.match(line) for line in text.splitlines()[:200])


def _unit_for_members(path: Path, names: list[str], container: str) -> SourceUnit | None:
    bases = {PurePosixPath(n).name: n for n in names if not is_ignored(n)}
    if "result.json" in bases:
        return SourceUnit(path, "telegram", container, bases["result.json"])
    if "chat.md" in bases:
        return SourceUnit(path, "signal-md", container, bases["chat.md"])
    member = whatsapp_text_member(names)
    if member is not None:
        return SourceUnit(path, "whatsapp", container, member)
    return None


def detect_file(path: Path) -> SourceUnit:
    suffix = path.suffix.lower()
    if suffix == ".zip" or zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = [i.filename for i in archive.infolist() if not i.is_dir()]
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"{path.name}: not a readable zip ({exc}); check the copy") from exc
        unit = _unit_for_members(path, names, "zip")
        if unit is None:
            raise InputError(
                f"{path.name}: no chat inside (no _chat.txt, WhatsApp .txt, result.json or "
                "chat.md); is this a chat export?"
            )
        return unit
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    if suffix == ".json":
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if start == b"[":
            return SourceUnit(path, "sigtop-json", "file")
        if start == b"{":
            return SourceUnit(path, "telegram", "file")
    if suffix == ".md":
        return SourceUnit(path, "signal-md", "file")
    if suffix == ".txt" and _sniff_whatsapp(head):
        return SourceUnit(path, "whatsapp", "file")
    raise InputError(
        f"{path.name}: not a chat export casegraph reads (WhatsApp .txt/.zip, Telegram "
        "result.json, signal-export chat.md, sigtop .json); check the file"
    )


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
    if single or "result.json" in names or "chat.md" in names:
        unit = _unit_for_members(path, names, "folder")
        if unit is not None:
            return [unit]
    if depth >= MAX_FOLDER_NESTING:
        raise InputError(f"{path}: folders nested too deep; pass the export folders directly")
    units: list[SourceUnit] = []
    for child in sorted(path.iterdir()):
        if is_ignored(child.name):
            continue
        if child.is_file() and child.suffix.lower() not in (".txt", ".json", ".zip", ".md"):
            continue
        units.extend(_expand(child, depth + 1))
    if not units:
        raise InputError(f"{path}: no chat export found in this folder; check the path")
    return units
