"""Investigations and referrals, person merge/split, audit logs."""

from __future__ import annotations

import json

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from casegraph.intake.ledger import installation_audit
from casegraph.store.db import utcnow
from casegraph.store.schema import AccountRow, InvestigationRow, PersonDecisionRow, PersonRow
from casegraph.web import views_more
from casegraph.web.access import AUDIT_READERS, CASE_READERS, EDITORS
from casegraph.web.cache import cached
from casegraph.web.context import case_session, check_csrf, open_case, render, require, web
from casegraph.web.views_case import NotVisible

router = APIRouter()
INVESTIGATION_STATUSES = ("proposed", "referred", "accepted", "active", "closed", "declined")


@router.get("/cases/{name}/investigations", include_in_schema=False)
@router.get("/api/cases/{name}/investigations", tags=["investigations"])
def investigations(request: Request, name: str) -> Response:
    viewer = require(request, CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session:
        rows = cached(
            session,
            case,
            scope,
            "investigations",
            (),
            lambda: views_more.investigations(session, case, scope),
        )
    return render(
        request,
        "investigations.html",
        {
            "case": case.name,
            "investigations": rows,
            "statuses": INVESTIGATION_STATUSES,
            "can_edit": viewer.can(EDITORS),
        },
    )


@router.get("/cases/{name}/investigations/{country}/referral.json", include_in_schema=False)
@router.get("/api/cases/{name}/investigations/{country}/referral", tags=["investigations"])
def referral(request: Request, name: str, country: str) -> Response:
    """Download what a referral to this country holds (accounts, chats, matched hashes)."""
    viewer = require(request, CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session:
        try:
            data = views_more.referral(session, case, scope, country)
        except NotVisible as exc:
            raise HTTPException(status_code=404, detail="no such investigation") from exc
    with case.mutate(viewer.user.username, "referral.download", f"investigation:{country}"):
        pass
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{case.name}-{country}.json"'},
    )


@router.post("/cases/{name}/investigations/{country}/status", include_in_schema=False)
def set_status(
    request: Request, name: str, country: str, status: str = Form(""), csrf_token: str = Form("")
) -> Response:
    check_csrf(request, csrf_token)
    viewer = require(request, EDITORS)
    case, _ = open_case(request, name, viewer)
    if status not in INVESTIGATION_STATUSES:
        raise HTTPException(status_code=400, detail="unknown status")
    with case.mutate(
        viewer.user.username,
        "investigation.status",
        f"investigation:{country}",
        details={"status": status},
    ) as session:
        row = session.scalars(
            select(InvestigationRow).where(
                InvestigationRow.case_id == case.id, InvestigationRow.country == country
            )
        ).first()
        if row is None:
            raise HTTPException(status_code=404, detail="no such investigation")
        session.info["audit_details"]["was"] = row.status
        row.status = status
    return RedirectResponse(f"/cases/{name}/investigations", status_code=303)


@router.post("/cases/{name}/persons/merge", include_in_schema=False)
def merge(
    request: Request,
    name: str,
    accounts: str = Form(""),
    account: str = Form(""),
    reason: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Record that several accounts are one person (kept as a decision, replayed on re-runs)."""
    check_csrf(request, csrf_token)
    viewer = require(request, EDITORS)
    case, _ = open_case(request, name, viewer)
    keys = sorted(set(f"{account} {accounts}".replace(",", " ").split()))
    if len(keys) < 2:
        raise HTTPException(status_code=400, detail="name at least two accounts to merge")
    actor = viewer.user.username
    with case.mutate(actor, "person.merge", ",".join(keys), reason) as session:
        rows = session.scalars(
            select(AccountRow).where(AccountRow.case_id == case.id, AccountRow.key.in_(keys))
        ).all()
        if len(rows) != len(keys):
            raise HTTPException(status_code=404, detail="unknown account in the list")
        person = PersonRow(
            case_id=case.id,
            key="person-" + keys[0][5:],
            label=str((rows[0].names or [rows[0].identifier])[0]),
        )
        existing = next((r.person_id for r in rows if r.person_id), None)
        if existing is None:
            session.add(person)
            session.flush()
            existing = person.id
        for row in rows:
            row.person_id = existing
        session.add(
            PersonDecisionRow(
                case_id=case.id,
                kind="merge",
                account_keys=keys,
                actor=actor,
                at=utcnow(),
                reason=reason,
            )
        )
    return RedirectResponse(f"/cases/{name}/accounts/{keys[0]}", status_code=303)


@router.post("/cases/{name}/accounts/{key}/split", include_in_schema=False)
def split(
    request: Request, name: str, key: str, reason: str = Form(""), csrf_token: str = Form("")
) -> Response:
    """Take one account out of its person."""
    check_csrf(request, csrf_token)
    viewer = require(request, EDITORS)
    case, _ = open_case(request, name, viewer)
    actor = viewer.user.username
    with case.mutate(actor, "person.split", key, reason) as session:
        row = session.scalars(
            select(AccountRow).where(AccountRow.case_id == case.id, AccountRow.key == key)
        ).first()
        if row is None:
            raise HTTPException(status_code=404, detail="no such account")
        row.person_id = None
        session.add(
            PersonDecisionRow(
                case_id=case.id,
                kind="split",
                account_keys=[key],
                actor=actor,
                at=utcnow(),
                reason=reason,
            )
        )
    return RedirectResponse(f"/cases/{name}/accounts/{key}", status_code=303)


@router.get("/cases/{name}/audit", include_in_schema=False)
@router.get("/api/cases/{name}/audit", tags=["audit"])
def case_audit(request: Request, name: str, page: int = 1) -> Response:
    require(request, AUDIT_READERS)
    home = web(request).home
    try:
        case = home.open_case(name)
    except Exception as exc:
        raise HTTPException(status_code=404, detail="no such case") from exc
    with case_session(case) as session:
        data = views_more.audit_entries(session, case.audit, page)
    data.update(title=f"Audit log of {case.name}", case=case.name)
    return render(request, "audit.html", data)


@router.get("/audit", include_in_schema=False)
@router.get("/api/audit", tags=["audit"])
def installation_audit_log(request: Request, page: int = 1) -> Response:
    """Users, tips, reveals (exposures) across the installation; and the list of cases."""
    require(request, AUDIT_READERS)
    home = web(request).home
    log = installation_audit(home)
    with home.installation_sessions()() as session:
        data = views_more.audit_entries(session, log, page)
    data.update(title="Installation audit log", case=None, cases=home.case_names())
    return render(request, "audit.html", data)
