"""Several web workers over one home behave as one (issue 13): sessions, limits and lockouts
live in the installation database (SQLite or PostgreSQL), or in Redis when configured.

Two `create_app` instances over one home stand for two `serve --workers` processes; the last
test starts a real `serve --workers 2`. Forwarded headers are believed only from the proxies
named with `--forwarded-allow-ips` (finding 6).
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from casegraph.cli_web import uvicorn_options
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.db import normalise_url
from casegraph.web.app import create_app
from casegraph.web.sessions import SESSION_COOKIE
from casegraph.web.shared import REDIS_ENV
from casegraph.web.throttle import Lockout
from web_fixtures import PASSWORDS, csrf_of, login, seed_users

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("CASEGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_REQUIRED = os.environ.get("CASEGRAPH_REQUIRE_REDIS") == "1"


def _pg_admin() -> Any:
    base = os.environ.get("CASEGRAPH_TEST_PG_URL", DEFAULT_PG)
    return create_engine(normalise_url(base))


def _redis_or_skip() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} does not answer ({exc}); set CASEGRAPH_TEST_REDIS_URL"
        if REDIS_REQUIRED:
            pytest.fail(message + " — CI requires the Redis tests")
        pytest.skip(message)
    return client


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "redis"])
def shared_home(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Home]:
    """One home, its shared web state in the database or in Redis."""
    monkeypatch.delenv(REDIS_ENV, raising=False)
    schema = None
    if request.param == "postgresql":
        request.getfixturevalue("pg_url")  # skips (or fails in CI) when no server answers
        schema = f"cg_web_{uuid.uuid4().hex[:10]}"  # users and limits are installation-wide
        with _pg_admin().begin() as connection:
            connection.execute(text(f"create schema {schema}"))
        base = os.environ.get("CASEGRAPH_TEST_PG_URL", DEFAULT_PG)
        separator = "&" if "?" in base else "?"
        home = Home(tmp_path / "home", db_url=f"{base}{separator}options=-csearch_path%3D{schema}")
    else:
        home = Home(tmp_path / "home")
    client = None
    if request.param == "redis":
        client = _redis_or_skip()
        monkeypatch.setenv(REDIS_ENV, REDIS_URL)
    yield home
    if client is not None:
        from casegraph.web.shared import redis_prefix

        for key in client.scan_iter(f"{redis_prefix(home)}*"):
            client.delete(key)
    dispose_engines()
    if schema is not None:
        with _pg_admin().begin() as connection:
            connection.execute(text(f"drop schema {schema} cascade"))


def _workers(home: Home, **options: Any) -> tuple[Any, Any]:
    return create_app(home, **options), create_app(home, **options)


def _client(app: Any, address: str = "192.0.2.1") -> TestClient:
    return TestClient(app, client=(address, 40000))


def test_a_session_made_by_one_worker_is_valid_in_the_other(shared_home: Home) -> None:
    seed_users(shared_home, "analyst")
    first, second = _workers(shared_home)
    browser = _client(first)
    login(browser, "analyst")
    elsewhere = _client(second)
    elsewhere.cookies.set(SESSION_COOKIE, browser.cookies[SESSION_COOKIE])
    assert elsewhere.get("/api/me").json()["user"]["username"] == "analyst"


def test_a_logout_in_one_worker_ends_the_session_in_the_other(shared_home: Home) -> None:
    seed_users(shared_home, "analyst")
    first, second = _workers(shared_home)
    browser = _client(first)
    login(browser, "analyst")
    sid = browser.cookies[SESSION_COOKIE]
    browser.post("/logout", data={"csrf_token": csrf_of(browser.get("/me").text)})
    elsewhere = _client(second)
    elsewhere.cookies.set(SESSION_COOKIE, sid)
    assert elsewhere.get("/api/me").status_code == 401


def test_a_form_from_one_worker_posts_to_the_other(shared_home: Home) -> None:
    """The CSRF key is the installation's, not each process's."""
    seed_users(shared_home, "analyst")
    first, second = _workers(shared_home)
    page = _client(first)
    page.get("/login")
    other = _client(second)
    other.cookies.update(page.cookies)
    token = csrf_of(page.get("/login").text)
    response = other.post(
        "/login",
        data={"username": "analyst", "password": PASSWORDS["analyst"], "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_lockout_in_one_worker_holds_in_the_other(shared_home: Home) -> None:
    seed_users(shared_home, "admin")
    first, second = _workers(shared_home, lockout=Lockout(failures=3, seconds=600))
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        client = _client(first, address)
        token = csrf_of(client.get("/login").text)
        data = {"username": "admin", "password": "wrong-guess-x", "csrf_token": token}
        assert client.post("/login", data=data).status_code == 401
    other = _client(second, "198.51.100.9")
    token = csrf_of(other.get("/login").text)
    data = {"username": "admin", "password": PASSWORDS["admin"], "csrf_token": token}
    response = other.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 429 and "locked" in response.text


def test_an_address_limit_counts_across_workers(shared_home: Home) -> None:
    first, second = _workers(shared_home, tips_per_minute=1, tip_burst=2)
    tip = {"platform": "whatsapp", "group_name": "Grupo compartido"}
    codes = [
        _client(app).post("/api/public/tips", json=tip).status_code
        for app in (first, second, first, second)
    ]
    assert codes == [201, 201, 429, 429]


def test_disabling_a_user_from_the_cli_ends_their_sessions_everywhere(
    shared_home: Home,
) -> None:
    from casegraph.web.users import disable_user

    seed_users(shared_home, "analyst")
    first, _ = _workers(shared_home)
    browser = _client(first)
    login(browser, "analyst")
    disable_user(shared_home, "analyst")
    from casegraph.web.sessions import session_store

    assert session_store(shared_home).get(browser.cookies[SESSION_COOKIE]) is None


class _Server:
    """uvicorn with the options `serve` builds, on a free port, in a thread."""

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        options = {k: v for k, v in options.items() if k != "workers"}
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        scheme = "https" if self.server.config.ssl_certfile else "http"
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        return f"{scheme}://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _tips_from_rotating_addresses(url: str) -> list[int]:
    tip = {"platform": "whatsapp", "group_name": "Grupo rotado"}
    return [
        httpx.post(
            f"{url}/api/public/tips", json=tip, headers={"X-Forwarded-For": f"203.0.113.{i}"}
        ).status_code
        for i in range(1, 4)
    ]


def test_a_local_client_cannot_pick_its_address_with_forwarded_headers(home: Home) -> None:
    """Finding 6: uvicorn's default believed X-Forwarded-For from loopback."""
    app = create_app(home, tips_per_minute=1, tip_burst=2)
    with _Server(app, uvicorn_options()) as url:
        assert _tips_from_rotating_addresses(url) == [201, 201, 429]


