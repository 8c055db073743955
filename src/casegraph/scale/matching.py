"""PDQ radius search sharded over a Dask cluster: each task indexes one shard of the list.

The list's codes are cut into contiguous shards; every shard is searched with all queries
and the hits are shifted back to list rows, so the union equals one big index's answer.
"""

from __future__ import annotations

import numpy as np

from casegraph.media.index import Hits, PDQIndex
from casegraph.media.matcher import Searcher
from casegraph.scale.hashing import connect

DEFAULT_SHARD_ROWS = 1_000_000


def _search_shard(codes: np.ndarray, queries: np.ndarray, radius: int, offset: int) -> Hits:
    found = PDQIndex(codes).search(queries, radius)
    return Hits(found.query, found.row + offset, found.distance)


def sharded_search(
    client: object,
    codes: np.ndarray,
    queries: np.ndarray,
    radius: int,
    shard_rows: int = DEFAULT_SHARD_ROWS,
) -> Hits:
    from distributed import Client

    assert isinstance(client, Client)
    query_future = client.scatter(queries, broadcast=True)
    futures = [
        client.submit(_search_shard, codes[start : start + shard_rows], query_future, radius, start)
        for start in range(0, max(1, codes.shape[0]), shard_rows)
    ]
    parts: list[Hits] = client.gather(futures)
    query = np.concatenate([p.query for p in parts])
    order = np.lexsort((np.concatenate([p.row for p in parts]), query))
    return Hits(
        query[order],
        np.concatenate([p.row for p in parts])[order],
        np.concatenate([p.distance for p in parts])[order],
    )


def cluster_searcher(address: str, shard_rows: int = DEFAULT_SHARD_ROWS) -> Searcher:
    """A `find_hits` search function that runs on the cluster at `address`."""

    def search(codes: np.ndarray, queries: np.ndarray, radius: int) -> Hits:
        client = connect(address)
        try:
            return sharded_search(client, codes, queries, radius, shard_rows)
        finally:
            client.close()  # type: ignore[attr-defined]

    return search
