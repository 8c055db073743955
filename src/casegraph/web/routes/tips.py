"""The analysts' tips inbox and triage."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from casegraph.errors import InputError
from casegraph.intake.inbox import TipView, get_tip, list_tips, triage_tip
from casegraph.intake.linking import find_cases
from casegraph.intake.tips import STATUSES, TipInput
from casegraph.web.access import TIP_READERS
from casegraph.web.context import check_csrf, render, require, web

router = APIRouter()


def _plain(view: TipView) -> dict[str, object]:
    data = asdict(view)
    data["received_at"] = data["received_at"].isoformat()
    return data


@router.get("/tips", include_in_schema=False)
@router.get("/api/tips", tags=["tips"])
def inbox(request: Request, status: str = "") -> Response:
    require(request, TIP_READERS)
    tips = [_plain(t) for t in list_tips(web(request).home, status or None)]
    return render(request, "tips.html", {"tips": tips, "statuses": STATUSES, "status": status})


@router.get("/tips/{receipt}", include_in_schema=False)
@router.get("/api/tips/{receipt}", tags=["tips"])
def tip_detail(request: Request, receipt: str) -> Response:
    require(request, TIP_READERS)
    home = web(request).home
    view = get_tip(home, receipt)
    if view is None:
        raise HTTPException(status_code=404, detail="no such tip")
    probe = TipInput(view.platform, view.group_name, view.invite_link, view.phones)
    links = [{"case": lk.case, "reasons": lk.reasons} for lk in find_cases(home, probe)]
    return render(
        request,
        "tip.html",
        {"tip": _plain(view), "links": links, "statuses": STATUSES, "cases": home.case_names()},
    )


@router.post("/tips/{receipt}/triage", include_in_schema=False)
def triage(
    request: Request,
    receipt: str,
    status: str = Form(""),
    case: str = Form(""),
    reason: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    check_csrf(request, csrf_token)
    viewer = require(request, TIP_READERS)
    try:
        triage_tip(web(request).home, receipt, status, viewer.user.username, case or None, reason)
    except InputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return RedirectResponse(f"/tips/{receipt}", status_code=303)
