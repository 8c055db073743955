"""The workspace as an analyst reads it: the triage queue, links to each country's
investigation, menus that offer only what a role may open, an explained empty workspace,
the HTML error page for unknown addresses and one matched-media count everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casegraph.model import account_key
from casegraph.report.summary import MATCHED_MEDIA, case_summary
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.db import utcnow
from casegraph.store.schema import (
    AccountRow,
    InvestigationAccountRow,
    InvestigationRow,
    KeyActorRow,
    PersonRow,
)
from web_fixtures import ES_PHONES, Built, build_case, login, make_client, seed_users

UNPLACED = "+999 555 0100"  # a synthetic number no country plan claims
ES = ES_PHONES[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, Built]]:
    home = Home(Path(tmp_path_factory.mktemp("workspace")) / "home")
    built = build_case(home)
    case = home.open_case(built.case)
    with case.mutate("fixture", "fixture.unattributed", "case:op-alpha") as s:
        account = AccountRow(
            case_id=case.id,
            key=account_key("whatsapp", UNPLACED, case.id_secret),
            platform="whatsapp",
            identifier=UNPLACED,
            identifier_kind="phone",
            names=["Sin pais"],
            person_id=s.scalar(select(PersonRow.id).where(PersonRow.key == "person-ES-0")),
        )
        queue = InvestigationRow(
            case_id=case.id, country="unattributed", status="proposed", created_at=utcnow()
        )
        s.add_all([account, queue])
        s.flush()
        s.add(InvestigationAccountRow(investigation_id=queue.id, account_id=account.id))
        es = s.scalar(select(AccountRow).where(AccountRow.identifier == ES))
        s.add(
            KeyActorRow(
                case_id=case.id,
                account_id=es.id,
                person_id=es.person_id,
                rank=1,
                score=6.5,
                reasons=[
                    "created Sunrise Stickers",
                    "first posted matched media cluster-0a1b2c in Sunrise Stickers"
                    " at 2024-03-01T10:00:00+01:00",
                    "posted matched media 2 time(s) in 1 chat(s)",
                ],
            )
        )
    seed_users(home)
    yield home, built
    dispose_engines()


def _client(world: tuple[Home, Built], username: str) -> Any:
    client = make_client(world[0])
    login(client, username)
    return client


def test_unattributed_accounts_are_a_triage_queue_not_an_investigation(
    world: tuple[Home, Built],
) -> None:
    client = _client(world, "analyst")
    data = client.get("/api/dashboard").json()
    assert [row["country"] for row in data["investigations"]] == ["ES", "MX"]
    assert data["totals"]["investigations"] == 2
    assert data["triage"] == [{"case": "op-alpha", "accounts": 1}]
    page = client.get("/dashboard").text
    assert "Triage queue" in page and "1 account in op-alpha" in page
    assert 'href="/cases/op-alpha/accounts?country=unattributed"' in page
    investigations = client.get("/cases/op-alpha/investigations").text
    assert "/investigations/unattributed/status" not in investigations
    assert 'id="triage-queue"' in investigations


def test_the_triage_queue_lists_the_accounts_without_a_country(
    world: tuple[Home, Built],
) -> None:
    client = _client(world, "analyst")
    shown = client.get("/api/cases/op-alpha/accounts?country=unattributed").json()["accounts"]
    assert [a["identifier"] for a in shown] == [UNPLACED]


def test_dashboard_rows_link_to_the_countrys_investigation(world: tuple[Home, Built]) -> None:
    page = _client(world, "analyst").get("/dashboard").text
    assert 'href="/cases/op-alpha/investigations#investigation-ES"' in page
    assert (
        'id="investigation-ES"'
        in _client(world, "analyst").get("/cases/op-alpha/investigations").text
    )


def test_the_auditors_menu_offers_only_the_audit_pages(world: tuple[Home, Built]) -> None:
    page = _client(world, "auditor").get("/cases/op-alpha/audit").text
    menu = page[page.index('<nav class="casenav">') : page.index("</nav>", page.index("casenav"))]
    assert 'href="/cases/op-alpha/audit"' in menu
    for refused in ("/chats", "/accounts", "/graph", "/media", "/investigations"):
        assert f"/cases/op-alpha{refused}" not in menu
    assert 'href="/dashboard"' not in page


def test_a_liaison_officer_with_nothing_referred_is_told_why(world: tuple[Home, Built]) -> None:
    client = _client(world, "liaison-mx")  # the MX investigation is only proposed
    for page in ("/dashboard", "/cases"):
        text = client.get(page).text
        assert "Nothing has been referred to MX yet" in text
        assert "op-alpha" not in text


def test_unknown_addresses_get_the_html_error_page_outside_the_api(
    world: tuple[Home, Built],
) -> None:
    client = _client(world, "analyst")
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>404</h1>" in page.text and 'href="/dashboard"' in page.text
    api = client.get("/api/no/such/thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_the_overview_counts_matched_media_as_case_show_does(world: tuple[Home, Built]) -> None:
    home, built = world
    counts = _client(world, "analyst").get(f"/api/cases/{built.case}").json()["counts"]
    assert counts["matched media"] == case_summary(home.open_case(built.case))[MATCHED_MEDIA]
    assert counts["matched media"] == 1


def test_the_chats_list_names_the_parent_by_its_title(world: tuple[Home, Built]) -> None:
    _, built = world
    page = _client(world, "analyst").get(f"/cases/{built.case}/chats").text
    parent = built.chats["Sunrise Stickers"]
    assert f'<a href="/cases/op-alpha/chats/{parent}">Sunrise Stickers</a>' in page
    assert f">{parent}<" not in page


@pytest.mark.parametrize(
    ("sort", "figure"),
    [("activity", "messages"), ("chats", "chats"), ("matched", "matched_media")],
)
def test_accounts_sort_by_a_figure_largest_first(
    world: tuple[Home, Built], sort: str, figure: str
) -> None:
    client = _client(world, "analyst")
    shown = client.get(f"/api/cases/op-alpha/accounts?sort={sort}").json()["accounts"]
    values = [a[figure] for a in shown]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]


def test_accounts_count_the_matched_media_each_posted(world: tuple[Home, Built]) -> None:
    shown = _client(world, "analyst").get("/api/cases/op-alpha/accounts?sort=matched").json()
    posted = {a["identifier"]: a["matched_media"] for a in shown["accounts"] if a["matched_media"]}
    # message 6 of each chat carries the matched picture: one per chat's 6th writer
    assert sum(posted.values()) == 2 and set(posted.values()) == {1}


def test_an_unknown_sort_is_refused_with_a_400(world: tuple[Home, Built]) -> None:
    response = _client(world, "analyst").get("/api/cases/op-alpha/accounts?sort=shoe")
    assert response.status_code == 400 and "sort" in response.json()["detail"]


def test_the_account_page_reads_as_sentences(world: tuple[Home, Built]) -> None:
    _, built = world
    page = _client(world, "analyst").get(f"/cases/op-alpha/accounts/{built.accounts[ES]}").text
    assert "<li>Phone number plan ES.</li>" in page  # the reason, not its JSON
    assert "Writes in Spanish." in page and "on WhatsApp" in page
    assert "<li>Nombre 0</li>" in page  # names used


def test_the_account_page_shows_the_person_and_their_other_accounts(
    world: tuple[Home, Built],
) -> None:
    _, built = world
    page = _client(world, "analyst").get(f"/cases/op-alpha/accounts/{built.accounts[ES]}").text
    person = page[page.index('id="person"') : page.index("</div>", page.index('id="person"'))]
    assert "Persona ES 0" in person and "age 31" in person
    assert UNPLACED in person and "Sin pais" in person


def test_merge_and_split_are_two_separate_forms(world: tuple[Home, Built]) -> None:
    _, built = world
    page = _client(world, "analyst").get(f"/cases/op-alpha/accounts/{built.accounts[ES]}").text
    forms = {f.split('id="', 1)[1].split('"', 1)[0]: f for f in page.split("<form")[1:]}
    merge, split = forms["merge-form"], forms["split-form"]
    assert 'action="/cases/op-alpha/persons/merge"' in merge and "Record merge" in merge
    assert f'/accounts/{built.accounts[ES]}/split"' in split and "Record split" in split
    assert "Persona ES 0" in split  # says whom it splits from


def test_key_actors_have_a_page_that_explains_the_ranking(world: tuple[Home, Built]) -> None:
    _, built = world
    page = _client(world, "analyst").get("/cases/op-alpha/key-actors").text
    row = page[page.index(f'id="actor-{built.accounts[ES]}"') :]
    row = row[: row.index("</tr>")]
    assert "<li>Created Sunrise Stickers.</li>" in row
    assert "First posted matched media in Sunrise Stickers at 2024-03-01 10:00 +01:00." in row
    assert "<li>Posted matched media 2 times in 1 chat.</li>" in row
    assert f'href="/cases/op-alpha/accounts/{built.accounts[ES]}"' in row
    assert f'href="/cases/op-alpha/chats/{built.chats["Sunrise Stickers"]}"' in row


def test_accounts_sort_by_key_actor_score_and_link_the_rank(world: tuple[Home, Built]) -> None:
    _, built = world
    client = _client(world, "analyst")
    shown = client.get("/api/cases/op-alpha/accounts?sort=key_actor").json()["accounts"]
    assert (shown[0]["identifier"], shown[0]["key_actor_rank"]) == (ES, 1)
    page = client.get("/cases/op-alpha/accounts?sort=key_actor").text
    assert f'href="/cases/op-alpha/key-actors#actor-{built.accounts[ES]}">6.5 (#1)' in page


def test_a_liaison_officer_sees_only_key_actors_in_scope(world: tuple[Home, Built]) -> None:
    shown = _client(world, "liaison-mx").get("/api/cases/op-alpha/key-actors")
    assert shown.status_code == 404  # nothing referred to MX
    es = _client(world, "liaison").get("/api/cases/op-alpha/key-actors").json()["key_actors"]
    assert [a["identifier"] for a in es] == [ES]


def test_the_network_layout_is_seeded_and_marks_key_actors(world: tuple[Home, Built]) -> None:
    client = _client(world, "analyst")
    first = client.get("/api/cases/op-alpha/graph").json()["nodes"]
    again = _client(world, "reviewer").get("/api/cases/op-alpha/graph").json()["nodes"]
    assert [(n["id"], n["x"], n["y"]) for n in first] == [(n["id"], n["x"], n["y"]) for n in again]
    assert len({(n["x"], n["y"]) for n in first}) == len(first)  # no two nodes on one spot
    ranked = {n["identifier"]: n["key_actor_rank"] for n in first if n.get("key_actor_rank")}
    assert ranked == {ES: 1}
    page = client.get("/cases/op-alpha/graph").text
    assert 'class="key-actor"' in page and "Nombre 0</text>" in page  # the SVG without JS
    assert " style=" not in page  # style-src 'self': no inline styles


def test_the_timeline_puts_system_events_among_the_messages(world: tuple[Home, Built]) -> None:
    _, built = world
    page = _client(world, "analyst").get(f"/cases/op-alpha/chats/{built.chats['Sunrise Stickers']}")
    body = page.text
    listing = body[body.index('<ol class="timeline" id="messages">') :]
    order = [
        kind
        for kind in (part.split('"', 1)[0] for part in listing.split('<li class="')[1:])
        if kind in ("day", "event") or kind.startswith("msg")
    ]
    # created with the first message (09:00 UTC), the admin change between it and the next
    assert order[:5] == ["day", "event", "msg text", "event", "msg text"]
    assert "Friday 1 March 2024" in body  # the day, written out, in Europe/Madrid
    assert '<time datetime="2024-03-01T10:05:00+01:00">10:05</time>' in body
    assert "Times are in Europe/Madrid" in body


def test_a_cascade_is_drawn_across_chats_with_names_not_ids(world: tuple[Home, Built]) -> None:
    _, built = world
    page = _client(world, "analyst").get("/cases/op-alpha/cascades").text
    section = page[page.index('id="cascade-1"') :]
    section = section[: section.index("</section>")]
    assert "Cascade 1: image in 2 chats, 2 postings" in section
    assert "known material</span>" not in section  # the plain picture matched no list
    assert section.count('<line class="lane"') == 2 and section.count('<line class="hop"') == 1
    # message 5 of the parent (4 members, writing in turn) is ES_PHONES[5 % 4]'s
    first = built.accounts[ES_PHONES[1]]
    assert f'First posted by <a href="/cases/op-alpha/accounts/{first}">Nombre 1</a>' in section
    assert "<title>Apodo 1, 2024-03-05 19:00 +01:00</title>" in section  # then the break-off
    assert "cluster-plain" not in section.split('data-cluster="cluster-plain"', 1)[1]


def test_a_chat_has_an_activity_chart_with_matched_postings_and_break_offs(
    world: tuple[Home, Built],
) -> None:
    _, built = world
    client = _client(world, "analyst")
    page = client.get(f"/cases/op-alpha/chats/{built.chats['Sunrise Stickers']}").text
    chart = page[page.index('<figure id="chat-activity">') : page.index("</figure>")]
    # 30 hourly messages from 10:00 on 1 March (Madrid): two days
    assert chart.count("<rect ") == 2
    assert "2024-03-01: 14 messages, 0 joined, 0 left, 1 known-material posting" in chart
    assert chart.count('<circle class="matched"') == 1
    assert "<title>Sunrise Stickers Reserve broke off</title>" in chart
    reserve = built.chats["Sunrise Stickers Reserve"]
    assert f'<a href="/cases/op-alpha/chats/{reserve}">Sunrise Stickers Reserve</a>' in chart


def test_the_map_counts_accounts_and_investigations_per_country(
    world: tuple[Home, Built],
) -> None:
    data = _client(world, "analyst").get("/api/map").json()
    assert data["countries"] == {
        "ES": {"accounts": 3, "investigations": [{"case": "op-alpha", "status": "referred"}]},
        "MX": {"accounts": 2, "investigations": [{"case": "op-alpha", "status": "proposed"}]},
    }
    if data["numeric"]:  # world-atlas numbers countries; the codes come with npm
        assert data["numeric"] == {"ES": "724", "MX": "484"}
    liaison = _client(world, "liaison").get("/api/map").json()
    assert list(liaison["countries"]) == ["ES"]


def test_the_audit_page_writes_times_to_the_minute(world: tuple[Home, Built]) -> None:
    page = _client(world, "auditor").get("/cases/op-alpha/audit").text
    shown = page.split('<time datetime="', 1)[1].split("</time>", 1)[0]
    exact, readable = shown.split('">')
    assert readable == f"{exact[:10]} {exact[11:16]} +00:00"


def test_an_empty_dashboard_draws_no_empty_charts(world: tuple[Home, Built]) -> None:
    page = _client(world, "liaison-mx").get("/dashboard").text
    assert '<section class="charts">' not in page


def test_an_event_without_a_time_follows_the_messages() -> None:
    from casegraph.web.routes.workspace import interleaved

    message = {"at": "2024-03-01T10:00:00+01:00", "kind": "text", "text": "hola"}
    undated = {"at": None, "type": "renamed", "text": "renamed the group"}
    early = {"at": "2024-03-01T09:00:00+01:00", "type": "created", "text": "created"}
    shown = interleaved([message], [undated, early])
    assert [(e["entry"], e.get("type")) for e in shown] == [
        ("day", None),
        ("event", "created"),
        ("message", None),
        ("event", "renamed"),
    ]
