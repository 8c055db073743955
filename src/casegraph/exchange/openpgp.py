"""OpenPGP envelopes for partners whose tooling is PGP: Debian's gpg through python-gnupg.

The package tar (files, manifest.json, manifest.sig) is encrypted to the partner's OpenPGP
public key instead of age, so `gpg --decrypt X.gpg | tar x` opens it with nothing else
installed. gpg runs in a throw-away home holding only that one public key, so neither the
sender's keyrings nor its trust settings take part; the key file is all that decides.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gnupg

from casegraph.errors import CaseError, InputError

SUFFIX = ".gpg"


@dataclass(frozen=True)
class PgpRecipient:
    """An OpenPGP public key read from a file: its armored text and primary fingerprint."""

    path: Path
    key_text: str
    fingerprint: str
    user_ids: tuple[str, ...]


def _gpg_binary() -> str:
    binary = shutil.which("gpg")
    if binary is None:
        raise CaseError("gpg is not installed: install Debian's gnupg (apt-get install gnupg)")
    return binary


class _ScratchGpg:
    """gpg with a private, temporary home; its agent (if any started) is stopped on exit."""

    def __enter__(self) -> gnupg.GPG:
        self.home = tempfile.mkdtemp(prefix="cg-gpg-")  # short: gpg's socket paths are limited
        return gnupg.GPG(gpgbinary=_gpg_binary(), gnupghome=self.home)

    def __exit__(self, *_exc: object) -> None:
        gpgconf = shutil.which("gpgconf")
        if gpgconf:
            subprocess.run(
                [gpgconf, "--homedir", self.home, "--kill", "all"], capture_output=True, check=False
            )
        shutil.rmtree(self.home, ignore_errors=True)


def read_recipient(path: Path) -> PgpRecipient:
    """Exactly one OpenPGP public key that can encrypt; one-line InputError otherwise."""
    try:
        key_text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read OpenPGP key {path}: {exc}; pass the partner's ASCII-armored public key "
            "(gpg --armor --export)"
        ) from exc
    with _ScratchGpg() as gpg:
        gpg.import_keys(key_text)
        keys = gpg.list_keys()
    if len(keys) != 1:
        raise InputError(
            f"{path} holds {len(keys)} OpenPGP public keys; pass a file with exactly the "
            "partner's key (gpg --armor --export FINGERPRINT)"
        )
    key = keys[0]
    if "E" not in key["cap"]:  # upper case: some valid (not expired or revoked) key encrypts
        raise InputError(
            f"{path}: OpenPGP key {key['fingerprint']} cannot encrypt (expired, revoked or "
            "signing-only); ask the partner for a current encryption key"
        )
    return PgpRecipient(path, key_text, str(key["fingerprint"]), tuple(key.get("uids", [])))


def encrypt(plain: bytes, recipient: PgpRecipient) -> bytes:
    """Binary OpenPGP message to the recipient's key (what `gpg --encrypt -r KEY` writes)."""
    with _ScratchGpg() as gpg:
        gpg.import_keys(recipient.key_text)
        result = gpg.encrypt(
            plain, recipient.fingerprint, armor=False, always_trust=True, extra_args=["--no-tty"]
        )
    if not result.ok or not result.data:
        why = result.status or result.stderr.strip()
        raise InputError(
            f"gpg could not encrypt to {recipient.path} ({why}); check that the key is current"
        )
    data: bytes = result.data
    return data
