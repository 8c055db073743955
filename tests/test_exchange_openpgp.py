"""OpenPGP recipients: a partner opens the package with Debian's gpg and nothing else.

Needs the gpg binary; skipped with a message where it is missing, required where
CASEGRAPH_REQUIRE_GPG is set (CI installs gnupg).
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casegraph.errors import CaseError, InputError
from casegraph.exchange import sealed
from casegraph.exchange.keys import load_public
from casegraph.exchange.package import refer
from casegraph.exchange.validate import REFERRAL_SCHEMA, check
from casegraph.store.cases import Home
from casegraph.store.schema import AuditRow, InvestigationRow
from exchange_fixtures import PASSPHRASE, Agencies, Operation, build_operation, make_agencies

if shutil.which("gpg") is None:
    if os.environ.get("CASEGRAPH_REQUIRE_GPG"):
        raise RuntimeError("CASEGRAPH_REQUIRE_GPG is set but gpg is missing: apt-get install gnupg")
    pytest.skip("gpg is not installed (apt-get install gnupg)", allow_module_level=True)


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(sealed, "SCRYPT_N", 2**10)  # the work factor is stored per file


@pytest.fixture
def setup(home: Home, tmp_path: Path) -> tuple[Agencies, Operation]:
    return make_agencies(home, tmp_path), build_operation(home)


@pytest.fixture
def partner_gpg() -> Iterator[Path]:
    """The partner's own gpg home with a fresh key pair, as its PGP tooling would have."""
    gnupghome = Path(tempfile.mkdtemp(prefix="cg-es-"))  # short: gpg socket paths are limited
    gnupghome.chmod(0o700)
    _gpg(gnupghome, "--passphrase", "", "--quick-gen-key", "Unidad ES <pgp@es.example.invalid>",
         "future-default", "default", "never")  # fmt: skip
    yield gnupghome
    subprocess.run(["gpgconf", "--homedir", str(gnupghome), "--kill", "all"], check=False)
    shutil.rmtree(gnupghome, ignore_errors=True)


def _gpg(gnupghome: Path, *args: str) -> bytes:
    command = ["gpg", "--homedir", str(gnupghome), "--batch", "--pinentry-mode", "loopback", *args]
    return subprocess.run(command, capture_output=True, check=True).stdout


def _public_key_file(gnupghome: Path, out: Path) -> Path:
    out.write_bytes(_gpg(gnupghome, "--armor", "--export", "pgp@es.example.invalid"))
    return out


def test_partner_opens_the_package_with_gpg_decrypt_alone(
    setup: tuple[Agencies, Operation], partner_gpg: Path, tmp_path: Path
) -> None:
    agencies, op = setup
    key_file = _public_key_file(partner_gpg, tmp_path / "es.asc")
    result = refer(agencies.coordinator, "op", "ES", "es", tmp_path / "out", recipient_pgp=key_file)
    assert result.package.suffix == ".gpg" and result.signature.is_file()
    plain = _gpg(partner_gpg, "--decrypt", str(result.package))
    with tarfile.open(fileobj=io.BytesIO(plain)) as archive:
        files = {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}  # type: ignore[union-attr]
    referral = json.loads(files["referral.json"])
    assert {a["identifier"] for a in referral["accounts"]} == op.targets("ES")
    # the inner signature still proves the sender: Ed25519 over manifest.json
    sender = load_public(agencies.partner.root, "coord")
    sender.ed25519.verify(base64.b64decode(files["manifest.sig"].strip()), files["manifest.json"])


def test_the_pgp_package_is_not_readable_with_another_pgp_key(
    setup: tuple[Agencies, Operation], partner_gpg: Path, tmp_path: Path
) -> None:
    agencies, _op = setup
    key_file = _public_key_file(partner_gpg, tmp_path / "es.asc")
    result = refer(agencies.coordinator, "op", "ES", "es", tmp_path / "out", recipient_pgp=key_file)
    stranger = Path(tempfile.mkdtemp(prefix="cg-xx-"))
    stranger.chmod(0o700)
    try:
        _gpg(stranger, "--passphrase", "", "--quick-gen-key", "Other <x@example.invalid>",
             "future-default", "default", "never")  # fmt: skip
        with pytest.raises(subprocess.CalledProcessError):
            _gpg(stranger, "--decrypt", str(result.package))
    finally:
        subprocess.run(["gpgconf", "--homedir", str(stranger), "--kill", "all"], check=False)
        shutil.rmtree(stranger, ignore_errors=True)


