"""A unit at work: 20 analysts browse a case while 2 uploads and a match job run (issue 13).

PostgreSQL + Redis, `casegraph serve --workers N --no-job-worker` plus one `casegraph worker`,
all real processes on 127.0.0.1; the analysts are client threads here. For N = 1 and N = 2 in
the same run: page latency p50/p95 and pages per second while two analysts upload an export
of --upload-messages messages each (8 MiB chunks through the resumable upload API, then the
ingest job) and a third starts a match job. The ratio of the two rounds is printed.

    .venv/bin/python bench/platform_load.py [--scale small|large] [--seconds 30]
        [--db-url postgresql://postgres@127.0.0.1:5432/test] [--redis-url redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx

PASSWORD = "quiet-harbour-lantern-2031"
ANALYSTS = 20
CLI = [sys.executable, "-m", "casegraph"]
PAGES = (
    "/dashboard",
    "/cases/{case}",
    "/cases/{case}/chats",
    "/cases/{case}/accounts",
    "/cases/{case}/media",
    "/cases/{case}/lineage",
    "/cases/{case}/cascades",
    "/cases/{case}/investigations",
    "/api/cases/{case}/graph",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _export(folder: Path, title: str, messages: int) -> Path:
    start = datetime(2024, 5, 25, 8, 0)
    lines = [f'{start:%d/%m/%Y, %H:%M} - +34 600 100 001 created group "{title}"']
    for i in range(messages):
        at = start + timedelta(seconds=37 * (i + 1))
        lines.append(f"{at:%d/%m/%Y, %H:%M} - +34 600 100 {i % 40 + 1:03d}: upload line {i}")
    path = folder / f"WhatsApp Chat with {title}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _prepare(work: Path, scale: str, env: dict[str, str]) -> tuple[Path, str]:
    from casegraph.analysis.run import analyze_case
    from casegraph.store.cases import Home, dispose_engines
    from casegraph.store.ingest import ingest_paths
    from casegraph.store.matching import hash_case_media, import_hash_list, match_case
    from casegraph.synth import generate
    from casegraph.web.users import add_user

    print(f"generating and ingesting the {scale} synthetic operation ...", flush=True)
    operation = generate(work / "operation", seed=11, scale=scale)
    truth = json.loads((operation / "truth.json").read_text())
    home = Home(work / "home", db_url=env["CASEGRAPH_DB_URL"])
    name = f"platform-{os.urandom(3).hex()}"
    case = home.create_case(name, timezone=truth["timezone"])
    ingest_paths(case, sorted((operation / "exports").iterdir()), captured_by="bench")
    hash_case_media(case)
    for hash_list in truth["hash_lists"]:
        import_hash_list(case, operation / hash_list["file"], negative=hash_list["negative"])
    match_case(case)
    analyze_case(case)
    for n in range(ANALYSTS + 2):
        add_user(home, f"bench-{name}-{n}", PASSWORD, "analyst")
    dispose_engines()
    return home.root, name


def _login(url: str, username: str, number: int) -> httpx.Client:
    # as behind the unit's reverse proxy: each analyst has an address of their own
    address = {"X-Forwarded-For": f"192.0.2.{number + 1}"}
    client = httpx.Client(base_url=url, timeout=120, headers=address)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 303, f"cannot log in {username}"
    return client


def _token(client: httpx.Client, page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text).group(1)  # type: ignore[union-attr]


def _upload(client: httpx.Client, case: str, export: Path, jobs: list[str]) -> None:
    token = _token(client, f"/cases/{case}/jobs")
    data = export.read_bytes()
    started = client.post(
        f"/api/cases/{case}/uploads",
        data={
            "csrf_token": token,
            "kind": "export",
            "filename": export.name,
            "size": str(len(data)),
        },
    ).json()
    offset, chunk = 0, 8 * 2**20
    while offset < len(data):
        offset = client.put(
            f"/api/uploads/{started['upload']}?offset={offset}",
            content=data[offset : offset + chunk],
            headers={"X-CSRF-Token": token},
        ).json()["offset"]
    finish = client.post(
        f"/api/uploads/{started['upload']}/finish", headers={"X-CSRF-Token": token}
    )
    jobs.append(finish.json()["job"])


def _round(
    root: Path, case: str, env: dict[str, str], workers: int, seconds: float, uploads: list[Path]
) -> dict[str, float]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    serve = [
        *CLI,
        "--home",
        str(root),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-job-worker",
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]
    web = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen(
        [*CLI, "--home", str(root), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                httpx.get(f"{url}/login", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.3)
        users = [f"bench-{case}-{n}" for n in range(ANALYSTS + 2)]
        clients = [_login(url, user, n) for n, user in enumerate(users)]
        for client in clients[:ANALYSTS]:  # warm the page cache once, as a day's first visit
            client.get(f"/cases/{case}")
        latencies: list[float] = []
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def browse(client: httpx.Client, offset: int) -> None:
            n = offset
            while time.monotonic() < stop:
                page = PAGES[n % len(PAGES)].format(case=case)
                began = time.perf_counter()
                answer = client.get(page)
                spent = time.perf_counter() - began
                assert answer.status_code == 200, (page, answer.status_code)
                with lock:
                    latencies.append(spent)
                n += 1

        jobs: list[str] = []
        background = [
            threading.Thread(target=_upload, args=(clients[ANALYSTS], case, uploads[0], jobs)),
            threading.Thread(target=_upload, args=(clients[ANALYSTS + 1], case, uploads[1], jobs)),
        ]
        for thread in background:
            thread.start()
        match_token = _token(clients[ANALYSTS], f"/cases/{case}/jobs")
        clients[ANALYSTS].post(f"/cases/{case}/jobs/match", data={"csrf_token": match_token})
        began = time.monotonic()
        readers = [
            threading.Thread(target=browse, args=(c, i)) for i, c in enumerate(clients[:ANALYSTS])
        ]
        for thread in readers:
            thread.start()
        for thread in readers + background:
            thread.join()
        elapsed = time.monotonic() - began
        latencies.sort()
        return {
            "requests": len(latencies),
            "pages_per_s": len(latencies) / elapsed,
            "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        }
    finally:
        web.terminate()
        worker.terminate()
        web.wait(timeout=60)
        worker.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "large"), default="large")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--upload-messages", type=int, default=100_000)
    parser.add_argument(
        "--db-url",
        default=os.environ.get(
            "CASEGRAPH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    env = {**os.environ, "CASEGRAPH_DB_URL": args.db_url, "CASEGRAPH_REDIS_URL": args.redis_url}
    os.environ.update(CASEGRAPH_DB_URL=args.db_url, CASEGRAPH_REDIS_URL=args.redis_url)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root, case = _prepare(work, args.scale, env)
        figures = {}
        for workers in (1, 2):
            uploads = [
                _export(work, f"Upload {workers}-{n}", args.upload_messages) for n in range(2)
            ]
            figures[workers] = _round(root, case, env, workers, args.seconds, uploads)
            f = figures[workers]
            print(
                f"{workers} web worker(s): {f['pages_per_s']:.1f} pages/s, "
                f"p50 {f['p50_ms']:.0f} ms, "
                f"p95 {f['p95_ms']:.0f} ms over {f['requests']} requests "
                f"(2 uploads + match running)",
                flush=True,
            )
    one, two = figures[1], figures[2]
    print(
        f"2 workers / 1 worker: throughput {two['pages_per_s'] / one['pages_per_s']:.2f}x, "
        f"p95 {two['p95_ms'] / one['p95_ms']:.2f}x"
    )


if __name__ == "__main__":
    main()
