"""Hashing many files on all local cores, with a progress bar; order of results is kept."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from casegraph.media.hashing import hash_media_file
from casegraph.model import MediaHashes
from casegraph.processes import die_with_parent


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


@contextmanager
def progress_bar(total: int, label: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`; draws a rich bar on stderr only when enabled."""
    if not enabled:
        yield lambda _n: None
        return
    from rich.progress import Progress

    with Progress(transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def map_hash_files(
    paths: Sequence[Path], workers: int | None = None, progress: bool = False
) -> list[MediaHashes]:
    """hash_media_file over `paths`: in-process for one worker, else a process pool."""
    workers = workers or default_workers()
    results: list[MediaHashes] = []
    with progress_bar(len(paths), "hashing media", progress) as advance:
        if workers == 1 or len(paths) < 2:
            for path in paths:
                results.append(hash_media_file(path))
                advance(1)
            return results
        with _pool(workers) as pool:
            chunk = max(1, min(32, len(paths) // (workers * 4)))
            for result in pool.map(hash_media_file, paths, chunksize=chunk):
                results.append(result)
                advance(1)
    return results


def _pool(workers: int) -> Executor:
    # Workers die with this process: a killed `match` must not leave them hashing for minutes.
    return ProcessPoolExecutor(
        max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)
    )
