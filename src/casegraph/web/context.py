"""What every request handler needs: the home, sessions, limits, templates, the viewer."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casegraph.errors import CaseError
from casegraph.intake.ledger import installation_case_id
from casegraph.store.cases import Case, Home
from casegraph.store.schema import AuditRow
from casegraph.web.access import Scope, Viewer
from casegraph.web.security import client_key, csrf_ok, csrf_token
from casegraph.web.sessions import ANON_COOKIE, SESSION_COOKIE, SessionStore
from casegraph.web.throttle import RateLimit, Throttle
from casegraph.web.users import get_user

TEMPLATES = Path(__file__).parent / "templates"


def page_templates() -> Jinja2Templates:
    """The page templates, with the wording helpers as filters ("WhatsApp", readable times)."""
    from casegraph.wording import language_name, platform_name, readable_time

    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters.update(
        platform_name=platform_name, readable_time=readable_time, language_name=language_name
    )
    return templates


@dataclass
class WebContext:
    home: Home
    secret: bytes
    sessions: SessionStore
    throttle: Throttle  # per-account login lockouts; the limits below share it
    tip_limiter: RateLimit
    login_limiter: RateLimit
    receipt_limiter: RateLimit
    https: bool = False
    templates: Jinja2Templates = field(default_factory=page_templates)


@contextmanager
def visible_or_404(what: str) -> Iterator[None]:
    """A row that does not exist and one this viewer may not see answer the same 404."""
    from casegraph.web.views_shared import NotVisible

    try:
        yield
    except NotVisible as exc:
        raise HTTPException(status_code=404, detail=f"no such {what}") from exc


def web(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.web
    return ctx


def https(request: Request) -> bool:
    """Served over TLS: by `serve --certfile`, or by a trusted proxy that says so."""
    return web(request).https or request.url.scheme == "https"


def viewer_of(request: Request) -> Viewer | None:
    cached = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    ctx = web(request)
    user_id = ctx.sessions.user_id(request.cookies.get(SESSION_COOKIE))
    if user_id is None:
        return None
    user = get_user(ctx.home, user_id)
    if user is None or user.disabled:
        return None
    request.state.viewer = Viewer(user)
    return request.state.viewer


def require(request: Request, roles: tuple[str, ...]) -> Viewer:
    viewer = viewer_of(request)
    if viewer is None:
        raise HTTPException(status_code=401, detail="log in first")
    if not viewer.can(roles):
        raise HTTPException(status_code=403, detail="your role does not allow this")
    return viewer


def form_id(request: Request) -> str:
    """The id CSRF tokens bind to: the session, else the anonymous form cookie."""
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE) or ""


def check_csrf(request: Request, token: str | None) -> None:
    token = token or request.headers.get("x-csrf-token", "")
    if not csrf_ok(web(request).secret, form_id(request), token):
        raise HTTPException(status_code=403, detail="form expired or forged: reload the page")


def open_case(request: Request, name: str, viewer: Viewer) -> tuple[Case, Scope]:
    home = web(request).home
    try:
        case = home.open_case(name)
    except CaseError as exc:
        raise HTTPException(status_code=404, detail="no such case") from exc
    scope = viewer.scope(case)
    if scope.empty:
        raise HTTPException(status_code=404, detail="no such case")
    return case, scope


@contextmanager
def case_session(case: Case) -> Iterator[Session]:
    with case.read() as session:
        yield session


def editable_case(
    request: Request, name: str, csrf_token: str, roles: tuple[str, ...]
) -> tuple[Viewer, Case]:
    """The prologue of every form that changes a case: CSRF, role, then the case itself."""
    check_csrf(request, csrf_token)
    viewer = require(request, roles)
    case, _ = open_case(request, name, viewer)
    return viewer, case


def exposure_count(request: Request, username: str) -> int:
    home = web(request).home
    with home.installation_sessions()() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    AuditRow.case_id == installation_case_id(home),
                    AuditRow.action == "media.exposure",
                    AuditRow.actor == username,
                )
            )
            or 0
        )


def render(request: Request, template: str, data: dict[str, Any], status: int = 200) -> Response:
    """The same data as JSON under /api, as a page elsewhere."""
    if request.url.path.startswith("/api/"):
        return JSONResponse(data, status_code=status)
    ctx = web(request)
    anon = request.cookies.get(ANON_COOKIE)
    new_anon = None
    if not request.cookies.get(SESSION_COOKIE) and not anon:
        new_anon = anon = secrets.token_urlsafe(24)
    viewer = viewer_of(request)
    page = {
        "request": request,
        "viewer": viewer,
        "csrf": csrf_token(ctx.secret, request.cookies.get(SESSION_COOKIE) or anon or ""),
        "exposures": exposure_count(request, viewer.user.username) if viewer else 0,
        **data,
    }
    response = ctx.templates.TemplateResponse(request, template, page, status_code=status)
    if new_anon:
        response.set_cookie(
            ANON_COOKIE,
            new_anon,
            httponly=True,
            samesite="strict",
            secure=https(request),
            max_age=3600,
        )
    return response


def rate_limited(request: Request, limiter: RateLimit, extra: str = "") -> bool:
    return not limiter.allow(client_key(request) + extra)


def done(request: Request, page: str, data: dict[str, Any]) -> Response:
    """JSON of what changed under /api; back to the page elsewhere. (A domain refusal needs no
    wrapper: the app turns any uncaught CaseError into a 400 with its line.)"""
    if request.url.path.startswith("/api/"):
        return JSONResponse(data)
    return RedirectResponse(page, status_code=303)
