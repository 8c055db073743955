"""Writing analysis results into the case's tables (inside the caller's transaction)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from casegraph.analysis.ages import AgeFinding
from casegraph.analysis.entities import EntityHit
from casegraph.analysis.identity import PersonGroup
from casegraph.analysis.jurisdiction import CountryFinding
from casegraph.analysis.lineage import Lineage
from casegraph.analysis.network import AccountMetrics, KeyActor
from casegraph.analysis.spread import Cluster, PackLead
from casegraph.store.db import utcnow
from casegraph.store.schema import (
    AccountRow,
    ChatRow,
    EntityRow,
    InvestigationAccountRow,
    InvestigationRow,
    KeyActorRow,
    MediaRow,
    PersonRow,
)

ATTRIBUTED = "attribution"  # rows analysis made; analysts' moves and referrals are kept
BATCH = 20_000  # rows per executemany; bounds memory on million-message cases


@dataclass(slots=True)
class Persons:
    """Where reconciliation left each account: its person's key and row id, and their facts."""

    key_of: dict[int, str] = field(default_factory=dict)  # account id -> person key
    id_of: dict[int, int] = field(default_factory=dict)  # account id -> person row id
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)  # person key -> facts


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(rows, BATCH)):
        yield batch


def _has_facts(row: PersonRow) -> bool:
    return bool(row.date_of_birth or row.age is not None or row.country or row.notes or row.label)


def reconcile_persons(session: Session, case_id: int, groups: Sequence[PersonGroup]) -> Persons:
    """Point accounts at person rows, reusing existing rows (and their recorded facts)."""
    rows = {r.id: r for r in session.scalars(select(PersonRow).where(PersonRow.case_id == case_id))}
    by_key = {r.key: r for r in rows.values()}
    accounts = {
        a.id: a for a in session.scalars(select(AccountRow).where(AccountRow.case_id == case_id))
    }
    taken: set[int] = set()
    persons = Persons()
    for group in groups:
        previous = sorted(
            {
                pid
                for a in group.account_ids
                if (pid := accounts[a].person_id) is not None and pid in rows
            }
            - taken,
            key=lambda pid: (not _has_facts(rows[pid]), pid),
        )
        row = (
            by_key.get(group.key)
            if by_key.get(group.key) and by_key[group.key].id not in taken
            else None
        )
        row = row or (rows[previous[0]] if previous else None)
        if row is None:
            row = PersonRow(case_id=case_id, key=group.key, label="")
            session.add(row)
            session.flush()
            rows[row.id] = row
        taken.add(row.id)
        for account_id in group.account_ids:
            if accounts[account_id].person_id != row.id:
                accounts[account_id].person_id = row.id
            persons.key_of[account_id] = row.key
            persons.id_of[account_id] = row.id
    session.flush()
    for row in list(rows.values()):
        if row.id not in taken and not _has_facts(row):
            session.delete(row)
    persons.facts = {
        row.key: {"date_of_birth": row.date_of_birth, "age": row.age, "country": row.country}
        for row in rows.values()
        if row.id in taken
    }
    return persons


def write_ages(session: Session, case_id: int, ages: Mapping[str, AgeFinding]) -> None:
    """Each person's age at their first recorded activity and whether they were a minor then;
    cleared where nothing was recorded."""
    for row in session.scalars(select(PersonRow).where(PersonRow.case_id == case_id)):
        found = ages.get(row.key)
        row.age_at_activity = found.age_first if found else None
        row.minor = found.minor if found else None


def write_metrics(session: Session, case_id: int, metrics: Mapping[int, AccountMetrics]) -> None:
    """Centralities per account (empty for accounts outside the graph), one executemany."""
    ids = session.scalars(select(AccountRow.id).where(AccountRow.case_id == case_id)).all()
    rows = (
        {
            "id": account_id,
            "metrics": {
                "degree": m.degree,
                "betweenness": round(m.betweenness, 6),
                "pagerank": round(m.pagerank, 8),
                "core": m.core,
                "community": m.community,
            }
            if (m := metrics.get(account_id)) is not None
            else {},
        }
        for account_id in ids
    )
    for batch in _batches(rows):
        session.execute(update(AccountRow), batch)


def write_key_actors(
    session: Session, case_id: int, actors: Sequence[KeyActor], person_ids: Mapping[int, int]
) -> None:
    """The ranked key actors replace the previous run's."""
    session.execute(delete(KeyActorRow).where(KeyActorRow.case_id == case_id))
    if actors:
        session.execute(
            insert(KeyActorRow),
            [
                {
                    "case_id": case_id,
                    "account_id": actor.account_id,
                    "person_id": person_ids.get(actor.account_id),
                    "rank": rank,
                    "score": actor.score,
                    "reasons": actor.reasons,
                }
                for rank, actor in enumerate(actors, start=1)
            ],
        )


