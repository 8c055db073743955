"""Small JSON documents signed with the agency's Ed25519 key (deconfliction requests, answers).

The signed message is a purpose line, then the document without its `signature` field as
canonical JSON (keys sorted, no spaces, UTF-8): `jq -cjS 'del(.signature)'` prints the same
bytes, so a partner can check a file with jq and openssl alone (docs/exchange.md).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from casegraph.errors import InputError
from casegraph.exchange.keys import Identity, PublicKey, check_usable, list_keys, load_public


def signed_message(document: dict[str, Any], purpose: str) -> bytes:
    body = {k: v for k, v in document.items() if k != "signature"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{purpose}\n".encode() + canonical.encode()


def sign_document(document: dict[str, Any], identity: Identity, purpose: str) -> dict[str, Any]:
    """The document with `signer` (own party) and `signature` (base64 Ed25519) added."""
    signed = {**document, "signer": identity.public.party()}
    signature = identity.signing.sign(signed_message(signed, purpose))
    return {**signed, "signature": base64.b64encode(signature).decode()}


def partner_by_fingerprint(home_root: Path, fingerprint: str) -> PublicKey | None:
    for info in list_keys(home_root):
        if info.kind == "partner" and info.fingerprint == fingerprint:
            return load_public(home_root, info.name)
    return None


def verify_document(
    document: dict[str, Any], home_root: Path, purpose: str, path: Path
) -> PublicKey:
    """The partner key that signed the document; InputError naming the file otherwise.

    The signer must be an imported partner key, neither revoked nor expired, and the party
    the file claims (agency, country, name) must be that key's: a forged agency name fails here.
    """
    signer = document.get("signer")
    fingerprint = signer.get("fingerprint") if isinstance(signer, dict) else None
    key = partner_by_fingerprint(home_root, str(fingerprint)) if fingerprint else None
    if key is None:
        raise InputError(
            f"{path} is signed by key {fingerprint or '(none)'}, which is not among your partner "
            "keys; import the sender's public key (casegraph keys import) and compare fingerprints"
        )
    check_usable(home_root, key, "sender")
    try:
        signature = base64.b64decode(str(document.get("signature", "")), validate=True)
        key.ed25519.verify(signature, signed_message(document, purpose))
    except (InvalidSignature, ValueError) as exc:
        raise InputError(
            f"{path} fails signature verification: it was altered after signing or is not "
            f"from {key.agency or key.name}; do not use it, ask the sender to resend"
        ) from exc
    claimed = {k: signer.get(k) for k in ("agency", "country")} if isinstance(signer, dict) else {}
    if claimed != {"agency": key.agency, "country": key.country}:
        raise InputError(
            f"{path} claims to come from {claimed.get('agency')!r} ({claimed.get('country')}) "
            f"but its key is {key.agency!r} ({key.country}); do not use it"
        )
    return key
