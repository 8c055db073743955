"""Shared per-operation secrets for deconfliction tokens.

The coordinator generates one, sends it to each partner encrypted to the partner's age key,
and every agency keeps it sealed under its own key passphrase. A key is named by its key id,
an HMAC of a fixed label under the secret, so token files say which key made them without
revealing it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pyrage

from casegraph.errors import CaseError, InputError
from casegraph.exchange.keys import keys_dir, load_identity, load_public, own_identity_names
from casegraph.exchange.sealed import passphrase_or_env, seal, unseal, write_private

OPERATION_FORMAT = "casegraph-operation-key/1"


@dataclass(frozen=True)
class OperationKey:
    key_id: str
    label: str
    secret: bytes


def key_id_of(secret: bytes) -> str:
    return hmac.new(secret, b"casegraph-operation-key-id", hashlib.sha256).hexdigest()[:16]


def _store(home_root: Path, key: OperationKey, passphrase: str | None) -> None:
    sealed = seal({"secret": base64.b64encode(key.secret).decode()}, passphrase_or_env(passphrase))
    document = {"format": OPERATION_FORMAT, "key_id": key.key_id, "label": key.label, **sealed}
    write_private(keys_dir(home_root) / "operations" / f"{key.key_id}.json", document)


def generate_operation_key(
    home_root: Path, label: str, passphrase: str | None = None
) -> OperationKey:
    secret = os.urandom(32)
    key = OperationKey(key_id_of(secret), label, secret)
    _store(home_root, key, passphrase)
    return key


def operation_key_ids(home_root: Path) -> list[str]:
    folder = keys_dir(home_root) / "operations"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def load_operation_key(
    home_root: Path, ref: str | None = None, passphrase: str | None = None
) -> OperationKey:
    """By key id or label; with no ref, the only operation key there is."""
    folder = keys_dir(home_root) / "operations"
    candidates = []
    for key_id in operation_key_ids(home_root):
        document = json.loads((folder / f"{key_id}.json").read_text(encoding="utf-8"))
        if ref is None or ref in (key_id, document.get("label")):
            candidates.append(document)
    if len(candidates) != 1:
        what = f"operation key {ref!r}" if ref else "an operation key"
        raise CaseError(
            f"{len(candidates)} matches for {what} in {folder}; import the key the coordinator "
            "sent (casegraph keys import FILE) or name it with --operation"
        )
    document = candidates[0]
    path = folder / f"{document['key_id']}.json"
    secret = base64.b64decode(unseal(document, passphrase_or_env(passphrase), path)["secret"])
    if key_id_of(secret) != document["key_id"]:
        raise InputError(f"{path} is damaged: its secret does not match its key id")
    return OperationKey(document["key_id"], str(document.get("label", "")), secret)


def export_operation_key(
    home_root: Path, ref: str, recipient_ref: str, out: Path, passphrase: str | None = None
) -> Path:
    """The secret encrypted to one partner's age key (open with `age -d` or keys import)."""
    key = load_operation_key(home_root, ref, passphrase)
    recipient = load_public(home_root, recipient_ref)
    payload = json.dumps(
        {
            "format": OPERATION_FORMAT,
            "label": key.label,
            "secret": base64.b64encode(key.secret).decode(),
        }
    ).encode()
    out.write_bytes(pyrage.encrypt(payload, [recipient.age]))
    return out


def import_operation_key(
    home_root: Path, path: Path, identity: str | None = None, passphrase: str | None = None
) -> OperationKey:
    names = [identity] if identity else own_identity_names(home_root)
    data = path.read_bytes()
    for name in names:
        own = load_identity(home_root, name, passphrase)
        try:
            payload = json.loads(pyrage.decrypt(data, [own.age]))
        except pyrage.DecryptError:
            continue
        secret = base64.b64decode(payload["secret"])
        key = OperationKey(key_id_of(secret), str(payload.get("label", "")), secret)
        _store(home_root, key, passphrase)
        return key
    raise InputError(
        f"{path} is not encrypted to any of your keys ({', '.join(names) or 'none'}); "
        "ask the coordinator to export it to your public key"
    )
