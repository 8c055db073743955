"""Deconfliction without disclosure: HMAC-SHA-256 tokens of identifiers, never raw values.

Agencies of one operation share a secret (opkeys.py). Each turns its targets' identifiers
(E.164 numbers, platform user ids) and media hashes into keyed tokens; comparing token
files shows who and what is already known elsewhere, while a file read without the key
reveals nothing, not even by hashing guessed numbers. Tokens are sorted, so file order
leaks nothing either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.errors import InputError
from casegraph.exchange.opkeys import OperationKey, load_operation_key
from casegraph.store.cases import Case, Home
from casegraph.store.db import utcnow
from casegraph.store.schema import AccountRow, MediaRow

TOKEN_FORMAT = "casegraph-deconfliction-tokens/1"


def account_value(platform: str, identifier: str, identifier_kind: str) -> str:
    """What is tokenised: a phone is the same subscriber on every platform."""
    if identifier_kind == "phone" or identifier.startswith("+"):
        return f"phone:{identifier}"
    return f"{platform}:{identifier}"


def token(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


@dataclass
class CaseTokens:
    accounts: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # token -> accounts
    media: dict[str, str] = field(default_factory=dict)  # token -> sha256


def case_tokens(case: Case, secret: bytes) -> CaseTokens:
    tokens = CaseTokens()
    with case.read() as session:
        for row in session.scalars(select(AccountRow).where(AccountRow.case_id == case.id)):
            if row.identifier_kind == "name":
                continue  # a display name identifies nobody across agencies
            value = account_value(row.platform, row.identifier, row.identifier_kind)
            tokens.accounts.setdefault(token(secret, value), []).append(
                {"key": row.key, "platform": row.platform, "identifier": row.identifier}
            )
        for sha256, md5, sha1 in session.execute(
            select(MediaRow.sha256, MediaRow.md5, MediaRow.sha1).where(MediaRow.case_id == case.id)
        ):
            for kind, value in (("sha256", sha256), ("md5", md5), ("sha1", sha1)):
                tokens.media[token(secret, f"{kind}:{value.lower()}")] = sha256
    return tokens


def export_tokens(
    home: Home,
    case_name: str,
    out: Path,
    operation: str | None = None,
    actor: str = "cli",
    passphrase: str | None = None,
) -> int:
    """Write the case's token file for partners; returns the number of tokens. Audited."""
    case = home.open_case(case_name)
    key = load_operation_key(home.root, operation, passphrase)
    tokens = case_tokens(case, key.secret)
    entries = [{"t": t, "kind": "account"} for t in tokens.accounts]
    entries += [{"t": t, "kind": "media"} for t in tokens.media]
    document = {
        "format": TOKEN_FORMAT,
        "operation": key.label,
        "key_id": key.key_id,
        "algorithm": "hmac-sha256",
        "agency": case.agency,
        "created_at": utcnow().isoformat(),
        "tokens": sorted(entries, key=lambda e: e["t"]),
    }
    details = {"operation": key.label, "key_id": key.key_id, "tokens": len(entries)}
    with case.mutate(actor, "deconflict.export", f"file:{out.name}", "", details):
        out.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return len(entries)


@dataclass(frozen=True)
class DeconflictResult:
    partner: str
    operation: str
    known_accounts: list[dict[str, str]]
    known_media: list[str]
    in_other_cases: list[dict[str, Any]]


def read_token_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read token file {path}: {exc}; check the path") from exc
    if not isinstance(document, dict) or document.get("format") != TOKEN_FORMAT:
        raise InputError(
            f"{path} is not a casegraph token file ({TOKEN_FORMAT}); "
            "ask the partner for the file `casegraph deconflict export` writes"
        )
    return document


def deconflict(
    home: Home,
    case_name: str,
    token_file: Path,
    actor: str = "cli",
    passphrase: str | None = None,
) -> DeconflictResult:
    """Which of the case's targets and media a partner's token file also holds. Audited."""
    case = home.open_case(case_name)
    document = read_token_file(token_file)
    key: OperationKey = load_operation_key(home.root, str(document.get("key_id")), passphrase)
    theirs = {str(entry.get("t")) for entry in document.get("tokens", [])}
    ours = case_tokens(case, key.secret)
    accounts = sorted(
        (a for t, found in ours.accounts.items() if t in theirs for a in found),
        key=lambda a: a["key"],
    )
    media = sorted({sha for t, sha in ours.media.items() if t in theirs})
    result = DeconflictResult(
        partner=str(document.get("agency", "")),
        operation=key.label,
        known_accounts=accounts,
        known_media=media,
        in_other_cases=other_cases(home, case),
    )
    details = {
        "partner": result.partner,
        "key_id": key.key_id,
        "known_accounts": len(accounts),
        "known_media": len(media),
        "in_other_cases": len(result.in_other_cases),
    }
    checked_at = utcnow().isoformat()
    flags: dict[str, list[dict[str, str]]] = {}
    partner = result.partner or f"operation:{key.label}"
    for account in accounts:
        flags.setdefault(account["key"], []).append(
            {"by": partner, "operation": key.label, "key_id": key.key_id, "at": checked_at}
        )
    for found in result.in_other_cases:
        if found["kind"] == "account":
            for name in found["cases"]:
                flags.setdefault(found["id"], []).append({"by": f"case:{name}", "at": checked_at})
    with case.mutate(actor, "deconflict.check", f"file:{token_file.name}", "", details) as session:
        _flag_accounts(session, case, flags)
    return result


def _flag_accounts(session: Session, case: Case, flags: dict[str, list[dict[str, str]]]) -> None:
    """Record on each account who else knows it; a repeated check replaces its own flag."""
    if not flags:
        return
    rows = session.scalars(
        select(AccountRow).where(AccountRow.case_id == case.id, AccountRow.key.in_(flags))
    )
    for row in rows:
        new = flags[row.key]
        seen = {(f["by"], f.get("key_id")) for f in new}
        kept = [
            f
            for f in row.provenance.get("known_elsewhere", [])
            if (f.get("by"), f.get("key_id")) not in seen
        ]
        # a new dict, so SQLAlchemy sees the JSON column change
        row.provenance = {**row.provenance, "known_elsewhere": [*kept, *new]}


def other_cases(home: Home, case: Case) -> list[dict[str, Any]]:
    """Within one installation raw values may be compared: targets and media in other cases."""
    with case.read() as session:
        accounts = {
            (r.platform, r.identifier): r.key
            for r in session.scalars(select(AccountRow).where(AccountRow.case_id == case.id))
            if r.identifier_kind != "name"
        }
        media = set(session.scalars(select(MediaRow.sha256).where(MediaRow.case_id == case.id)))
    found: dict[tuple[str, str], set[str]] = {}
    for name in home.case_names():
        if name == case.name:
            continue
        other = home.open_case(name)
        with other.read() as session:
            for platform, identifier in session.execute(
                select(AccountRow.platform, AccountRow.identifier).where(
                    AccountRow.case_id == other.id
                )
            ):
                if (platform, identifier) in accounts:
                    found.setdefault(("account", accounts[platform, identifier]), set()).add(name)
            for sha256 in session.scalars(
                select(MediaRow.sha256).where(MediaRow.case_id == other.id)
            ):
                if sha256 in media:
                    found.setdefault(("media", sha256), set()).add(name)
    return [
        {"kind": kind, "id": ident, "cases": sorted(names)}
        for (kind, ident), names in sorted(found.items())
    ]
