"""Sign-then-encrypt envelopes for referral packages, and their verification.

On disk a package is two files side by side::

    <stem>.age   age (X25519) encryption of a tar: the package files + manifest.json
                 + manifest.sig (Ed25519 over manifest.json, which lists every file's SHA-256)
    <stem>.sig   Ed25519 signature over the ciphertext's SHA-256 and the recipient fingerprint

A partner opens it with standard tools (`age -d -i identity.txt X.age | tar x`) or with
`casegraph verify`. The outer signature is checked before anything is decrypted, so a
flipped byte or a wrong sender key fails before a single byte is parsed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pyrage
from cryptography.exceptions import InvalidSignature

from casegraph.errors import InputError
from casegraph.exchange import openpgp
from casegraph.exchange.keys import Identity, PublicKey
from casegraph.exchange.openpgp import PgpRecipient

SIGNATURE_FORMAT = "casegraph-referral-signature/1"
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.sig"
MAX_MEMBERS = 100_000


@dataclass(frozen=True)
class OpenedPackage:
    manifest: dict[str, Any]
    files: dict[str, bytes]
    ciphertext_sha256: str
    path: Path


def _outer_message(ciphertext_sha256: str, recipient_fingerprint: str) -> bytes:
    return f"casegraph-referral-v1\n{ciphertext_sha256}\n{recipient_fingerprint}\n".encode()


def _tar(files: dict[str, bytes], mtime: datetime) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = int(mtime.timestamp())
            info.mode = 0o600
            archive.addfile(info, io.BytesIO(files[name]))
    return buffer.getvalue()


def seal_package(
    files: dict[str, bytes],
    manifest: dict[str, Any],
    sender: Identity,
    recipient: PublicKey,
    out_dir: Path,
    stem: str,
    created_at: datetime,
    pgp_recipient: PgpRecipient | None = None,
) -> Path:
    """Write `<stem>.age` and `<stem>.sig` into out_dir; return the package path.

    With `pgp_recipient` the tar is encrypted to that OpenPGP key instead (`<stem>.gpg`,
    opened with `gpg --decrypt`); the .sig covers that ciphertext the same way.

    A package never replaces an earlier one (already signed and audited): when the name is
    taken, even by a concurrent writer, `<stem>-2`, `<stem>-3`, ... is used instead.
    """
    manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True).encode()
    contents = {
        **files,
        MANIFEST: manifest_bytes,
        MANIFEST_SIG: base64.b64encode(sender.signing.sign(manifest_bytes)) + b"\n",
    }
    plain = _tar(contents, created_at)
    if pgp_recipient is not None:
        ciphertext, suffix = openpgp.encrypt(plain, pgp_recipient), openpgp.SUFFIX
    else:
        ciphertext, suffix = pyrage.encrypt(plain, [recipient.age]), ".age"
    digest = hashlib.sha256(ciphertext).hexdigest()
    signature = {
        "format": SIGNATURE_FORMAT,
        "algorithm": "ed25519",
        "signer": sender.public.fingerprint,
        "recipient": recipient.fingerprint,
        "ciphertext_sha256": digest,
        "signature": base64.b64encode(
            sender.signing.sign(_outer_message(digest, recipient.fingerprint))
        ).decode(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    package = _create_exclusively(out_dir, stem, ciphertext, suffix)
    try:
        signature_path(package).write_text(json.dumps(signature, indent=1), encoding="utf-8")
    except BaseException:
        package.unlink(missing_ok=True)  # a package without its signature is never left
        raise
    return package


def _create_exclusively(out_dir: Path, stem: str, data: bytes, suffix: str = ".age") -> Path:
    n = 1
    while True:
        package = out_dir / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
        try:
            with package.open("xb") as sink:  # the name is claimed atomically
                sink.write(data)
            return package
        except FileExistsError:
            n += 1


def signature_path(package: Path) -> Path:
    return package.with_suffix(".sig")


def remove_package(package: Path) -> None:
    """Take back a package whose sending failed: its .age and its .sig go together."""
    package.unlink(missing_ok=True)
    signature_path(package).unlink(missing_ok=True)


def resolve_package(path: Path) -> Path:
    """Accept the .age file, its .sig, or a folder holding exactly one package."""
    if path.is_dir():
        found = sorted(path.glob("*.age"))
        if len(found) != 1:
            raise InputError(
                f"{path} holds {len(found)} packages (*.age); name the package file instead"
            )
        return found[0]
    if path.suffix == ".sig":
        path = path.with_suffix(".age")
    if path.suffix == openpgp.SUFFIX:
        raise InputError(
            f"{path} is an OpenPGP package: open it with `gpg --decrypt {path.name} | tar x` "
            "and check manifest.sig (docs/exchange.md)"
        )
    if not path.is_file():
        raise InputError(f"no referral package at {path}; pass the .age file refer wrote")
    return path


def open_package(path: Path, sender: PublicKey, identity: Identity) -> OpenedPackage:
    """Verify sender and integrity, then decrypt; raises InputError naming what failed."""
    package = resolve_package(path)
    ciphertext = package.read_bytes()
    digest = hashlib.sha256(ciphertext).hexdigest()
    outer = read_signature(signature_path(package))
    if outer.signer != sender.fingerprint:
        raise InputError(
            f"{package} is signed by key {outer.signer}, not by the sender key "
            f"{sender.fingerprint} ({sender.name}); check --sender-key"
        )
    if outer.ciphertext_sha256 != digest:
        raise InputError(
            f"{package} fails signature verification: its SHA-256 is not the one the signature "
            "file states; do not use it, ask the sender to resend"
        )
    try:
        sender.ed25519.verify(outer.signature, _outer_message(digest, outer.recipient))
    except InvalidSignature as exc:
        raise InputError(
            f"{package} fails signature verification: it was altered after signing or is not "
            f"from {sender.name}; do not use it, ask the sender to resend"
        ) from exc
    if outer.recipient != identity.public.fingerprint:
        raise InputError(
            f"{package} is addressed to key {outer.recipient}, not to your key "
            f"{identity.public.fingerprint} ({identity.public.name}); check --identity"
        )
    try:
        plain = pyrage.decrypt(ciphertext, [identity.age])
    except pyrage.DecryptError as exc:
        raise InputError(
            f"{package} cannot be decrypted with {identity.public.name}: {exc}; check --identity"
        ) from exc
    files = _untar(plain, package)
    manifest = _check_manifest(files, sender, package)
    return OpenedPackage(manifest, files, digest, package)


@dataclass(frozen=True)
class OuterSignature:
    """A `.sig` file, every field checked for its exact form before any of it is trusted."""

    signer: str
    recipient: str
    ciphertext_sha256: str
    signature: bytes


SIGNATURE_FIELDS = {"format", "algorithm", "signer", "recipient", "ciphertext_sha256", "signature"}
FINGERPRINT = re.compile(r"^[0-9a-f]{40}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
ED25519_SIGNATURE_B64 = re.compile(r"^[A-Za-z0-9+/]{86}==$")  # 64 bytes, canonical padding


def read_signature(path: Path) -> OuterSignature:
    """Parse a `.sig` strictly: unknown or missing fields, another algorithm, bad hex or
    base64 are refused with one line, so nothing malformed is ever archived as custody."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"signature file {path} is missing; ask the sender for it") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"signature file {path} is damaged ({exc}); ask for a resend") from exc
    if not isinstance(data, dict) or data.get("format") != SIGNATURE_FORMAT:
        raise InputError(f"{path} is not a casegraph referral signature; ask for a resend")
    if set(data) != SIGNATURE_FIELDS:
        raise InputError(
            f"{path}: fields {sorted(set(data) ^ SIGNATURE_FIELDS)} are wrong in the signature "
            "file; ask the sender to resend it unchanged"
        )
    if data["algorithm"] != "ed25519":
        raise InputError(
            f"{path}: algorithm {data['algorithm']!r} is not accepted, only ed25519; "
            "ask the sender to resend"
        )
    checks = (
        ("signer", FINGERPRINT),
        ("recipient", FINGERPRINT),
        ("ciphertext_sha256", SHA256_HEX),
        ("signature", ED25519_SIGNATURE_B64),
    )
    for name, pattern in checks:
        value = data[name]
        if not isinstance(value, str) or not pattern.match(value):
            raise InputError(f"{path}: field {name!r} is malformed; ask the sender to resend")
    return OuterSignature(
        data["signer"],
        data["recipient"],
        data["ciphertext_sha256"],
        base64.b64decode(data["signature"], validate=True),
    )


