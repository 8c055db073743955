"""Investigations (status, outcome figures), referral contents, person merge/split, audit logs.

Every change goes through the domain functions the CLI uses (exchange.investigations,
analysis.decisions); their one-line refusals are shown on the page, or as a 400 under /api.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from casegraph.access.reader import Reader
from casegraph.analysis.decisions import record_person_decision
from casegraph.exchange import investigations as exchange_investigations
from casegraph.exchange.investigations import STATUSES
from casegraph.intake.ledger import installation_audit
from casegraph.web import views_audit, views_investigations
from casegraph.web.access import AUDIT_READERS, CASE_READERS, EDITORS, FULL_READERS
from casegraph.web.cache import cached_view
from casegraph.web.context import (
    case_session,
    done,
    editable_case,
    open_case,
    render,
    require,
    visible_or_404,
    web,
)
from casegraph.web.packages import (
    list_packages,
    passphrase_missing_message,
    received_referrals,
    referral_keys,
)
from casegraph.web.params import Page

router = APIRouter()


def next_statuses(current: str) -> list[str]:
    """What the status form offers: the current status, later ones, and a return to active."""
    if current not in STATUSES:
        return list(STATUSES)
    return [s for s in STATUSES if STATUSES.index(s) >= STATUSES.index(current) or s == "active"]


def whole_number(label: str, value: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError as exc:
        raise HTTPException(
            status_code=400, detail=f"{label} must be a whole number, e.g. 2; got {value!r}"
        ) from exc


def age_list(value: str) -> list[int] | None:
    if not value.strip():
        return None
    parts = value.replace(";", ",").replace(" ", ",").split(",")
    try:
        return [int(part) for part in parts if part]
    except ValueError as exc:
        raise HTTPException(
            status_code=400,
            detail=f"suspect ages must be whole numbers such as 31, 45; got {value!r}",
        ) from exc


@router.get("/cases/{name}/investigations", include_in_schema=False)
@router.get("/api/cases/{name}/investigations", tags=["investigations"])
def investigations(request: Request, name: str) -> Response:
    viewer = require(request, CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session:
        rows = cached_view(
            session, case, scope, "investigations", views_investigations.investigations
        )
    can_edit = viewer.can(EDITORS)
    data: dict[str, Any] = {"case": case.name, "investigations": rows, "can_edit": can_edit}
    if can_edit:  # liaison officers never see the referral form, the keys or the packages
        keys = referral_keys(web(request).home.root)
        data["referral_form"] = {
            "recipients": keys.recipients,
            "identities": keys.identities,
            "passphrase_set": keys.passphrase_set,
            "passphrase_missing": "" if keys.passphrase_set else passphrase_missing_message(),
        }
        data["statuses"] = {row["country"]: next_statuses(row["status"]) for row in rows}
        data["packages"] = {
            row["country"]: [vars(p) for p in list_packages(case, row["country"])]
            for row in rows
            if row["country"] != exchange_investigations.UNATTRIBUTED
        }
        data["received"] = received_referrals(case)  # referrals this case can answer
    return render(request, "investigations.html", data)


@router.get("/cases/{name}/investigations/{country}/referral.json", include_in_schema=False)
@router.get("/api/cases/{name}/investigations/{country}/referral", tags=["investigations"])
def referral(request: Request, name: str, country: str) -> Response:
    """Download what a referral to this country holds (accounts, chats, matched hashes)."""
    viewer = require(request, CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session, visible_or_404("investigation"):
        data = views_investigations.referral(Reader(session, case, scope), country)
    case.record(viewer.user.username, "referral.download", f"investigation:{country}")
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{case.name}-{country}.json"'},
    )


@router.post("/cases/{name}/investigations/{country}/status", include_in_schema=False)
@router.post("/api/cases/{name}/investigations/{country}/status", tags=["investigations"])
def set_status(
    request: Request,
    name: str,
    country: str,
    status: str = Form(""),
    reason: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Move an investigation forward (proposed, referred, acknowledged, ... closed)."""
    viewer, case = editable_case(request, name, csrf_token, EDITORS)
    view = exchange_investigations.set_status(
        case, country, status=status or None, actor=viewer.user.username, reason=reason
    )
    return done(
        request,
        f"/cases/{name}/investigations",
        {"country": view.country, "status": view.status},
    )