def test_a_named_proxy_is_believed(home: Home) -> None:
    app = create_app(home, tips_per_minute=1, tip_burst=2)
    with _Server(app, uvicorn_options(forwarded_allow_ips="127.0.0.1")) as url:
        assert _tips_from_rotating_addresses(url) == [201, 201, 201]


def test_serve_refuses_half_a_tls_setup_with_one_line(tmp_path: Path) -> None:
    from casegraph.errors import InputError

    with pytest.raises(InputError, match="needs both --certfile and --keyfile"):
        uvicorn_options(certfile=tmp_path / "cert.pem")
    with pytest.raises(InputError, match="no such file"):
        uvicorn_options(certfile=tmp_path / "cert.pem", keyfile=tmp_path / "key.pem")


def test_serve_with_two_workers_keeps_one_login(home: Home, tmp_path: Path) -> None:
    """A real `serve --workers 2`: every request on a new connection, the session holds."""
    seed_users(home, "analyst")
    dispose_engines()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-c", "from casegraph.cli import main; main()"]
    args = ["--home", str(home.root), "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(
        command + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=os.environ.copy()
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # three interpreters start; slow on a busy machine
        while True:
            try:
                httpx.get(f"{url}/login", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "serve --workers 2 did not start"
                time.sleep(0.2)
        with httpx.Client(base_url=url) as browser:
            token = csrf_of(browser.get("/login").text)
            data = {"username": "analyst", "password": PASSWORDS["analyst"], "csrf_token": token}
            assert browser.post("/login", data=data).status_code == 303
            cookies = dict(browser.cookies)
        answers = []
        for _ in range(12):  # a fresh connection each time: the workers take turns
            with httpx.Client(base_url=url, cookies=cookies) as fresh:
                answers.append(fresh.get("/api/me").status_code)
        assert answers == [200] * 12
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(children) >= 2
    finally:
        server.terminate()
        server.wait(timeout=30)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1, made with `cryptography`."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "casegraph test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_serve_over_tls_gives_secure_cookies_and_hsts(home: Home, tmp_path: Path) -> None:
    """Finding 7: `serve --certfile/--keyfile` (create_app(https=...) was unreachable)."""
    seed_users(home, "analyst")
    cert, key = _self_signed(tmp_path)
    options = uvicorn_options(certfile=cert, keyfile=key)
    with _Server(create_app(home, https=True), options) as url:
        assert url.startswith("https://")
        trust = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=url, verify=trust) as browser:
            page = browser.get("/login")
            assert page.headers["strict-transport-security"] == "max-age=31536000"
            data = {
                "username": "analyst",
                "password": PASSWORDS["analyst"],
                "csrf_token": csrf_of(page.text),
            }
            response = browser.post("/login", data=data)
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()


def test_each_worker_builds_its_app_from_what_serve_put_in_the_environment(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casegraph.web.app import app_from_environment

    monkeypatch.setenv("CASEGRAPH_HOME", str(home.root))
    monkeypatch.setenv("CASEGRAPH_HTTPS", "1")
    monkeypatch.delenv("CASEGRAPH_DB_URL", raising=False)
    app = app_from_environment()
    assert app.state.web.home.root == home.root and app.state.web.https