def _untar(plain: bytes, package: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as archive:
            for count, member in enumerate(archive):
                name = PurePosixPath(member.name)
                if count >= MAX_MEMBERS or not member.isfile():
                    raise InputError(f"{package}: unexpected entry {member.name!r} in package")
                if name.is_absolute() or ".." in name.parts:
                    raise InputError(f"{package}: unsafe path {member.name!r} in package")
                stream = archive.extractfile(member)
                assert stream is not None  # regular files always have a stream
                files[str(name)] = stream.read()
    except tarfile.TarError as exc:
        raise InputError(f"{package}: decrypted content is not a package ({exc})") from exc
    return files


def _check_manifest(files: dict[str, bytes], sender: PublicKey, package: Path) -> dict[str, Any]:
    if MANIFEST not in files or MANIFEST_SIG not in files:
        raise InputError(f"{package} has no signed manifest; it is not a casegraph referral")
    inner = files[MANIFEST_SIG].strip()
    if not ED25519_SIGNATURE_B64.match(inner.decode("ascii", "replace")):
        raise InputError(f"{package}: manifest.sig is malformed; do not use it")
    try:
        sender.ed25519.verify(base64.b64decode(inner, validate=True), files[MANIFEST])
    except InvalidSignature as exc:
        raise InputError(
            f"{package}: the manifest signature does not verify; do not use it"
        ) from exc
    try:
        manifest = json.loads(files[MANIFEST])
        listed = {entry["path"]: entry for entry in manifest["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{package}: the signed manifest is malformed; ask for a resend") from exc
    present = set(files) - {MANIFEST, MANIFEST_SIG}
    if set(listed) != present:
        raise InputError(
            f"{package}: files {sorted(set(listed) ^ present)} differ from the manifest"
        )
    for name, entry in listed.items():
        if hashlib.sha256(files[name]).hexdigest() != entry.get("sha256"):
            raise InputError(f"{package}: {name} does not match its SHA-256 in the manifest")
    result: dict[str, Any] = manifest
    return result
