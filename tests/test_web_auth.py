"""Users, passwords, sessions, login throttling."""

from __future__ import annotations

import pytest

from casegraph.errors import InputError
from casegraph.store.cases import Home
from casegraph.store.schema import UserRow
from casegraph.web.sessions import SessionStore
from casegraph.web.users import add_user, authenticate, disable_user, list_users
from web_fixtures import csrf_of, login, make_client, seed_users


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


def test_sessions_expire_when_idle_and_when_old() -> None:
    idle = SessionStore(idle_seconds=-1, max_seconds=3600)
    assert idle.user_id(idle.create(7)) is None
    old = SessionStore(idle_seconds=3600, max_seconds=-1)
    assert old.user_id(old.create(7)) is None
    fresh = SessionStore()
    sid = fresh.create(7)
    assert fresh.user_id(sid) == 7
    fresh.end(sid)
    assert fresh.user_id(sid) is None


def test_a_user_disabled_mid_session_loses_access(home: Home) -> None:
    seed_users(home, "analyst")
    client = make_client(home)
    login(client, "analyst")
    disable_user(home, "analyst")
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
