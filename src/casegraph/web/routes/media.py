"""Media: matched items as hashes only; others as blurred thumbnails; audited reveals."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from casegraph.access.reader import Reader
from casegraph.intake.ledger import installation_mutate
from casegraph.web import views_media
from casegraph.web.access import CASE_READERS, REVEALERS
from casegraph.web.context import case_session, check_csrf, open_case, render, require, web
from casegraph.web.params import Page
from casegraph.web.thumbs import PREVIEWABLE, blurred_thumbnail, reveal_image
from casegraph.web.views_shared import NotVisible

router = APIRouter()
REBLUR_SECONDS = 20
MIN_REASON = 10


@router.get("/cases/{name}/media", include_in_schema=False)
@router.get("/api/cases/{name}/media", tags=["media"])
def media_list(request: Request, name: str, page: Page = 1) -> Response:
    """Media of the case; `matched` items are never previewed, only described."""
    viewer = require(request, CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session:
        data = views_media.media(Reader(session, case, scope), page)
    data.update(case=case.name, previewable=PREVIEWABLE, can_reveal=viewer.can(REVEALERS))
    return render(request, "media.html", data)


def _bytes_of(request: Request, name: str, sha256: str, for_reveal: bool) -> bytes:
    viewer = require(request, REVEALERS if for_reveal else CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session:
        try:
            row, matched = views_media.media_row(Reader(session, case, scope), sha256)
        except NotVisible as exc:
            raise HTTPException(status_code=404, detail="no such media") from exc
    if matched:
        raise HTTPException(status_code=403, detail="matched material is never rendered")
    if row.kind not in PREVIEWABLE or not case.evidence.has(sha256):
        raise HTTPException(status_code=404, detail="no preview for this media")
    return case.evidence.read(sha256)


@router.get("/cases/{name}/media/{sha256}/thumb", include_in_schema=False)
def thumbnail(request: Request, name: str, sha256: str) -> Response:
    png = blurred_thumbnail(_bytes_of(request, name, sha256, for_reveal=False))
    if png is None:
        raise HTTPException(status_code=404, detail="no preview for this media")
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/cases/{name}/media/{sha256}/reveal", include_in_schema=False)
def reveal(
    request: Request, name: str, sha256: str, reason: str = Form(""), csrf_token: str = Form("")
) -> Response:
    """Show one item once, to a reviewer who states why; audited in the case and installation."""
    check_csrf(request, csrf_token)
    viewer = require(request, REVEALERS)
    if len(reason.strip()) < MIN_REASON:
        raise HTTPException(status_code=400, detail=f"state a reason of {MIN_REASON}+ characters")
    data = _bytes_of(request, name, sha256, for_reveal=True)
    png = reveal_image(data)
    if png is None:
        raise HTTPException(status_code=404, detail="no preview for this media")
    case, _ = open_case(request, name, viewer)
    actor = viewer.user.username
    case.record(actor, "media.reveal", f"media:{sha256}", reason.strip())
    with installation_mutate(
        web(request).home,
        actor,
        "media.exposure",
        f"case:{case.name}/media:{sha256}",
        reason.strip(),
    ):
        pass
    return render(
        request,
        "reveal.html",
        {
            "case": case.name,
            "sha256": sha256,
            "reason": reason.strip(),
            "image": "data:image/png;base64," + base64.b64encode(png).decode(),
            "reblur_seconds": REBLUR_SECONDS,
        },
    )
