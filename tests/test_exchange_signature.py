"""A `.sig` file is parsed strictly: every field has one exact form, or nothing is imported."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casegraph.errors import InputError
from casegraph.exchange import sealed
from casegraph.exchange.crypto import read_signature
from casegraph.exchange.package import refer
from casegraph.exchange.receive import import_referral, verify
from exchange_fixtures import PASSPHRASE, Agencies, build_operation, make_agencies


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(sealed, "SCRYPT_N", 2**10)


@pytest.fixture
def sent(home: Any, tmp_path: Path) -> tuple[Agencies, Path]:
    agencies = make_agencies(home, tmp_path)
    build_operation(home)
    return agencies, refer(home, "op", "ES", "es", tmp_path / "out").package


def _rewrite(package: Path, change: Callable[[dict[str, Any]], None]) -> None:
    signature = package.with_suffix(".sig")
    document = json.loads(signature.read_text())
    change(document)
    signature.write_text(json.dumps(document))


def _flip_digest(document: dict[str, Any]) -> None:
    digest = document["ciphertext_sha256"]
    document["ciphertext_sha256"] = ("0" if digest[0] != "0" else "1") + digest[1:]


TAMPERINGS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "changed ciphertext_sha256": (_flip_digest, "SHA-256 is not the one the signature"),
    "algorithm rsa": (lambda d: d.update(algorithm="rsa"), "algorithm 'rsa' is not accepted"),
    "garbage base64": (
        lambda d: d.update(signature=d["signature"][:40] + "!!" + d["signature"][42:]),
        "field 'signature' is malformed",
    ),
    "short signature": (
        lambda d: d.update(signature=d["signature"][:-8] + "=="),
        "field 'signature' is malformed",
    ),
    "upper-case fingerprint": (
        lambda d: d.update(recipient=d["recipient"].upper()),
        "field 'recipient' is malformed",
    ),
    "extra field": (lambda d: d.update(note="trust me"), r"fields \['note'\] are wrong"),
    "missing field": (lambda d: d.pop("ciphertext_sha256"), r"fields \['ciphertext_sha256'\]"),
}


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_a_malformed_signature_file_is_refused_with_one_line(
    sent: tuple[Agencies, Path], tampering: str
) -> None:
    agencies, package = sent
    change, message = TAMPERINGS[tampering]
    _rewrite(package, change)
    with pytest.raises(InputError, match=message) as failure:
        verify(agencies.partner, package, "coord", "es")
    assert "\n" not in str(failure.value)


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_a_malformed_signature_file_imports_nothing(
    sent: tuple[Agencies, Path], tampering: str
) -> None:
    agencies, package = sent
    _rewrite(package, TAMPERINGS[tampering][0])
    with pytest.raises(InputError):
        import_referral(agencies.partner, package, "es", "coord")
    assert agencies.partner.case_names() == []


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=100),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
VALID = {
    "format": "casegraph-referral-signature/1",
    "algorithm": "ed25519",
    "signer": "a" * 40,
    "recipient": "b" * 40,
    "ciphertext_sha256": "c" * 64,
    "signature": base64.b64encode(bytes(64)).decode(),
}


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(sorted(VALID)), value=JSON_VALUES)
def test_any_changed_field_is_refused_with_input_error_or_parsed_exactly(
    tmp_path: Path, field: str, value: Any
) -> None:
    path = tmp_path / "x.sig"
    path.write_text(json.dumps({**VALID, field: value}))
    try:
        parsed = read_signature(path)
    except InputError as error:
        assert "\n" not in str(error)
        return
    assert value == VALID[field]  # only the one valid form parses
    assert parsed.signature == bytes(64)
