"""Need-to-know on small operations hypothesis draws: whoever is in which chat, whoever posts
what, whatever events name whom and whichever country is referred, no API answer shows a liaison
officer an identifier outside their scope.

The builder writes rows straight through the store (no parsing), so each example takes
a fraction of a second; `test_scope_by_construction` covers the pages on real ingests.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from casegraph.model import account_key, chat_key
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.db import utcnow
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatEventRow,
    ChatRow,
    InvestigationAccountRow,
    InvestigationRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    SourceRow,
)
from scope_check import Inventory
from test_scope_by_construction import CASE, SCOPE_RULES, Principal, Tally, World, check_world
from web_fixtures import login, make_client

# fictional numbers of three plans; +34 600, +52 55 5000, +33 6 00
PLANS = {"ES": "+3460000{:04d}", "MX": "+52555000{:04d}", "FR": "+3360000{:04d}"}
TITLES = ("Sunrise Stickers", "Harbour Lights", "Quiet Meadow", "Paper Lanterns")
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
API_READS = {p for p, rule in SCOPE_RULES.items() if rule == CASE and p.startswith("/api/")}
_names = itertools.count()


@dataclass(frozen=True)
class Operation:
    countries: list[str]  # per account
    members: list[list[int]]  # per chat: account indexes
    posts: list[tuple[int, int, int | None, int | None]]  # chat, author (index into the
    # chat's members), media or None, an account whose number the text gives or None
    events: list[tuple[int, int, list[int]]]  # chat, actor account, target accounts
    parents: list[int | None]  # per chat: an earlier chat or None
    referred: dict[str, bool]


@st.composite
def operations(draw: Any) -> Operation:
    countries = draw(st.lists(st.sampled_from(sorted(PLANS)), min_size=3, max_size=7))
    n = len(countries)
    chats = draw(st.integers(1, len(TITLES)))
    members = [
        sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n))) for _ in range(chats)
    ]
    posts = [
        (
            c,
            draw(st.integers(0, len(members[c]) - 1)),
            draw(st.none() | st.integers(0, 2)),
            draw(st.none() | st.integers(0, n - 1)),
        )
        for c in range(chats)
        for _ in range(draw(st.integers(1, 4)))
    ]
    events = [
        (
            c,
            draw(st.sampled_from(members[c])),
            draw(st.lists(st.integers(0, n - 1), max_size=3)),
        )
        for c in range(chats)
        for _ in range(draw(st.integers(0, 2)))
    ]
    parents = [None] + [draw(st.none() | st.integers(0, c - 1)) for c in range(1, chats)]
    referred = {c: draw(st.booleans()) for c in sorted(set(countries))}
    return Operation(countries, members, posts, events, parents, referred)


def written(phone: str) -> str:
    """A number as people type it: "+34 600 00 00 01"."""
    return f"{phone[:3]} {phone[3:6]} {phone[6:8]} {phone[8:10]} {phone[10:]}"


def build(home: Home, op: Operation) -> str:
    """The operation as rows of a new case; returns its name."""
    name = f"prop-{next(_names)}"
    case = home.create_case(name, timezone="Europe/Madrid", actor="fixture")
    secret = case.id_secret
    with case.mutate("fixture", "fixture.build", f"case:{name}") as s:
        source = SourceRow(
            case_id=case.id,
            sha256=f"{len(name):064x}",
            md5="0" * 32,
            sha1="0" * 40,
            size=1,
            filename="synthetic.txt",
            format="whatsapp",
            received_at=utcnow(),
        )
        s.add(source)
        accounts = []
        for i, country in enumerate(op.countries):
            phone = PLANS[country].format(i)
            row = AccountRow(
                case_id=case.id,
                key=account_key("whatsapp", phone, secret),
                platform="whatsapp",
                identifier=phone,
                identifier_kind="phone",
                names=[f"Persona Numero {i}"],
                phone_country=country,
                country=country,
                country_reasons=[],
                languages=[],
            )
            s.add(row)
            accounts.append(row)
        media = [
            MediaRow(
                case_id=case.id,
                sha256=f"{i + 1:02d}" * 32,
                md5=f"{i + 1:02d}" * 16,
                sha1=f"{i + 1:02d}" * 20,
                size=10,
                kind="sticker",
                cluster="cluster-1",
            )
            for i in range(3)
        ]
        s.add_all(media)
        s.flush()
        chats: list[ChatRow] = []
        for c, members in enumerate(op.members):
            chat = ChatRow(
                case_id=case.id,
                key=chat_key("whatsapp", f"native-{c}", secret),
                platform="whatsapp",
                native_id=f"native-{c}",
                title=TITLES[c],
                aliases=[],
                created_by=accounts[members[0]].id,
                created_at=START + timedelta(days=c),
            )
            s.add(chat)
            s.flush()
            chats.append(chat)
            for m in members:
                s.add(
                    MembershipRow(
                        case_id=case.id,
                        chat_id=chat.id,
                        account_id=accounts[m].id,
                        since=START,
                        via="authored",
                    )
                )
            parent = op.parents[c]
            if parent is not None:
                chat.parent_id = chats[parent].id
                chat.parent_evidence = [
                    {
                        "kind": "early_members_from_parent",
                        "accounts": [accounts[m].key for m in op.members[parent]],
                        "text": f"its first members came from {TITLES[parent]}",
                    }
                ]
        for seq, (c, author, attached, mention) in enumerate(op.posts):
            account = accounts[op.members[c][author]]
            message = MessageRow(
                case_id=case.id,
                chat_id=chats[c].id,
                source_id=source.id,
                seq=seq,
                sent_at=START + timedelta(hours=seq),
                account_id=account.id,
                author_label=account.identifier,
                text="buenas a todos"
                if mention is None
                else f"llamad a {written(accounts[mention].identifier)} mañana",
                kind="media" if attached is not None else "text",
            )
            s.add(message)
            s.flush()
            if attached is not None:
                s.add(
                    AttachmentRow(
                        case_id=case.id,
                        message_id=message.id,
                        reference="STK-1.webp",
                        kind="sticker",
                        media_id=media[attached].id,
                    )
                )
        for seq, (c, actor, targets) in enumerate(op.events):
            parties = ", ".join(accounts[t].identifier for t in targets)
            s.add(
                ChatEventRow(
                    case_id=case.id,
                    chat_id=chats[c].id,
                    source_id=source.id,
                    seq=seq,
                    at=START + timedelta(minutes=seq),
                    type="added",
                    actor_id=accounts[actor].id,
                    target_ids=[accounts[t].id for t in targets],
                    text=f"{accounts[actor].identifier} added {parties}",
                )
            )
        for country, referred in op.referred.items():
            investigation = InvestigationRow(
                case_id=case.id,
                country=country,
                status="referred" if referred else "proposed",
                created_at=utcnow(),
            )
            s.add(investigation)
            s.flush()
            for i, account_country in enumerate(op.countries):
                if account_country == country:
                    s.add(
                        InvestigationAccountRow(
                            investigation_id=investigation.id, account_id=accounts[i].id
                        )
                    )
    return name


LIAISONS = [Principal(f"liaison-{c.lower()}", "liaison", c) for c in sorted(PLANS)]


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, dict[str, Any]]]:
    from casegraph.web.users import add_user

    home = Home(Path(tmp_path_factory.mktemp("scope-props")) / "home")
    clients = {}
    for principal in LIAISONS:
        add_user(home, principal.name, "liaison-pass-123", "liaison", principal.country)
        client = make_client(home)
        login(client, principal.name, "liaison-pass-123")
        clients[principal.name] = client
    yield home, clients
    dispose_engines()


@settings(
    max_examples=4,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # examples are small: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(op=operations())
def test_no_api_answer_shows_a_liaison_anything_outside_their_scope(
    place: tuple[Home, dict[str, Any]], op: Operation
) -> None:
    home, clients = place
    name = build(home, op)
    world = World(home, name, Inventory.of(home.open_case(name)), LIAISONS, receipt="")
    world.clients = clients
    tally = Tally()
    check_world(world, SCOPE_RULES, tally, only=API_READS)
    assert tally.leaks == []
    assert tally.requests > 0
