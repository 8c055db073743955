"""Log in, log out, and the user's own page (with their exposure count)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from casegraph.web.context import check_csrf, exposure_count, rate_limited, render, require, web
from casegraph.web.security import client_key
from casegraph.web.sessions import SESSION_COOKIE
from casegraph.web.users import ROLES, authenticate

router = APIRouter()


def _landing(role: str) -> str:
    return {"auditor": "/audit", "liaison": "/dashboard"}.get(role, "/dashboard")


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "") -> Response:
    return render(request, "login.html", {"error": None, "next": next})


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form(""),
) -> Response:
    check_csrf(request, csrf_token)
    ctx = web(request)
    if rate_limited(request, ctx.login_limiter, "|" + username.lower()) or rate_limited(
        request, ctx.login_limiter
    ):
        return render(
            request,
            "login.html",
            {"error": "Too many attempts; wait a minute and try again.", "next": next},
            status=429,
        )
    user = authenticate(ctx.home, username, password)
    if user is None:
        return render(
            request,
            "login.html",
            {"error": "Wrong username or password.", "next": next},
            status=401,
        )
    sid = ctx.sessions.create(user.id)
    target = next if next.startswith("/") and not next.startswith("//") else _landing(user.role)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sid,
        httponly=True,
        samesite="strict",
        secure=ctx.https,
        max_age=int(ctx.sessions.max_seconds),
    )
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    web(request).sessions.end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/me", include_in_schema=False)
@router.get("/api/me", tags=["users"])
def me(request: Request) -> Response:
    viewer = require(request, ROLES)
    return render(
        request,
        "me.html",
        {
            "user": {
                "username": viewer.user.username,
                "role": viewer.role,
                "country": viewer.user.country,
            },
            "exposure_count": exposure_count(request, viewer.user.username),
            "client": client_key(request),
        },
    )
