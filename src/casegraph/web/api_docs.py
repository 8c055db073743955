"""The API's OpenAPI description and Swagger UI, for logged-in users only, with local assets.

Swagger UI comes from the `swagger-ui-dist` npm package installed with the other browser
libraries (never a CDN); its start-up script is a static file, as the CSP forbids inline ones.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from casegraph.web.context import require
from casegraph.web.users import ROLES

router = APIRouter()
SWAGGER = "/vendor/swagger-ui-dist"
PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>casegraph API</title>
<link rel="stylesheet" href="{SWAGGER}/swagger-ui.css"></head>
<body><div id="swagger-ui"
  data-openapi="/api/openapi.json">Loading the API description&hellip; (needs the browser
  libraries: <code>npm ci</code> in src/casegraph/web/frontend)</div>
<script src="{SWAGGER}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>
"""


@router.get("/api/openapi.json", include_in_schema=False)
def openapi(request: Request) -> Response:
    require(request, ROLES)
    return JSONResponse(request.app.openapi())


@router.get("/api/docs", include_in_schema=False)
def docs(request: Request) -> Response:
    require(request, ROLES)
    return HTMLResponse(PAGE)


class VendorFiles(StaticFiles):
    """node_modules as the pages load it: asset files only, never manifests or dotfiles
    (a lock file would list every library version to anyone who asks)."""

    ASSETS = frozenset({".js", ".mjs", ".css", ".map", ".woff", ".woff2", ".png", ".svg"})
    DATA = frozenset({"world-atlas/countries-110m.json"})  # the map's world, offline

    async def get_response(self, path: str, scope: Scope) -> Response:
        parts = PurePosixPath(path).parts
        if path in self.DATA:
            return await super().get_response(path, scope)
        if any(part.startswith(".") for part in parts) or PurePosixPath(path).suffix not in (
            self.ASSETS
        ):
            raise HTTPException(status_code=404, detail="not found")
        return await super().get_response(path, scope)
