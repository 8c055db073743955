"""Signed audit heads: the chain's newest entry, witnessed by someone outside the installation.

`audit.head` sits beside the database, so whoever can rewrite the database can rewrite it
too. A signed head is handed out instead (`audit show --head`, and inside every referral and
acknowledgement): whoever holds one can later prove that the chain still contains that entry
unchanged, so entries removed from the end or a rewritten chain are caught
(`audit verify --witness FILE`).

The format (a flat JSON object, so other documents can embed it as a value):

    {"format": "casegraph-audit-head/1", "case": NAME, "seq": N, "entry_hash": HEX64,
     "entry_at": ISO, "signed_at": ISO, "tool_version": V,
     "key_id": "ed25519:HEX16", "public_key": BASE64 (raw 32 bytes),
     "signature": BASE64 (Ed25519 over the canonical JSON of every other field)}

Canonical JSON: keys sorted, no spaces, UTF-8. The key is the installation's witness key
(`<home>/audit-witness.key`, made on first use, mode 0600); only heads it signed verify here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select

from casegraph import __version__
from casegraph.errors import CaseError
from casegraph.store.audit import AuditProblem
from casegraph.store.cases import Case
from casegraph.store.schema import AuditRow

FORMAT = "casegraph-audit-head/1"
KEY_FILE = "audit-witness.key"
FIELDS = (
    "format", "case", "seq", "entry_hash", "entry_at", "signed_at", "tool_version", "key_id",
    "public_key",
)  # fmt: skip


def _home_of(case: Case) -> Path:
    return case.directory.parent.parent  # <home>/cases/<name>


def _canonical(statement: dict[str, Any]) -> bytes:
    body = {k: statement[k] for k in FIELDS}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    return "ed25519:" + hashlib.sha256(_raw(public)).hexdigest()[:16]


def witness_key(home: Path, create: bool = True) -> Ed25519PrivateKey | None:
    """The installation's witness key; made on first use when `create`."""
    path = home / KEY_FILE
    if path.is_file():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise CaseError(f"{path} is not an Ed25519 key; move it away to make a new one")
        return key
    if not create:
        return None
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".{KEY_FILE}.{os.getpid()}"
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as sink:
        sink.write(pem)
    try:
        os.link(tmp, path)  # atomic, and never over a key another process made first
    except FileExistsError:
        return witness_key(home, create=False)
    finally:
        tmp.unlink()
    return key


def signed_audit_head(case: Case) -> dict[str, Any]:
    """The case's newest audit entry, signed with the installation's witness key.

    For referrals, acknowledgements and `audit show --head`; hand it to someone outside the
    installation and check it later with `check_witness`.
    """
    with case.read() as session:
        last = session.execute(
            select(AuditRow.seq, AuditRow.entry_hash, AuditRow.at)
            .where(AuditRow.case_id == case.id)
            .order_by(AuditRow.seq.desc())
            .limit(1)
        ).first()
    if last is None:
        raise CaseError(f"case {case.name} has no audit entries yet; nothing to witness")
    key = witness_key(_home_of(case))
    assert key is not None
    public = key.public_key()
    at = last[2] if last[2].tzinfo is not None else last[2].replace(tzinfo=UTC)
    statement: dict[str, Any] = {
        "format": FORMAT,
        "case": case.name,
        "seq": int(last[0]),
        "entry_hash": last[1],
        "entry_at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "signed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tool_version": __version__,
        "key_id": key_id(public),
        "public_key": base64.b64encode(_raw(public)).decode(),
    }
    statement["signature"] = base64.b64encode(key.sign(_canonical(statement))).decode()
    return statement


def _signature_problem(witness: dict[str, Any], home: Path) -> str | None:
    if witness.get("format") != FORMAT or any(f not in witness for f in (*FIELDS, "signature")):
        return f"not a casegraph audit head ({FORMAT}); give the file `audit show --head` wrote"
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(witness["public_key"]))
        public.verify(base64.b64decode(witness["signature"]), _canonical(witness))
    except (InvalidSignature, ValueError, TypeError):
        return "the witness's signature does not verify: the witness file was altered"
    ours = witness_key(home, create=False)
    if ours is None or key_id(ours.public_key()) != witness["key_id"]:
        mine = key_id(ours.public_key()) if ours else "none"
        return (
            f"the witness was signed by {witness['key_id']}, not by this installation's "
            f"witness key ({mine}); was the key replaced?"
        )
    return None


def check_witness(case: Case, witness: dict[str, Any]) -> list[AuditProblem]:
    """Problems with the case's chain against a signed head it once handed out."""
    problem = _signature_problem(witness, _home_of(case))
    if problem is not None:
        return [AuditProblem(0, problem)]
    if witness["case"] != case.name:
        return [AuditProblem(0, f"the witness is for case {witness['case']!r}, not {case.name!r}")]
    seq, when = int(witness["seq"]), witness["signed_at"]
    with case.read() as session:
        found = session.scalar(
            select(AuditRow.entry_hash).where(AuditRow.case_id == case.id, AuditRow.seq == seq)
        )
        last = session.scalar(
            select(AuditRow.seq)
            .where(AuditRow.case_id == case.id)
            .order_by(AuditRow.seq.desc())
            .limit(1)
        )
    if found is None:
        return [
            AuditProblem(
                seq,
                f"entry {seq}, witnessed on {when}, is gone: entries {(last or 0) + 1}..{seq} "
                "were removed",
            )
        ]
    if found != witness["entry_hash"]:
        return [AuditProblem(seq, f"entry {seq} differs from its head witnessed on {when}")]
    return []


def read_witness(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CaseError(
            f"{path}: cannot read a witness ({exc}); give the file `audit show --head` wrote"
        ) from exc
    if not isinstance(value, dict):
        raise CaseError(
            f"{path}: not a witness (a JSON object); give the file `audit show --head` wrote"
        )
    return value
