"""Referral packages generated from the workspace: where they are kept and what they hold.

`exchange.package.refer` writes `<stem>.age` and `<stem>.sig`; the workspace keeps them under
`<case directory>/referrals/<country>/` and only ever serves names it finds there.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from casegraph.errors import InputError
from casegraph.exchange.keys import list_keys, own_identity_names
from casegraph.exchange.sealed import PASSPHRASE_ENV
from casegraph.store.cases import Case
from casegraph.store.evidence import hash_file
from casegraph.store.schema import InvestigationRow

PACKAGE_FILE = re.compile(r"^(referral|response)-[A-Za-z0-9._-]+\.(age|sig)$")


@dataclass(frozen=True)
class PackageFile:
    name: str
    sha256: str
    size: int
    signature: str  # name of the detached signature beside it, "" if it is missing


@dataclass(frozen=True)
class ReferralKeys:
    """What the "generate referral package" form offers."""

    recipients: list[dict[str, str]]
    identities: list[str]
    passphrase_set: bool


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper case; it names a folder, so nothing else passes."""
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise InputError(
            f"country {value!r} cannot be referred: referrals go to a two-letter country, e.g. ES"
        )
    return value.upper()


def referral_dir(case: Case, country: str) -> Path:
    return case.directory / "referrals" / country_code(country)


def list_packages(case: Case, country: str) -> list[PackageFile]:
    """Generated packages of one investigation, oldest first (names carry the UTC time)."""
    folder = referral_dir(case, country)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted([*folder.glob("referral-*.age"), *folder.glob("response-*.age")]):
        signature = path.with_suffix(".sig")
        found.append(
            PackageFile(
                path.name,
                hash_file(path).sha256,
                path.stat().st_size,
                signature.name if signature.is_file() else "",
            )
        )
    return found


def package_path(case: Case, country: str, filename: str) -> Path | None:
    """The file to serve for a download, or None when the name is not a generated package."""
    if not PACKAGE_FILE.match(filename):
        return None
    path = referral_dir(case, country) / filename
    return path if path.is_file() else None


def referral_keys(home_root: Path) -> ReferralKeys:
    """Partner public keys to send to, our own identities to sign with."""
    recipients = [
        {
            "name": key.name,
            "agency": key.agency,
            "country": key.country,
            "fingerprint": key.fingerprint,
        }
        for key in list_keys(home_root)
        if key.kind == "partner"
    ]
    return ReferralKeys(
        recipients, own_identity_names(home_root), bool(os.environ.get(PASSPHRASE_ENV))
    )


def received_referrals(case: Case) -> dict[str, dict[str, Any]]:
    """Country -> the referral this case received for it (id, version, sender), if any."""
    with case.read() as session:
        rows = session.scalars(
            select(InvestigationRow).where(InvestigationRow.case_id == case.id)
        ).all()
        return {
            row.country: {
                "id": row.provenance["referral"]["id"],
                "version": row.provenance["referral"]["version"],
                "sender": row.provenance["referral"]["sender"].get("agency")
                or row.provenance["referral"]["sender"]["name"],
            }
            for row in rows
            if row.provenance.get("referral")
        }


def passphrase_missing_message() -> str:
    return (
        f"referral packages are signed with a passphrase-protected key: start the server "
        f"with {PASSPHRASE_ENV} set to the key passphrase"
    )
