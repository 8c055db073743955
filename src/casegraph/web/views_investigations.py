"""Page data for investigations: one row per country, the referral a country receives, and
the suspects' average age the dashboard shows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from casegraph.access.reader import Reader
from casegraph.exchange.collect import collect
from casegraph.store.schema import (
    AccountRow,
    InvestigationAccountRow,
    InvestigationRow,
    PersonRow,
)
from casegraph.web.views_shared import NotVisible, iso


def investigations(reader: Reader) -> list[dict[str, Any]]:
    session, case = reader.session, reader.case
    query = select(InvestigationRow).where(reader.investigations())
    counts = dict(
        session.execute(
            select(InvestigationAccountRow.investigation_id, func.count()).group_by(
                InvestigationAccountRow.investigation_id
            )
        ).all()
    )
    return [
        {
            "case": case.name,
            "country": row.country,
            "status": row.status,
            "agency": row.agency,
            "accounts": int(counts.get(row.id, 0)),
            "arrests": row.arrests,
            "suspects": row.suspects,
            "minors": row.minors,
            "suspect_ages": list(row.suspect_ages or []),
            "created_at": iso(row.created_at, case),
        }
        for row in session.scalars(query.order_by(InvestigationRow.country))
    ]


def referral(reader: Reader, country: str) -> dict[str, Any]:
    """The referral content of one visible investigation, as `casegraph refer` collects it
    (its own targets and their chats only: collect names nobody else)."""
    case = reader.case
    row = reader.session.scalars(
        select(InvestigationRow).where(reader.investigations(), InvestigationRow.country == country)
    ).first()
    if row is None:
        raise NotVisible(country)
    data = collect(case, row.country)
    md5 = {m["sha256"]: m["md5"] for m in data.media}
    matched = {
        (m["media_sha256"], m["category"], m["list"]): None for m in data.matches
    }  # one row per media, category and list, in collect's order
    return {
        "case": case.name,
        "country": data.country,
        "status": data.status,
        "accounts": [{"id": a["key"], **a} for a in data.accounts],
        "chats": [{"id": c["key"], "title": c["title"]} for c in data.chats],
        "matched_media": [
            {"sha256": sha, "md5": md5[sha], "category": category, "list": name}
            for sha, category, name in matched
        ],
    }


def average_age(reader: Reader) -> tuple[int, int]:
    """(sum of ages, persons with an age) over the persons behind visible investigations."""
    query = (
        select(PersonRow.id, PersonRow.age)
        .join(AccountRow, AccountRow.person_id == PersonRow.id)
        .join(InvestigationAccountRow, InvestigationAccountRow.account_id == AccountRow.id)
        .join(InvestigationRow, InvestigationRow.id == InvestigationAccountRow.investigation_id)
        .where(reader.investigations(), PersonRow.age.is_not(None))
    )
    ages = {pid: int(age or 0) for pid, age in reader.session.execute(query.distinct()).all()}
    return sum(ages.values()), len(ages)
