"""Work from the browser: create a case, upload evidence and hash lists, run match and analyze.

Each long action is a background job (casegraph.jobs); the page shows its progress by polling
`/api/cases/{name}/jobs`. Uploads are resumable: the page sends 8 MiB chunks and, after a
dropped connection, asks the server how much it has and goes on from there.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUploadFile

from casegraph.errors import InputError
from casegraph.jobs import records, uploads
from casegraph.jobs.queue import submit
from casegraph.store.cases import Case
from casegraph.web.access import EDITORS, Viewer
from casegraph.web.context import check_csrf, done, editable_case, open_case, render, require, web

router = APIRouter()
CUSTODY_FIELDS = ("captured_by", "device", "capture_method", "captured_at")


def _job_case(request: Request, name: str) -> tuple[Viewer, Case]:
    viewer = require(request, EDITORS)
    case, _ = open_case(request, name, viewer)
    return viewer, case


@router.post("/cases/new", include_in_schema=False)
@router.post("/api/cases/new", tags=["cases"])
def create_case(
    request: Request,
    name: str = Form(""),
    timezone: str = Form("UTC"),
    agency: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Create a case (admins and analysts)."""
    check_csrf(request, csrf_token)
    viewer = require(request, EDITORS)
    case = web(request).home.create_case(
        name.strip(),
        timezone=timezone.strip() or "UTC",
        agency=agency.strip(),
        actor=viewer.user.username,
    )
    return done(request, f"/cases/{case.name}/jobs", {"case": case.name})


@router.get("/cases/{name}/jobs", include_in_schema=False)
@router.get("/api/cases/{name}/jobs", tags=["jobs"])
def case_jobs(request: Request, name: str) -> Response:
    """The case's jobs, newest first, and the forms that start new ones."""
    _viewer, case = _job_case(request, name)
    jobs = [job.as_dict() for job in records.list_jobs(web(request).home, case.name)]
    data = {
        "case": case.name,
        "jobs": jobs,
        "running": any(not job["finished"] for job in jobs),
        "chunk_bytes": uploads.CHUNK_BYTES,
    }
    return render(request, "jobs.html", data)


@router.get("/api/jobs/{job_id}", tags=["jobs"])
def job_status(request: Request, job_id: str) -> Response:
    viewer = require(request, EDITORS)
    job = records.get_job(web(request).home, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail="no such job")
    open_case(request, job.case, viewer)
    return JSONResponse(job.as_dict())


@router.post("/cases/{name}/jobs/{kind}", include_in_schema=False)
@router.post("/api/cases/{name}/jobs/{kind}", tags=["jobs"])
def start_job(request: Request, name: str, kind: str, csrf_token: str = Form("")) -> Response:
    """Run match (hash + match) or analyze in the background."""
    viewer, case = editable_case(request, name, csrf_token, EDITORS)
    if kind not in ("match", "analyze"):
        raise HTTPException(status_code=404, detail="no such job kind; use match or analyze")
    job_id = submit(web(request).home, case.name, kind, {}, viewer.user.username)
    return done(request, f"/cases/{case.name}/jobs", {"job": job_id})


@router.post("/cases/{name}/jobs/{job_id}/cancel", include_in_schema=False)
@router.post("/api/cases/{name}/jobs/{job_id}/cancel", tags=["jobs"])
def cancel_job(request: Request, name: str, job_id: str, csrf_token: str = Form("")) -> Response:
    _viewer, case = editable_case(request, name, csrf_token, EDITORS)
    home = web(request).home
    job = records.get_job(home, job_id)
    if job is None or job.case != case.name:
        raise HTTPException(status_code=404, detail="no such job")
    view = records.request_cancel(home, job_id)
    return done(request, f"/cases/{case.name}/jobs", view.as_dict())


# ---- uploads -------------------------------------------------------------------------------


def _custody(form: dict[str, str], viewer: Viewer) -> dict[str, str]:
    custody = {key: form.get(key, "").strip()[:200] for key in CUSTODY_FIELDS}
    custody["captured_by"] = custody["captured_by"] or viewer.user.username
    if custody["captured_at"]:
        from datetime import datetime

        try:
            moment = datetime.fromisoformat(custody["captured_at"])
        except ValueError as exc:
            raise HTTPException(
                status_code=400, detail="capture time must look like 2026-11-30T14:05+01:00"
            ) from exc
        if moment.tzinfo is None:
            raise HTTPException(
                status_code=400, detail="capture time needs its UTC offset, e.g. +01:00"
            )
        custody["captured_at"] = moment.isoformat()
    return custody


def _upload_options(form: dict[str, str]) -> dict[str, Any]:
    return {
        "list_name": form.get("list_name", "").strip()[:200],
        "format": form.get("format", "auto").strip() or "auto",
        "negative": form.get("negative", "") in ("1", "on", "true"),
    }


