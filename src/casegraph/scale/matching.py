"""PDQ radius search sharded over a Dask cluster: each shard's index is built once per worker.

The list's codes are cut into contiguous shards; every shard is searched with all queries and
the hits are shifted back to list rows, so the union equals one big index's answer. Each shard
is pinned to one worker, which keeps the built index in memory keyed by the shard's digest:
later searches send only the digest and the queries, and the codes travel again only when that
worker has restarted and lost its cache.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from casegraph.media.index import Hits, PDQIndex
from casegraph.media.matcher import Searcher
from casegraph.scale.hashing import connect

DEFAULT_SHARD_ROWS = 1_000_000
CACHED_INDEXES_PER_WORKER = 16

# Lives in each worker process: digest -> built index (least recently used evicted first).
_WORKER_INDEXES: OrderedDict[str, PDQIndex] = OrderedDict()
_WORKER_LOCK = threading.Lock()
_WORKER_BUILDS = [0]


def shard_digest(codes: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(codes, dtype=np.uint8).tobytes()).hexdigest()


def _cached_index(digest: str, codes: np.ndarray | None) -> PDQIndex | None:
    with _WORKER_LOCK:
        index = _WORKER_INDEXES.get(digest)
        if index is not None:
            _WORKER_INDEXES.move_to_end(digest)
            return index
    if codes is None:
        return None
    index = PDQIndex(codes)
    with _WORKER_LOCK:
        _WORKER_BUILDS[0] += 1
        _WORKER_INDEXES[digest] = index
        while len(_WORKER_INDEXES) > CACHED_INDEXES_PER_WORKER:
            _WORKER_INDEXES.popitem(last=False)
    return index


def _search_shard(
    digest: str, codes: np.ndarray | None, queries: np.ndarray, radius: int, offset: int
) -> Hits | None:
    """Runs on a worker; None asks the client for the codes (this worker has no such index)."""
    index = _cached_index(digest, codes)
    if index is None:
        return None
    found = index.search(queries, radius)
    return Hits(found.query, found.row + offset, found.distance)


def index_builds() -> int:
    """How many indexes this worker process has built (diagnostics; `client.run` it)."""
    return _WORKER_BUILDS[0]


def forget_indexes() -> None:
    """Drop this worker's cached indexes, as a restarted worker has none."""
    with _WORKER_LOCK:
        _WORKER_INDEXES.clear()


def sharded_search(
    client: object,
    codes: np.ndarray,
    queries: np.ndarray,
    radius: int,
    shard_rows: int = DEFAULT_SHARD_ROWS,
) -> Hits:
    from distributed import Client

    assert isinstance(client, Client)
    workers = sorted(client.scheduler_info()["workers"])
    query_future = client.scatter(queries, broadcast=True, hash=False)  # no key reuse races
    shards = []
    for number, start in enumerate(range(0, max(1, codes.shape[0]), shard_rows)):
        shard = codes[start : start + shard_rows]
        worker = [workers[number % len(workers)]] if workers else None
        shards.append((shard_digest(shard), shard, start, worker))

    def submit(digest: str, shard: np.ndarray | None, start: int, worker: list[str] | None) -> Any:
        return client.submit(
            _search_shard,
            digest,
            shard,
            query_future,
            radius,
            start,
            workers=worker,
            allow_other_workers=True,  # a lost worker only costs a rebuild elsewhere
            pure=False,
        )

    futures = [submit(digest, None, start, worker) for digest, _s, start, worker in shards]
    parts: list[Hits | None] = client.gather(futures)
    missing = [i for i, part in enumerate(parts) if part is None]
    if missing:
        refills = [submit(shards[i][0], shards[i][1], shards[i][2], shards[i][3]) for i in missing]
        for i, part in zip(missing, client.gather(refills), strict=True):
            parts[i] = part
    found = [p for p in parts if p is not None]
    query = np.concatenate([p.query for p in found])
    row = np.concatenate([p.row for p in found])
    order = np.lexsort((row, query))
    return Hits(query[order], row[order], np.concatenate([p.distance for p in found])[order])


def cluster_searcher(address: str, shard_rows: int = DEFAULT_SHARD_ROWS) -> Searcher:
    """A `find_hits` search function that runs on the cluster at `address`."""

    def search(codes: np.ndarray, queries: np.ndarray, radius: int) -> Hits:
        client = connect(address)
        try:
            return sharded_search(client, codes, queries, radius, shard_rows)
        finally:
            client.close()  # type: ignore[attr-defined]

    return search
