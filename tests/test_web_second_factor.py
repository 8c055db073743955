"""The optional TOTP second factor: enrolment on the user's page, codes at login, recovery."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from casegraph.store.cases import Home
from casegraph.store.schema import RecoveryCodeRow
from casegraph.web.app import create_app
from casegraph.web.sessions import SESSION_COOKIE
from web_fixtures import PASSWORDS, csrf_of, login, make_client, seed_users


def _enrol(client: Any) -> tuple[str, list[str]]:
    """Turn the second factor on through the page; returns the secret and recovery codes."""
    page = client.get("/me/second-factor").text
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    response = client.post(
        "/me/second-factor",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(page)},
    )
    assert response.status_code == 200, response.text
    codes = response.text.split('id="recovery-codes">')[1].split("</ul>")[0]
    return secret, [c.split("</code>")[0] for c in codes.split("<code>")[1:]]


def _password_step(client: Any, username: str = "analyst") -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": PASSWORDS[username], "csrf_token": token},
        follow_redirects=False,
    )


def _code_step(client: Any, code: str) -> Any:
    token = csrf_of(client.get("/login/code").text)
    return client.post(
        "/login/code", data={"code": code, "csrf_token": token}, follow_redirects=False
    )


def _enrolled(home: Home) -> tuple[str, list[str]]:
    seed_users(home, "analyst")
    client = make_client(home)
    login(client, "analyst")
    return _enrol(client)


def test_enrolment_shows_the_secret_its_uri_and_a_qr_code(home: Home) -> None:
    seed_users(home, "analyst")
    client = make_client(home)
    login(client, "analyst")
    page = client.get("/me/second-factor").text
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    assert f"otpauth://totp/casegraph:analyst?secret={secret}" in page
    assert 'src="data:image/svg+xml' in page


def test_a_wrong_code_does_not_turn_the_second_factor_on(home: Home) -> None:
    seed_users(home, "analyst")
    client = make_client(home)
    login(client, "analyst")
    page = client.get("/me/second-factor").text
    response = client.post(
        "/me/second-factor", data={"code": "000000", "csrf_token": csrf_of(page)}
    )
    assert response.status_code == 400 and "not right" in response.text
    assert _password_step(make_client(home)).headers["location"] == "/dashboard"


def test_after_enrolment_the_password_alone_does_not_log_in(home: Home) -> None:
    _enrolled(home)
    client = make_client(home)
    response = _password_step(client)
    assert response.headers["location"].startswith("/login/code")
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith("/login")


def test_the_right_code_completes_the_login(home: Home) -> None:
    secret, _ = _enrolled(home)
    client = make_client(home)
    _password_step(client)
    half = client.cookies[SESSION_COOKIE]
    totp = pyotp.TOTP(secret)
    # the code enrolment used is spent; take the next step's code (valid within the drift)
    response = _code_step(client, totp.at(time.time() + totp.interval))
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    assert client.cookies[SESSION_COOKIE] != half


def test_a_code_is_accepted_once(home: Home) -> None:
    secret, _ = _enrolled(home)
    totp = pyotp.TOTP(secret)
    code = totp.at(time.time() + totp.interval)
    first = make_client(home)
    _password_step(first)
    assert _code_step(first, code).status_code == 303
    second = make_client(home)
    _password_step(second)
    assert _code_step(second, code).status_code == 401


def test_wrong_codes_count_towards_the_account_lockout(home: Home) -> None:
    _enrolled(home)
    # another address than the enrolment's, whose bucket (shared, as by workers) is part spent
    client = TestClient(create_app(home, login_burst=50), client=("192.0.2.5", 40000))
    _password_step(client)
    codes = [_code_step(client, "123456").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]


def test_a_recovery_code_logs_in_once(home: Home) -> None:
    _, recovery = _enrolled(home)
    assert len(recovery) == 10 and len(set(recovery)) == 10
    first = make_client(home)
    _password_step(first)
    assert _code_step(first, recovery[0].lower()).status_code == 303
    again = make_client(home)
    _password_step(again)
    assert _code_step(again, recovery[0]).status_code == 401


def test_recovery_codes_are_stored_hashed(home: Home) -> None:
    _, recovery = _enrolled(home)
    with home.installation_sessions()() as session:
        stored = session.scalars(select(RecoveryCodeRow.code_hash)).all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in " ".join(stored) for code in recovery)


def test_a_code_without_the_password_step_leads_back_to_login(home: Home) -> None:
    secret, _ = _enrolled(home)
    response = _code_step(make_client(home), pyotp.TOTP(secret).now())
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_the_user_turns_it_off_with_the_password(home: Home) -> None:
    secret, _ = _enrolled(home)
    client = make_client(home)
    _password_step(client)
    totp = pyotp.TOTP(secret)
    _code_step(client, totp.at(time.time() + totp.interval))
    page = client.get("/me/second-factor").text
    wrong = client.post(
        "/me/second-factor/off", data={"password": "not-it-at-all", "csrf_token": csrf_of(page)}
    )
    assert wrong.status_code == 400
    client.post(
        "/me/second-factor/off",
        data={"password": PASSWORDS["analyst"], "csrf_token": csrf_of(page)},
    )
    assert _password_step(make_client(home)).headers["location"] == "/dashboard"


def test_an_admin_removes_it_from_the_cli(
    home: Home, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    _enrolled(home)
    code, out, _ = run_cli("user", "second-factor-off", "analyst")
    assert code == 0 and "removed" in out
    assert _password_step(make_client(home)).headers["location"] == "/dashboard"
