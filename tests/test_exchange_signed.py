"""Signed JSON files (deconfliction requests and answers): any change to any field is caught."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casegraph.errors import InputError
from casegraph.exchange import sealed
from casegraph.exchange.keys import (
    Identity,
    export_public_key,
    generate_key,
    import_public_key,
    load_identity,
)
from casegraph.exchange.signed import sign_document, verify_document

PURPOSE = "casegraph-test-v1"
fields = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda k: k not in ("signature", "signer")),
    st.one_of(st.text(max_size=30), st.integers(), st.none(), st.booleans()),
    max_size=6,
)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Identity, Path]:
    """A sender's identity and a receiving home that imported the sender's public key."""
    root = tmp_path_factory.mktemp("signed")
    mp = pytest.MonkeyPatch()
    mp.setattr(sealed, "SCRYPT_N", 2**10)
    try:
        generate_key(root / "sender", "es", "Unidad ES", "ES", passphrase="long test passphrase")
        export_public_key(root / "sender", "es", root / "es.pub.json")
        import_public_key(root / "receiver", root / "es.pub.json")
        identity = load_identity(root / "sender", "es", "long test passphrase")
    finally:
        mp.undo()
    return identity, root / "receiver"


@settings(max_examples=60, deadline=None)
@given(document=fields)
def test_a_signed_document_verifies_as_it_was_written(
    pair: tuple[Identity, Path], document: dict[str, Any]
) -> None:
    identity, receiver = pair
    signed = sign_document(document, identity, PURPOSE)
    assert verify_document(signed, receiver, PURPOSE, Path("x.json")).agency == "Unidad ES"


@settings(max_examples=60, deadline=None)
@given(document=fields, data=st.data())
def test_changing_adding_or_removing_any_field_fails_verification(
    pair: tuple[Identity, Path], document: dict[str, Any], data: st.DataObject
) -> None:
    identity, receiver = pair
    signed = sign_document(document, identity, PURPOSE)
    name = data.draw(st.sampled_from([*document, "extra"]))
    changed = dict(signed)
    if name in document and data.draw(st.booleans()):
        del changed[name]
    else:
        changed[name] = data.draw(st.text(max_size=30).filter(lambda v: v != signed.get(name)))
    with pytest.raises(InputError):
        verify_document(changed, receiver, PURPOSE, Path("x.json"))


def test_a_signature_for_one_purpose_does_not_verify_for_another(
    pair: tuple[Identity, Path],
) -> None:
    identity, receiver = pair
    signed = sign_document({"format": "request"}, identity, "casegraph-deconfliction-request-v1")
    with pytest.raises(InputError, match="fails signature verification"):
        verify_document(signed, receiver, "casegraph-deconfliction-answer-v1", Path("x.json"))
