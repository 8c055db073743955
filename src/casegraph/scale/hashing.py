"""Hashing an evidence set on a Dask cluster (`--dask ADDRESS`).

Workers receive the file bytes (not paths), so they need no access to this machine's
evidence store; results come back in input order. Without an address nothing here runs:
the default is in-process hashing (media.parallel).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from casegraph.errors import CaseError
from casegraph.media.hashing import hash_media_bytes
from casegraph.media.parallel import progress_bar
from casegraph.model import MediaHashes


def connect(address: str, timeout: str = "10s") -> object:
    """A distributed.Client for `address`; a one-line CaseError when it does not answer."""
    from distributed import Client

    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise CaseError(
            f"cannot reach Dask scheduler at {address} ({exc}); check --dask and that it runs"
        ) from exc


def _hash_blob(data: bytes, name: str) -> MediaHashes:
    return hash_media_bytes(data, name)


def hash_paths_on_cluster(
    paths: Sequence[Path], address: str, progress: bool = False
) -> list[MediaHashes]:
    from distributed import Client, as_completed

    client = connect(address)
    assert isinstance(client, Client)
    try:
        futures = [
            client.submit(_hash_blob, Path(p).read_bytes(), Path(p).name, pure=False) for p in paths
        ]
        position = {f.key: i for i, f in enumerate(futures)}
        results: list[MediaHashes | None] = [None] * len(futures)
        with progress_bar(len(futures), "hashing media (dask)", progress) as advance:
            for future in as_completed(futures):
                results[position[future.key]] = future.result()
                advance(1)
        return [r for r in results if r is not None]
    finally:
        client.close()
