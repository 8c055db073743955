"""The API docs page works in a real browser under the app's own CSP, from local assets only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casegraph.store.cases import Home
from casegraph.web.app import FRONTEND, create_app
from web_fixtures import PASSWORDS, LiveServer, seed_users


@pytest.mark.skipif(
    not (FRONTEND / "swagger-ui-dist").is_dir(),
    reason="browser libraries not installed: npm ci --prefix src/casegraph/web/frontend",
)
def test_swagger_ui_renders_the_api_for_a_logged_in_user(
    browser: Any, screenshots: Path, home: Home
) -> None:
    seed_users(home, "analyst")
    with LiveServer(create_app(home)) as server:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else 0)
        page.goto(f"{server.url}/login?next=/api/docs")
        page.fill("input[name=username]", "analyst")
        page.fill("input[name=password]", PASSWORDS["analyst"])
        page.click("button[type=submit]")
        page.wait_for_selector(".opblock-tag", timeout=20_000)
        assert "/api/public/tips" in page.text_content("#swagger-ui")
        page.screenshot(path=str(screenshots / "web-api-docs.png"))
        assert all(url.startswith(server.url) for url in requests), requests
        assert refused == []
