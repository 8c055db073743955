"""The exchange verbs from the command line: two agencies, each with its own --home."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from casegraph import cli_exchange
from casegraph.exchange import sealed
from casegraph.store.cases import Home
from exchange_fixtures import PASSPHRASE, AgencyHomes, Operation, build_operation

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(sealed, "SCRYPT_N", 2**10)  # the work factor is stored per file


@pytest.fixture
def app() -> typer.Typer:
    from casegraph.cli import app

    cli_exchange.register(app)  # idempotent: a no-op once cli.py wires it itself
    return app


@pytest.fixture
def run(app: typer.Typer) -> Run:
    """run(home, *args) -> (exit code, stdout, stderr), in-process, on the home's backend."""

    def invoke(home: Home, *args: str) -> tuple[int, str, str]:
        backend = ["--db-url", home.db_url] if home.db_url else []
        result = CliRunner().invoke(app, ["--home", str(home.root), *backend, *map(str, args)])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return invoke


@dataclass
class Exchange:
    coordinator: Home
    partner: Home
    op: Operation
    tmp: Path

    def package(self) -> Path:
        [package] = sorted((self.tmp / "out").glob("*.age"))
        return package


def _ok(result: tuple[int, str, str]) -> str:
    code, stdout, stderr = result
    assert code == 0, stderr or stdout
    return stdout


@pytest.fixture
def ex(run: Run, home: Home, tmp_path: Path) -> Exchange:
    return _exchange(run, tmp_path, AgencyHomes(home))


@pytest.fixture
def any_ex(run: Run, any_home: Home, tmp_path: Path) -> Iterator[Exchange]:
    """The same two agencies on SQLite and on PostgreSQL (one schema per agency there)."""
    homes = AgencyHomes(any_home)
    yield _exchange(run, tmp_path, homes)
    homes.close()


def _exchange(run: Run, tmp_path: Path, homes: AgencyHomes) -> Exchange:
    """Both agencies made their keys and swapped public keys, all through the CLI."""
    coordinator = homes.home(tmp_path / "coordinator")
    partner = homes.home(tmp_path / "partner")
    op = build_operation(coordinator)
    _ok(run(coordinator, "keys", "generate", "coord", "--agency", "Coordinating Unit"))
    _ok(run(partner, "keys", "generate", "es", "--agency", "Unidad ES", "--country", "ES"))
    _ok(run(coordinator, "keys", "export", "coord", "--out", tmp_path / "coord.pub.json"))
    _ok(run(partner, "keys", "export", "es", "--out", tmp_path / "es.pub.json"))
    _ok(run(coordinator, "keys", "import", tmp_path / "es.pub.json"))
    _ok(run(partner, "keys", "import", tmp_path / "coord.pub.json"))
    return Exchange(coordinator, partner, op, tmp_path)


def _refer(run: Run, ex: Exchange, *options: str) -> str:
    return _ok(
        run(
            ex.coordinator,
            "refer",
            "op",
            "--country",
            "ES",
            "--recipient-key",
            "es",
            "--out",
            ex.tmp / "out",
            *options,
        )
    )


def test_sender_to_recipient_round_trip_reproduces_the_targets(run: Run, any_ex: Exchange) -> None:
    ex = any_ex
    printed = _refer(run, ex, "--handling", "H1", "--evaluation", "A2", "--tlp", "amber+strict")
    assert "2 target(s)" in printed and "handling H1, evaluation A2" in printed
    verified = _ok(run(ex.partner, "verify", ex.package(), "--sender-key", "coord"))
    assert "verified:" in verified and "Coordinating Unit" in verified
    imported = _ok(
        run(ex.partner, "import-referral", ex.package(), "--sender-key", "coord", "--case", "es-op")
    )
    assert imported.startswith("created case es-op")
    listing = json.loads(_ok(run(ex.partner, "investigation", "list", "es-op", "--json")))
    [received] = listing["investigations"]
    wanted = {ex.op.accounts[i] for i in ex.op.targets("ES")}
    assert (received["country"], set(received["accounts"])) == ("ES", wanted)
    assert (received["handling_code"], received["evaluation"], received["tlp"]) == (
        "H1",
        "A2",
        "amber+strict",
    )


