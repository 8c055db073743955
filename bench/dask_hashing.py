"""Dask hashing that streams: client peak RSS and throughput against in-process hashing.

Builds a case of N distinct benign PNGs (default 10,000), starts a LocalCluster of 2 worker
processes, and in the same run measures:
  - in-process hashing (media.parallel.map_hash_files, all local cores): the baseline;
  - casegraph's Dask path (workers read blobs by path, bounded window of tasks);
  - the former Dask path (the client reads every file and submits its bytes), for memory.
Each client runs in its own process so its peak RSS is its own. Results must be byte-equal.

    .venv/bin/python bench/dask_hashing.py [--files 10000] [--size 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CLIENT = r"""
import json, sys, time
from pathlib import Path
mode, address, listing = sys.argv[1], sys.argv[2], sys.argv[3]
paths = [Path(p) for p in Path(listing).read_text().split("\n") if p]
start = time.perf_counter()
if mode == "inprocess":
    from casegraph.media.parallel import map_hash_files
    results = map_hash_files(paths)
elif mode == "streaming":
    from casegraph.scale.hashing import hash_paths_on_cluster
    results = hash_paths_on_cluster(paths, address)
else:  # the former client: every file's bytes read and submitted up front
    from distributed import Client
    from casegraph.media.hashing import hash_media_bytes
    with Client(address) as client:
        futures = [client.submit(hash_media_bytes, p.read_bytes(), p.name, pure=False)
                   for p in paths]
        results = client.gather(futures)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds,
                  "hashes": [[r.file.sha256, r.pdq, r.pdq_quality] for r in results]}))
"""


def run_client(mode: str, address: str, listing: Path) -> tuple[float, float, list[list[object]]]:
    process = subprocess.Popen(
        [sys.executable, "-c", CLIENT, mode, address, str(listing)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{mode} client failed")
    result = json.loads(output)
    return result["seconds"], usage.ru_maxrss / 1024, result["hashes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=64, help="image side in pixels")
    args = parser.parse_args()
    from distributed import LocalCluster

    from casegraph.synth.media_set import numbered_pngs

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = []
        for n, data in enumerate(numbered_pngs(args.files, size=args.size)):
            path = root / f"{n:06d}.png"
            path.write_bytes(data)
            paths.append(str(path))
        listing = root / "listing.txt"
        listing.write_text("\n".join(paths))
        megabytes = sum(Path(p).stat().st_size for p in paths) / 2**20
        print(f"{args.files} files, {megabytes:.0f} MiB, {os.cpu_count()} cores")
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            address = cluster.scheduler_address
            run_client("streaming", address, listing)  # warm the workers' imports
            figures = {}
            for mode in ("inprocess", "streaming", "bytes"):
                figures[mode] = run_client(mode, address, listing)
                seconds, rss, _ = figures[mode]
                print(f"{mode}: {args.files / seconds:8.0f} files/s, client peak RSS {rss:6.0f} MB")
    baseline = figures["inprocess"]
    streaming = figures["streaming"]
    print(f"streaming / in-process throughput: {baseline[0] / streaming[0]:.2f}x")
    print(f"client RSS streaming / bytes-submitting: {streaming[1] / figures['bytes'][1]:.2f}x")
    equal = streaming[2] == baseline[2] == figures["bytes"][2]
    print(f"results byte-equal across the three: {equal}")
    if not equal:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
