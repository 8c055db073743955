"""Need-to-know: every route against every role, and a liaison officer's country boundary.

The matrix is built from the application's own route table, so a new route without an
access rule here fails the test.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from casegraph.exchange.package import refer
from casegraph.intake.inbox import submit_tip
from casegraph.jobs.queue import submit
from casegraph.jobs.uploads import start_upload
from casegraph.store.cases import Home, dispose_engines
from scope_check import flat_routes
from web_fixtures import (
    ES_PHONES,
    KEY_PASSPHRASE,
    MX_PHONES,
    Built,
    add_referral_keys,
    build_case,
    csrf_of,
    login,
    make_client,
    seed_users,
)

READ = {"admin", "analyst", "reviewer", "liaison"}
ALL = {"admin", "analyst", "reviewer", "liaison", "auditor"}
PUBLIC = ALL | {"anonymous"}
EDIT = {"admin", "analyst"}
# path template -> roles that get 200 (GET) or are let through (POST)
EXPECTED: dict[str, set[str]] = {
    "/": PUBLIC,
    "/report": PUBLIC,
    "/report/status": PUBLIC,
    "/login": PUBLIC,
    "/login/code": PUBLIC,
    "/me/password": ALL,
    "/me/second-factor": ALL,
    "/me/second-factor/off": ALL,
    "/api/public/tips": PUBLIC,
    "/api/public/tips/{receipt}": PUBLIC,
    "/logout": ALL,
    "/me": ALL,
    "/api/me": ALL,
    "/dashboard": READ,
    "/api/dashboard": READ,
    "/map": READ,
    "/api/map": READ,
    "/cases": READ,
    "/api/cases": READ,
    "/cases/{name}": READ,
    "/api/cases/{name}": READ,
    "/cases/{name}/chats": READ,
    "/api/cases/{name}/chats": READ,
    "/cases/{name}/chats/{key}": READ,
    "/api/cases/{name}/chats/{key}": READ,
    "/cases/{name}/accounts": READ,
    "/api/cases/{name}/accounts": READ,
    "/cases/{name}/accounts/{key}": READ,
    "/api/cases/{name}/accounts/{key}": READ,
    "/cases/{name}/key-actors": READ,
    "/api/cases/{name}/key-actors": READ,
    "/cases/{name}/graph": READ,
    "/api/cases/{name}/graph": READ,
    "/cases/{name}/lineage": READ,
    "/api/cases/{name}/lineage": READ,
    "/cases/{name}/cascades": READ,
    "/api/cases/{name}/cascades": READ,
    "/cases/{name}/media": READ,
    "/api/cases/{name}/media": READ,
    "/cases/{name}/media/{sha256}/thumb": READ,
    "/cases/{name}/media/{sha256}/reveal": {"reviewer"},
    "/cases/{name}/investigations": READ,
    "/api/cases/{name}/investigations": READ,
    "/cases/{name}/investigations/{country}/referral.json": READ,
    "/api/cases/{name}/investigations/{country}/referral": READ,
    "/cases/{name}/investigations/{country}/status": EDIT,
    "/api/cases/{name}/investigations/{country}/status": EDIT,
    "/cases/{name}/investigations/{country}/outcome": EDIT,
    "/api/cases/{name}/investigations/{country}/outcome": EDIT,
    "/cases/{name}/investigations/{country}/packages": EDIT,
    "/api/cases/{name}/investigations/{country}/packages": EDIT,
    "/cases/{name}/investigations/{country}/packages/{filename}": EDIT,
    "/api/cases/{name}/investigations/{country}/packages/{filename}": EDIT,
    "/cases/{name}/persons/merge": EDIT,
    "/api/cases/{name}/persons/merge": EDIT,
    "/cases/{name}/accounts/{key}/split": EDIT,
    "/api/cases/{name}/accounts/{key}/split": EDIT,
    "/cases/{name}/audit": {"admin", "auditor"},
    "/api/cases/{name}/audit": {"admin", "auditor"},
    "/audit": {"admin", "auditor"},
    "/api/audit": {"admin", "auditor"},
    "/tips": {"admin", "analyst"},
    "/api/tips": {"admin", "analyst"},
    "/tips/{receipt}": {"admin", "analyst"},
    "/api/tips/{receipt}": {"admin", "analyst"},
    "/tips/{receipt}/triage": {"admin", "analyst"},
    "/cases/{name}/responses": EDIT,
    "/api/cases/{name}/responses": EDIT,
    "/cases/{name}/investigations/{country}/responses": EDIT,
    "/api/cases/{name}/investigations/{country}/responses": EDIT,
    "/cases/new": EDIT,
    "/api/cases/new": EDIT,
    "/cases/{name}/jobs": EDIT,
    "/api/cases/{name}/jobs": EDIT,
    "/cases/{name}/jobs/{kind}": EDIT,
    "/api/cases/{name}/jobs/{kind}": EDIT,
    "/cases/{name}/jobs/{job_id}/cancel": EDIT,
    "/api/cases/{name}/jobs/{job_id}/cancel": EDIT,
    "/api/jobs/{job_id}": EDIT,
    "/cases/{name}/upload": EDIT,
    "/api/cases/{name}/uploads": EDIT,
    "/api/uploads/{upload_id}": EDIT,
    "/api/uploads/{upload_id}/finish": EDIT,
}
JOB: dict[str, str] = {}  # a queued job and a started upload of the world's case
DOCS = {"/api/openapi.json", "/api/docs", "/api/docs/oauth2-redirect"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, Built, str, str]]:
    home = Home(Path(tmp_path_factory.mktemp("access")) / "home")
    built = build_case(home)
    seed_users(home)
    receipt = submit_tip(home, {"platform": "whatsapp", "phones": ES_PHONES[0]}).receipt
    _, partner = add_referral_keys(home)
    out_dir = home.case_dir(built.case) / "referrals" / "ES"
    package = refer(home, built.case, "ES", partner, out_dir, passphrase=KEY_PASSPHRASE).package
    JOB["id"] = submit(home, built.case, "analyze", {}, "analyst")
    JOB["upload"] = start_upload(home, built.case, "export", "chat.txt", 10, "analyst").id
    yield home, built, receipt, package.name
    dispose_engines()


@pytest.fixture(scope="module")
def clients(world: tuple[Home, Built, str, str]) -> dict[str, Any]:
    home = world[0]
    out: dict[str, Any] = {"anonymous": make_client(home)}
    for role in (*sorted(ALL), "liaison-mx"):
        client = make_client(home)
        login(client, role)
        out[role] = client
    # one app per client is fine: each has its own sessions; share nothing between roles
    return out


def _routes(client: Any) -> list[tuple[str, str]]:
    found = []
    for path, route in flat_routes(client.app.routes):
        if isinstance(route, APIRoute) and path not in DOCS:
            found += [(method, path) for method in sorted((route.methods or set()) - {"HEAD"})]
    assert len(found) > 50, "the route table was not read"
    return found


def _url(
    template: str,
    built: Built,
    receipt: str,
    account: str,
    chat: str,
    media: str,
    country: str,
    package: str,
) -> str:
    values = {
        "filename": package,
        "name": built.case,
        "receipt": receipt,
        "sha256": media,
        "country": country,
        "key": chat if "/chats/" in template else account,
        "kind": "match",
        "job_id": JOB["id"],
        "upload_id": JOB["upload"],
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


def _call(client: Any, method: str, url: str) -> int:
    if method == "GET":
        return int(client.get(url, follow_redirects=False).status_code)
    token = csrf_of(client.get("/report").text) if method == "POST" else ""
    data = {
        "csrf_token": token,
        "reason": "matrix test reason",
        "status": "referred",
        "account": "",
        "accounts": "",
        # a fresh wrong login name each time: six empty-name failures would lock "" itself
        "username": f"nobody-{uuid.uuid4().hex[:8]}",
    }
    if method == "PUT":
        token = csrf_of(client.get("/report").text)
        return int(client.put(url, content=b"", headers={"X-CSRF-Token": token}).status_code)
    if url == "/api/public/tips":
        return int(client.post(url, json={"platform": "signal", "group_name": "m"}).status_code)
    return int(client.post(url, data=data, follow_redirects=False).status_code)


def test_every_route_has_an_access_rule(clients: dict[str, Any]) -> None:
    missing = {path for _, path in _routes(clients["admin"])} - set(EXPECTED)
    assert missing == set()


@pytest.mark.parametrize(
    "role", ["anonymous", "admin", "analyst", "reviewer", "liaison", "auditor"]
)
def test_role_by_route_matrix(
    role: str, clients: dict[str, Any], world: tuple[Home, Built, str, str]
) -> None:
    _, built, receipt, package = world
    client = clients[role]
    wrong: list[str] = []
    for method, template in _routes(client):
        if template in ("/logout",):
            continue  # would end the session the rest of the matrix uses
        url = _url(
            template,
            built,
            receipt,
            built.accounts[ES_PHONES[0]],
            built.chats["Sunrise Stickers"],
            built.plain_media,
            "ES",
            package,
        )
        code = _call(client, method, url)
        if (method, template) == ("POST", "/login"):  # an empty form: wrong credentials
            if code != 401:
                wrong.append(f"POST /login: {code}, expected 401 for an empty form")
            continue
        allowed = role in EXPECTED[template]
        if allowed and (code in (401, 403) or (method == "GET" and code != 200)):
            wrong.append(f"{method} {template}: {code}, expected access")
        if not allowed and code not in (401, 403) and not (role == "anonymous" and code == 303):
            wrong.append(f"{method} {template}: {code}, expected refusal")
    assert wrong == []


def test_a_liaison_officer_cannot_see_another_countrys_data(
    clients: dict[str, Any], world: tuple[Home, Built, str, str]
) -> None:
    _, built, _, _ = world
    client = clients["liaison"]
    mx_account = built.accounts[MX_PHONES[1]]
    for url in (
        f"/cases/{built.case}/accounts/{mx_account}",
        f"/api/cases/{built.case}/accounts/{mx_account}",
        f"/api/cases/{built.case}/investigations/MX/referral",
        f"/cases/{built.case}/investigations/MX/referral.json",
        f"/cases/{built.case}/media/{built.video_media}/thumb",
    ):
        assert client.get(url).status_code == 404, url
    accounts = client.get(f"/api/cases/{built.case}/accounts").json()["accounts"]
    assert {a["identifier"] for a in accounts} == set(ES_PHONES)
    graph = client.get(f"/api/cases/{built.case}/graph").json()
    assert {n["country"] for n in graph["nodes"] if n["type"] == "account"} == {"ES"}
    investigations = client.get(f"/api/cases/{built.case}/investigations").json()
    assert [i["country"] for i in investigations["investigations"]] == ["ES"]
    chat = built.chats["Sunrise Stickers Reserve"]
    timeline = client.get(f"/api/cases/{built.case}/chats/{chat}").json()
    assert {m["author_identifier"] for m in timeline["messages"]} == {ES_PHONES[0]}
    media = client.get(f"/api/cases/{built.case}/media").json()["media"]
    assert built.video_media not in {m["sha256"] for m in media}


def test_a_liaison_officer_sees_nothing_before_a_referral(
    clients: dict[str, Any], world: tuple[Home, Built, str, str]
) -> None:
    _, built, _, _ = world
    client = clients["liaison-mx"]  # the MX investigation is only proposed
    assert client.get("/api/cases").json() == {"cases": []}
    assert client.get(f"/api/cases/{built.case}").status_code == 404
    assert client.get(f"/api/cases/{built.case}/chats").status_code == 404
    assert client.get("/api/dashboard").json()["investigations"] == []