def test_a_tampered_package_fails_verify_with_one_line_and_imports_nothing(
    run: Run, ex: Exchange
) -> None:
    _refer(run, ex)
    data = bytearray(ex.package().read_bytes())
    data[100] ^= 0x01
    ex.package().write_bytes(bytes(data))
    for verb in ("verify", "import-referral"):
        code, _out, stderr = run(ex.partner, verb, ex.package(), "--sender-key", "coord")
        assert code == 2
        assert stderr.startswith("error: ") and "fails signature verification" in stderr
        assert stderr.count("\n") == 1
    assert ex.partner.case_names() == []


def test_keys_list_shows_own_and_partner_fingerprints(run: Run, ex: Exchange) -> None:
    listing = json.loads(_ok(run(ex.coordinator, "keys", "list", "--json")))
    assert [(k["name"], k["kind"]) for k in listing] == [("coord", "own"), ("es", "partner")]
    partner_own = json.loads(_ok(run(ex.partner, "keys", "list", "--json")))
    es_here = next(k for k in partner_own if k["name"] == "es")
    assert listing[1]["fingerprint"] == es_here["fingerprint"]


def test_deconfliction_request_answer_and_result_through_the_cli(run: Run, ex: Exchange) -> None:
    _refer(run, ex)
    _ok(
        run(ex.partner, "import-referral", ex.package(), "--sender-key", "coord", "--case", "es-op")
    )
    request = ex.tmp / "es.request.json"
    printed = _ok(
        run(ex.partner, "deconflict-export", "es-op", "--out", request, "--operation", "lantern")
    )
    assert "wrote a request about" in printed
    assert b"+346000001" not in request.read_bytes()
    answered = _ok(run(ex.coordinator, "deconflict", "op", request))
    answer = ex.tmp / "es.request.answer.json"
    assert "answered Unidad ES's request" in answered and answer.is_file()
    result = json.loads(_ok(run(ex.partner, "deconflict", "es-op", answer, "--json")))
    assert {a["identifier"] for a in result["known_accounts"]} == ex.op.targets("ES")
    assert (result["partner"], result["operation"]) == ("Coordinating Unit", "lantern")


def test_investigation_verbs_move_set_status_and_record_outcomes(run: Run, ex: Exchange) -> None:
    home = ex.coordinator
    _ok(
        run(home, "investigation", "move", "op", "user900000001", "--to", "MX", "--reason", "alias")
    )
    _ok(run(home, "investigation", "status", "op", "MX", "--set", "active", "--reason", "ack"))
    _ok(
        run(
            home,
            "investigation",
            "outcome",
            "op",
            "MX",
            "--arrests",
            "1",
            "--suspects",
            "2",
            "--minors",
            "1",
            "--ages",
            "16,29",
            "--reason",
            "partner report",
        )
    )
    listing = json.loads(_ok(run(home, "investigation", "list", "op", "--json")))
    mx = next(v for v in listing["investigations"] if v["country"] == "MX")
    assert (mx["status"], mx["suspect_ages"], len(mx["accounts"])) == ("arrests_made", [16, 29], 2)
    assert listing["totals"]["unattributed_accounts"] == 0


def test_a_move_without_reason_is_refused_by_the_cli(run: Run, ex: Exchange) -> None:
    code, _out, stderr = run(ex.coordinator, "investigation", "move", "op", "x", "--to", "MX")
    assert code == 2 and "--reason" in stderr


def test_bad_ages_are_a_one_line_error(run: Run, ex: Exchange) -> None:
    code, _out, stderr = run(
        ex.coordinator, "investigation", "outcome", "op", "ES", "--ages", "x,16", "--reason", "r"
    )
    assert (
        code == 2
        and stderr == "error: --ages 'x,16': give whole numbers separated by commas, e.g. 15,16\n"
    )


def test_media_files_need_a_reason_on_the_command_line(run: Run, ex: Exchange) -> None:
    code, _out, stderr = run(
        ex.coordinator,
        "refer",
        "op",
        "--country",
        "ES",
        "--recipient-key",
        "es",
        "--out",
        ex.tmp / "out",
        "--include-media",
    )
    assert code == 2 and "needs --reviewer NAME" in stderr and "--reason" in stderr
    assert not (ex.tmp / "out").exists()


def test_registering_twice_adds_each_verb_once(app: typer.Typer) -> None:
    cli_exchange.register(app)
    names = [info.name for info in app.registered_commands]
    groups = [info.name for info in app.registered_groups]
    assert names.count("refer") == 1 and groups.count("keys") == 1


