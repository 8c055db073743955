"""Hashing an evidence set on a Dask cluster (`--dask ADDRESS`).

Workers read the blobs themselves from the evidence store, which every worker mounts (a
shared filesystem path; `worker_root` maps it when the workers see it elsewhere). Tasks are
submitted in a bounded window of batches, so the client holds a fixed number of paths in
flight whatever the size of the evidence set, and never the files' bytes. Results come back
in input order. Without an address nothing here runs: the default is in-process hashing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from casegraph.errors import CaseError
from casegraph.media.hashing import hash_media_file
from casegraph.media.parallel import progress_bar
from casegraph.model import MediaHashes

BATCH_FILES = 32  # files per task: few enough to spread, enough to hide scheduler overhead
TASKS_IN_FLIGHT_PER_THREAD = 4


def connect(address: str, timeout: str = "10s") -> object:
    """A distributed.Client for `address`; a one-line CaseError when it does not answer."""
    from distributed import Client

    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise CaseError(
            f"cannot reach Dask scheduler at {address} ({exc}); check --dask and that it runs"
        ) from exc


def _hash_batch(paths: list[str]) -> list[MediaHashes]:
    """Runs on a worker: hash files it reads from the shared evidence store."""
    results = []
    for path in paths:
        if not Path(path).is_file():
            raise CaseError(
                f"a Dask worker cannot read {path}: mount the evidence store on every worker "
                "or pass --dask-evidence-root"
            )
        results.append(hash_media_file(Path(path)))
    return results


def worker_paths(paths: Sequence[Path], local_root: Path, worker_root: str | None) -> list[str]:
    """The paths as workers see them: the same, or re-rooted onto `worker_root`."""
    if worker_root is None:
        return [str(p) for p in paths]
    return [str(PurePosixPath(worker_root) / Path(p).relative_to(local_root)) for p in paths]


def iter_hash_paths_on_cluster(
    client: object, paths: Sequence[str], batch_files: int = BATCH_FILES
) -> Iterator[tuple[int, MediaHashes]]:
    """(position, hashes) for every path, in completion order, with bounded tasks in flight."""
    from distributed import Client, as_completed

    assert isinstance(client, Client)
    threads = sum(client.nthreads().values()) or 1
    window = max(2, threads * TASKS_IN_FLIGHT_PER_THREAD)
    starts = iter(range(0, len(paths), batch_files))
    first_of: dict[object, int] = {}

    def submit_next() -> object | None:
        start = next(starts, None)
        if start is None:
            return None
        future = client.submit(_hash_batch, list(paths[start : start + batch_files]), pure=False)
        first_of[future.key] = start
        return future

    initial = [f for f in (submit_next() for _ in range(window)) if f is not None]
    pending = as_completed(initial)
    for future in pending:
        start = first_of.pop(future.key)
        for offset, result in enumerate(future.result()):
            yield start + offset, result
        future.release()
        following = submit_next()
        if following is not None:
            pending.add(following)


def hash_paths_on_cluster(
    paths: Sequence[Path],
    address: str,
    progress: bool = False,
    local_root: Path | None = None,
    worker_root: str | None = None,
) -> list[MediaHashes]:
    """hash_media_file over `paths` on the cluster at `address`, results in input order."""
    client = connect(address)
    try:
        names = worker_paths(paths, local_root or Path("/"), worker_root)
        results: list[MediaHashes | None] = [None] * len(names)
        with progress_bar(len(names), "hashing media (dask)", progress) as advance:
            for position, result in iter_hash_paths_on_cluster(client, names):
                results[position] = result
                advance(1)
        return [r for r in results if r is not None]
    finally:
        client.close()  # type: ignore[attr-defined]
