"""Workspace behaviour: what each page shows, exposure-safe media, audited acts."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from casegraph.intake.inbox import submit_tip
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.schema import PersonDecisionRow
from web_fixtures import (
    ES_PHONES,
    MX_PHONES,
    Built,
    build_case,
    csrf_of,
    login,
    make_client,
    seed_users,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, Built]]:
    home = Home(Path(tmp_path_factory.mktemp("pages")) / "home")
    built = build_case(home)
    seed_users(home)
    yield home, built
    dispose_engines()


@pytest.fixture(scope="module")
def analyst(world: tuple[Home, Built]) -> Any:
    client = make_client(world[0])
    login(client, "analyst")
    return client


@pytest.fixture(scope="module")
def reviewer(world: tuple[Home, Built]) -> Any:
    client = make_client(world[0])
    login(client, "reviewer")
    return client


def _token(client: Any) -> str:
    return csrf_of(client.get("/me").text)


def test_dashboard_sums_the_investigations(analyst: Any) -> None:
    data = analyst.get("/api/dashboard").json()
    assert data["totals"] == {
        "investigations": 2,
        "arrests": 3,
        "suspects": 5,
        "minors": 2,
        "average_age": 34.7,
    }
    assert data["by_country"] == {"ES": 3, "MX": 2}
    page = analyst.get("/dashboard").text
    assert 'aria-label="accounts per country"' in page and "<rect" in page


def test_full_text_search_finds_the_message(analyst: Any, world: tuple[Home, Built]) -> None:
    _, built = world
    chat = built.chats["Sunrise Stickers"]
    found = analyst.get(f"/api/cases/{built.case}/chats/{chat}?q=PalabraUnica").json()
    assert [m["text"] for m in found["messages"]] == ["palabraunica del grupo Sunrise Stickers"]


def test_search_syntax_in_user_words_is_harmless(analyst: Any, world: tuple[Home, Built]) -> None:
    _, built = world
    chat = built.chats["Sunrise Stickers"]
    response = analyst.get(f'/api/cases/{built.case}/chats/{chat}?q="grupo" OR (NEAR*')
    assert response.status_code == 200


def test_timeline_filters_by_author_and_day(analyst: Any, world: tuple[Home, Built]) -> None:
    _, built = world
    chat, author = built.chats["Sunrise Stickers"], built.accounts[ES_PHONES[1]]
    data = analyst.get(
        f"/api/cases/{built.case}/chats/{chat}?author={author}&since=2024-03-01&until=2024-03-01"
    ).json()
    assert {m["author_identifier"] for m in data["messages"]} == {ES_PHONES[1]}
    assert all(m["at"].startswith("2024-03-01") for m in data["messages"])
    assert len(data["messages"]) == 4  # seq 1, 5, 9, 13 fall on 1 March in Madrid


def test_timeline_shows_system_events(analyst: Any, world: tuple[Home, Built]) -> None:
    _, built = world
    data = analyst.get(f"/api/cases/{built.case}/chats/{built.chats['Sunrise Stickers']}").json()
    assert [e["type"] for e in data["events"]] == ["created", "admin_changed"]


def test_graph_filters_by_role(analyst: Any, world: tuple[Home, Built]) -> None:
    _, built = world
    data = analyst.get(f"/api/cases/{built.case}/graph?role=creator").json()
    assert sorted(n["identifier"] for n in data["nodes"] if n["type"] == "account") == sorted(
        [ES_PHONES[0], MX_PHONES[0]]
    )
    assert {e["role"] for e in data["edges"]} == {"creator"}


def test_lineage_puts_the_break_off_under_its_parent(
    analyst: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    roots = analyst.get(f"/api/cases/{built.case}/lineage").json()["roots"]
    assert [r["title"] for r in roots] == ["Sunrise Stickers"]
    assert [c["title"] for c in roots[0]["children"]] == ["Sunrise Stickers Reserve"]


def test_matched_media_is_described_never_previewed(
    analyst: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    page = analyst.get(f"/cases/{built.case}/media").text
    assert f"{built.matched_media}/thumb" not in page
    assert f"{built.plain_media}/thumb" in page
    assert "category 1 <small>· synthetic-known (sha256)</small>" in page
    thumb = analyst.get(f"/cases/{built.case}/media/{built.matched_media}/thumb")
    assert thumb.status_code == 403


def test_thumbnails_are_small_blurred_greyscale_and_not_cached(
    analyst: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    response = analyst.get(f"/cases/{built.case}/media/{built.plain_media}/thumb")
    image = Image.open(io.BytesIO(response.content))
    assert image.mode == "L" and max(image.size) <= 64
    assert response.headers["cache-control"] == "no-store"
    assert analyst.get(f"/cases/{built.case}/media/{built.video_media}/thumb").status_code == 404


def test_a_reveal_needs_a_reason_and_is_audited(reviewer: Any, world: tuple[Home, Built]) -> None:
    home, built = world
    url = f"/cases/{built.case}/media/{built.plain_media}/reveal"
    short = reviewer.post(url, data={"csrf_token": _token(reviewer), "reason": "why"})
    assert short.status_code == 400
    before = int(reviewer.get("/me").text.split('id="exposure-count">')[1].split("<")[0])
    shown = reviewer.post(
        url, data={"csrf_token": _token(reviewer), "reason": "check it is the reported sticker"}
    )
    assert shown.status_code == 200 and 'src="data:image/png;base64,' in shown.text
    assert shown.headers["cache-control"] == "no-store"
    case = home.open_case(built.case)
    with case.read() as session:
        last = case.audit.entries(session, limit=1)[0]
    assert (last.actor, last.action, last.reason) == (
        "reviewer",
        "media.reveal",
        "check it is the reported sticker",
    )
    after = int(reviewer.get("/me").text.split('id="exposure-count">')[1].split("<")[0])
    assert after == before + 1


def test_matched_media_cannot_be_revealed(reviewer: Any, world: tuple[Home, Built]) -> None:
    _, built = world
    response = reviewer.post(
        f"/cases/{built.case}/media/{built.matched_media}/reveal",
        data={"csrf_token": _token(reviewer), "reason": "a long enough reason"},
    )
    assert response.status_code == 403


def _decisions(home: Home, built: Built) -> list[tuple[str, list[str], str]]:
    case = home.open_case(built.case)
    with case.read() as session:
        rows = session.scalars(select(PersonDecisionRow).order_by(PersonDecisionRow.id)).all()
        return [(r.kind, list(r.account_keys), r.reason) for r in rows]


def test_a_merge_by_identifiers_is_recorded_as_a_decision(
    analyst: Any, world: tuple[Home, Built]
) -> None:
    home, built = world
    one, two = built.accounts[ES_PHONES[1]], built.accounts[ES_PHONES[2]]
    response = analyst.post(
        f"/cases/{built.case}/persons/merge",
        data={
            "csrf_token": _token(analyst),
            "account": one,
            "accounts": ES_PHONES[2],  # an identifier names its account too
            "reason": "same name",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{built.case}/accounts/{one}"
    assert ("merge", sorted([one, two]), "same name") in _decisions(home, built)
    page = analyst.get(f"/cases/{built.case}/accounts/{two}").text
    assert 'id="decisions"' in page and f"merge of {', '.join(sorted([one, two]))}" in page


def test_a_merge_naming_an_unknown_account_shows_why_it_was_refused(
    analyst: Any, world: tuple[Home, Built]
) -> None:
    home, built = world
    before = _decisions(home, built)
    response = analyst.post(
        f"/cases/{built.case}/persons/merge",
        data={
            "csrf_token": _token(analyst),
            "account": built.accounts[ES_PHONES[0]],
            "accounts": "+34600000999",
            "reason": "same name",
        },
    )
    assert response.status_code == 400
    assert "no account +34600000999 in case op-alpha" in response.text
    assert _decisions(home, built) == before


def test_the_api_refuses_a_merge_of_one_account_with_a_400(
    analyst: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    response = analyst.post(
        f"/api/cases/{built.case}/persons/merge",
        data={"accounts": ES_PHONES[0], "reason": "r"},
        headers={"x-csrf-token": _token(analyst)},
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("a merge needs at least two accounts")


def test_a_split_is_recorded_as_a_decision(analyst: Any, world: tuple[Home, Built]) -> None:
    home, built = world
    two = built.accounts[ES_PHONES[2]]
    response = analyst.post(
        f"/api/cases/{built.case}/accounts/{two}/split",
        data={"reason": "different voice"},
        headers={"x-csrf-token": _token(analyst)},
    )
    answer = response.json()
    assert (answer["decision"], answer["accounts"]) == ("split", [two]) and answer["job"]
    assert _decisions(home, built)[-1] == ("split", [two], "different voice")


def test_referral_download_holds_the_countrys_accounts_and_hashes(
    analyst: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    response = analyst.get(f"/cases/{built.case}/investigations/ES/referral.json")
    assert response.headers["content-disposition"] == 'attachment; filename="op-alpha-ES.json"'
    data = response.json()
    assert {a["identifier"] for a in data["accounts"]} == set(ES_PHONES)
    assert [m["sha256"] for m in data["matched_media"]] == [built.matched_media]


def test_investigation_status_changes_are_audited(analyst: Any, world: tuple[Home, Built]) -> None:
    home, built = world
    analyst.post(
        f"/cases/{built.case}/investigations/MX/status",
        data={"csrf_token": _token(analyst), "status": "acknowledged", "reason": "partner replied"},
    )
    statuses = {
        i["country"]: i["status"]
        for i in analyst.get(f"/api/cases/{built.case}/investigations").json()["investigations"]
    }
    assert statuses["MX"] == "acknowledged"
    case = home.open_case(built.case)
    with case.read() as session:
        last = case.audit.entries(session, limit=1)[0]
    assert (last.action, last.reason, last.details) == (
        "investigation.status",
        "partner replied",
        {"status": "acknowledged", "agency": None, "previous": "proposed"},
    )


def test_the_inbox_shows_a_tip_linked_to_its_case(analyst: Any, world: tuple[Home, Built]) -> None:
    home, built = world
    receipt = submit_tip(home, {"platform": "whatsapp", "phones": MX_PHONES[1]}).receipt
    tips = {t["receipt"]: t for t in analyst.get("/api/tips").json()["tips"]}
    assert tips[receipt]["status"] == "linked" and tips[receipt]["linked_cases"] == [built.case]
    detail = analyst.get(f"/tips/{receipt}").text
    assert f"phone {MX_PHONES[1]} is an account in the case" in detail
    analyst.post(
        f"/tips/{receipt}/triage",
        data={"csrf_token": _token(analyst), "status": "no_action", "case": ""},
    )
    assert analyst.get(f"/api/tips/{receipt}").json()["tip"]["status"] == "no_action"


def test_the_audit_pages_verify_the_chain(world: tuple[Home, Built]) -> None:
    home, built = world
    auditor = make_client(home)
    login(auditor, "auditor")
    case_log = auditor.get(f"/api/cases/{built.case}/audit").json()
    assert case_log["problems"] == [] and case_log["entries"][-1]["action"] == "case.create"
    installation = auditor.get("/api/audit").json()
    assert {"user.add", "tip.receive"} <= {e["action"] for e in installation["entries"]}


def test_the_json_api_is_documented(analyst: Any) -> None:
    paths = analyst.get("/api/openapi.json").json()["paths"]
    assert "/api/cases/{name}/chats/{key}" in paths and "/api/public/tips" in paths
    assert not any(not p.startswith("/api/") for p in paths)
