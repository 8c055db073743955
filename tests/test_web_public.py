"""The public reporting page and API: receipts, CSRF, rate and size limits, headers."""

from __future__ import annotations

from typing import Any

from casegraph.intake.inbox import list_tips
from casegraph.store.cases import Home
from web_fixtures import ES_PHONES, build_case, csrf_of, make_client


def _form(client: Any, **fields: str) -> Any:
    page = client.get("/report")
    data = {"csrf_token": csrf_of(page.text), "platform": "whatsapp", **fields}
    return client.post("/report", data=data)


def test_the_form_tells_people_not_to_upload_or_forward_images(home: Home) -> None:
    page = make_client(home).get("/report")
    assert "Never upload, forward or screenshot images or videos" in page.text
    assert 'type="file"' not in page.text


def test_a_member_of_the_public_gets_a_receipt(home: Home) -> None:
    client = make_client(home)
    response = _form(client, group_name="Pegatinas Raras", contact="")
    assert response.status_code == 200
    receipt = response.text.split('id="receipt">')[1].split("<")[0]
    status = client.get(f"/report/status?receipt={receipt}")
    assert "received, waiting for review" in status.text
    assert [t.receipt for t in list_tips(home)] == [receipt]


def test_a_post_without_the_form_token_is_refused(home: Home) -> None:
    client = make_client(home)
    client.get("/report")
    response = client.post(
        "/report", data={"platform": "whatsapp", "group_name": "x", "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert list_tips(home) == []


def test_bad_input_comes_back_with_the_reason_and_the_form_filled(home: Home) -> None:
    response = _form(make_client(home), invite_link="https://example.org/x", group_name="Keep")
    assert response.status_code == 400
    assert "is not a WhatsApp, Telegram or Signal group link" in response.text
    assert 'value="Keep"' in response.text


def test_too_many_reports_from_one_address_are_slowed_down(home: Home) -> None:
    client = make_client(home, tips_per_minute=1, tip_burst=2)
    codes = [_form(client, group_name=f"g{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert len(list_tips(home)) == 2


def test_oversized_bodies_are_refused(home: Home) -> None:
    client = make_client(home)
    response = client.post(
        "/api/public/tips",
        content=b'{"platform": "whatsapp", "group_name": "' + b"x" * 20000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


def test_the_json_api_files_a_tip_and_links_it(home: Home) -> None:
    build_case(home)
    client = make_client(home)
    response = client.post(
        "/api/public/tips", json={"platform": "whatsapp", "phones": [ES_PHONES[2]]}
    )
    assert response.status_code == 201
    receipt = response.json()["receipt"]
    assert list_tips(home)[0].linked_cases == ["op-alpha"]
    status = client.get(f"/api/public/tips/{receipt}")
    assert status.json() == {"receipt": receipt, "status": "received and under review"}


def test_the_json_api_rejects_bad_input_with_one_line(home: Home) -> None:
    response = make_client(home).post(
        "/api/public/tips", json={"platform": "fax", "group_name": "g"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("platform 'fax' is not one of")


def test_every_response_carries_the_security_headers(home: Home) -> None:
    headers = make_client(home).get("/report").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "media-src 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "autoplay=()" in headers["permissions-policy"]
