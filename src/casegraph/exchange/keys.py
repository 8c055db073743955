"""Agency keys: an Ed25519 signing key and an age X25519 identity under one name.

Layout under ``<home>/keys``::

    own/<name>.json          our identities, private parts sealed (see sealed.py), 0600
    partners/<name>.json     partners' public keys as they sent them
    revoked.json             fingerprints no longer trusted, with why and when

A key is referred to by name, or by the path of a public key / identity file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyrage import x25519

from casegraph.errors import CaseError, InputError
from casegraph.exchange.sealed import passphrase_or_env, seal, unseal, write_private

PUBLIC_FORMAT = "casegraph-public-key/1"
IDENTITY_FORMAT = "casegraph-identity/1"
REVOCATIONS_FORMAT = "casegraph-revocations/1"
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEFAULT_VALID_DAYS = 730


@dataclass(frozen=True)
class PublicKey:
    name: str
    agency: str
    country: str
    ed25519: Ed25519PublicKey
    age: x25519.Recipient
    expires: str = ""  # ISO date after which the key is no longer used; "" for keys made before

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.ed25519, str(self.age))

    def party(self) -> dict[str, str]:
        """How packages and replies name their sender or recipient."""
        return {
            "name": self.name,
            "agency": self.agency,
            "country": self.country,
            "fingerprint": self.fingerprint,
        }

    def document(self) -> dict[str, Any]:
        raw = self.ed25519.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        pem = self.ed25519.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "format": PUBLIC_FORMAT,
            "name": self.name,
            "agency": self.agency,
            "country": self.country,
            "ed25519": base64.b64encode(raw).decode(),
            "ed25519_pem": pem.decode(),  # for `openssl pkeyutl -verify -rawin`
            "age": str(self.age),
            "fingerprint": self.fingerprint,
            **({"expires": self.expires} if self.expires else {}),
        }


@dataclass(frozen=True)
class Identity:
    """Our own key: signs what we send, decrypts what is sent to us."""

    public: PublicKey
    signing: Ed25519PrivateKey
    age: x25519.Identity


@dataclass(frozen=True)
class KeyInfo:
    name: str
    kind: str  # own | partner
    fingerprint: str
    agency: str = ""
    country: str = ""
    expires: str = ""
    revoked: bool = False


def fingerprint_of(ed25519: Ed25519PublicKey, age_recipient: str) -> str:
    raw = ed25519.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(b"casegraph-key-v1\n" + raw + age_recipient.encode()).hexdigest()
    return digest[:40]


def keys_dir(home_root: Path) -> Path:
    return home_root / "keys"


def _check_name(name: str) -> str:
    if not KEY_NAME.match(name):
        raise CaseError(
            f"key name {name!r} is not allowed: use letters, digits, '.', '_' or '-' (max 64)"
        )
    return name


def generate_key(
    home_root: Path,
    name: str,
    agency: str = "",
    country: str = "",
    passphrase: str | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
) -> PublicKey:
    """Create our identity `name`; its private parts are sealed with the key passphrase."""
    _check_name(name)
    if valid_days < 1:
        raise CaseError(f"--valid-days {valid_days}: a key must be valid for at least one day")
    path = keys_dir(home_root) / "own" / f"{name}.json"
    if path.exists():
        raise CaseError(f"key {name!r} already exists at {path}; pick another name")
    secret = passphrase_or_env(passphrase)
    signing = Ed25519PrivateKey.generate()
    age_identity = x25519.Identity.generate()
    age_public = age_identity.to_public()
    expires = (datetime.now(UTC).date() + timedelta(days=valid_days)).isoformat()
    public = PublicKey(name, agency, country.upper(), signing.public_key(), age_public, expires)
    private = {
        "ed25519": base64.b64encode(
            signing.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
        ).decode(),
        "age": str(age_identity),
    }
    document = {"format": IDENTITY_FORMAT, "public": public.document(), **seal(private, secret)}
    write_private(path, document)
    return public


def parse_public(document: dict[str, Any], origin: Path) -> PublicKey:
    if document.get("format") != PUBLIC_FORMAT:
        raise InputError(
            f"{origin} is not a casegraph public key ({PUBLIC_FORMAT}); "
            "ask the partner for the file `casegraph keys export` writes"
        )
    try:
        ed = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["ed25519"]))
        age = x25519.Recipient.from_str(document["age"])
        expires = str(document.get("expires", ""))
        if expires:
            date.fromisoformat(expires)
        key = PublicKey(
            str(document["name"]),
            str(document.get("agency", "")),
            str(document.get("country", "")),
            ed,
            age,
            expires,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(
            f"{origin} holds a damaged public key; ask the partner to re-export"
        ) from exc
    stated = document.get("fingerprint")
    if stated and stated != key.fingerprint:
        raise InputError(
            f"{origin}: fingerprint {stated} does not match the key material; do not use this file"
        )
    return key


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read key file {path}: {exc}; check the path") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} is not a casegraph key file; check the path")
    return data


def import_public_key(home_root: Path, path: Path, name: str | None = None) -> PublicKey:
    """Store a partner's public key; refuses to replace a different key under the same name."""
    key = parse_public(_read_json(path), path)
    local_name = _check_name(name or key.name)
    target = keys_dir(home_root) / "partners" / f"{local_name}.json"
    if target.exists():
        existing = parse_public(_read_json(target), target)
        if existing.fingerprint != key.fingerprint:
            raise CaseError(
                f"a different partner key is already named {local_name!r}; import with another name"
            )
        return existing
    target.parent.mkdir(parents=True, exist_ok=True)
    document = key.document() | {"name": local_name}
    target.write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")
    return parse_public(document, target)


