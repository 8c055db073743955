"""Safe reading of zip archives and export folders: nothing outside, nothing unbounded.

Every check runs on the central directory before a byte is extracted (paths, symlinks,
encryption, member count, declared sizes, compression ratio, depth), and extraction counts
the bytes it actually inflates so a lying header is caught too.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from casegraph.errors import InputError

# What zipfile inflates; any other method (9 = Deflate64, 93 = Zstandard, ...) is refused.
READABLE_METHODS = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
RATIO_FLOOR = 1 << 20  # below this much content, no ratio says "bomb"
IGNORED_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".gz", ".7z", ".rar")


@dataclass(frozen=True)
class Limits:
    max_members: int = 100_000
    max_total_bytes: int = 8 << 30
    max_member_bytes: int = 4 << 30
    max_ratio: float = 200.0  # uncompressed / compressed, per member above 1 MiB and in total
    max_depth: int = 16  # folder levels inside one export
    max_nesting: int = 1  # archives are not opened inside archives


def is_ignored(path: str) -> bool:
    """macOS and Windows droppings that carry no evidence (logged, not stored)."""
    parts = PurePosixPath(path).parts
    if not parts:
        return True
    return "__MACOSX" in parts or parts[-1].startswith("._") or parts[-1] in IGNORED_NAMES


def _checked_name(archive: str, name: str, limits: Limits) -> str:
    """The member path as a safe relative POSIX path, or InputError."""
    if "\x00" in name:
        raise InputError(f"{archive}: member name with a NUL byte; the archive is not an export")
    unified = name.replace("\\", "/")
    path = PurePosixPath(unified)
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        raise InputError(
            f"{archive}: member {name!r} has an absolute path; refusing the archive "
            "(re-export it from the phone)"
        )
    if ".." in path.parts:
        raise InputError(
            f"{archive}: member {name!r} points outside the archive (path traversal); refusing it"
        )
    if not path.parts:
        raise InputError(f"{archive}: member {name!r} has no file name; refusing the archive")
    if len(path.parts) > limits.max_depth:
        raise InputError(f"{archive}: member {name!r} is nested too deep; refusing the archive")
    return str(path)


@dataclass(frozen=True)
class ZipMember:
    path: str
    info: zipfile.ZipInfo


def survey_zip(path: Path, limits: Limits = Limits()) -> tuple[list[ZipMember], list[str]]:
    """Members worth reading and the ignored names; InputError on anything hostile."""
    name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{name}: not a readable zip ({exc}); check the file is complete") from exc
    with archive:
        infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise InputError(
            f"{name}: {len(infos)} members exceed the limit of {limits.max_members}; "
            "refusing the archive"
        )
    members: list[ZipMember] = []
    ignored: list[str] = []
    total = 0
    for info in infos:
        member_path = _checked_name(name, info.filename, limits)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise InputError(f"{name}: member {info.filename!r} is a symbolic link; refusing it")
        if info.flag_bits & 0x1:
            raise InputError(
                f"{name}: member {info.filename!r} is encrypted; export again without a password"
            )
        if info.is_dir():
            continue
        if is_ignored(member_path):
            ignored.append(member_path)
            continue
        if info.compress_type not in READABLE_METHODS:
            raise InputError(
                f"{name}: member {info.filename!r} uses compression method "
                f"{info.compress_type}, which casegraph cannot read; re-export the chat "
                "(standard zip) or unpack it with another tool and ingest the folder"
            )
        if info.file_size > limits.max_member_bytes:
            raise InputError(f"{name}: member {info.filename!r} is too large; refusing the archive")
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise InputError(
                f"{name}: member {info.filename!r} expands "
                f"{info.file_size // max(info.compress_size, 1)}-fold (a zip bomb?); "
                "refusing the archive"
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise InputError(
                f"{name}: members expand beyond {limits.max_total_bytes} bytes; "
                "refusing the archive"
            )
        members.append(ZipMember(member_path, info))
    # Many members just under the per-member floor add up: bound the archive as a whole too,
    # against its real size on disk (which, unlike the headers, cannot lie).
    archive_bytes = max(path.stat().st_size, 1)
    if total > RATIO_FLOOR and total > limits.max_ratio * archive_bytes:
        raise InputError(
            f"{name}: members expand {total // archive_bytes}-fold in total "
            f"({total} bytes from {archive_bytes}; a zip bomb?); refusing the archive"
        )
    paths = [m.path for m in members]
    if len(set(paths)) != len(paths):
        raise InputError(f"{name}: two members share one path; refusing the archive")
    return members, ignored


class _Bounded:
    """A read-only stream that fails if more bytes come out than the header declared."""

    def __init__(self, stream: IO[bytes], declared: int, archive: str, member: str) -> None:
        self.stream = stream
        self.left = declared
        self.archive = archive
        self.member = member

    def read(self, size: int = -1) -> bytes:
        try:
            chunk = self.stream.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise InputError(
                f"{self.archive}: member {self.member!r} is damaged ({exc}); refusing the archive"
            ) from exc
        self.left -= len(chunk)
        if self.left < 0:
            raise InputError(
                f"{self.archive}: member {self.member!r} inflates beyond its declared size; "
                "refusing the archive"
            )
        return chunk


def open_zip_members(
    path: Path, members: list[ZipMember], display_name: str | None = None
) -> Iterator[tuple[ZipMember, _Bounded]]:
    """Stream each member's bytes, bounded by its declared size.

    `display_name` is the name errors use (the submitted file's, not the evidence blob's).
    """
    if not members:
        return
    name = display_name or path.name
    with zipfile.ZipFile(path) as archive:
        for member in members:
            try:
                stream = archive.open(member.info)
            except (zipfile.BadZipFile, NotImplementedError, zlib.error, OSError) as exc:
                raise InputError(
                    f"{name}: member {member.path!r} cannot be opened ({exc}); "
                    "refusing the archive (re-export it)"
                ) from exc
            with stream:
                yield member, _Bounded(stream, member.info.file_size, name, member.path)


def survey_folder(root: Path, limits: Limits = Limits()) -> tuple[list[str], list[str]]:
    """Relative paths of the files of an export folder and the ignored ones; no symlinks."""
    files: list[str] = []
    ignored: list[str] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        for entry in [*dirnames, *filenames]:
            if (base / entry).is_symlink():
                raise InputError(
                    f"{root.name}: {base / entry} is a symbolic link; copy the real files in"
                )
        depth = len(base.relative_to(root).parts)
        if depth > limits.max_depth:
            raise InputError(f"{root.name}: folders nested too deep; refusing it")
        for filename in filenames:
            relative = (base / filename).relative_to(root).as_posix()
            if is_ignored(relative):
                ignored.append(relative)
                continue
            if not (base / filename).is_file():  # a FIFO or device would block or never end
                raise InputError(
                    f"{root.name}: {relative} is not a regular file (a device or a pipe?); "
                    "copy the real files in"
                )
            total += (base / filename).stat().st_size
            files.append(relative)
    if len(files) > limits.max_members:
        raise InputError(f"{root.name}: {len(files)} files exceed the limit; refusing the folder")
    if total > limits.max_total_bytes:
        raise InputError(f"{root.name}: files exceed {limits.max_total_bytes} bytes; refusing it")
    return sorted(files), ignored
