"""Log in (password, then the second factor when the user has one), log out, the user's page.

Limits: a token bucket per client address, and per account name a lockout after repeated
failures from any address. A successful login replaces the browser's previous session.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from casegraph.web import second_factor
from casegraph.web.context import (
    check_csrf,
    exposure_count,
    https,
    rate_limited,
    render,
    require,
    web,
)
from casegraph.web.security import client_key
from casegraph.web.sessions import FULL, SESSION_COOKIE, TOTP
from casegraph.web.users import ROLES, authenticate, get_user

router = APIRouter()
TOO_MANY = "Too many attempts from your address; wait a minute and try again."
LOCKED = "Too many failed attempts for this account: it is locked for a while. Try again later."
WRONG = "Wrong username or password."


def _landing(role: str) -> str:
    return {"auditor": "/audit", "liaison": "/dashboard"}.get(role, "/dashboard")


def _safe_next(next: str, role: str) -> str:
    """Only a path on this site (browsers read `/\\host` as `//host`, another site)."""
    local = next.startswith("/") and not next.startswith(("//", "/\\")) and "\\" not in next
    return next if local else _landing(role)


def start_session(request: Request, user_id: int, stage: str, target: str) -> Response:
    """A new session for this browser; the one it had (if any) ends, whoever it belonged to."""
    ctx = web(request)
    ctx.sessions.end(request.cookies.get(SESSION_COOKIE))
    sid = ctx.sessions.create(user_id, stage)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sid,
        httponly=True,
        samesite="strict",
        secure=https(request),
        max_age=int(ctx.sessions.max_seconds),
    )
    return response


def _login_page(request: Request, next: str, error: str, status: int) -> Response:
    return render(request, "login.html", {"error": error, "next": next}, status=status)


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
    if rate_limited(request, ctx.login_limiter):
        return _login_page(request, next, TOO_MANY, 429)
    if ctx.throttle.locked(username):  # checked before the password: a lock holds for all
        return _login_page(request, next, LOCKED, 429)
    user = authenticate(ctx.home, username, password)
    if user is None:
        ctx.throttle.failed(username)
        return _login_page(request, next, WRONG, 401)
    target = _safe_next(next, user.role)
    if user.second_factor:
        return start_session(request, user.id, TOTP, f"/login/code?next={quote(target)}")
    ctx.throttle.succeeded(username)
    return start_session(request, user.id, FULL, target)


def _half_logged_in(request: Request) -> int | None:
    info = web(request).sessions.get(request.cookies.get(SESSION_COOKIE))
    return info.user_id if info is not None and info.stage == TOTP else None


@router.get("/login/code", include_in_schema=False)
def code_form(request: Request, next: str = "") -> Response:
    """The form alone; posting it without the password step first leads back to /login."""
    return render(request, "login_code.html", {"error": None, "next": next})


@router.post("/login/code", include_in_schema=False)
def code(
    request: Request, code: str = Form(""), csrf_token: str = Form(""), next: str = Form("")
) -> Response:
    check_csrf(request, csrf_token)
    ctx = web(request)
    user_id = _half_logged_in(request)
    user = get_user(ctx.home, user_id) if user_id is not None else None
    if user is None or user.disabled:
        return RedirectResponse("/login", status_code=303)

    def again(error: str, status: int) -> Response:
        return render(request, "login_code.html", {"error": error, "next": next}, status=status)

    if rate_limited(request, ctx.login_limiter):
        return again(TOO_MANY, 429)
    if ctx.throttle.locked(user.username):
        ctx.sessions.end(request.cookies.get(SESSION_COOKIE))
        return _login_page(request, next, LOCKED, 429)
    if not second_factor.verify(ctx.home, user.id, code):
        ctx.throttle.failed(user.username)
        return again("That code is not right (or was used already).", 401)
    ctx.throttle.succeeded(user.username)
    return start_session(request, user.id, FULL, _safe_next(next, user.role))


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
    home = web(request).home
    return render(
        request,
        "me.html",
        {
            "user": {
                "username": viewer.user.username,
                "role": viewer.role,
                "country": viewer.user.country,
                "second_factor": viewer.user.second_factor,
            },
            "recovery_codes_left": second_factor.recovery_codes_left(home, viewer.user.id),
            "exposure_count": exposure_count(request, viewer.user.username),
            "client": client_key(request),
        },
    )
