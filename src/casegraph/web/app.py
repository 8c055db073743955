"""`create_app(home)`: the FastAPI application serving the public tip form and the workspace."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from casegraph import __version__
from casegraph.store.cases import Home
from casegraph.web.context import WebContext, render
from casegraph.web.routes import auth, cases_admin, jobs, media, public, referrals, tips, workspace
from casegraph.web.security import BodyLimit, RateLimiter, SecurityHeaders
from casegraph.web.sessions import SessionStore

STATIC = Path(__file__).parent / "static"
FRONTEND = Path(__file__).parent / "frontend" / "node_modules"


def create_app(
    home: Home,
    *,
    secret_key: bytes | None = None,
    tips_per_minute: float = 6.0,
    tip_burst: int = 5,
    logins_per_minute: float = 5.0,
    login_burst: int = 5,
    session_idle_seconds: float = 1800,
    session_max_seconds: float = 8 * 3600,
    https: bool = False,
    job_worker: bool = False,
) -> FastAPI:
    """The web application over one casegraph home; limits are per client address."""
    app = FastAPI(
        title="casegraph",
        version=__version__,
        description="Public reporting and the investigator workspace; JSON under /api.",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        lifespan=_lifespan(home, job_worker),
    )
    app.state.web = WebContext(
        home=home,
        secret=secret_key or secrets.token_bytes(32),
        sessions=SessionStore(session_idle_seconds, session_max_seconds),
        tip_limiter=RateLimiter(tips_per_minute / 60.0, tip_burst),
        login_limiter=RateLimiter(logins_per_minute / 60.0, login_burst),
        https=https,
    )
    app.add_middleware(SecurityHeaders, https=https)
    app.add_middleware(BodyLimit)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if FRONTEND.is_dir():  # installed by `npm ci`; pages work without it
        app.mount("/vendor", StaticFiles(directory=FRONTEND), name="vendor")
    for module in (public, auth, jobs, workspace, media, cases_admin, referrals, tips):
        app.include_router(module.router)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        if exc.status_code == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return render(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail},
            status=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"detail": f"{where}: {first.get('msg', 'invalid')}"}, status_code=422)

    return app


def _lifespan(home: Home, job_worker: bool) -> Any:
    """Starts the embedded job worker with the server (one-machine installations)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if job_worker:
            from casegraph.jobs.queue import EmbeddedWorker

            worker = EmbeddedWorker(home)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.close()

    return lifespan
