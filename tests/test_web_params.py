"""Bad query values are the client's mistake: a 400 with a message, never a 500 (finding 8).

Also the API's own description: local Swagger assets, behind login, no manifest served.
"""

from __future__ import annotations

from typing import Any

import pytest

from casegraph.store.cases import Home
from casegraph.web.app import FRONTEND
from web_fixtures import PARENT_TITLE, Built, build_case, login, make_client, seed_users


@pytest.fixture
def admin(home: Home) -> tuple[Any, Built]:
    built = build_case(home)
    seed_users(home, "admin")
    client = make_client(home)
    login(client, "admin")
    return client, built


def _paths(built: Built) -> dict[str, str]:
    case = f"/cases/{built.case}"
    return {
        "timeline": f"{case}/chats/{built.chats[PARENT_TITLE]}",
        "accounts": f"{case}/accounts",
        "case audit": f"{case}/audit",
        "audit": "/audit",
        "media": f"{case}/media",
    }


@pytest.mark.parametrize("where", ["timeline", "accounts", "case audit", "audit", "media"])
@pytest.mark.parametrize("api", [False, True])
def test_a_page_number_past_any_case_is_a_400(
    admin: tuple[Any, Built], where: str, api: bool
) -> None:
    client, built = admin
    path = ("/api" if api else "") + _paths(built)[where]
    response = client.get(f"{path}?page={10**18}")
    assert response.status_code == 400
    assert "page" in response.text and "less than or equal to 1000000" in response.text


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1e3"])
def test_a_page_that_is_not_a_positive_number_is_a_400(
    admin: tuple[Any, Built], value: str
) -> None:
    client, built = admin
    response = client.get(f"/api{_paths(built)['accounts']}?page={value}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("page: ")


@pytest.mark.parametrize("field", ["until", "since"])
def test_a_day_far_in_the_future_is_a_400_not_an_overflow(
    admin: tuple[Any, Built], field: str
) -> None:
    client, built = admin
    response = client.get(f"/api{_paths(built)['timeline']}?{field}=9999-12-31")
    assert response.status_code == 400
    assert response.json()["detail"] == f"{field}: 9999-12-31 is outside 1900-01-01 to 2199-12-31"


def test_a_day_that_is_not_a_date_is_a_400_on_the_page_too(admin: tuple[Any, Built]) -> None:
    client, built = admin
    response = client.get(f"{_paths(built)['timeline']}?until=31/12/2024")
    assert response.status_code == 400
    assert "is not a day; write it as YYYY-MM-DD" in response.text


def test_good_values_still_filter(admin: tuple[Any, Built]) -> None:
    client, built = admin
    path = f"/api{_paths(built)['timeline']}"
    everything = client.get(path).json()["messages"]
    none_after = client.get(f"{path}?since=2199-12-31").json()["messages"]
    assert everything and none_after == []


@pytest.mark.parametrize("path", ["/api/docs", "/api/openapi.json"])
def test_the_api_description_needs_a_login(home: Home, path: str) -> None:
    assert make_client(home).get(path).status_code == 401


def test_the_api_description_is_there_for_a_logged_in_user(admin: tuple[Any, Built]) -> None:
    client, _ = admin
    spec = client.get("/api/openapi.json").json()
    assert "/api/public/tips" in spec["paths"]
    page = client.get("/api/docs").text
    assert "/vendor/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "<script>" not in page and "cdn" not in page.lower()


@pytest.mark.skipif(
    not (FRONTEND / "swagger-ui-dist").is_dir(),
    reason="browser libraries not installed: npm ci --prefix src/casegraph/web/frontend",
)
def test_swagger_ui_is_served_from_the_installed_package(home: Home) -> None:
    response = make_client(home).get("/vendor/swagger-ui-dist/swagger-ui-bundle.js")
    assert response.status_code == 200 and "SwaggerUIBundle" in response.text


@pytest.mark.skipif(not FRONTEND.is_dir(), reason="browser libraries not installed (npm ci)")
@pytest.mark.parametrize(
    "path", ["/vendor/.package-lock.json", "/vendor/htmx.org/package.json", "/vendor/x/README.md"]
)
def test_the_vendor_folder_serves_no_manifest(home: Home, path: str) -> None:
    assert make_client(home).get(path).status_code == 404
