"""Analysts' decisions on persons: merge, split, and recorded facts (birth date, age, country).

Each is one audited transaction; merges and splits are stored in person_decisions and
replayed by every analysis run, so they survive re-runs and re-ingests.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from casegraph.errors import InputError
from casegraph.store.cases import Case
from casegraph.store.db import utcnow
from casegraph.store.schema import AccountRow, PersonDecisionRow, PersonRow


def _account_keys(session: Session, case: Case, refs: list[str]) -> list[str]:
    """Account ids for references that are account ids or identifiers (E.164, user123…)."""
    rows = session.execute(
        select(AccountRow.key, AccountRow.identifier).where(
            AccountRow.case_id == case.id,
            or_(AccountRow.key.in_(refs), AccountRow.identifier.in_(refs)),
        )
    ).all()
    keys: list[str] = []
    for ref in refs:
        found = sorted({key for key, identifier in rows if ref in (key, identifier)})
        if not found:
            raise InputError(
                f"no account {ref} in case {case.name}; give an account id or identifier "
                "from `casegraph report --format json`"
            )
        keys.extend(found)  # an identifier on several platforms names each of its accounts
    return sorted(set(keys))


def record_person_decision(
    case: Case, kind: str, accounts: list[str], actor: str, reason: str = ""
) -> list[str]:
    """Store a merge or split of accounts (ids or identifiers); it takes effect at the next
    `analyze`. Returns the account ids the decision names."""
    if kind not in {"merge", "split"}:
        raise InputError(f"person decision {kind!r} is unknown: use 'merge' or 'split'")
    with case.mutate(actor, f"person.{kind}", f"case:{case.name}", reason) as session:
        account_keys = _account_keys(session, case, accounts)
        if kind == "merge" and len(account_keys) < 2:
            raise InputError("a merge needs at least two accounts: list the accounts to join")
        session.info["audit_details"]["accounts"] = account_keys
        session.add(
            PersonDecisionRow(
                case_id=case.id,
                kind=kind,
                account_keys=account_keys,
                actor=actor,
                at=utcnow(),
                reason=reason,
            )
        )
    return account_keys


def record_person_facts(
    case: Case,
    person: str,
    actor: str,
    date_of_birth: str | None = None,
    age: int | None = None,
    country: str | None = None,
    reason: str = "",
) -> str:
    """Record what an analyst knows about a person (a person id, or an account id or
    identifier of theirs); a recorded country always wins. Returns the person id."""
    if date_of_birth is not None:
        try:
            date.fromisoformat(date_of_birth)
        except ValueError as exc:
            raise InputError(
                f"date of birth {date_of_birth!r} is not a date: use YYYY-MM-DD"
            ) from exc
    if age is not None and not 0 <= age < 130:
        raise InputError(f"age {age} is not plausible: give years between 0 and 129")
    if country is not None and not (len(country) == 2 and country.isalpha()):
        raise InputError(f"country {country!r} is not an ISO 3166 code: use two letters, e.g. ES")
    with case.mutate(
        actor,
        "person.facts",
        person,
        reason,
        {"date_of_birth": date_of_birth, "age": age, "country": country},
    ) as session:
        row = session.scalar(
            select(PersonRow).where(PersonRow.case_id == case.id, PersonRow.key == person)
        ) or session.scalar(
            select(PersonRow)
            .join(AccountRow, AccountRow.person_id == PersonRow.id)
            .where(
                AccountRow.case_id == case.id,
                or_(AccountRow.key == person, AccountRow.identifier == person),
            )
            .limit(1)
        )
        if row is None:
            raise InputError(
                f"no person {person} in case {case.name}; run `casegraph analyze` and give "
                "a person id, account id or identifier from the report"
            )
        session.info["audit_details"]["person"] = row.key
        if date_of_birth is not None:
            row.date_of_birth = date_of_birth
        if age is not None:
            row.age = age
        if country is not None:
            row.country = country.upper()
        return row.key