def _submit_upload(request: Request, upload: uploads.Upload, sha256: str) -> str:
    home = web(request).home
    path = str(uploads.staged_path(home, upload))
    if upload.kind == "export":
        params: dict[str, Any] = {"paths": [path], "upload": upload.id, "sha256": sha256}
        params.update(upload.custody)
        return submit(home, upload.case, "ingest", params, upload.user)
    options = upload.options
    params = {
        "path": path,
        "upload": upload.id,
        "sha256": sha256,
        "name": options.get("list_name") or None,
        "format": options.get("format", "auto"),
        "negative": options.get("negative", False),
    }
    return submit(home, upload.case, "hashlist", params, upload.user)


@router.post("/api/cases/{name}/uploads", tags=["uploads"])
async def begin_upload(request: Request, name: str) -> Response:
    """Start a resumable upload: filename, size, kind (export|hashlist), custody fields."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    viewer, case = editable_case(request, name, form.get("csrf_token", ""), EDITORS)
    try:
        size = int(form.get("size", "0"))
    except ValueError as exc:
        raise HTTPException(status_code=400, detail="size must be a whole number of bytes") from exc
    upload = _start(request, viewer, case, form, form.get("filename", ""), size)
    return JSONResponse({"upload": upload.id, "offset": 0, "chunk_bytes": uploads.CHUNK_BYTES})


def _start(
    request: Request, viewer: Viewer, case: Case, form: dict[str, str], filename: str, size: int
) -> uploads.Upload:
    """A new staged upload with the form's custody fields and list options."""
    return uploads.start_upload(
        web(request).home,
        case.name,
        form.get("kind", "export"),
        filename,
        size,
        viewer.user.username,
        _custody(form, viewer),
        _upload_options(form),
    )


def _case_upload(request: Request, upload_id: str) -> uploads.Upload:
    viewer = require(request, EDITORS)
    upload = uploads.get_upload(web(request).home, upload_id)
    if upload is None:
        raise HTTPException(status_code=404, detail="no such upload; start it again")
    open_case(request, upload.case, viewer)  # editors of the case may resume it
    return upload


@router.get("/api/uploads/{upload_id}", tags=["uploads"])
def upload_offset(request: Request, upload_id: str) -> Response:
    """How many bytes the server has: where a resumed upload goes on."""
    upload = _case_upload(request, upload_id)
    home = web(request).home
    return JSONResponse({"offset": uploads.received(home, upload), "size": upload.size})


@router.put("/api/uploads/{upload_id}", tags=["uploads"])
async def upload_chunk(request: Request, upload_id: str, offset: int = 0) -> Response:
    upload = _case_upload(request, upload_id)
    check_csrf(request, None)
    data = await request.body()
    if len(data) > uploads.CHUNK_BYTES:
        raise HTTPException(status_code=413, detail="chunks are at most 8 MiB")
    home = web(request).home
    try:
        now_at = uploads.append_chunk(home, upload, offset, data)
    except InputError as exc:
        have = uploads.received(home, upload)
        return JSONResponse({"detail": str(exc), "offset": have}, status_code=409)
    return JSONResponse({"offset": now_at, "size": upload.size})


@router.post("/api/uploads/{upload_id}/finish", tags=["uploads"])
def finish(request: Request, upload_id: str, csrf_token: str = Form("")) -> Response:
    """Every byte is here: check the size, keep the SHA-256, queue the ingest or list import."""
    upload = _case_upload(request, upload_id)
    check_csrf(request, csrf_token or None)
    sha256 = uploads.finish_upload(web(request).home, upload)
    job_id = _submit_upload(request, upload, sha256)
    return JSONResponse({"job": job_id, "sha256": sha256, "jobs": f"/cases/{upload.case}/jobs"})


@router.post("/cases/{name}/upload", include_in_schema=False)
async def upload_form(request: Request, name: str) -> Response:
    """The same upload in one request, for browsers without the page's script."""
    require(request, EDITORS)  # before a byte of the body is read
    received = await request.form()
    file = received.get("file")
    form = {k: str(v) for k, v in received.items() if k != "file"}
    viewer, case = editable_case(request, name, form.get("csrf_token", ""), EDITORS)
    if not isinstance(file, StarletteUploadFile):
        raise HTTPException(status_code=400, detail="choose the file to upload")
    home = web(request).home
    upload = _start(request, viewer, case, form, file.filename or "", file.size or 0)
    try:
        offset = 0
        while chunk := await file.read(uploads.CHUNK_BYTES):
            offset = uploads.append_chunk(home, upload, offset, chunk)
        sha256 = uploads.finish_upload(home, upload)
    except InputError:
        uploads.discard_upload(home, upload)
        raise
    _submit_upload(request, upload, sha256)
    return RedirectResponse(f"/cases/{case.name}/jobs", status_code=303)