def test_the_referral_audit_names_the_openpgp_key(
    setup: tuple[Agencies, Operation], partner_gpg: Path, tmp_path: Path
) -> None:
    agencies, _op = setup
    key_file = _public_key_file(partner_gpg, tmp_path / "es.asc")
    refer(agencies.coordinator, "op", "ES", "es", tmp_path / "out", recipient_pgp=key_file)
    fingerprint = _gpg(partner_gpg, "--with-colons", "--fingerprint").decode()
    with agencies.coordinator.open_case("op").read() as session:
        entry = session.scalars(select(AuditRow).where(AuditRow.action == "referral.create")).one()
    assert f"fpr:::::::::{entry.details['openpgp_recipient']}:" in fingerprint


def test_a_file_that_is_not_an_openpgp_key_is_one_line_and_changes_nothing(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    bogus = tmp_path / "es.asc"
    bogus.write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\nnot a key\n")
    with pytest.raises(InputError, match="holds 0 OpenPGP public keys"):
        refer(agencies.coordinator, "op", "ES", "es", tmp_path / "out", recipient_pgp=bogus)
    assert not (tmp_path / "out").exists()
    with agencies.coordinator.open_case("op").read() as session:
        status = session.scalars(
            select(InvestigationRow.status).where(InvestigationRow.country == "ES")
        ).one()
        assert status == "proposed"


def test_refer_takes_the_openpgp_key_file_on_the_command_line(
    setup: tuple[Agencies, Operation], partner_gpg: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from casegraph import cli_exchange
    from casegraph.cli import app

    cli_exchange.register(app)  # idempotent: a no-op once cli.py wires it itself
    agencies, _op = setup
    key_file = _public_key_file(partner_gpg, tmp_path / "es.asc")
    home = ["--home", str(agencies.coordinator.root)]
    args = ["refer", "op", "--country", "ES", "--recipient-key", "es", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, [*home, *args, "--recipient-pgp", str(key_file), "--json"])
    assert result.exit_code == 0, result.stderr or result.stdout
    package = Path(json.loads(result.stdout)["package"])
    assert package.suffix == ".gpg"
    assert _gpg(partner_gpg, "--decrypt", str(package)).startswith(b"excerpts/messages.json")


def _open_with_gpg(partner_gpg: Path, package: Path) -> dict[str, bytes]:
    plain = _gpg(partner_gpg, "--decrypt", str(package))
    with tarfile.open(fileobj=io.BytesIO(plain)) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}  # type: ignore[union-attr]


def test_the_recipient_guard_applies_to_the_casegraph_key_of_a_pgp_referral(
    setup: tuple[Agencies, Operation], partner_gpg: Path, tmp_path: Path
) -> None:
    agencies, _op = setup
    key_file = _public_key_file(partner_gpg, tmp_path / "es.asc")
    with pytest.raises(CaseError, match=r"key other is for country FR .* investigation MX"):
        refer(agencies.coordinator, "op", "MX", "other", tmp_path / "out", recipient_pgp=key_file)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    with agencies.coordinator.open_case("op").read() as session:
        status = session.scalars(
            select(InvestigationRow.status).where(InvestigationRow.country == "MX")
        ).one()
    assert status == "proposed"


def test_a_pgp_package_is_the_next_version_of_the_same_referral(
    setup: tuple[Agencies, Operation], partner_gpg: Path, tmp_path: Path
) -> None:
    agencies, _op = setup
    first = refer(agencies.coordinator, "op", "ES", "es", tmp_path / "out")
    key_file = _public_key_file(partner_gpg, tmp_path / "es.asc")
    second = refer(agencies.coordinator, "op", "ES", "es", tmp_path / "out", recipient_pgp=key_file)
    assert (second.referral_id, second.version) == (first.referral_id, 2)
    manifest = json.loads(_open_with_gpg(partner_gpg, second.package)["manifest.json"])
    assert manifest["referral"] == {
        "id": first.referral_id,
        "version": 2,
        "supersedes": {"version": 1, "ciphertext_sha256": first.ciphertext_sha256},
    }


def test_the_manifest_of_a_pgp_package_with_the_standards_files_meets_the_published_schema(
    setup: tuple[Agencies, Operation], partner_gpg: Path, tmp_path: Path
) -> None:
    agencies, _op = setup
    key_file = _public_key_file(partner_gpg, tmp_path / "es.asc")
    result = refer(agencies.coordinator, "op", "ES", "es", tmp_path / "out", recipient_pgp=key_file)
    files = _open_with_gpg(partner_gpg, result.package)
    manifest = json.loads(files["manifest.json"])
    listed = {entry["path"] for entry in manifest["files"]}
    assert "stix/extensions/phone-number-e164.json" in listed
    assert "misp/taxonomies/europol-handling/machinetag.json" in listed
    check(manifest, REFERRAL_SCHEMA, "manifest", "manifest.json")  # raises on any problem
    check(json.loads(files["referral.json"]), REFERRAL_SCHEMA, "referral_data", "referral.json")
