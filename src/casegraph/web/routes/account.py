"""The user's own security settings: change the password, turn the second factor on or off."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from casegraph.errors import InputError
from casegraph.web import second_factor
from casegraph.web.context import check_csrf, render, require, web
from casegraph.web.passwords import MIN_LENGTH
from casegraph.web.routes.auth import start_session
from casegraph.web.sessions import FULL, SESSION_COOKIE
from casegraph.web.users import ROLES, authenticate, change_password

router = APIRouter()


def _check_password_again(request: Request, username: str, password: str) -> None:
    """A settings change asks for the password; wrong ones count towards the lockout, so a
    borrowed session cannot be used to guess it."""
    throttle = web(request).throttle
    if throttle.locked(username):
        raise InputError("too many wrong passwords for this account; try again later")
    if authenticate(web(request).home, username, password) is None:
        throttle.failed(username)
        raise InputError("the current password is wrong; type it again")


@router.get("/me/password", include_in_schema=False)
def password_form(request: Request) -> Response:
    require(request, ROLES)
    return render(request, "password.html", {"error": None, "min_length": MIN_LENGTH})


@router.post("/me/password", include_in_schema=False)
def password_change(
    request: Request,
    current: str = Form(""),
    new: str = Form(""),
    repeat: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Every other session of the user ends; this browser gets a fresh one."""
    check_csrf(request, csrf_token)
    viewer = require(request, ROLES)
    ctx = web(request)
    try:
        _check_password_again(request, viewer.user.username, current)
        if new != repeat:
            raise InputError("the two new passwords differ; type the same one twice")
        change_password(
            ctx.home,
            viewer.user.username,
            new,
            actor=viewer.user.username,
            keep_session=request.cookies.get(SESSION_COOKIE),
        )
    except InputError as exc:
        data = {"error": str(exc), "min_length": MIN_LENGTH}
        return render(request, "password.html", data, status=400)
    return start_session(request, viewer.user.id, FULL, "/me?changed=password")


def _second_factor_page(request: Request, data: dict[str, Any], status: int = 200) -> Response:
    return render(request, "second_factor.html", {"error": None, "codes": None, **data}, status)


@router.get("/me/second-factor", include_in_schema=False)
def second_factor_page(request: Request) -> Response:
    """Turned off: a new secret to scan (pending until one code confirms it)."""
    viewer = require(request, ROLES)
    if viewer.user.second_factor:
        return _second_factor_page(request, {"enabled": True})
    enrolment = second_factor.begin_enrolment(web(request).home, viewer.user.username)
    return _second_factor_page(request, {"enabled": False, "enrolment": enrolment})


@router.post("/me/second-factor", include_in_schema=False)
def second_factor_on(
    request: Request, code: str = Form(""), csrf_token: str = Form("")
) -> Response:
    check_csrf(request, csrf_token)
    viewer = require(request, ROLES)
    home = web(request).home
    username = viewer.user.username
    try:
        codes = second_factor.confirm_enrolment(home, username, code, actor=username)
    except InputError as exc:
        enrolment = second_factor.pending_enrolment(home, username)
        if enrolment is None:
            enrolment = second_factor.begin_enrolment(home, username)
        data = {"enabled": False, "enrolment": enrolment, "error": str(exc)}
        return _second_factor_page(request, data, 400)
    return _second_factor_page(request, {"enabled": True, "codes": codes})


@router.post("/me/second-factor/off", include_in_schema=False)
def second_factor_off(
    request: Request, password: str = Form(""), csrf_token: str = Form("")
) -> Response:
    check_csrf(request, csrf_token)
    viewer = require(request, ROLES)
    home = web(request).home
    try:
        _check_password_again(request, viewer.user.username, password)
    except InputError as exc:
        data = {"enabled": True, "error": f"{exc}; the second factor stays on"}
        return _second_factor_page(request, data, 400)
    second_factor.turn_off(home, viewer.user.username, actor=viewer.user.username)
    return RedirectResponse("/me", status_code=303)
