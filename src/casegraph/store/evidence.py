"""Content-addressed, write-once evidence store: `<root>/sha256/ab/<sha256>`, read-only on disk.

Blobs are written to a temporary file, fsynced and renamed into place, so a crash never
leaves a half-written blob under a valid name. Parsers read from here, never the originals.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from casegraph.model import FileHashes

CHUNK = 1 << 20
BATCH_FLUSH = 500  # blobs of a batch made durable and named together


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


_serial = itertools.count()  # temporary names unique within this process


def _flush_to_disk(root: Path, files: list[Path]) -> None:
    """Make `files` durable: one syncfs of the evidence filesystem on Linux, else fsync each."""
    if not files:
        return
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        descriptor = os.open(root, os.O_RDONLY)
        try:
            if libc.syncfs(descriptor) == 0:
                return
        finally:
            os.close(descriptor)
    for path in files:
        with path.open("rb") as stream:
            os.fsync(stream.fileno())


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
    problem: str  # "missing" | "modified" | "writable" | "record-changed"
    detail: str = ""


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._pending: dict[str, Path] | None = None  # sha256 -> temporary file, in a batch
        self._made_dirs: set[str] = set()  # folders known to exist during this batch

    def path_for(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Put many blobs with one flush to disk per few hundred instead of one each.

        Blobs put inside get their names in groups (and all of them when the block ends),
        each group only after it is on disk: a crash leaves temporary files (cleaned by the
        next run), never a named blob that is not whole.
        """
        if self._pending is not None:  # already batching: the outer batch settles
            yield
            return
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        self._pending = {}
        try:
            yield
            self._settle_pending()
        finally:
            for tmp in self._pending.values():
                tmp.unlink(missing_ok=True)
            self._pending = None
            self._made_dirs.clear()

    def put_stream(self, stream: BinaryIO) -> tuple[FileHashes, bool]:
        """Store the bytes of `stream`; return their hashes and whether anything was new."""
        tmp_dir = self.root / "tmp"
        if self._pending is None:  # a batch made it when it began
            tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / f"incoming-{os.getpid()}-{next(_serial)}"
        handed_to_batch = False
        try:
            with tmp.open("wb") as sink:
                hashes = hash_stream(stream, sink)
                if self._pending is None:
                    sink.flush()
                    os.fsync(sink.fileno())
            final = self.path_for(hashes.sha256)
            if final.is_file() or (self._pending and hashes.sha256 in self._pending):
                return hashes, False  # write-once: identical bytes are already here
            if self._pending is not None:
                self._pending[hashes.sha256] = tmp
                handed_to_batch = True  # settled (or removed) with the batch
                if len(self._pending) >= BATCH_FLUSH:
                    self._settle_pending()
                return hashes, True
            self._settle(tmp, final)
            return hashes, True
        finally:
            if not handed_to_batch:
                tmp.unlink(missing_ok=True)

    def _settle_pending(self) -> None:
        """Flush the batch's temporary files to disk, then give each its blob name."""
        assert self._pending is not None
        _flush_to_disk(self.root, list(self._pending.values()))
        for sha256, tmp in self._pending.items():
            self._settle(tmp, self.path_for(sha256))
        self._pending.clear()

    def _settle(self, tmp: Path, final: Path) -> None:
        if final.parent.name not in self._made_dirs:  # 256 fan-out folders: make each once
            final.parent.mkdir(parents=True, exist_ok=True)
            if self._pending is not None:
                self._made_dirs.add(final.parent.name)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, final)

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
            if actual.sha256 != sha256:
                problems.append(
                    BlobProblem(sha256, "modified", f"{path} now hashes to {actual.sha256}")
                )
            elif (actual.md5, actual.sha1, actual.size) != (md5, sha1, size):
                # The bytes still match their SHA-256 name: it is the record that changed.
                fields = [
                    f"{name} recorded {want}, the blob's is {have}"
                    for name, want, have in (
                        ("md5", md5, actual.md5),
                        ("sha1", sha1, actual.sha1),
                        ("size", size, actual.size),
                    )
                    if want != have
                ]
                problems.append(
                    BlobProblem(
                        sha256,
                        "record-changed",
                        "the blob is intact but its custody record was edited: "
                        + "; ".join(fields),
                    )
                )
            elif path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
                problems.append(BlobProblem(sha256, "writable", f"{path} lost its read-only mode"))
        return problems
