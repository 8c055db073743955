"""Issue 10, findings 1-3: an in-scope record never names the out-of-scope people in it.

Spain's liaison officer sees the two chats their targets were in; Mexican members of those
chats, and a chat only Mexicans were in, are outside the scope: they may be counted, never named.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casegraph.model import chat_key
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.schema import AccountRow, ChatRow, MembershipRow, MessageRow
from web_fixtures import (
    CHILD_TITLE,
    ES_PHONES,
    MX_PHONES,
    PARENT_TITLE,
    Built,
    build_case,
    login,
    make_client,
    seed_users,
)

HIDDEN_TITLE = "Harbour Lights"  # a chat only a Mexican account was in
MENTION = "numeros:"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, Built]]:
    home = Home(Path(tmp_path_factory.mktemp("scope-findings")) / "home")
    built = build_case(home)
    case = home.open_case(built.case)
    with case.mutate("fixture", "fixture.hidden-parent", f"case:{built.case}") as s:
        accounts = {a.identifier: a for a in s.scalars(select(AccountRow))}
        hidden = ChatRow(
            case_id=case.id,
            key=chat_key("whatsapp", "wa-hidden", case.id_secret),
            platform="whatsapp",
            native_id="wa-hidden",
            title=HIDDEN_TITLE,
            aliases=[],
            created_at=datetime(2024, 2, 1, tzinfo=UTC),
        )
        s.add(hidden)
        s.flush()
        s.add(
            MembershipRow(
                case_id=case.id,
                chat_id=hidden.id,
                account_id=accounts[MX_PHONES[1]].id,
                since=datetime(2024, 2, 1, tzinfo=UTC),
                via="authored",
            )
        )
        child = s.scalars(select(ChatRow).where(ChatRow.title == CHILD_TITLE)).one()
        said = s.scalars(
            select(MessageRow).where(
                MessageRow.chat_id == child.id, MessageRow.account_id == accounts[ES_PHONES[0]].id
            )
        ).first()
        assert said is not None
        said.text = f"{MENTION} llamad a +52 55 5000 0102 o a {ES_PHONES[1]}"
        child.parent_id = hidden.id
        child.parent_evidence = [
            {
                "kind": "early_members_from_parent",
                "accounts": sorted(accounts[p].key for p in (ES_PHONES[0], MX_PHONES[1])),
                "text": f"2 of its first 3 members came from {HIDDEN_TITLE}",
            },
            {
                "kind": "invite_link_posted_in_parent",
                "link": "https://chat.whatsapp.com/SynthHiddenHarbour",
                "account": accounts[MX_PHONES[1]].key,
                "text": f"an invite link followed by joins to it was posted in {HIDDEN_TITLE}: "
                "https://chat.whatsapp.com/SynthHiddenHarbour",
            },
            {"kind": "time_order", "text": f"{HIDDEN_TITLE} existed before it"},
        ]
    seed_users(home)
    yield home, built
    dispose_engines()


@pytest.fixture(scope="module")
def liaison(world: tuple[Home, Built]) -> Any:
    client = make_client(world[0])
    login(client, "liaison")
    return client


@pytest.fixture(scope="module")
def admin(world: tuple[Home, Built]) -> Any:
    client = make_client(world[0])
    login(client, "admin")
    return client


def _mexican(built: Built) -> list[str]:
    """What names the Mexican accounts: numbers and public ids."""
    return [*MX_PHONES, *(built.accounts[p] for p in MX_PHONES)]


def _leaks(body: str, built: Built) -> list[str]:
    return [found for found in (*_mexican(built), HIDDEN_TITLE) if found in body]


def test_finding1_cascades_list_only_the_postings_in_scope(
    liaison: Any, admin: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    page, api = f"/cases/{built.case}/cascades", f"/api/cases/{built.case}/cascades"
    assert MX_PHONES[1] in admin.get(api).text  # the cluster was posted by a Mexican too
    for url in (page, api):
        assert _leaks(liaison.get(url).text, built) == [], url
    (cascade,) = liaison.get(api).json()["cascades"]
    assert [p["identifier"] for p in cascade["postings"]] == [ES_PHONES[1]]
    assert cascade["postings_outside_scope"] == "1 posting outside your scope"


def test_finding2_system_events_name_only_parties_in_scope(
    liaison: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    timeline = liaison.get(f"/api/cases/{built.case}/chats/{built.chats[CHILD_TITLE]}").json()
    admin_change = next(e for e in timeline["events"] if e["type"] == "admin_changed")
    assert admin_change["actor"] == built.accounts[ES_PHONES[0]]
    assert admin_change["targets"] == []
    assert admin_change["outside_scope"] == "1 account outside your scope"
    page = liaison.get(f"/cases/{built.case}/chats/{built.chats[CHILD_TITLE]}").text
    assert _leaks(page, built) == []
    assert _leaks(str(timeline), built) == []


def test_finding2_events_whose_parties_are_all_in_scope_keep_their_text(
    liaison: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    timeline = liaison.get(f"/api/cases/{built.case}/chats/{built.chats[PARENT_TITLE]}").json()
    texts = {e["type"]: e["text"] for e in timeline["events"]}
    assert texts["admin_changed"] == f"{ES_PHONES[1]} is now an admin"


def test_finding3_lineage_evidence_names_no_hidden_chat_or_account(
    liaison: Any, admin: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    assert HIDDEN_TITLE in admin.get(f"/api/cases/{built.case}/lineage").text
    for url in (f"/api/cases/{built.case}/lineage", f"/cases/{built.case}/lineage"):
        assert _leaks(liaison.get(url).text, built) == [], url
    roots = liaison.get(f"/api/cases/{built.case}/lineage").json()["roots"]
    child = next(r for r in roots if r["title"] == CHILD_TITLE)
    assert child["parent_outside_scope"] == "1 parent chat outside your scope"
    early = child["evidence"][0]
    assert early["accounts"] == [built.accounts[ES_PHONES[0]]]
    assert early["accounts_outside_scope"] == "1 account outside your scope"
    assert "link" not in child["evidence"][1]


def test_finding3_member_counts_count_only_members_in_scope(
    liaison: Any, admin: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    everyone = {c["title"]: c for c in admin.get(f"/api/cases/{built.case}/chats").json()["chats"]}
    scoped = {c["title"]: c for c in liaison.get(f"/api/cases/{built.case}/chats").json()["chats"]}
    assert everyone[CHILD_TITLE]["members"] == 3
    assert scoped[CHILD_TITLE]["members"] == 1
    assert scoped[CHILD_TITLE]["members_outside_scope"] == "2 members outside your scope"
    assert HIDDEN_TITLE not in scoped


def test_finding3_media_occurrences_count_only_postings_in_scope(
    liaison: Any, admin: Any, world: tuple[Home, Built]
) -> None:
    _, built = world

    def plain(client: Any) -> dict[str, Any]:
        media = client.get(f"/api/cases/{built.case}/media").json()["media"]
        return next(m for m in media if m["sha256"] == built.plain_media)

    assert plain(admin)["occurrences"] == 2
    assert plain(liaison)["occurrences"] == 1
    assert plain(liaison)["occurrences_outside_scope"] == "1 posting outside your scope"


def test_finding2_a_message_in_scope_gives_no_number_outside_it(
    liaison: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    timeline = liaison.get(f"/api/cases/{built.case}/chats/{built.chats[CHILD_TITLE]}").json()
    text = next(m["text"] for m in timeline["messages"] if m["text"].startswith(MENTION))
    assert text == f"{MENTION} llamad a [a number outside your scope] o a {ES_PHONES[1]}"


def test_a_referral_to_spain_names_no_number_or_chat_outside_spains_scope(
    world: tuple[Home, Built], tmp_path: Path
) -> None:
    """The partner agency gets no more than Spain's liaison: the same message, same placeholder."""
    import json

    from casegraph.exchange.crypto import open_package
    from casegraph.exchange.keys import (
        export_public_key,
        import_public_key,
        load_identity,
        load_public,
    )
    from casegraph.exchange.package import refer
    from web_fixtures import KEY_PASSPHRASE, OWN_KEY, add_referral_keys

    home, built = world
    own, partner = add_referral_keys(home)
    sent = refer(home, built.case, "ES", partner, tmp_path, passphrase=KEY_PASSPHRASE)
    partner_root = home.root.parent / "partner-home"
    import_public_key(partner_root, export_public_key(home.root, own, tmp_path / "own.pub.json"))
    opened = open_package(
        sent.package,
        load_public(partner_root, OWN_KEY),
        load_identity(partner_root, partner, KEY_PASSPHRASE),
    )
    everything = b"".join(opened.files.values()).decode("utf-8", "replace")
    assert "5000 0102" not in everything and "5550000102" not in everything.replace(" ", "")
    assert HIDDEN_TITLE not in everything
    excerpts = json.loads(opened.files["excerpts/messages.json"])
    texts = [m["text"] for m in excerpts["messages"] if m["text"].startswith(MENTION)]
    assert texts == [f"{MENTION} llamad a [a number outside this referral] o a {ES_PHONES[1]}"]