@pytest.mark.skipif(shutil.which("age") is None, reason="the age tool is not installed")
def test_a_partner_opens_the_package_with_age_and_tar_alone(run: Run, ex: Exchange) -> None:
    _refer(run, ex)
    identity = ex.tmp / "es.identity.txt"
    _ok(run(ex.partner, "keys", "export", "es", "--age-identity", "--out", identity))
    plain = subprocess.run(
        ["age", "-d", "-i", str(identity), str(ex.package())], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(plain)) as archive:
        names = set(archive.getnames())
    assert {"manifest.json", "manifest.sig", "stix/bundle.json", "misp/event.json"} <= names


def test_an_update_imported_twice_through_the_cli_says_nothing_changed(
    run: Run, ex: Exchange
) -> None:
    _refer(run, ex)
    _ok(run(ex.partner, "import-referral", ex.package(), "--sender-key", "coord"))
    _ok(
        run(
            ex.coordinator,
            "refer",
            "op",
            "--country",
            "ES",
            "--recipient-key",
            "es",
            "--out",
            ex.tmp / "v2",
        )
    )
    [update] = sorted((ex.tmp / "v2").glob("*.age"))
    updated = _ok(run(ex.partner, "import-referral", update, "--sender-key", "coord"))
    assert updated.startswith("updated case ref-op-ES") and "0 message(s)" in updated
    again = " ".join(
        _ok(run(ex.partner, "import-referral", ex.package(), "--sender-key", "coord")).split()
    )
    assert "version 1 is not newer than version 2" in again and "nothing changed" in again
    code, _out, stderr = run(
        ex.partner, "import-referral", update, "--sender-key", "coord", "--case", "other"
    )
    assert code == 2 and "already held in case 'ref-op-ES'" in stderr


def test_acknowledgement_and_outcome_travel_back_through_the_cli(run: Run, ex: Exchange) -> None:
    _refer(run, ex)
    _ok(run(ex.partner, "import-referral", ex.package(), "--sender-key", "coord"))
    back = ex.tmp / "back"
    _ok(
        run(
            ex.partner, "ack", "ref-op-ES", "--country", "ES", "--status", "accepted", "--out", back
        )
    )
    sent = _ok(
        run(
            ex.partner,
            "outcome",
            "ref-op-ES",
            "--country",
            "ES",
            "--arrests",
            "1",
            "--suspects",
            "2",
            "--ages",
            "16,40",
            "--minors-safeguarded",
            "3",
            "--identifier",
            "telegram:777",
            "--out",
            back,
        )
    )
    assert sent.startswith("outcome for referral ref-")
    for package in sorted(back.glob("*.age")):
        printed = " ".join(
            _ok(run(ex.coordinator, "import-response", package, "--sender-key", "es")).split()
        )
        assert "recorded in case op, investigation ES" in printed
    listed = json.loads(
        _ok(run(ex.coordinator, "investigation", "list", "op", "--country", "ES", "--json"))
    )
    view = listed["investigations"][0]
    assert (view["arrests"], view["suspects"], view["minors"], view["suspect_ages"]) == (
        1,
        2,
        3,
        [16, 40],
    )


def test_media_in_a_package_is_refused_unless_the_operator_accepts_it(
    run: Run, ex: Exchange
) -> None:
    from casegraph.web.users import add_user

    ex.coordinator.open_case("op").evidence.put_bytes(b"benign test media m1")
    add_user(ex.coordinator, "rita", "reviewer-password-1", "reviewer")
    _refer(run, ex, "--include-media", "--reviewer", "rita", "--reason", "court order 7/24")
    code, _out, stderr = run(ex.partner, "import-referral", ex.package(), "--sender-key", "coord")
    assert code == 2 and "--accept-media" in stderr and ex.partner.case_names() == []
    _ok(run(ex.partner, "import-referral", ex.package(), "--sender-key", "coord", "--accept-media"))


def test_a_revoked_key_is_listed_and_refused(run: Run, ex: Exchange) -> None:
    _refer(run, ex)
    _ok(run(ex.partner, "keys", "revoke", "coord", "--reason", "key compromised"))
    assert "REVOKED" in _ok(run(ex.partner, "keys", "list"))
    code, _out, stderr = run(ex.partner, "import-referral", ex.package(), "--sender-key", "coord")
    assert code == 2 and "revoked" in stderr and "key compromised" in " ".join(stderr.split())
