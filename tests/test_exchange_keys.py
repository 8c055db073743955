"""Agency keys: generate, export, import, list; private keys sealed at rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casegraph.errors import CaseError, InputError
from casegraph.exchange import sealed
from casegraph.exchange.keys import (
    export_public_key,
    generate_key,
    import_public_key,
    list_keys,
    load_identity,
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