def export_public_key(home_root: Path, name: str, out: Path) -> Path:
    key = load_public(home_root, name)
    out.write_text(json.dumps(key.document(), indent=1, sort_keys=True), encoding="utf-8")
    return out


def export_age_identity(
    home_root: Path, name: str, out: Path, passphrase: str | None = None
) -> Path:
    """Our age secret in the standard identity format, 0600, for opening packages with `age -d`."""
    identity = load_identity(home_root, name, passphrase)
    write_text_private(out, f"# casegraph identity {name}\n{identity.age}\n")
    return out


def write_text_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as stream:
        stream.write(text)


def load_public(home_root: Path, ref: str) -> PublicKey:
    """A public key by name (partners first, then our own) or by file path."""
    base = keys_dir(home_root)
    if KEY_NAME.match(ref):
        for folder in ("partners", "own"):
            path = base / folder / f"{ref}.json"
            if path.is_file():
                document = _read_json(path)
                return parse_public(document.get("public", document), path)
    path = Path(ref)
    if path.is_file():
        document = _read_json(path)
        return parse_public(document.get("public", document), path)
    raise CaseError(
        f"no key {ref!r} in {base} and no such file; import it with `casegraph keys import FILE`"
    )


def load_identity(home_root: Path, ref: str, passphrase: str | None = None) -> Identity:
    """Our identity by name or by the path of its identity file."""
    path = keys_dir(home_root) / "own" / f"{ref}.json" if KEY_NAME.match(ref) else Path(ref)
    if not path.is_file() and Path(ref).is_file():
        path = Path(ref)
    if not path.is_file():
        raise CaseError(
            f"no identity {ref!r} in {keys_dir(home_root) / 'own'}; "
            "create one with `casegraph keys generate NAME`"
        )
    document = _read_json(path)
    if document.get("format") != IDENTITY_FORMAT:
        raise InputError(f"{path} is not a casegraph identity (private key) file")
    public = parse_public(document["public"], path)
    private = unseal(document, passphrase_or_env(passphrase), path)
    signing = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private["ed25519"]))
    age_identity = x25519.Identity.from_str(private["age"])
    if fingerprint_of(signing.public_key(), str(age_identity.to_public())) != public.fingerprint:
        raise InputError(f"{path}: private and public parts do not belong together")
    return Identity(public, signing, age_identity)


def own_identity_names(home_root: Path) -> list[str]:
    folder = keys_dir(home_root) / "own"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def list_keys(home_root: Path) -> list[KeyInfo]:
    base = keys_dir(home_root)
    revoked = revoked_fingerprints(home_root)
    infos: list[KeyInfo] = []
    for kind, folder in (("own", "own"), ("partner", "partners")):
        for path in sorted((base / folder).glob("*.json")) if (base / folder).is_dir() else []:
            document = _read_json(path)
            key = parse_public(document.get("public", document), path)
            infos.append(
                KeyInfo(
                    path.stem,
                    kind,
                    key.fingerprint,
                    key.agency,
                    key.country,
                    key.expires,
                    key.fingerprint in revoked,
                )
            )
    return infos


def format_fingerprint(fingerprint: str) -> str:
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def _revocations_path(home_root: Path) -> Path:
    return keys_dir(home_root) / "revoked.json"


def revoked_fingerprints(home_root: Path) -> dict[str, dict[str, str]]:
    """Fingerprint -> {reason, revoked_at, by} of every key this installation no longer trusts."""
    path = _revocations_path(home_root)
    if not path.is_file():
        return {}
    document = _read_json(path)
    if document.get("format") != REVOCATIONS_FORMAT:
        raise InputError(f"{path} is not a casegraph revocation list; restore it from backup")
    return {entry["fingerprint"]: entry for entry in document.get("revoked", [])}


def revoke_key(home_root: Path, ref: str, reason: str, actor: str = "cli") -> PublicKey:
    """Add a key (own or partner, by name or file) to the revocation list; nothing is deleted."""
    if not reason.strip():
        raise CaseError("revoking a key needs a --reason (kept in the revocation list)")
    key = load_public(home_root, ref)
    entries = revoked_fingerprints(home_root)
    entries[key.fingerprint] = {
        "fingerprint": key.fingerprint,
        "name": key.name,
        "agency": key.agency,
        "reason": reason,
        "revoked_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "by": actor,
    }
    path = _revocations_path(home_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "format": REVOCATIONS_FORMAT,
        "revoked": sorted(entries.values(), key=lambda e: e["fingerprint"]),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return key


def check_usable(home_root: Path, key: PublicKey, role: str, today: date | None = None) -> None:
    """Refuse a key that is revoked here or past its expiry date; `role` names it in the error."""
    revoked = revoked_fingerprints(home_root).get(key.fingerprint)
    if revoked is not None:
        raise InputError(
            f"{role} key {key.name} ({key.fingerprint}) was revoked on {revoked['revoked_at']} "
            f"({revoked['reason']}); ask the partner for their new key"
        )
    today = today or datetime.now(UTC).date()
    if key.expires and date.fromisoformat(key.expires) < today:
        raise InputError(
            f"{role} key {key.name} ({key.fingerprint}) expired on {key.expires}; "
            "exchange new keys (casegraph keys generate / keys import)"
        )
