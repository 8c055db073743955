"""What deconfliction compares, and what a found overlap does to the case.

Identifiers are normalised so that agencies meet on the same strings: a phone number is one
subscriber whatever the platform (`phone:+E164`), a platform id is `platform:id`, a media file
is each of its hashes (`sha256:`, `md5:`, `sha1:`, lowercase hex). Display names identify
nobody across agencies and are left out. The protocol that compares them is deconflict.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.store.cases import Case, Home
from casegraph.store.db import utcnow
from casegraph.store.schema import AccountRow, MediaRow


def account_value(platform: str, identifier: str, identifier_kind: str) -> str:
    """What is compared: a phone is the same subscriber on every platform."""
    if identifier_kind == "phone" or identifier.startswith("+"):
        return f"phone:{identifier}"
    return f"{platform}:{identifier}"


def case_identifiers(case: Case) -> dict[str, dict[str, Any]]:
    """value -> what it stands for here: {"accounts": [...]} or {"sha256": media}."""
    items: dict[str, dict[str, Any]] = {}
    with case.read() as session:
        for row in session.scalars(select(AccountRow).where(AccountRow.case_id == case.id)):
            if row.identifier_kind == "name":
                continue  # a display name identifies nobody across agencies
            value = account_value(row.platform, row.identifier, row.identifier_kind)
            items.setdefault(value, {"accounts": []})["accounts"].append(
                {"key": row.key, "platform": row.platform, "identifier": row.identifier}
            )
        for sha256, md5, sha1 in session.execute(
            select(MediaRow.sha256, MediaRow.md5, MediaRow.sha1).where(MediaRow.case_id == case.id)
        ):
            for kind, value in (("sha256", sha256), ("md5", md5), ("sha1", sha1)):
                items[f"{kind}:{value.lower()}"] = {"sha256": sha256}
    return items


@dataclass(frozen=True)
class DeconflictResult:
    partner: str
    operation: str
    known_accounts: list[dict[str, str]]
    known_media: list[str]
    in_other_cases: list[dict[str, Any]]


def flag_accounts(session: Session, case: Case, result: DeconflictResult, partner_key: str) -> None:
    """Record on each account who else knows it; a repeated check replaces its own flag."""
    checked_at = utcnow().isoformat()
    flags: dict[str, list[dict[str, str]]] = {}
    for account in result.known_accounts:
        flags.setdefault(account["key"], []).append(
            {
                "by": result.partner,
                "operation": result.operation,
                "key_id": partner_key,
                "at": checked_at,
            }
        )
    for found in result.in_other_cases:
        if found["kind"] == "account":
            for name in found["cases"]:
                flags.setdefault(found["id"], []).append({"by": f"case:{name}", "at": checked_at})
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
