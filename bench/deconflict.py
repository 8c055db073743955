"""Cost of deconfliction by private set intersection for N identifiers on each side.

Two agencies (SQLite homes, keys exchanged), each with a case of N synthetic phone-number
targets, 1% of them shared. casegraph's exchange is timed end to end through its public
functions: the requester writes a signed request, the other agency answers it, the requester
reads the answer. Baseline in the same run on the same cases: the shared-key HMAC-SHA256
tokens casegraph used before (both sides tokenise their identifiers, write the token file,
one side intersects), which any member holding the key could reverse.

    .venv/bin/python bench/deconflict.py [--n 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import tempfile
import time
from pathlib import Path

import private_set_intersection.python as psi

from casegraph.exchange.deconflict import answer_request, export_request, read_answer
from casegraph.exchange.keys import export_public_key, generate_key, import_public_key
from casegraph.exchange.overlaps import case_identifiers
from casegraph.model import account_key
from casegraph.store.cases import Case, Home
from casegraph.store.schema import AccountRow

PASSPHRASE = "bench passphrase, not a secret"


def numbers(start: int, count: int) -> list[str]:
    return [f"+3460{n:07d}" for n in range(start, start + count)]  # synthetic ES mobile block


def fill(home: Home, name: str, identifiers: list[str]) -> Case:
    case = home.create_case(name)
    with case.mutate("bench", "fixture.load", f"case:{name}") as session:
        session.add_all(
            AccountRow(
                case_id=case.id,
                key=account_key("whatsapp", i),
                platform="whatsapp",
                identifier=i,
                identifier_kind="phone",
            )
            for i in identifiers
        )
    return case


def hmac_tokens(case: Case, secret: bytes, out: Path) -> set[str]:
    """The former `deconflict-export`: one keyed token per identifier, sorted, as JSON."""
    tokens = sorted(
        hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()
        for value in case_identifiers(case)
    )
    out.write_text(json.dumps({"tokens": [{"t": t, "kind": "account"} for t in tokens]}))
    return set(tokens)


def crypto_only(mine: list[str], theirs: list[str]) -> tuple[float, float, int, int]:
    """The two protocols alone on the same strings: (hmac s, psi s, hmac found, psi found)."""
    start = time.perf_counter()
    secret = os.urandom(32)
    mine_tokens = {hmac.new(secret, v.encode(), hashlib.sha256).digest() for v in mine}
    their_tokens = {hmac.new(secret, v.encode(), hashlib.sha256).digest() for v in theirs}
    hmac_found = len(mine_tokens & their_tokens)
    hmac_seconds = time.perf_counter() - start
    start = time.perf_counter()
    client = psi.client.CreateWithNewKey(True)
    request = client.CreateRequest(mine)
    server = psi.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(1e-9, len(mine), theirs, psi.DataStructure.GCS)
    response = server.ProcessRequest(request)
    psi_found = len(client.GetIntersection(setup, response))
    return hmac_seconds, time.perf_counter() - start, hmac_found, psi_found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="identifiers on each side")
    args = parser.parse_args()
    os.environ["CASEGRAPH_KEY_PASSPHRASE"] = PASSPHRASE
    n, shared = args.n, max(1, args.n // 100)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        es, fr = Home(root / "es"), Home(root / "fr")
        generate_key(es.root, "es", agency="Unidad ES", country="ES")
        generate_key(fr.root, "fr", agency="Unite FR", country="FR")
        export_public_key(es.root, "es", root / "es.pub.json")
        export_public_key(fr.root, "fr", root / "fr.pub.json")
        import_public_key(es.root, root / "fr.pub.json")
        import_public_key(fr.root, root / "es.pub.json")
        es_case = fill(es, "es-case", numbers(0, n))
        fr_case = fill(fr, "fr-case", numbers(n - shared, n))

        start = time.perf_counter()
        secret = os.urandom(32)
        ours = hmac_tokens(es_case, secret, root / "es.tokens.json")
        hmac_tokens(fr_case, secret, root / "fr.tokens.json")
        received = json.loads((root / "fr.tokens.json").read_text())["tokens"]
        baseline_found = len(ours & {entry["t"] for entry in received})
        baseline = time.perf_counter() - start

        phases: dict[str, float] = {}
        start = time.perf_counter()
        export_request(es, "es-case", root / "request.json", recipient="fr", actor="bench")
        phases["request (ES: blind N)"] = time.perf_counter() - start
        start = time.perf_counter()
        answer_request(
            fr, "fr-case", root / "request.json", root / "answer.json", daily_limit=n, actor="bench"
        )
        phases["answer (FR: exponentiate N + set of N)"] = time.perf_counter() - start
        start = time.perf_counter()
        result = read_answer(es, "es-case", root / "answer.json", actor="bench")
        phases["read (ES: unblind N, look up)"] = time.perf_counter() - start
        total = sum(phases.values())
        sizes = {
            name: (root / name).stat().st_size
            for name in ("es.tokens.json", "request.json", "answer.json")
        }

    mine = [f"phone:{i}" for i in numbers(0, n)]
    theirs = [f"phone:{i}" for i in numbers(n - shared, n)]
    hmac_seconds, psi_seconds, hmac_found, psi_found = crypto_only(mine, theirs)
    assert len(result.known_accounts) == shared == baseline_found, "both must find the overlap"
    assert hmac_found == psi_found == shared
    print(f"N = {n} identifiers per side, {shared} shared; both found {shared}")
    print(f"baseline HMAC tokens (both sides + intersection): {baseline:8.2f} s")
    for phase, seconds in phases.items():
        print(f"PSI {phase:<40} {seconds:8.2f} s")
    print(f"PSI total{'':<37} {total:8.2f} s   ({total / baseline:.1f}x the baseline)")
    print(f"PSI per identifier: {total / n * 1e3:.3f} ms")
    print(
        f"protocol alone: HMAC {hmac_seconds:.2f} s, PSI {psi_seconds:.2f} s "
        f"({psi_seconds / hmac_seconds:.0f}x), PSI {psi_seconds / n * 1e3:.3f} ms/identifier"
    )
    for name, size in sizes.items():
        print(f"file {name:<16} {size / 1e6:8.2f} MB")


if __name__ == "__main__":
    main()
