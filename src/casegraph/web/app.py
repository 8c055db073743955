"""`create_app(home)`: the FastAPI application serving the public tip form and the workspace."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from casegraph import __version__
from casegraph.errors import CaseError
from casegraph.store.cases import Home
from casegraph.web import api_docs
from casegraph.web.context import WebContext, render
from casegraph.web.routes import (
    account,
    auth,
    cases_admin,
    jobs,
    media,
    public,
    referrals,
    tips,
    workspace,
)
from casegraph.web.security import BodyLimit, SecurityHeaders, ShortCaseWaits
from casegraph.web.sessions import session_store
from casegraph.web.shared import web_secret
from casegraph.web.throttle import Lockout, RateLimit, throttle_for

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
    receipts_per_minute: float = 10.0,
    receipt_burst: int = 10,
    lockout: Lockout | None = None,
    session_idle_seconds: float = 1800,
    session_max_seconds: float = 8 * 3600,
    https: bool = False,
    job_worker: bool = False,
    case_wait_seconds: float = 20.0,
) -> FastAPI:
    """The web application over one casegraph home; limits are per client address.

    Sessions, limits and lockouts live in the installation database (or Redis), so several
    applications over one home (`serve --workers N`) behave as one."""
    app = FastAPI(
        title="casegraph",
        version=__version__,
        description="Public reporting and the investigator workspace; JSON under /api.",
        docs_url=None,  # served behind login with local assets: web/api_docs.py
        openapi_url=None,
        redoc_url=None,
        lifespan=_lifespan(home, job_worker),
    )
    throttle = throttle_for(home, lockout)
    app.state.web = WebContext(
        home=home,
        secret=secret_key or web_secret(home),
        sessions=session_store(home, session_idle_seconds, session_max_seconds),
        throttle=throttle,
        tip_limiter=RateLimit(throttle, "tip", tips_per_minute / 60.0, tip_burst),
        login_limiter=RateLimit(throttle, "login", logins_per_minute / 60.0, login_burst),
        receipt_limiter=RateLimit(throttle, "receipt", receipts_per_minute / 60.0, receipt_burst),
        https=https,
    )
    app.add_middleware(SecurityHeaders, https=https)
    app.add_middleware(BodyLimit)
    app.add_middleware(ShortCaseWaits, seconds=case_wait_seconds)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if FRONTEND.is_dir():  # installed by `npm ci`; pages work without it
        app.mount("/vendor", api_docs.VendorFiles(directory=FRONTEND), name="vendor")
    for module in (
        public,
        auth,
        account,
        jobs,
        workspace,
        media,
        cases_admin,
        referrals,
        tips,
        api_docs,
    ):
        app.include_router(module.router)

    @app.exception_handler(StarletteHTTPException)  # also routing's 404 and 405
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(("/api/", "/static/", "/vendor/")):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        if exc.status_code == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return render(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail},
            status=exc.status_code,
        )

    @app.exception_handler(CaseError)
    async def refused(request: Request, exc: CaseError) -> Response:
        """A domain refusal nobody caught (e.g. a case busy with another writer): its line, 400."""
        return await http_error(request, HTTPException(status_code=400, detail=str(exc)))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        """A bad query value or body is the client's mistake: 400, naming the value."""
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "body"))
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        return await http_error(request, HTTPException(400, f"{where or 'request'}: {message}"))

    return app


def app_from_environment() -> FastAPI:
    """The factory `serve --workers N` hands uvicorn: each worker builds its app from the
    home and options the parent process put in the environment."""
    home = Home(Path(os.environ["CASEGRAPH_HOME"]), db_url=os.environ.get("CASEGRAPH_DB_URL"))
    return create_app(
        home,
        https=os.environ.get("CASEGRAPH_HTTPS") == "1",
        job_worker=os.environ.get("CASEGRAPH_JOB_WORKER") == "1",
    )


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
