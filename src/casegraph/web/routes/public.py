"""Unauthenticated pages and API: report a group, get a receipt, check its status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from casegraph.errors import InputError
from casegraph.intake.inbox import RECEIVED, public_status, submit_tip, submit_tip_async
from casegraph.intake.tips import LIMITS, PLATFORMS
from casegraph.web.context import check_csrf, rate_limited, render, web

router = APIRouter()


class TipIn(BaseModel):
    platform: str = Field(description=f"one of {', '.join(PLATFORMS)}")
    group_name: str = Field("", max_length=LIMITS["group_name"])
    invite_link: str = Field("", max_length=LIMITS["invite_link"])
    phones: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field("", max_length=LIMITS["description"])
    contact: str = Field("", max_length=LIMITS["contact"])


class Receipt(BaseModel):
    receipt: str
    status: str
    notes: list[str]


@router.get("/", include_in_schema=False)
def index(request: Request) -> Response:
    return render(request, "index.html", {})


@router.get("/report", include_in_schema=False)
def report_form(request: Request) -> Response:
    return render(request, "report.html", {"platforms": PLATFORMS, "form": {}, "error": None})


@router.post("/report", include_in_schema=False)
def report_submit(
    request: Request,
    csrf_token: str = Form(""),
    platform: str = Form(""),
    group_name: str = Form(""),
    invite_link: str = Form(""),
    phones: str = Form(""),
    description: str = Form(""),
    contact: str = Form(""),
) -> Response:
    check_csrf(request, csrf_token)
    form: dict[str, Any] = {
        "platform": platform,
        "group_name": group_name,
        "invite_link": invite_link,
        "phones": phones,
        "description": description,
        "contact": contact,
    }
    if rate_limited(request, web(request).tip_limiter):
        return render(
            request,
            "report.html",
            {
                "platforms": PLATFORMS,
                "form": form,
                "error": "Too many reports from your connection; try again in a few minutes.",
            },
            status=429,
        )
    try:
        result = submit_tip(web(request).home, form)
    except InputError as exc:
        return render(
            request,
            "report.html",
            {"platforms": PLATFORMS, "form": form, "error": str(exc)},
            status=400,
        )
    return render(request, "receipt.html", {"receipt": result.receipt, "notes": result.notes})


TOO_MANY_LOOKUPS = "too many status checks from your connection; try again in a few minutes"


@router.get("/report/status", include_in_schema=False)
def report_status(request: Request, receipt: str = "") -> Response:
    if receipt and rate_limited(request, web(request).receipt_limiter):
        raise HTTPException(status_code=429, detail=TOO_MANY_LOOKUPS)
    status = public_status(web(request).home, receipt) if receipt else None
    return render(request, "status.html", {"receipt": receipt, "status": status})


@router.post("/api/public/tips", response_model=Receipt, tags=["public"])
async def api_submit_tip(request: Request, tip: TipIn) -> Response:
    """Report a group. JSON only (a browser form cannot post JSON across sites); rate limited."""
    if rate_limited(request, web(request).tip_limiter):
        raise HTTPException(status_code=429, detail="too many reports; try again later")
    fields = tip.model_dump()
    fields["phones"] = "\n".join(tip.phones)
    try:
        result = await submit_tip_async(web(request).home, fields, origin="api")
    except InputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return JSONResponse(
        {"receipt": result.receipt, "status": RECEIVED, "notes": result.notes},
        status_code=201,
    )


@router.get("/api/public/tips/{receipt}", tags=["public"])
def api_tip_status(request: Request, receipt: str) -> dict[str, str]:
    """Rate limited per address, like the page: receipts are not to be guessed in bulk."""
    if rate_limited(request, web(request).receipt_limiter):
        raise HTTPException(status_code=429, detail=TOO_MANY_LOOKUPS)
    status = public_status(web(request).home, receipt)
    if status is None:
        raise HTTPException(status_code=404, detail="unknown receipt")
    return {"receipt": receipt.upper(), "status": status}
