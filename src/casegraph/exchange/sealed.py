"""Secrets at rest: AES-256-GCM under a key stretched from a passphrase with scrypt.

The passphrase comes from the caller or CASEGRAPH_KEY_PASSPHRASE; files are written 0600
in a 0700 directory, so a copied disk or a shared account does not expose private keys.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from casegraph.errors import CaseError

PASSPHRASE_ENV = "CASEGRAPH_KEY_PASSPHRASE"
SCRYPT_N = 2**18  # age's work factor (~0.5 s, 256 MiB per unlock); files keep their own N
MIN_PASSPHRASE = 12
MIN_DISTINCT = 6
COMMON = frozenset(
    {
        "password1234",
        "passwordpassword",
        "123456789012",
        "qwertyuiopas",
        "correcthorse",
        "letmein12345",
    }
)


def check_passphrase(passphrase: str) -> None:
    """Refuse a passphrase a guesser tries first: short, few distinct characters, common."""
    folded = passphrase.strip().lower()
    if len(folded) < MIN_PASSPHRASE:
        problem = f"shorter than {MIN_PASSPHRASE} characters"
    elif len(set(folded)) < MIN_DISTINCT:
        problem = f"fewer than {MIN_DISTINCT} different characters"
    elif folded in COMMON or folded.isdigit():
        problem = "a common or all-digit passphrase"
    else:
        return
    raise CaseError(
        f"key passphrase refused: {problem}; choose at least {MIN_PASSPHRASE} characters, "
        "e.g. four random words"
    )


def passphrase_or_env(passphrase: str | None) -> str:
    value = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
    if not value:
        raise CaseError(
            f"private keys are passphrase-protected: set {PASSPHRASE_ENV} to the key passphrase"
        )
    return value


def _derive(passphrase: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(passphrase.encode())


def seal(payload: dict[str, Any], passphrase: str) -> dict[str, Any]:
    """Encrypt a new secret; only passphrases that pass the policy seal anything."""
    check_passphrase(passphrase)
    salt, nonce = os.urandom(16), os.urandom(12)
    key = _derive(passphrase, salt, SCRYPT_N)
    plain = json.dumps(payload, sort_keys=True).encode()
    return {
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": 8, "p": 1, "salt": _b64(salt)},
        "cipher": "aes-256-gcm",
        "nonce": _b64(nonce),
        "ciphertext": _b64(AESGCM(key).encrypt(nonce, plain, None)),
    }


def unseal(sealed: dict[str, Any], passphrase: str, path: Path) -> dict[str, Any]:
    try:
        kdf = sealed["kdf"]
        key = _derive(passphrase, _unb64(kdf["salt"]), int(kdf["n"]))
        plain = AESGCM(key).decrypt(_unb64(sealed["nonce"]), _unb64(sealed["ciphertext"]), None)
    except InvalidTag as exc:
        raise CaseError(f"cannot unlock {path}: wrong passphrase; check {PASSPHRASE_ENV}") from exc
    except (KeyError, ValueError, TypeError) as exc:
        raise CaseError(f"{path} is not a casegraph private key file; re-import the key") from exc
    result: dict[str, Any] = json.loads(plain)
    return result


def write_private(path: Path, document: dict[str, Any]) -> None:
    """Create the file 0600 from the start so the secret is never briefly world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as stream:
        json.dump(document, stream, indent=1, sort_keys=True)
    os.replace(tmp, path)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)
