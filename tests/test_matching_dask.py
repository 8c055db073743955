"""Hashing and PDQ search on a Dask cluster give what the in-process path gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from distributed import Client, LocalCluster

from casegraph.errors import CaseError
from casegraph.media.drawn import drawn_image, encode, variant
from casegraph.media.hashing import hash_media_bytes, hash_media_file
from casegraph.media.hashlists import write_csv
from casegraph.media.index import PDQIndex
from casegraph.model import HashEntry
from casegraph.scale.hashing import connect, hash_paths_on_cluster
from casegraph.scale.matching import sharded_search
from casegraph.store.cases import Home
from casegraph.store.matching import hash_case_media, import_hash_list, match_case
from casegraph.store.schema import MediaRow


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as local:
        yield local


def test_cluster_hashing_equals_local_hashing_in_order(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    paths = []
    for seed in range(5):
        path = tmp_path / f"IMG-{seed}.jpg"
        path.write_bytes(encode(drawn_image(seed, 160, 120), "JPEG"))
        paths.append(path)
    assert hash_paths_on_cluster(paths, cluster.scheduler_address) == [
        hash_media_file(p) for p in paths
    ]


def test_sharded_search_equals_one_index(cluster: LocalCluster) -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 256, (3000, 32), dtype=np.uint8)
    queries = codes[rng.integers(0, 3000, 40)].copy()
    queries[:, :2] ^= 0x0F  # 8 bits away from their source rows
    with Client(cluster.scheduler_address) as client:
        sharded = sharded_search(client, codes, queries, 31, shard_rows=700)
    whole = PDQIndex(codes).search(queries, 31)
    assert sharded.query.tolist() == whole.query.tolist()
    assert sharded.row.tolist() == whole.row.tolist()
    assert sharded.distance.tolist() == whole.distance.tolist()


def test_case_hashing_and_matching_on_the_cluster(
    cluster: LocalCluster, home: Home, tmp_path: Path
) -> None:
    case = home.create_case("dask")
    image = drawn_image(9, 400, 300)
    for data in (encode(image, "PNG"), variant(image, "half")):
        hashes, _ = case.evidence.put_bytes(data)
        with case.mutate("test", "media.add", hashes.sha256) as session:
            session.add(
                MediaRow(
                    case_id=case.id,
                    sha256=hashes.sha256,
                    md5=hashes.md5,
                    sha1=hashes.sha1,
                    size=hashes.size,
                )
            )
    assert hash_case_media(case, dask_address=cluster.scheduler_address) == 2
    pdq = hash_media_bytes(encode(image, "PNG")).pdq
    import_hash_list(case, write_csv([HashEntry("p", pdq=pdq)], tmp_path / "l.csv"))
    assert match_case(case, dask_address=cluster.scheduler_address).matches == 2


def test_unreachable_scheduler_is_a_one_line_error() -> None:
    with pytest.raises(CaseError, match=r"cannot reach Dask scheduler at tcp://127\.0\.0\.1:1 "):
        connect("tcp://127.0.0.1:1", timeout="1s")