@router.post("/cases/{name}/investigations/{country}/outcome", include_in_schema=False)
@router.post("/api/cases/{name}/investigations/{country}/outcome", tags=["investigations"])
def record_outcome(
    request: Request,
    name: str,
    country: str,
    arrests: str = Form(""),
    suspects: str = Form(""),
    minors: str = Form(""),
    suspect_ages: str = Form(""),
    reason: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Figures a partner reported back; a blank field keeps what is recorded."""
    viewer, case = editable_case(request, name, csrf_token, EDITORS)
    view = exchange_investigations.record_outcome(
        case,
        country,
        arrests=whole_number("arrests", arrests),
        suspects=whole_number("suspects", suspects),
        minors=whole_number("minors", minors),
        suspect_ages=age_list(suspect_ages),
        actor=viewer.user.username,
        reason=reason,
    )
    return done(
        request,
        f"/cases/{name}/investigations",
        {
            "country": view.country,
            "status": view.status,
            "arrests": view.arrests,
            "suspects": view.suspects,
            "minors": view.minors,
            "suspect_ages": view.suspect_ages,
        },
    )


@router.post("/cases/{name}/persons/merge", include_in_schema=False)
@router.post("/api/cases/{name}/persons/merge", tags=["persons"])
def merge(
    request: Request,
    name: str,
    accounts: str = Form(""),
    account: str = Form(""),
    reason: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Record that accounts (ids or identifiers) are one person; applied at each analysis run."""
    viewer, case = editable_case(request, name, csrf_token, EDITORS)
    refs = list(dict.fromkeys(f"{account} {accounts}".replace(",", " ").split()))
    keys = record_person_decision(case, "merge", refs, viewer.user.username, reason)
    page = f"/cases/{name}/accounts/{account if account in keys else keys[0]}"
    job = _reanalyze(request, case.name, viewer.user.username)
    return done(request, page, {"decision": "merge", "accounts": keys, "job": job})


@router.post("/cases/{name}/accounts/{key}/split", include_in_schema=False)
@router.post("/api/cases/{name}/accounts/{key}/split", tags=["persons"])
def split(
    request: Request, name: str, key: str, reason: str = Form(""), csrf_token: str = Form("")
) -> Response:
    """Record that one account is not the person it was linked to; applied at each analysis run."""
    viewer, case = editable_case(request, name, csrf_token, EDITORS)
    keys = record_person_decision(case, "split", [key], viewer.user.username, reason)
    job = _reanalyze(request, case.name, viewer.user.username)
    data = {"decision": "split", "accounts": keys, "job": job}
    return done(request, f"/cases/{name}/accounts/{key}", data)


def _reanalyze(request: Request, case_name: str, user: str) -> str:
    """A person decision takes effect at once: an analysis job runs it in the background."""
    from casegraph.jobs.queue import submit

    return submit(web(request).home, case_name, "analyze", {"reason": "person decision"}, user)


@router.get("/cases/{name}/audit", include_in_schema=False)
@router.get("/api/cases/{name}/audit", tags=["audit"])
def case_audit(request: Request, name: str, page: Page = 1) -> Response:
    viewer = require(request, AUDIT_READERS)
    home = web(request).home
    try:
        case = home.open_case(name)
    except Exception as exc:
        raise HTTPException(status_code=404, detail="no such case") from exc
    with case_session(case) as session:
        data = views_audit.audit_entries(
            session, case.audit, page, names_visible=viewer.can(FULL_READERS)
        )
    data.update(title=f"Audit log of {case.name}", case=case.name)
    return render(request, "audit.html", data)


@router.get("/audit", include_in_schema=False)
@router.get("/api/audit", tags=["audit"])
def installation_audit_log(request: Request, page: Page = 1) -> Response:
    """Users, tips, reveals (exposures) across the installation; and the list of cases."""
    viewer = require(request, AUDIT_READERS)
    home = web(request).home
    log = installation_audit(home)
    with home.installation_sessions()() as session:
        data = views_audit.audit_entries(session, log, page, names_visible=viewer.can(FULL_READERS))
    data.update(title="Installation audit log", case=None, cases=home.case_names())
    return render(request, "audit.html", data)
