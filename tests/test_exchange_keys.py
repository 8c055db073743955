"""Agency keys: generate, export, import, list; private keys sealed at rest."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from casegraph.errors import CaseError, InputError
from casegraph.exchange import sealed
from casegraph.exchange.keys import (
    check_usable,
    export_public_key,
    generate_key,
    import_public_key,
    list_keys,
    load_identity,
    revoke_key,
)

PASSPHRASE = "a long test passphrase"


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(sealed, "SCRYPT_N", 2**10)  # the work factor is stored per file


def test_generated_key_is_listed_with_its_fingerprint(tmp_path: Path) -> None:
    key = generate_key(tmp_path, "coord", agency="Coordinating Unit", country="nl")
    [info] = list_keys(tmp_path)
    assert (info.name, info.kind, info.country) == ("coord", "own", "NL")
    assert info.fingerprint == key.fingerprint and len(key.fingerprint) == 40


def test_private_key_file_is_0600_and_holds_no_plain_secret(tmp_path: Path) -> None:
    generate_key(tmp_path, "coord")
    identity = load_identity(tmp_path, "coord")
    path = tmp_path / "keys" / "own" / "coord.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert str(identity.age).encode() not in path.read_bytes()


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate_key(tmp_path, "coord")
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", "not it")
    with pytest.raises(CaseError, match="wrong passphrase"):
        load_identity(tmp_path, "coord")


def test_missing_passphrase_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CASEGRAPH_KEY_PASSPHRASE")
    with pytest.raises(CaseError, match="CASEGRAPH_KEY_PASSPHRASE"):
        generate_key(tmp_path, "coord")


def test_exported_public_key_imports_at_a_partner(tmp_path: Path) -> None:
    key = generate_key(tmp_path / "a", "coord", agency="Coordinating Unit")
    export_public_key(tmp_path / "a", "coord", tmp_path / "coord.json")
    assert b"SECRET" not in (tmp_path / "coord.json").read_bytes()
    imported = import_public_key(tmp_path / "b", tmp_path / "coord.json", name="nl-coord")
    assert imported.fingerprint == key.fingerprint
    assert [(i.name, i.kind) for i in list_keys(tmp_path / "b")] == [("nl-coord", "partner")]


def test_a_public_key_with_a_forged_fingerprint_is_refused(tmp_path: Path) -> None:
    generate_key(tmp_path / "a", "coord")
    path = export_public_key(tmp_path / "a", "coord", tmp_path / "coord.json")
    document = json.loads(path.read_text())
    document["fingerprint"] = "0" * 40
    path.write_text(json.dumps(document))
    with pytest.raises(InputError, match="does not match the key material"):
        import_public_key(tmp_path / "b", path)


def test_a_different_key_under_a_known_name_is_refused(tmp_path: Path) -> None:
    generate_key(tmp_path / "a", "coord")
    generate_key(tmp_path / "c", "coord")
    export_public_key(tmp_path / "a", "coord", tmp_path / "a.json")
    export_public_key(tmp_path / "c", "coord", tmp_path / "c.json")
    import_public_key(tmp_path / "b", tmp_path / "a.json")
    with pytest.raises(CaseError, match="different partner key"):
        import_public_key(tmp_path / "b", tmp_path / "c.json")


@pytest.mark.parametrize("weak", ["x", "aaaaaaaaaaaaaaaa", "123456789012345", "short pass"])
def test_a_trivial_or_short_passphrase_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", weak)
    with pytest.raises(CaseError, match="key passphrase refused"):
        generate_key(tmp_path, "coord")
    assert not (tmp_path / "keys" / "own" / "coord.json").exists()


def test_the_shipped_scrypt_work_factor_is_at_least_ages() -> None:
    # a fresh process: the test suite itself runs with a small factor (see conftest)
    code = (
        "from casegraph.exchange import sealed;"
        "print(sealed.seal({'k': 1}, 'a long test passphrase')['kdf']['n'])"
    )
    printed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert int(printed) >= 2**18


def test_a_key_sealed_with_the_old_work_factor_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sealed, "SCRYPT_N", 2**15)
    generate_key(tmp_path, "old")
    monkeypatch.setattr(sealed, "SCRYPT_N", 2**18)
    assert load_identity(tmp_path, "old").public.name == "old"


def test_a_new_key_carries_an_expiry_date(tmp_path: Path) -> None:
    key = generate_key(tmp_path, "coord", valid_days=30)
    assert key.expires == (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    assert list_keys(tmp_path)[0].expires == key.expires


def test_an_expired_key_is_refused_as_sender(tmp_path: Path) -> None:
    key = generate_key(tmp_path, "coord", valid_days=1)
    later = datetime.now(UTC).date() + timedelta(days=2)
    with pytest.raises(InputError, match=r"sender key coord .* expired on"):
        check_usable(tmp_path, key, "sender", today=later)
    check_usable(tmp_path, key, "sender")


def test_a_revoked_key_is_refused_and_listed(tmp_path: Path) -> None:
    key = generate_key(tmp_path, "coord")
    revoke_key(tmp_path, "coord", "laptop stolen")
    with pytest.raises(InputError, match=r"revoked on .*laptop stolen"):
        check_usable(tmp_path, key, "sender")
    assert list_keys(tmp_path)[0].revoked


def test_revoking_needs_a_reason(tmp_path: Path) -> None:
    generate_key(tmp_path, "coord")
    with pytest.raises(CaseError, match="--reason"):
        revoke_key(tmp_path, "coord", " ")
