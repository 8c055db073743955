"""The media page: where each item was posted (names, within the viewer's scope) and what it
matched, with known material ("category 1") apart from non-pertinent hits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casegraph.media.hashlists.categories import VICS_US
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.db import utcnow
from casegraph.store.schema import HashEntryRow, HashListRow, MatchRow, MediaRow
from web_fixtures import (
    CHILD_TITLE,
    PARENT_TITLE,
    Built,
    build_case,
    login,
    make_client,
    seed_users,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, Built]]:
    home = Home(Path(tmp_path_factory.mktemp("media-page")) / "home")
    built = build_case(home)
    case = home.open_case(built.case)
    with case.mutate("fixture", "fixture.non_pertinent", f"case:{built.case}") as s:
        plain = s.scalars(select(MediaRow).where(MediaRow.sha256 == built.plain_media)).one()
        hash_list = HashListRow(
            case_id=case.id, name="vics-reference", format="vics", imported_at=utcnow()
        )
        s.add(hash_list)
        s.flush()
        entry = HashEntryRow(
            list_id=hash_list.id, entry_id="NP-1", sha256=plain.sha256, category="0", scheme=VICS_US
        )
        s.add(entry)
        s.flush()
        s.add(
            MatchRow(
                case_id=case.id,
                media_id=plain.id,
                list_id=hash_list.id,
                entry_id=entry.id,
                method="sha256",
                category="0",
                scheme=VICS_US,
                pertinent=False,
            )
        )
    seed_users(home)
    yield home, built
    dispose_engines()


def _client(world: tuple[Home, Built], username: str) -> Any:
    client = make_client(world[0])
    login(client, username)
    return client


def _item(client: Any, built: Built, sha256: str) -> dict[str, Any]:
    media = client.get(f"/api/cases/{built.case}/media").json()["media"]
    return next(m for m in media if m["sha256"] == sha256)


def test_rows_name_the_chats_and_accounts_that_posted_the_item(
    world: tuple[Home, Built],
) -> None:
    _, built = world
    analyst = _client(world, "analyst")
    item = _item(analyst, built, built.plain_media)
    assert [c["title"] for c in item["chats"]] == [PARENT_TITLE, CHILD_TITLE]
    assert [a["name"] for a in item["accounts"]] == ["Nombre 1", "Apodo 1"]
    page = analyst.get(f"/cases/{built.case}/media").text
    chat = built.chats[PARENT_TITLE]
    assert f'<a href="/cases/{built.case}/chats/{chat}">{PARENT_TITLE}</a>' in page
    account = item["accounts"][0]["id"]
    assert f'<a href="/cases/{built.case}/accounts/{account}">Nombre 1</a>' in page


def test_a_liaison_sees_only_its_postings_and_a_count_of_the_others(
    world: tuple[Home, Built],
) -> None:
    _, built = world
    liaison = _client(world, "liaison")
    item = _item(liaison, built, built.plain_media)
    assert [a["name"] for a in item["accounts"]] == ["Nombre 1"]
    assert item["occurrences"] == 1
    assert item["occurrences_outside_scope"] == "1 posting outside your scope"
    page = liaison.get(f"/cases/{built.case}/media").text
    assert "Apodo" not in page and "1 posting outside your scope" in page


def test_known_material_reads_as_a_category_and_non_pertinent_hits_stand_apart(
    world: tuple[Home, Built],
) -> None:
    _, built = world
    analyst = _client(world, "analyst")
    matched = _item(analyst, built, built.matched_media)
    assert matched["matched"] and [m["words"] for m in matched["known_matches"]] == ["category 1"]
    plain = _item(analyst, built, built.plain_media)
    assert not plain["matched"] and plain["known_matches"] == []
    assert [(m["words"], m["meaning"]) for m in plain["non_pertinent"]] == [
        ("category 0", "Non-Pertinent (vics-2.0-us)")
    ]
    page = analyst.get(f"/cases/{built.case}/media").text
    assert "non-pertinent: category 0" in page and "known: " not in page
    assert f"{built.plain_media}/thumb" in page  # a non-pertinent hit is previewed as before
    assert analyst.get(f"/cases/{built.case}/media/{built.plain_media}/thumb").status_code == 200
