"""Evidence intake costs of issue 12, each against a baseline measured in the same run.

1. Many tiny archive members: a zip of N tiny members ingested with batched flushing (one
   `syncfs` per 500 blobs) against the former way, one `fsync` per blob (the same ingest with
   `EvidenceStore.batch` disabled).
2. Row digests: ingesting an M-message chat with the per-source row digests (recorded in the
   audit entry) against the same ingest with the digest step skipped.

    PYTHONPATH=src .venv/bin/python bench/evidence.py [--members 5000] [--messages 100000]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from casegraph.store import ingest as ingest_module
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.evidence import EvidenceStore
from casegraph.store.ingest import ingest_paths


def _tiny_zip(path: Path, members: int) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_chat.txt", "13/03/24, 10:00 - Ana: IMG-00000.jpg (file attached)\n")
        for i in range(members):
            archive.writestr(f"IMG-{i:05d}.jpg", f"benign member {i}".encode())
    return path


def _chat(path: Path, messages: int) -> Path:
    lines = (
        f"{1 + i // 4000 % 28:02d}/03/24, {i // 60 % 24:02d}:{i % 60:02d} - "
        f"+34 600 000 {i % 40:03d}: message {i} about the plan\n"
        for i in range(messages)
    )
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _timed_ingest(workdir: Path, label: str, source: Path) -> float:
    home = Home(workdir / f"home-{label}")
    case = home.create_case("bench", timezone="Europe/Madrid")
    start = time.perf_counter()
    ingest_paths(case, [source], "bench")
    seconds = time.perf_counter() - start
    dispose_engines()
    return seconds


@contextlib.contextmanager
def _one_fsync_per_blob() -> Iterator[None]:
    original = EvidenceStore.batch

    @contextlib.contextmanager
    def no_batch(self: EvidenceStore) -> Iterator[None]:
        yield

    EvidenceStore.batch = no_batch  # type: ignore[method-assign]
    try:
        yield
    finally:
        EvidenceStore.batch = original  # type: ignore[method-assign]


@contextlib.contextmanager
def _no_row_digests() -> Iterator[None]:
    original = ingest_module.source_digests
    ingest_module.source_digests = lambda *_args: {}  # type: ignore[assignment]
    try:
        yield
    finally:
        ingest_module.source_digests = original


def _compare(name: str, baseline: Callable[[], float], ours: Callable[[], float]) -> None:
    base, new = baseline(), ours()
    print(f"{name}: baseline {base:.2f} s, now {new:.2f} s, ratio {base / new:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        tiny = _tiny_zip(workdir / "WhatsApp Chat - Tiny.zip", args.members)

        def fsync_each() -> float:
            with _one_fsync_per_blob():
                return _timed_ingest(workdir, "fsync", tiny)

        _compare(
            f"{args.members} tiny members (fsync per blob -> batched)",
            fsync_each,
            lambda: _timed_ingest(workdir, "batch", tiny),
        )
        chat = _chat(workdir / "WhatsApp Chat with Plan.txt", args.messages)

        def without_digests() -> float:
            with _no_row_digests():
                return _timed_ingest(workdir, "nodigest", chat)

        _compare(
            f"{args.messages} messages (without row digests -> with)",
            without_digests,
            lambda: _timed_ingest(workdir, "digest", chat),
        )


if __name__ == "__main__":
    main()
