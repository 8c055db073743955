"""Referral packages: generate a signed, encrypted package for a partner, list it, download it.

Only editors (admins, analysts) reach these routes: the form names the installation's keys,
and a liaison officer receives packages from their partner, not from this workspace.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response

from casegraph.exchange.package import refer
from casegraph.exchange.responses import Outcome, import_response, send_response
from casegraph.store.evidence import hash_file
from casegraph.web.access import EDITORS
from casegraph.web.context import done, editable_case, open_case, require, web
from casegraph.web.packages import (
    country_code,
    list_packages,
    package_path,
    passphrase_missing_message,
    referral_dir,
    referral_keys,
)
from casegraph.web.routes.cases_admin import age_list, whole_number

router = APIRouter()


@router.post("/cases/{name}/investigations/{country}/packages", include_in_schema=False)
@router.post("/api/cases/{name}/investigations/{country}/packages", tags=["referrals"])
def generate_package(
    request: Request,
    name: str,
    country: str,
    recipient: str = Form(""),
    identity: str = Form(""),
    reason: str = Form(""),
    country_reason: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Build, sign and encrypt the referral of one investigation for a partner's public key.

    A key of another country than the investigation's needs its own `country_reason`."""
    viewer, case = editable_case(request, name, csrf_token, EDITORS)
    code = country_code(country)
    home = web(request).home
    keys = referral_keys(home.root)
    if not keys.passphrase_set:
        raise HTTPException(status_code=400, detail=passphrase_missing_message())
    # names only from the key store: a form value must never become a path on the server
    if recipient not in {r["name"] for r in keys.recipients}:
        raise HTTPException(
            status_code=400,
            detail=f"no partner key {recipient!r}: import it with `casegraph keys import FILE`",
        )
    if identity and identity not in keys.identities:
        raise HTTPException(
            status_code=400,
            detail=f"no own key {identity!r}: create it with `casegraph keys generate NAME`",
        )
    result = refer(
        home,
        case.name,
        code,
        recipient,
        referral_dir(case, code),
        reason=reason,
        identity=identity or None,
        actor=viewer.user.username,
        passphrase=None,
        country_reason=country_reason,
    )
    data = {k: v.name if k in ("package", "signature") else v for k, v in asdict(result).items()}
    return done(request, f"/cases/{name}/investigations#packages-{code}", data)


@router.get("/api/cases/{name}/investigations/{country}/packages", tags=["referrals"])
def packages(request: Request, name: str, country: str) -> Response:
    """Generated packages of one investigation with their SHA-256."""
    viewer = require(request, EDITORS)
    case, _ = open_case(request, name, viewer)
    code = country_code(country)
    found = [vars(p) for p in list_packages(case, code)]
    return JSONResponse({"case": case.name, "country": code, "packages": found})


@router.get("/cases/{name}/investigations/{country}/packages/{filename}", include_in_schema=False)
@router.get("/api/cases/{name}/investigations/{country}/packages/{filename}", tags=["referrals"])
def download_package(request: Request, name: str, country: str, filename: str) -> Response:
    """One generated file (`.age` package or `.sig` signature); every download is audited."""
    viewer = require(request, EDITORS)
    case, _ = open_case(request, name, viewer)
    code = country_code(country)
    path = package_path(case, code, filename)
    if path is None:
        raise HTTPException(status_code=404, detail="no such referral package")
    details = {"file": filename, "sha256": hash_file(path).sha256}
    case.record(
        viewer.user.username, "referral.package.download", f"investigation:{code}", "", details
    )
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=filename,
        headers={"Cache-Control": "no-store"},
    )


@router.post("/cases/{name}/investigations/{country}/responses", include_in_schema=False)
@router.post("/api/cases/{name}/investigations/{country}/responses", tags=["referrals"])
def answer_referral(
    request: Request,
    name: str,
    country: str,
    kind: str = Form("acknowledgement"),
    status: str = Form(""),
    reason: str = Form(""),
    arrests: str = Form(""),
    suspects: str = Form(""),
    suspect_ages: str = Form(""),
    minors_safeguarded: str = Form(""),
    identity: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """The partner's side: acknowledge a received referral or report outcomes to its sender."""
    viewer, case = editable_case(request, name, csrf_token, EDITORS)
    code = country_code(country)
    home = web(request).home
    keys = referral_keys(home.root)
    if not keys.passphrase_set:
        raise HTTPException(status_code=400, detail=passphrase_missing_message())
    if identity and identity not in keys.identities:
        raise HTTPException(status_code=400, detail=f"no own key {identity!r}")
    if kind not in ("acknowledgement", "outcome"):
        raise HTTPException(status_code=400, detail="kind is acknowledgement or outcome")
    outcome = None
    if kind == "outcome":
        outcome = Outcome(
            arrests=whole_number("arrests", arrests) or 0,
            suspects=whole_number("suspects", suspects) or 0,
            suspect_ages=age_list(suspect_ages) or [],
            minors_safeguarded=whole_number("minors safeguarded", minors_safeguarded) or 0,
        )
    sent = send_response(
        home,
        case.name,
        code,
        referral_dir(case, code),
        status=status if kind == "acknowledgement" else None,
        reason=reason,
        outcome=outcome,
        identity=identity or None,
        actor=viewer.user.username,
    )
    data = {k: v.name if isinstance(v, Path) else v for k, v in asdict(sent).items()}
    return done(request, f"/cases/{name}/investigations#packages-{code}", data)


@router.post("/cases/{name}/responses", include_in_schema=False)
@router.post("/api/cases/{name}/responses", tags=["referrals"])
def receive_response(
    request: Request,
    name: str,
    sender: str = Form(""),
    package: UploadFile | None = File(None),
    signature: UploadFile | None = File(None),
    csrf_token: str = Form(""),
) -> Response:
    """The coordinator's side: record an uploaded acknowledgement or outcome report."""
    viewer, case = editable_case(request, name, csrf_token, EDITORS)  # before any file check
    if package is None or signature is None:
        raise HTTPException(status_code=400, detail="upload both the .age package and its .sig")
    home = web(request).home
    keys = referral_keys(home.root)
    if not keys.passphrase_set:
        raise HTTPException(status_code=400, detail=passphrase_missing_message())
    if sender not in {r["name"] for r in keys.recipients}:
        raise HTTPException(status_code=400, detail=f"no partner key {sender!r}")
    with tempfile.TemporaryDirectory() as scratch:
        # fixed names: an uploaded file name never becomes a path on the server
        stored = Path(scratch) / "response.age"
        stored.write_bytes(package.file.read())
        stored.with_suffix(".sig").write_bytes(signature.file.read())
        result = import_response(
            home, stored, sender, actor=viewer.user.username, case_name=case.name
        )
    return done(request, f"/cases/{name}/investigations", asdict(result))
