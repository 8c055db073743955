"""The public reporting page and API: receipts, CSRF, rate and size limits, headers."""

from __future__ import annotations

import json
from typing import Any

from casegraph.intake.inbox import list_tips, triage_tip
from casegraph.intake.tips import LIMITS
from casegraph.store.cases import Home
from web_fixtures import ES_PHONES, INVITE, build_case, csrf_of, make_client


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
    assert "received and being handled" in status.text
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
    assert status.json() == {"receipt": receipt, "status": "received and being handled"}


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


def _public_answers(client: Any, **tip: Any) -> tuple[str, str, str]:
    """What the public learns about one tip: the API's status, the page's, the receipt page."""
    api = client.post("/api/public/tips", json={"platform": "whatsapp", **tip})
    assert api.status_code == 201
    receipt = api.json()["receipt"]
    page = client.get(f"/report/status?receipt={receipt}").text
    shown = page.split('id="status">')[1].split("<")[0]
    return api.json()["status"], client.get(f"/api/public/tips/{receipt}").json()["status"], shown


def test_the_public_status_does_not_tell_whether_a_tip_matched(home: Home) -> None:
    """Finding 5: a known number or group answered differently from an unknown one."""
    build_case(home)
    client = make_client(home, receipts_per_minute=600, receipt_burst=100)
    unknown = _public_answers(client, phones=["+34600009999"], group_name="Otro grupo")
    known_phone = _public_answers(client, phones=[ES_PHONES[0]])
    known_link = _public_answers(client, invite_link=INVITE)
    repeated = _public_answers(client, invite_link=INVITE)
    statuses = {tip.status for tip in list_tips(home)}
    assert {"new", "linked", "duplicate"} <= statuses  # the matching did happen inside
    assert unknown == known_phone == known_link == repeated


def test_the_receipt_page_looks_the_same_for_known_and_unknown_groups(home: Home) -> None:
    build_case(home)
    client = make_client(home)

    def receipt_page(**fields: str) -> str:
        page = _form(client, **fields).text
        receipt = page.split('id="receipt">')[1].split("<")[0]
        return page.replace(receipt, "RECEIPT")

    assert receipt_page(group_name="Grupo desconocido") == receipt_page(phones=ES_PHONES[1])


def test_a_closed_tip_says_reviewed_and_closed(home: Home) -> None:
    client = make_client(home)
    receipt = client.post(
        "/api/public/tips", json={"platform": "whatsapp", "group_name": "g"}
    ).json()["receipt"]
    triage_tip(home, receipt, "no_action", "analyst", reason="not a group")
    assert client.get(f"/api/public/tips/{receipt}").json()["status"] == "reviewed and closed"


def test_a_long_report_in_cyrillic_is_not_refused_as_too_large(home: Home) -> None:
    """Finding 8: 2,800 Cyrillic characters were 16.8 KB URL-encoded, over a 16 KB limit."""
    client = make_client(home)
    words = "Группа продаёт запрещённые материалы, ссылка пришла в личные сообщения. "
    description = (words * 80)[: LIMITS["description"]]
    response = _form(client, group_name="Группа " + "я" * 190, description=description)
    assert response.status_code == 200, response.text[:200]
    assert list_tips(home)[0].description == description.strip()


def test_the_json_api_takes_every_field_at_its_limit_in_any_script(home: Home) -> None:
    fields = {
        "platform": "telegram",
        "group_name": "𝔊" * LIMITS["group_name"],  # 4-byte characters, escaped in JSON
        "description": "𝔇" * LIMITS["description"],
        "contact": "к" * LIMITS["contact"],
    }
    body = json.dumps(fields).encode()  # ASCII escapes: the largest form of the same text
    response = make_client(home).post(
        "/api/public/tips", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201, response.text[:200]


def test_a_body_far_past_the_field_limits_is_still_refused(home: Home) -> None:
    body = b'{"platform": "whatsapp", "group_name": "' + b"x" * 200_000 + b'"}'
    response = make_client(home).post(
        "/api/public/tips", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_receipt_lookups_are_throttled_per_address(home: Home) -> None:
    client = make_client(home, receipts_per_minute=1, receipt_burst=3)
    codes = [client.get(f"/api/public/tips/TIP-AAAA-BBB{i}").status_code for i in range(2, 6)]
    assert codes == [404, 404, 404, 429]
    page = client.get("/report/status?receipt=TIP-AAAA-BBBB")
    assert page.status_code == 429 and "too many status checks" in page.text