def write_entities(session: Session, case_id: int, hits: Sequence[EntityHit]) -> None:
    """Every entity hit, linked to its message, replacing the previous run's."""
    session.execute(delete(EntityRow).where(EntityRow.case_id == case_id))
    rows = (
        {
            "case_id": case_id,
            "message_id": hit.message_id,
            "kind": hit.entity.kind,
            "value": hit.entity.raw or hit.entity.value,
            "normalized": hit.entity.value,
        }
        for hit in hits
    )
    for batch in _batches(rows):
        session.execute(insert(EntityRow), batch)


def write_chats(
    session: Session,
    lineage: Mapping[int, Lineage],
    creators: Mapping[int, tuple[int | None, datetime]],
    account_keys: Mapping[int, str],
) -> None:
    for chat in session.scalars(select(ChatRow).where(ChatRow.id.in_(list(lineage)))):
        found = lineage[chat.id]
        chat.parent_id = found.parent_id
        chat.parent_confidence = found.confidence
        chat.parent_evidence = [_public(e, account_keys) for e in found.evidence]
        if chat.id in creators:
            creator, at = creators[chat.id]
            chat.created_by = creator if creator is not None else chat.created_by
            chat.created_at = at


def _public(evidence: dict[str, Any], account_keys: Mapping[int, str]) -> dict[str, Any]:
    """Evidence with account row ids replaced by the stable public account ids."""
    shown = dict(evidence)
    if "account" in shown and shown["account"] is not None:
        shown["account"] = account_keys.get(shown["account"], shown["account"])
    if "accounts" in shown:
        shown["accounts"] = sorted(account_keys.get(a, str(a)) for a in shown["accounts"])
    return shown


def write_clusters(session: Session, clusters: Sequence[Cluster]) -> None:
    cluster_of = {media_id: c.key for c in clusters for media_id in c.media_ids}
    for media in session.scalars(select(MediaRow).where(MediaRow.id.in_(list(cluster_of)))):
        media.cluster = cluster_of[media.id]


def write_pack_leads(session: Session, case_id: int, leads: Sequence[PackLead]) -> None:
    """Per sticker with pack metadata: the chats its pack and its publisher string reached."""
    chat_keys = dict(
        session.execute(select(ChatRow.id, ChatRow.key).where(ChatRow.case_id == case_id)).all()
    )
    spread: dict[int, dict[str, Any]] = {}
    for lead in leads:
        for media_id in lead.media_ids:
            spread.setdefault(media_id, {})[f"{lead.kind}_chats"] = [
                chat_keys[c] for c in lead.chat_ids
            ]
            spread[media_id][f"{lead.kind}_media"] = len(lead.media_ids)
    rows = session.scalars(
        select(MediaRow).where(MediaRow.case_id == case_id, MediaRow.sticker_pack.is_not(None))
    )
    for media in rows:
        provenance = dict(media.provenance or {})
        provenance["sticker_pack_spread"] = spread.get(media.id, {})
        media.provenance = provenance


def write_accounts(
    session: Session,
    countries: Mapping[int, CountryFinding],
    languages: Mapping[int, Sequence[str]],
) -> None:
    rows = (
        {
            "id": account_id,
            "country": finding.country,
            "country_confidence": finding.confidence,
            "country_reasons": finding.reasons,
            "languages": list(languages.get(account_id, ())),
        }
        for account_id, finding in countries.items()
    )
    for batch in _batches(rows):
        session.execute(update(AccountRow), batch)


def write_investigations(
    session: Session, case_id: int, by_country: Mapping[str, list[int]]
) -> None:
    """One investigation per country; attribution is redone, while accounts an analyst moved
    or a partner's referral placed stay where they were put."""
    existing = {
        r.country: r
        for r in session.scalars(
            select(InvestigationRow).where(InvestigationRow.case_id == case_id)
        )
    }
    ids = [r.id for r in existing.values()]
    if ids:
        session.execute(
            delete(InvestigationAccountRow).where(
                InvestigationAccountRow.investigation_id.in_(ids),
                InvestigationAccountRow.assigned_by == ATTRIBUTED,
            )
        )
    pinned = (
        {
            account
            for (account,) in session.execute(
                select(InvestigationAccountRow.account_id).where(
                    InvestigationAccountRow.investigation_id.in_(ids)
                )
            )
        }
        if ids
        else set()
    )
    for country, accounts in sorted(by_country.items()):
        row = existing.get(country)
        if row is None:
            row = InvestigationRow(case_id=case_id, country=country, created_at=utcnow())
            session.add(row)
            session.flush()
            existing[country] = row
        session.add_all(
            InvestigationAccountRow(investigation_id=row.id, account_id=a, assigned_by=ATTRIBUTED)
            for a in accounts
            if a not in pinned
        )
    session.flush()
    for row in existing.values():  # a proposal left with nobody in it is withdrawn
        if row.status == "proposed" and not session.scalar(
            select(InvestigationAccountRow.id)
            .where(InvestigationAccountRow.investigation_id == row.id)
            .limit(1)
        ):
            session.delete(row)
