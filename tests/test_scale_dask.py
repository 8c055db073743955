"""Dask at scale: the client streams paths, never bytes, and each shard's index is built once."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from distributed import Client, LocalCluster
from sqlalchemy import select

from casegraph.errors import CaseError
from casegraph.media.hashing import hash_media_bytes
from casegraph.media.hashlists import write_csv
from casegraph.media.index import PDQIndex
from casegraph.model import HashEntry
from casegraph.scale import matching as scale_matching
from casegraph.scale.hashing import (
    TASKS_IN_FLIGHT_PER_THREAD,
    hash_paths_on_cluster,
    iter_hash_paths_on_cluster,
    worker_paths,
)
from casegraph.scale.matching import sharded_search
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.matching import import_hash_list
from casegraph.store.schema import MediaRow
from casegraph.synth.media_set import add_media_to_case, numbered_pngs

CLIENT_RSS_LIMIT_MB = 300
# The CLI, reporting its own peak (VmHWM of its memory since exec; a fork's inherited pages,
# which wait4's ru_maxrss would count, are not the client's).
PEAK_REPORTING_CLI = """
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("client-peak-kb " + line.split()[1] + "\\n")
atexit.register(peak)
from casegraph.cli import main
main()
"""
FILES = 10_000


@pytest.fixture(scope="module")
def threads_cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as local:
        yield local


def _builds() -> int:
    return scale_matching.index_builds()


def test_a_shard_index_is_built_once_and_reused(threads_cluster: LocalCluster) -> None:
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 256, (2000, 32), dtype=np.uint8)
    queries = codes[:50].copy()
    with Client(threads_cluster.scheduler_address) as client:
        before = _builds()
        first = sharded_search(client, codes, queries, 31, shard_rows=500)
        after_first = _builds()
        second = sharded_search(client, codes, queries, 31, shard_rows=500)
        assert after_first - before == 4
        assert _builds() == after_first
    assert first.row.tolist() == second.row.tolist()


def test_a_worker_that_lost_its_indexes_gets_the_codes_again(
    threads_cluster: LocalCluster,
) -> None:
    rng = np.random.default_rng(6)
    codes = rng.integers(0, 256, (900, 32), dtype=np.uint8)
    queries = codes[::30].copy()
    with Client(threads_cluster.scheduler_address) as client:
        sharded_search(client, codes, queries, 31, shard_rows=300)
        client.run(scale_matching.forget_indexes)
        again = sharded_search(client, codes, queries, 31, shard_rows=300)
    whole = PDQIndex(codes).search(queries, 31)
    assert again.row.tolist() == whole.row.tolist()
    assert again.distance.tolist() == whole.distance.tolist()


def test_workers_read_blobs_under_their_own_mount_of_the_store(
    threads_cluster: LocalCluster, tmp_path: Path
) -> None:
    local = tmp_path / "evidence"
    (local / "sha256" / "ab").mkdir(parents=True)
    files = numbered_pngs(3)
    paths = []
    for n, data in enumerate(files):
        path = local / "sha256" / "ab" / f"blob{n}"
        path.write_bytes(data)
        paths.append(path)
    mount = tmp_path / "mounted-elsewhere"
    mount.symlink_to(local)
    assert worker_paths(paths, local, str(mount))[0] == str(mount / "sha256" / "ab" / "blob0")
    results = hash_paths_on_cluster(
        paths, threads_cluster.scheduler_address, local_root=local, worker_root=str(mount)
    )
    assert [r.pdq for r in results] == [hash_media_bytes(d).pdq for d in files]


def test_a_missing_mount_names_the_fix(threads_cluster: LocalCluster, tmp_path: Path) -> None:
    blob = tmp_path / "store" / "blob"
    blob.parent.mkdir()
    blob.write_bytes(numbered_pngs(1)[0])
    with pytest.raises(CaseError, match="--dask-evidence-root"):
        hash_paths_on_cluster(
            [blob],
            threads_cluster.scheduler_address,
            local_root=tmp_path / "store",
            worker_root="/nowhere",
        )


@pytest.mark.slow
def test_client_memory_stays_bounded_hashing_ten_thousand_files(tmp_path: Path) -> None:
    home_dir = tmp_path / "home"
    case = Home(home_dir).create_case("many")
    files = numbered_pngs(FILES)
    add_media_to_case(case, files)
    known = hash_media_bytes(files[0]).pdq
    import_hash_list(case, write_csv([HashEntry("k1", pdq=known)], tmp_path / "known.csv"))
    dispose_engines()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        command = [
            sys.executable,
            "-c",
            PEAK_REPORTING_CLI,
            "--home",
            str(home_dir),
            "match",
            "many",
            "--dask",
            cluster.scheduler_address,
        ]
        run = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    assert f"hashed {FILES} new media file(s)" in run.stdout
    peak_kb = int(re.search(r"client-peak-kb (\d+)", run.stderr).group(1))  # type: ignore[union-attr]
    assert peak_kb > 50_000, "the peak was not measured in the client"
    assert peak_kb / 1024 <= CLIENT_RSS_LIMIT_MB, f"client peak RSS {peak_kb / 1024:.0f} MB"
    with Home(home_dir).open_case("many").read() as session:
        rows = session.execute(select(MediaRow.sha256, MediaRow.pdq)).all()
    by_sha = {sha: pdq for sha, pdq in rows}
    assert len(by_sha) == FILES and all(by_sha.values())
    for data in files[:: FILES // 50]:
        hashed = hash_media_bytes(data)
        assert by_sha[hashed.file.sha256] == hashed.pdq


def test_the_client_keeps_a_bounded_window_of_tasks_in_flight(
    threads_cluster: LocalCluster, tmp_path: Path
) -> None:
    blobs = []
    for n, data in enumerate(numbered_pngs(120, size=16)):
        path = tmp_path / f"{n}.png"
        path.write_bytes(data)
        blobs.append(str(path))
    with Client(threads_cluster.scheduler_address) as client:
        submitted: list[int] = []
        real_submit = client.submit

        def counting_submit(*args: object, **kwargs: object) -> object:
            submitted.append(1)
            return real_submit(*args, **kwargs)

        client.submit = counting_submit  # type: ignore[method-assign]
        seen = 0
        most_in_flight = 0
        for _position, _result in iter_hash_paths_on_cluster(client, blobs, batch_files=2):
            seen += 1
            most_in_flight = max(most_in_flight, len(submitted) - seen // 2)
    window = 2 * TASKS_IN_FLIGHT_PER_THREAD  # two worker threads
    assert seen == 120
    assert len(submitted) == 60
    assert most_in_flight <= window
