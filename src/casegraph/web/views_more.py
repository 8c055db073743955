"""Page data for graphs, lineage, cascades, investigations, dashboard and audit."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casegraph.access.reader import Reader
from casegraph.access.redact import audit_details, lineage_evidence, outside
from casegraph.exchange.collect import collect
from casegraph.report.summary import known_material_condition
from casegraph.store.audit import AuditLog
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatRow,
    InvestigationAccountRow,
    InvestigationRow,
    MatchRow,
    MediaRow,
    MessageRow,
    PersonRow,
)
from casegraph.web.paging import page_of
from casegraph.web.views_case import NotVisible, iso


def lineage(reader: Reader) -> dict[str, Any]:
    """Break-off tree: roots are chats without a (visible) parent; evidence names only the
    visible, and a parent outside the scope is neither linked nor named."""
    rows = list(reader.session.scalars(select(ChatRow).where(reader.chats())))
    by_id = {r.id: r for r in rows}
    children: dict[int | None, list[ChatRow]] = defaultdict(list)
    for row in rows:
        children[row.parent_id if row.parent_id in by_id else None].append(row)

    def node(row: ChatRow, depth: int) -> dict[str, Any]:
        parent_hidden = row.parent_id is not None and row.parent_id not in by_id
        return {
            "id": row.key,
            "title": row.title,
            "created_at": iso(row.created_at, reader.case),
            "confidence": row.parent_confidence,
            "parent_outside_scope": outside(1, "parent chat") if parent_hidden else None,
            "evidence": lineage_evidence(
                reader, list(row.parent_evidence or [])[:5], not parent_hidden
            ),
            "children": [node(c, depth + 1) for c in children.get(row.id, []) if depth < 50],
        }

    return {"roots": [node(r, 0) for r in children[None]]}


def cascades(reader: Reader, limit: int = 40) -> dict[str, Any]:
    """Each cluster of the same sticker/media: who posted it where, earliest first.

    Only postings this scope sees are listed; the others are counted, never shown."""
    session, case = reader.session, reader.case
    query = (
        select(
            MediaRow.cluster,
            MediaRow.kind,
            MessageRow.sent_at,
            MessageRow.chat_id,
            MessageRow.account_id,
            ChatRow.key,
            ChatRow.title,
            AccountRow.key,
            AccountRow.identifier,
            AccountRow.names,
        )
        .join(AttachmentRow, AttachmentRow.media_id == MediaRow.id)
        .join(MessageRow, MessageRow.id == AttachmentRow.message_id)
        .join(ChatRow, ChatRow.id == MessageRow.chat_id)
        .outerjoin(AccountRow, AccountRow.id == MessageRow.account_id)
        .where(reader.media(), MediaRow.cluster.is_not(None))
        .order_by(MediaRow.cluster, MessageRow.sent_at)
    )
    clusters: dict[str, dict[str, Any]] = {}
    rows = session.execute(query)
    for cluster, kind, at, chat_id, account_id, ckey, title, akey, ident, names in rows:
        if cluster is None:
            continue
        entry = clusters.setdefault(
            cluster, {"cluster": cluster, "kind": kind, "postings": [], "hidden": 0}
        )
        entry.setdefault("reach", set()).add(chat_id)
        if not (reader.sees_chat(chat_id) and reader.sees_account(account_id)):
            entry["hidden"] += 1
            continue
        entry["total"] = entry.get("total", 0) + 1
        entry.setdefault("chat_set", set()).add(ckey)
        if len(entry["postings"]) < 50:
            entry["postings"].append(
                {
                    "at": iso(at, case),
                    "chat": ckey,
                    "chat_title": title,
                    "account": akey,
                    "identifier": ident,
                    "name": (names or [ident])[0] if akey else None,
                }
            )
    spread: dict[str, int] = {}  # chats reached in all, seen or not: what ranks a cascade
    for entry in clusters.values():
        reach = entry.pop("reach")
        spread[entry["cluster"]] = len(reach)
        entry["chats"] = len(entry.pop("chat_set", ()))
        entry["total"] = entry.get("total", 0)
        entry["postings_outside_scope"] = outside(entry.pop("hidden"), "posting")
        hidden_chats = [c for c in reach if not reader.sees_chat(c)]
        entry["chats_outside_scope"] = outside(len(hidden_chats), "chat")
    known = set(
        session.scalars(  # clusters holding known material the viewer may see
            select(MediaRow.cluster)
            .join(MatchRow, MatchRow.media_id == MediaRow.id)
            .where(reader.media(), known_material_condition(case.id))
            .distinct()
        )
    )
    for entry in clusters.values():
        entry["known_material"] = entry["cluster"] in known
    ranked = sorted(clusters.values(), key=lambda c: -spread[c["cluster"]])
    return {"cascades": [c for c in ranked if spread[c["cluster"]] > 1][:limit]}


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


def audit_entries(
    session: Session, log: AuditLog, page: int = 1, size: int = 100, names_visible: bool = True
) -> dict[str, Any]:
    """One page of an audit log; an auditor (`names_visible` False) sees actions and public
    ids, not the file names that carry chat titles."""
    from casegraph.store.schema import AuditRow

    page = max(1, page)
    found, more = page_of(
        session,
        select(AuditRow).where(AuditRow.case_id == log.case_id).order_by(AuditRow.seq.desc()),
        page,
        size,
    )
    rows = [row for (row,) in found]
    return {
        "entries": [
            {
                "seq": r.seq,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "reason": r.reason,
                "details": audit_details(r.details, names_visible),
                "hash": r.entry_hash[:16],
            }
            for r in rows
        ],
        "page": page,
        "more": more,
        "problems": [f"#{p.seq}: {p.problem}" for p in log.verify(session)] if page == 1 else [],
    }
