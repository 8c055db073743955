"""Web benchmark: tip intake throughput and latency, and case page latency on a large case.

    python bench/web.py                         # generates the large synthetic case (minutes)
    python bench/web.py --home DIR --case NAME  # reuses a home holding an ingested case

The server runs in its own process (uvicorn, one worker) on 127.0.0.1; clients are threads.
Baseline, measured in the same run against the same server: GET /static/app.css, the
cheapest route (no database, no template). Every figure is printed with its ratio to it.
Targets (issue 7): tips >= 300 requests/s with p99 < 100 ms; case pages p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

PASSWORD = "bench-analyst-pass"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(root: str, port: int) -> None:
    import uvicorn

    from casegraph.store.cases import Home
    from casegraph.web.app import create_app

    # The public limit is per client address; every bench client shares 127.0.0.1.
    app = create_app(Home(Path(root)), tips_per_minute=10**7, tip_burst=10**6)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _prepare_large(workdir: Path) -> tuple[Path, str]:
    from casegraph.analysis.run import analyze_case
    from casegraph.store.cases import Home
    from casegraph.store.ingest import ingest_paths
    from casegraph.store.matching import hash_case_media, import_hash_list, match_case
    from casegraph.synth import generate

    print("generating the large synthetic operation (several minutes) ...", flush=True)
    operation = generate(workdir / "operation", seed=11, scale="large")
    truth = json.loads((operation / "truth.json").read_text())
    home = Home(workdir / "home")
    case = home.create_case("large", timezone=truth["timezone"])
    ingest_paths(case, sorted((operation / "exports").iterdir()), captured_by="bench")
    hash_case_media(case)
    for hash_list in truth["hash_lists"]:
        import_hash_list(case, operation / hash_list["file"], negative=hash_list["negative"])
    match_case(case)
    analyze_case(case)
    return home.root, "large"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _run(
    call: Callable[[httpx.Client, int], int], clients: list[httpx.Client], total: int
) -> tuple[float, list[float], int]:
    """(requests per second, latencies in ms, failures) for `total` calls spread over clients."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def worker(client: httpx.Client) -> None:
        nonlocal failures
        for n in counter:
            started = time.perf_counter()
            status = call(client, n)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                failures += status >= 400

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total / (time.perf_counter() - started), latencies, failures


def _login(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/login").text
    marker = 'name="csrf_token" value="'
    token = page[page.index(marker) + len(marker) :].split('"', 1)[0]
    response = client.post(
        "/login", data={"username": "bench-analyst", "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 303:
        raise SystemExit(f"bench login failed: {response.status_code}")
    return client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path)
    parser.add_argument("--case")
    parser.add_argument("--tips", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--page-repeats", type=int, default=20)
    args = parser.parse_args()

    from casegraph.store.cases import Home
    from casegraph.web.users import add_user, list_users

    if args.home and args.case:
        root, case_name = args.home, args.case
    else:
        root, case_name = _prepare_large(Path(tempfile.mkdtemp(prefix="cg-bench-web-")))
    home = Home(root)
    if "bench-analyst" not in {u.username for u in list_users(home)}:
        add_user(home, "bench-analyst", PASSWORD, "analyst", actor="bench")
    case = home.open_case(case_name)
    from sqlalchemy import func, select

    from casegraph.store.schema import AccountRow, ChatRow, MessageRow

    with case.read() as session:
        messages = session.scalar(select(func.count(MessageRow.id)))
        busiest_chat = session.execute(
            select(ChatRow.key)
            .join(MessageRow, MessageRow.chat_id == ChatRow.id)
            .group_by(ChatRow.key)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()
        account = session.scalars(select(AccountRow.key).limit(1)).one()
        word = (
            session.scalars(
                select(MessageRow.text).where(MessageRow.kind == "text").limit(1)
            ).first()
            or "hola"
        ).split()[0]
    print(f"case {case_name}: {messages} messages")

    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(str(root), port), daemon=True
    )
    server.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/static/app.css", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        clients = [httpx.Client(base_url=base, timeout=30) for _ in range(args.concurrency)]
        _run(lambda c, n: c.get("/static/app.css").status_code, clients, 200)  # warm up
        base_rate, base_lat, _ = _run(
            lambda c, n: c.get("/static/app.css").status_code, clients, args.tips
        )
        base_p99 = _percentile(base_lat, 0.99)
        print(f"baseline GET /static/app.css: {base_rate:7.0f} req/s  p99 {base_p99:6.1f} ms")

        def tip(client: httpx.Client, n: int) -> int:
            body = {
                "platform": "whatsapp",
                "group_name": f"Bench Group {n}",
                "phones": [f"+34600{n % 1000000:06d}"],
                "description": "bench tip",
            }
            return client.post("/api/public/tips", json=body).status_code

        rate, lat, failed = _run(tip, clients, args.tips)
        p50, p99 = _percentile(lat, 0.5), _percentile(lat, 0.99)
        verdict = "OK" if rate >= 300 and p99 < 100 and not failed else "BELOW TARGET"
        print(
            f"tip intake (POST /api/public/tips, {args.concurrency} clients): {rate:7.0f} req/s"
            f" ({rate / base_rate:.2f}x baseline)  p50 {p50:5.1f} ms  p99 {p99:6.1f} ms"
            f" ({p99 / base_p99:.1f}x baseline)  failures {failed}  [{verdict}: >=300/s, p99<100]"
        )

        analyst = _login(base)
        pages = {
            "dashboard": "/dashboard",
            "case overview": f"/cases/{case_name}",
            "chats": f"/cases/{case_name}/chats",
            "chat timeline": f"/cases/{case_name}/chats/{busiest_chat}",
            "timeline page 5": f"/cases/{case_name}/chats/{busiest_chat}?page=5",
            "message search": f"/cases/{case_name}/chats/{busiest_chat}?q={word}",
            "accounts": f"/cases/{case_name}/accounts",
            "account": f"/cases/{case_name}/accounts/{account}",
            "network graph": f"/cases/{case_name}/graph",
            "graph JSON": f"/api/cases/{case_name}/graph",
            "lineage": f"/cases/{case_name}/lineage",
            "media": f"/cases/{case_name}/media",
            "cascades": f"/cases/{case_name}/cascades",
            "investigations": f"/cases/{case_name}/investigations",
            "tips inbox": "/tips",
        }
        worst = 0.0
        for label, path in pages.items():
            started = time.perf_counter()
            analyst.get(path)  # the first call builds caches (page data, FTS index)
            first = (time.perf_counter() - started) * 1000

            def fetch(client: httpx.Client, n: int, path: str = path) -> int:
                return client.get(path).status_code

            _, lat, failed = _run(fetch, [analyst], args.page_repeats)
            p95 = _percentile(lat, 0.95)
            worst = max(worst, p95)
            print(
                f"  {label:<20} p95 {p95:7.1f} ms ({p95 / base_p99:5.1f}x baseline p99)"
                f"  first call {first:8.1f} ms"
                f"{'  FAILED ' + str(failed) if failed else ''}"
            )
        print(
            f"case pages: worst p95 {worst:.1f} ms [{'OK' if worst < 300 else 'BELOW TARGET'}:"
            " p95<300]"
        )
    finally:
        server.terminate()
        server.join(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
