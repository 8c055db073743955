"""Users, passwords, sessions, login throttling."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from casegraph.errors import InputError
from casegraph.store.cases import Home
from casegraph.store.schema import UserRow, WebSessionRow
from casegraph.web.app import create_app
from casegraph.web.sessions import SESSION_COOKIE, SqlSessionStore
from casegraph.web.throttle import Lockout
from casegraph.web.users import add_user, authenticate, disable_user, list_users
from web_fixtures import PASSWORDS, csrf_of, login, make_client, seed_users


def test_passwords_are_stored_as_argon2_hashes(home: Home) -> None:
    add_user(home, "ana", "correct horse battery", "analyst")
    with home.installation_sessions()() as session:
        stored = session.query(UserRow).one().password_hash
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert authenticate(home, "ana", "correct horse battery") is not None
    assert authenticate(home, "ana", "wrong password!") is None


def test_a_liaison_user_needs_a_country(home: Home) -> None:
    with pytest.raises(InputError, match="needs --country"):
        add_user(home, "li", "long enough pass", "liaison")


def test_bad_users_are_refused_with_the_rule(home: Home) -> None:
    with pytest.raises(InputError, match="role 'boss' is not one of"):
        add_user(home, "x1", "long enough pass", "boss")
    with pytest.raises(InputError, match="password is too short"):
        add_user(home, "x2", "short", "admin")
    add_user(home, "x3", "long enough pass", "admin")
    with pytest.raises(InputError, match="already exists"):
        add_user(home, "X3", "long enough pass", "admin")


def test_a_disabled_user_cannot_log_in(home: Home) -> None:
    add_user(home, "gone", "long enough pass", "analyst")
    disable_user(home, "gone")
    assert authenticate(home, "gone", "long enough pass") is None
    assert [u.disabled for u in list_users(home)] == [True]


def test_login_opens_a_session_and_logout_ends_it(home: Home) -> None:
    seed_users(home, "analyst")
    client = make_client(home)
    login(client, "analyst")
    page = client.get("/dashboard")
    assert page.status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    after = client.get("/dashboard", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


def test_the_session_cookie_is_httponly_and_strict(home: Home) -> None:
    seed_users(home, "admin")
    client = make_client(home)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "admin", "password": "admin-pass-123", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_repeated_wrong_passwords_are_throttled(home: Home) -> None:
    seed_users(home, "admin")
    client = make_client(home, logins_per_minute=1, login_burst=3)
    token = csrf_of(client.get("/login").text)
    codes = [
        client.post(
            "/login", data={"username": "admin", "password": "nope-nope-nope", "csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    right = client.post(
        "/login", data={"username": "admin", "password": "admin-pass-123", "csrf_token": token}
    )
    assert right.status_code == 429  # even the right password waits


def test_login_without_the_form_token_is_refused(home: Home) -> None:
    seed_users(home, "admin")
    response = make_client(home).post(
        "/login", data={"username": "admin", "password": "admin-pass-123", "csrf_token": "x"}
    )
    assert response.status_code == 403


def test_sessions_expire_when_idle_and_when_old(home: Home) -> None:
    add_user(home, "ana", "correct horse battery", "analyst")
    user_id = list_users(home)[0].id
    idle = SqlSessionStore(home, idle_seconds=-1, max_seconds=3600)
    assert idle.user_id(idle.create(user_id)) is None
    old = SqlSessionStore(home, idle_seconds=3600, max_seconds=-1)
    assert old.user_id(old.create(user_id)) is None
    fresh = SqlSessionStore(home, idle_seconds=3600, max_seconds=3600)
    sid = fresh.create(user_id)
    assert fresh.user_id(sid) == user_id
    fresh.end(sid)
    assert fresh.user_id(sid) is None


def test_the_session_store_keeps_only_a_hash_of_the_cookie(home: Home) -> None:
    add_user(home, "ana", "correct horse battery", "analyst")
    sid = SqlSessionStore(home, 3600, 3600).create(list_users(home)[0].id)
    with home.installation_sessions()() as session:
        stored = session.scalars(select(WebSessionRow.id_hash)).all()
    assert len(stored) == 1 and sid not in stored[0]


def test_a_user_disabled_mid_session_loses_access(home: Home) -> None:
    seed_users(home, "analyst")
    client = make_client(home)
    login(client, "analyst")
    disable_user(home, "analyst")
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303


@pytest.mark.parametrize("weak", [" " * 10, "a" * 10, "a" * 16, "password1234", "Password2024!"])
def test_trivial_and_common_passwords_are_refused(home: Home, weak: str) -> None:
    with pytest.raises(InputError, match=r"password is too (short|weak)"):
        add_user(home, "ana", weak, "analyst")
    assert list_users(home) == []


def test_a_password_made_of_the_username_is_refused(home: Home) -> None:
    with pytest.raises(InputError, match="too weak"):
        add_user(home, "margarita.lopez", "margarita.lopez1", "analyst")


def _post_login(client: Any, username: str, password: str) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def test_wrong_passwords_from_many_addresses_lock_the_account(home: Home) -> None:
    """Finding 6: the per-address limit alone let 12 addresses take 12 guesses each."""
    seed_users(home, "admin")
    app = create_app(home, lockout=Lockout(failures=5, seconds=600))
    codes = []
    for address in range(12):
        client = TestClient(app, client=(f"192.0.2.{address + 1}", 40000))
        codes.append(_post_login(client, "admin", f"wrong-guess-{address}").status_code)
    assert codes == [401] * 5 + [429] * 7
    fresh = TestClient(app, client=("198.51.100.7", 40000))
    right = _post_login(fresh, "admin", PASSWORDS["admin"])
    assert right.status_code == 429 and "locked" in right.text
    assert SESSION_COOKIE not in fresh.cookies


def test_an_unknown_account_locks_like_a_real_one(home: Home) -> None:
    seed_users(home, "admin")
    app = create_app(home, lockout=Lockout(failures=3, seconds=600))
    client = TestClient(app, client=("192.0.2.1", 40000))
    real = [_post_login(client, "admin", "wrong-guess-x").status_code for _ in range(4)]
    other = TestClient(app, client=("192.0.2.2", 40000))
    ghost = [_post_login(other, "nobody-here", "wrong-guess-x").status_code for _ in range(4)]
    assert real == ghost == [401, 401, 401, 429]


def test_the_lockout_ends_after_its_time(home: Home) -> None:
    seed_users(home, "admin")
    app = create_app(home, lockout=Lockout(failures=2, seconds=0.5))
    client = TestClient(app, client=("192.0.2.1", 40000))
    assert [_post_login(client, "admin", "wrong-guess-x").status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]
    time.sleep(0.6)
    assert _post_login(client, "admin", PASSWORDS["admin"]).status_code == 303


def test_a_right_password_clears_the_failure_count(home: Home) -> None:
    seed_users(home, "admin")
    app = create_app(home, login_burst=20, lockout=Lockout(failures=3, seconds=600))
    client = TestClient(app, client=("192.0.2.1", 40000))
    for _ in range(2):
        assert _post_login(client, "admin", "wrong-guess-x").status_code == 401
    assert _post_login(client, "admin", PASSWORDS["admin"]).status_code == 303
    for _ in range(2):
        assert _post_login(client, "admin", "wrong-guess-x").status_code == 401
    assert _post_login(client, "admin", PASSWORDS["admin"]).status_code == 303


def test_a_new_login_ends_the_browsers_previous_session(home: Home) -> None:
    seed_users(home, "analyst", "admin")
    client = make_client(home)
    login(client, "analyst")
    first = client.cookies[SESSION_COOKIE]
    login(client, "admin")
    assert client.cookies[SESSION_COOKIE] != first
    stale = make_client(home)
    stale.cookies.set(SESSION_COOKIE, first)
    assert stale.get("/dashboard", follow_redirects=False).status_code == 303


def test_https_gives_secure_cookies_and_hsts(home: Home) -> None:
    seed_users(home, "admin")
    client = make_client(home, https=True)
    response = _post_login(client, "admin", PASSWORDS["admin"])
    assert "secure" in response.headers["set-cookie"].lower()
    assert response.headers["strict-transport-security"] == "max-age=31536000"


def test_plain_http_has_neither_secure_cookies_nor_hsts(home: Home) -> None:
    seed_users(home, "admin")
    response = _post_login(make_client(home), "admin", PASSWORDS["admin"])
    assert "secure" not in response.headers["set-cookie"].lower()
    assert "strict-transport-security" not in response.headers


def test_a_request_that_arrived_over_https_gets_secure_cookies(home: Home) -> None:
    """Behind a trusted TLS proxy uvicorn sets the scheme from X-Forwarded-Proto."""
    seed_users(home, "admin")
    client = TestClient(create_app(home), base_url="https://testserver")
    response = _post_login(client, "admin", PASSWORDS["admin"])
    assert "secure" in response.headers["set-cookie"].lower()
    assert "strict-transport-security" in response.headers


def _change_password(client: Any, current: str, new: str, repeat: str | None = None) -> Any:
    token = csrf_of(client.get("/me/password").text)
    return client.post(
        "/me/password",
        data={"current": current, "new": new, "repeat": repeat or new, "csrf_token": token},
        follow_redirects=False,
    )


def test_a_user_changes_their_password_and_other_sessions_end(home: Home) -> None:
    seed_users(home, "analyst")
    laptop, phone = make_client(home), make_client(home)
    login(laptop, "analyst")
    login(phone, "analyst")
    response = _change_password(laptop, PASSWORDS["analyst"], "violet tram sundial 42")
    assert response.status_code == 303
    assert laptop.get("/me").status_code == 200
    assert phone.get("/me", follow_redirects=False).status_code == 303
    assert authenticate(home, "analyst", "violet tram sundial 42") is not None
    assert authenticate(home, "analyst", PASSWORDS["analyst"]) is None


def test_a_password_change_needs_the_current_password_and_the_policy(home: Home) -> None:
    seed_users(home, "analyst")
    client = make_client(home)
    login(client, "analyst")
    wrong = _change_password(client, "not-my-password", "violet tram sundial 42")
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    weak = _change_password(client, PASSWORDS["analyst"], "aaaaaaaaaaaa")
    assert weak.status_code == 400 and "too weak" in weak.text
    differ = _change_password(client, PASSWORDS["analyst"], "violet tram sundial 42", "x")
    assert differ.status_code == 400 and "differ" in differ.text
    assert authenticate(home, "analyst", PASSWORDS["analyst"]) is not None


def test_the_cli_sets_a_password_and_ends_the_users_sessions(
    home: Home, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    seed_users(home, "analyst")
    client = make_client(home)
    login(client, "analyst")
    code, out, _ = run_cli("user", "passwd", "analyst", "--password", "amber kiosk lantern 7")
    assert code == 0 and "password of analyst changed" in out
    assert client.get("/me", follow_redirects=False).status_code == 303
    assert authenticate(home, "analyst", "amber kiosk lantern 7") is not None


def test_the_cli_refuses_a_weak_password_with_one_line(
    home: Home, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    seed_users(home, "analyst")
    code, _, err = run_cli("user", "passwd", "analyst", "--password", "aaaaaaaaaaaa")
    assert code != 0 and "password is too weak" in err
    assert authenticate(home, "analyst", PASSWORDS["analyst"]) is not None


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "https://evil.example/"])
def test_login_never_sends_the_browser_to_another_site(home: Home, target: str) -> None:
    seed_users(home, "analyst")
    client = make_client(home)
    token = csrf_of(client.get("/login").text)
    data = {
        "username": "analyst",
        "password": PASSWORDS["analyst"],
        "csrf_token": token,
        "next": target,
    }
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.headers["location"] == "/dashboard"


def test_the_demo_logins_meet_the_password_policy(home: Home) -> None:
    from casegraph.web.demo import seed_demo_users

    logins = seed_demo_users(home)
    assert len(logins) == 6
    assert all(authenticate(home, username, password) for username, password, _ in logins)
