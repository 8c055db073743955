"""Content-addressed, write-once evidence store: `<root>/sha256/ab/<sha256>`, read-only on disk.

Blobs are written to a temporary file, fsynced and renamed into place, so a crash never
leaves a half-written blob under a valid name. Parsers read from here, never the originals.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from casegraph.model import FileHashes

CHUNK = 1 << 20


def hash_stream(stream: BinaryIO, sink: BinaryIO | None = None) -> FileHashes:
    """SHA-256, MD5 and SHA-1 in one pass; copies the bytes into `sink` when given."""
    sha256, md5, sha1 = hashlib.sha256(), hashlib.md5(), hashlib.sha1()
    size = 0
    while chunk := stream.read(CHUNK):
        sha256.update(chunk)
        md5.update(chunk)
        sha1.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    return FileHashes(sha256.hexdigest(), md5.hexdigest(), sha1.hexdigest(), size)


def hash_file(path: Path) -> FileHashes:
    with path.open("rb") as stream:
        return hash_stream(stream)


def hash_bytes(data: bytes) -> FileHashes:
    return FileHashes(
        hashlib.sha256(data).hexdigest(),
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        len(data),
    )


def _writer_alive(partial: Path) -> bool:
    """`incoming-<pid>-<n>` belongs to a live process (ours, or another run's)."""
    parts = partial.name.split("-")
    if len(parts) < 3 or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        return True
    return True


@dataclass(frozen=True)
class BlobProblem:
    sha256: str
    problem: str  # "missing" | "modified" | "writable"
    detail: str = ""


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_stream(self, stream: BinaryIO) -> tuple[FileHashes, bool]:
        """Store the bytes of `stream`; return their hashes and whether anything was new."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / f"incoming-{os.getpid()}-{id(stream)}"
        try:
            with tmp.open("wb") as sink:
                hashes = hash_stream(stream, sink)
                sink.flush()
                os.fsync(sink.fileno())
            final = self.path_for(hashes.sha256)
            if final.is_file():
                return hashes, False  # write-once: identical bytes are already here
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.replace(tmp, final)
            return hashes, True
        finally:
            tmp.unlink(missing_ok=True)

    def put_file(self, path: Path) -> tuple[FileHashes, bool]:
        with path.open("rb") as stream:
            return self.put_stream(stream)

    def put_bytes(self, data: bytes) -> tuple[FileHashes, bool]:
        import io

        return self.put_stream(io.BytesIO(data))

    def partials(self) -> list[Path]:
        """Temporary files of writes that never finished (their process was killed)."""
        tmp_dir = self.root / "tmp"
        if not tmp_dir.is_dir():
            return []
        return sorted(p for p in tmp_dir.glob("incoming-*") if not _writer_alive(p))

    def remove_partials(self) -> list[str]:
        """Delete the partial files of dead writers; their names, for the run to report."""
        removed = []
        for path in self.partials():
            path.unlink(missing_ok=True)
            removed.append(path.name)
        return removed

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def blobs(self) -> Iterator[str]:
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for sub in sorted(base.iterdir()):
            for blob in sorted(sub.iterdir()):
                yield blob.name

    def verify(self, expected: dict[str, tuple[str, str, int]]) -> list[BlobProblem]:
        """Re-hash every expected blob (sha256 -> (md5, sha1, size)); list what is wrong."""
        problems: list[BlobProblem] = []
        for sha256, (md5, sha1, size) in sorted(expected.items()):
            path = self.path_for(sha256)
            if not path.is_file():
                problems.append(BlobProblem(sha256, "missing", str(path)))
                continue
            actual = hash_file(path)
            if (actual.sha256, actual.md5, actual.sha1, actual.size) != (sha256, md5, sha1, size):
                problems.append(
                    BlobProblem(sha256, "modified", f"{path} now hashes to {actual.sha256}")
                )
            elif path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
                problems.append(BlobProblem(sha256, "writable", f"{path} lost its read-only mode"))
        return problems
