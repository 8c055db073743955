"""Need-to-know by construction (issue 10): every route of the app, every principal, real
parameters, and no identifier outside the principal's scope anywhere in any answer.

The routes come from the application's own route table: a route without a scope rule below
fails the test. Scopes are worked out from the tables by issue 10's rules (`scope_check`),
not by the application. Two synthetic operations, then small hypothesis-drawn ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import select

from casegraph.exchange.investigations import investigation_status, set_status
from casegraph.exchange.package import refer
from casegraph.intake.inbox import submit_tip
from casegraph.jobs.queue import submit as submit_job
from casegraph.jobs.uploads import start_upload
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.schema import AccountRow
from scope_check import Forbidden, Inventory, allowance, flat_routes, readable
from web_fixtures import (
    KEY_PASSPHRASE,
    PASSWORDS,
    add_referral_keys,
    csrf_of,
    login,
    make_client,
)

# What each route serves; "public" routes must show no case identifier to anyone.
PUBLIC, CASE, AUDIT, TIPS, PACKAGES = "public", "case", "audit", "tips", "packages"
SCOPE_RULES: dict[str, str] = {
    "/": PUBLIC,
    "/report": PUBLIC,
    "/report/status": PUBLIC,
    "/login": PUBLIC,
    "/logout": PUBLIC,
    "/me": PUBLIC,
    "/api/me": PUBLIC,
    "/api/public/tips": PUBLIC,
    "/api/public/tips/{receipt}": PUBLIC,
    "/api/openapi.json": PUBLIC,
    "/api/docs": PUBLIC,
    "/docs/oauth2-redirect": PUBLIC,
    "/dashboard": CASE,
    "/api/dashboard": CASE,
    "/map": CASE,
    "/api/map": CASE,
    "/cases": CASE,
    "/api/cases": CASE,
    "/cases/{name}": CASE,
    "/api/cases/{name}": CASE,
    "/cases/{name}/chats": CASE,
    "/api/cases/{name}/chats": CASE,
    "/cases/{name}/chats/{key}": CASE,
    "/api/cases/{name}/chats/{key}": CASE,
    "/cases/{name}/accounts": CASE,
    "/api/cases/{name}/accounts": CASE,
    "/cases/{name}/accounts/{key}": CASE,
    "/api/cases/{name}/accounts/{key}": CASE,
    "/cases/{name}/key-actors": CASE,
    "/api/cases/{name}/key-actors": CASE,
    "/cases/{name}/graph": CASE,
    "/api/cases/{name}/graph": CASE,
    "/cases/{name}/lineage": CASE,
    "/api/cases/{name}/lineage": CASE,
    "/cases/{name}/cascades": CASE,
    "/api/cases/{name}/cascades": CASE,
    "/cases/{name}/media": CASE,
    "/api/cases/{name}/media": CASE,
    "/cases/{name}/media/{sha256}/thumb": CASE,
    "/cases/{name}/media/{sha256}/reveal": CASE,
    "/cases/{name}/investigations": CASE,
    "/api/cases/{name}/investigations": CASE,
    "/cases/{name}/investigations/{country}/referral.json": CASE,
    "/api/cases/{name}/investigations/{country}/referral": CASE,
    "/cases/{name}/investigations/{country}/status": CASE,
    "/api/cases/{name}/investigations/{country}/status": CASE,
    "/cases/{name}/investigations/{country}/outcome": CASE,
    "/api/cases/{name}/investigations/{country}/outcome": CASE,
    "/cases/{name}/persons/merge": CASE,
    "/api/cases/{name}/persons/merge": CASE,
    "/cases/{name}/accounts/{key}/split": CASE,
    "/api/cases/{name}/accounts/{key}/split": CASE,
    "/cases/{name}/investigations/{country}/packages": PACKAGES,
    "/api/cases/{name}/investigations/{country}/packages": PACKAGES,
    "/cases/{name}/investigations/{country}/packages/{filename}": PACKAGES,
    "/api/cases/{name}/investigations/{country}/packages/{filename}": PACKAGES,
    "/cases/{name}/audit": AUDIT,
    "/api/cases/{name}/audit": AUDIT,
    "/audit": AUDIT,
    "/api/audit": AUDIT,
    "/tips": TIPS,
    "/api/tips": TIPS,
    "/tips/{receipt}": TIPS,
    "/api/tips/{receipt}": TIPS,
    "/tips/{receipt}/triage": TIPS,
    "/login/code": PUBLIC,
    "/me/password": PUBLIC,
    "/me/second-factor": PUBLIC,
    "/me/second-factor/off": PUBLIC,
    "/cases/{name}/responses": CASE,
    "/api/cases/{name}/responses": CASE,
    "/cases/{name}/investigations/{country}/responses": CASE,
    "/api/cases/{name}/investigations/{country}/responses": CASE,
    "/cases/new": CASE,
    "/api/cases/new": CASE,
    "/cases/{name}/jobs": CASE,
    "/api/cases/{name}/jobs": CASE,
    "/cases/{name}/jobs/{kind}": CASE,
    "/api/cases/{name}/jobs/{kind}": CASE,
    "/cases/{name}/jobs/{job_id}/cancel": CASE,
    "/api/cases/{name}/jobs/{job_id}/cancel": CASE,
    "/api/jobs/{job_id}": CASE,
    "/cases/{name}/upload": CASE,
    "/api/cases/{name}/uploads": CASE,
    "/api/uploads/{upload_id}": CASE,
    "/api/uploads/{upload_id}/finish": CASE,
}
LAST = {"/logout"}  # ends the session the rest of the run uses


@dataclass(frozen=True)
class Principal:
    name: str  # the username
    role: str
    country: str | None = None


@dataclass
class World:
    home: Home
    case: str
    inventory: Inventory
    principals: list[Principal]
    receipt: str
    package: str = ""
    clients: dict[str, Any] = field(default_factory=dict)
    job: str = ""  # a queued job and a started upload of the case
    upload: str = ""
    referral: Path | None = None  # the package sent to the first referred country's partner
    referred_to: str = ""  # that country


@dataclass
class Tally:
    requests: int = 0
    checks: int = 0  # (response, forbidden identifier) pairs looked for
    routes: set[str] = field(default_factory=set)
    principals: set[str] = field(default_factory=set)
    leaks: list[str] = field(default_factory=list)


# ---- the worlds ---------------------------------------------------------------------------


def _principals(inv: Inventory) -> list[Principal]:
    """admin, analyst, reviewer, auditor, anonymous, two liaison officers of referred
    countries, and one whose country has nothing referred."""
    referred = sorted(inv.referred, key=lambda c: -len(inv.referred[c]))
    proposed = sorted(c for c, status in inv.countries.items() if status == "proposed")
    idle = next(c for c in (*proposed, "NZ") if len(c) == 2 and c not in inv.referred)
    found = [Principal(r, r) for r in ("admin", "analyst", "reviewer", "auditor")]
    found.append(Principal("anonymous", "anonymous"))
    found += [Principal(f"liaison-{c.lower()}", "liaison", c) for c in referred[:2]]
    found.append(Principal(f"liaison-{idle.lower()}", "liaison", idle))
    return found


def _seed_users(home: Home, principals: list[Principal]) -> None:
    from casegraph.web.users import add_user

    for p in principals:
        if p.role != "anonymous":
            add_user(home, p.name, PASSWORDS.get(p.role, "liaison-pass-123"), p.role, p.country)


def _clients(world: World) -> dict[str, Any]:
    if not world.clients:
        for p in world.principals:
            client = make_client(world.home)
            if p.role != "anonymous":
                login(client, p.name, PASSWORDS.get(p.role, "liaison-pass-123"))
            world.clients[p.name] = client
    return world.clients


def synth_world(root: Path, seed: int, operation: Path | None = None) -> World:
    """A synthetic operation ingested, matched and analysed, two countries referred, a tip and
    one referral package."""
    from casegraph.analysis.run import analyze_case
    from casegraph.store.ingest import ingest_paths
    from casegraph.store.matching import hash_case_media, import_hash_list, match_case
    from casegraph.synth import generate

    operation = operation or generate(root / "op", seed=seed, scale="small")
    truth = json.loads((operation / "truth.json").read_text())
    home = Home(root / "home")
    name = f"op-{seed}"
    case = home.create_case(name, timezone=truth["timezone"])
    # the seized phones too: their chats overlap the exports (folded rows, proposed links)
    devices = sorted((operation / "devices").iterdir()) if (operation / "devices").is_dir() else []
    ingest_paths(case, [*sorted((operation / "exports").iterdir()), *devices], "scope-test")
    hash_case_media(case)
    for hash_list in truth["hash_lists"]:
        import_hash_list(case, operation / hash_list["file"], negative=hash_list["negative"])
    match_case(case)
    analyze_case(case)
    views = sorted(
        (v for v in investigation_status(case) if len(v.country) == 2),
        key=lambda v: (-len(v.accounts), v.country),
    )
    for view in views[:2]:
        set_status(case, view.country, status="referred", actor="scope-test", reason="test")
    tip = (operation / "tip.txt").read_text()
    phones = next(line for line in tip.splitlines() if line.startswith("Phone"))
    receipt = submit_tip(home, {"platform": "whatsapp", "phones": phones.split(": ", 1)[1]})
    _, partner = add_referral_keys(home)
    out_dir = home.case_dir(name) / "referrals" / views[0].country
    package = refer(home, name, views[0].country, partner, out_dir, passphrase=KEY_PASSPHRASE)
    packages = [package.package, package.signature]
    _partner_reports_back(home, name, views[0].country, package.package, partner)
    inv = Inventory.of(case, packages)
    principals = _principals(inv)
    _seed_users(home, principals)
    world = World(home, name, inv, principals, receipt.receipt, package.package.name)
    world.referral, world.referred_to = package.package, views[0].country
    world.job = submit_job(home, name, "analyze", {}, "scope-test")
    world.upload = start_upload(home, name, "export", "chat.txt", 10, "scope-test").id
    return world


def _partner_reports_back(home: Home, name: str, country: str, package: Path, partner: str) -> None:
    """The partner imports the referral and sends an outcome naming a new number and file."""
    from casegraph.exchange.keys import export_public_key, import_public_key
    from casegraph.exchange.receive import import_referral
    from casegraph.exchange.responses import Outcome, import_response, send_response
    from web_fixtures import OWN_KEY

    partner_home = Home(home.root.parent / "partner-home")
    own_public = export_public_key(home.root, OWN_KEY, home.root.parent / "own.pub.json")
    import_public_key(partner_home.root, own_public)
    received = import_referral(
        partner_home, package, partner, OWN_KEY, passphrase=KEY_PASSPHRASE
    ).case
    outcome = Outcome(
        arrests=1,
        suspects=2,
        suspect_ages=[19, 23],
        new_identifiers=[{"platform": "whatsapp", "identifier": "+34 699 000 417"}],
        new_media_sha256=["5e" * 32],
    )
    sent = send_response(
        partner_home,
        received,
        country,
        home.root.parent / "responses",
        outcome=outcome,
        identity=partner,
        passphrase=KEY_PASSPHRASE,
    )
    import_response(
        home, sent.package, partner, identity=OWN_KEY, passphrase=KEY_PASSPHRASE, case_name=name
    )


# ---- parameters and requests ------------------------------------------------------------


def _pick(ids: Any, inside: set[int], want_inside: bool) -> int | None:
    for row_id in ids:
        if (row_id in inside) == want_inside:
            return int(row_id)
    return None


def _key(keys: dict[int, str], row_id: int | None) -> str | None:
    return keys.get(row_id) if row_id is not None else None


def _urls(template: str, world: World, principal: Principal) -> list[str]:
    """The route with parameters this principal may see, and with ones it may not."""
    inv = world.inventory
    allowed = allowance(inv, principal.role, principal.country)
    busiest = sorted(inv.members, key=lambda c: -len(inv.members[c]))
    images = sorted(
        inv.media,
        key=lambda m: (inv.media[m][2], inv.media[m][1] not in ("image", "sticker"), m),
    )
    countries = sorted(inv.countries)
    mine = principal.country or next(iter(sorted(inv.referred)), "ES")
    urls = []
    for inside in (True, False):
        chat = _pick(busiest, allowed.chats, inside)
        account = _pick(sorted(inv.account_keys), allowed.accounts, inside)
        media = _pick(images, allowed.media, inside)
        country = mine if inside else next((c for c in countries if c != mine), "FR")
        values = {
            "name": inv.case,
            "receipt": world.receipt,
            "filename": world.package,
            "country": country,
            "kind": "analyze",
            "job_id": world.job,
            "upload_id": world.upload,
            "sha256": inv.media[media][0] if media is not None else None,
            "key": _key(inv.chat_keys, chat)
            if "/chats/" in template
            else _key(inv.account_keys, account),
        }
        names = re.findall(r"\{(\w+)\}", template)
        if any(values.get(n) is None for n in names):
            continue
        url = template
        for param in names:
            url = url.replace("{" + param + "}", str(values[param]))
        if url not in urls:
            urls.append(url)
        if not inside:  # search and filters, asked with what lies outside the scope
            author = _pick(sorted(inv.account_keys), allowed.accounts, False)
            seen_chat = _key(inv.chat_keys, _pick(busiest, allowed.chats, True))
            if template.endswith("/chats/{key}") and author is not None and seen_chat:
                base = url.rsplit("/", 1)[0]
                hidden = inv.account_keys[author]
                urls.append(f"{base}/{seen_chat}?q=a&author={hidden}&kind=text&since=2000-01-01")
            if template.endswith(("/accounts", "/graph")):
                urls.append(f"{url}?country={country}")
            if template.endswith(("/accounts", "/key-actors")):
                urls.append(f"{url}?sort=matched")
        if not names:
            break
    return urls


def _send(client: Any, method: str, url: str, world: World) -> Any:
    if method == "GET":
        return client.get(url, follow_redirects=False)
    if url == "/api/public/tips":
        return client.post(url, json={"platform": "signal", "group_name": "scope test"})
    token = csrf_of(client.get("/report").text)
    if method == "PUT":
        return client.put(url, content=b"", headers={"X-CSRF-Token": token})
    country = url.split("/investigations/")[1].split("/")[0] if "/investigations/" in url else ""
    form = {
        "csrf_token": token,
        "reason": "scope test reason",
        "status": world.inventory.countries.get(country, ""),  # unchanged: nothing moves
        "accounts": "",
        "account": "",
        "username": "nobody",
        "password": "wrong password",
    }
    return client.post(url, data=form, follow_redirects=False)


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for path, route in flat_routes(app.routes):
        if isinstance(route, APIRoute):
            methods = sorted((route.methods or set()) - {"HEAD"})
        elif type(route).__name__ == "Route":  # the docs pages FastAPI adds itself
            methods = ["GET"]
        else:
            continue  # static file mounts: no case data
        found += [(m, path) for m in methods]
    assert len(found) > 50, "the route table was not read"  # a reader that finds none is wrong
    return sorted(found, key=lambda r: r[1] in LAST)


def check_world(
    world: World, rules: dict[str, str], tally: Tally, only: set[str] | None = None
) -> None:
    """Every route (or `only` these), every principal; leaks go into the tally."""
    clients = _clients(world)
    for principal in world.principals:
        client = clients[principal.name]
        allowed = allowance(world.inventory, principal.role, principal.country)
        forbidden = Forbidden.of(world.inventory, allowed)
        nothing = Forbidden.of(world.inventory, allowance(world.inventory, "anonymous", None))
        for method, template in _routes(client.app):
            if only is not None and template not in only:
                continue
            rule = rules.get(template)
            if rule is None:
                tally.leaks.append(f"{method} {template}: no scope rule")
                continue
            banned = nothing if rule == PUBLIC else forbidden
            for url in _urls(template, world, principal):
                response = _send(client, method, url, world)
                body = readable(response.text, response.headers.get("content-type", ""))
                tally.requests += 1
                tally.checks += len(banned)
                tally.routes.add(f"{method} {template}")
                tally.principals.add(principal.name)
                for leak in banned.found_in(body, known=url):
                    tally.leaks.append(f"{principal.name} {method} {url}: {leak}")


# ---- the tests ---------------------------------------------------------------------------

SEEDS = (7, 21)  # 7 is conftest's `synth_small`, generated once per session
TALLY: dict[int, Tally] = {}


@pytest.fixture(scope="session", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    seed = int(request.param)
    operation = request.getfixturevalue("synth_small") if seed == 7 else None
    return synth_world(tmp_path_factory.mktemp(f"scope-{seed}"), seed, operation)


@pytest.fixture(scope="session", autouse=True)
def _engines() -> Iterator[None]:
    yield
    dispose_engines()


def test_the_worlds_have_what_the_check_needs(world: World) -> None:
    roles = {p.role for p in world.principals}
    assert roles == {"admin", "analyst", "reviewer", "auditor", "anonymous", "liaison"}
    liaisons = [p for p in world.principals if p.role == "liaison"]
    assert len({p.country for p in liaisons}) == 3
    referred = [p for p in liaisons if p.country in world.inventory.referred]
    assert len(referred) == 2
    a, b = (allowance(world.inventory, "liaison", p.country) for p in referred)
    everyone = set(world.inventory.account_keys)
    assert a.accounts and b.accounts and a.accounts != b.accounts
    assert everyone - a.accounts and everyone - b.accounts  # each has something to not see
    # a partner reported back on one referred country: its figures are that country's alone
    assert len(world.inventory.reported) == 1 and len(a.reports | b.reports) == 1
    assert {i.kind for i in world.inventory.identifiers if i.owner[0] == "report"} == {
        "partner unit", "phone", "media hash"
    }  # fmt: skip


def test_no_route_shows_any_principal_an_identifier_outside_its_scope(world: World) -> None:
    tally = TALLY.setdefault(id(world), Tally())
    check_world(world, SCOPE_RULES, tally)
    assert tally.leaks == []
    assert len(tally.principals) == 8
    print(  # the figures issue 10's closing note asks for
        f"\n{world.case}: {len(tally.routes)} routes x {len(tally.principals)} principals, "
        f"{tally.requests} requests, {tally.checks} (response, identifier) checks"
    )


def test_liaison_reports_from_the_cli_show_only_their_scope(world: World) -> None:
    from typer.testing import CliRunner

    from casegraph.cli import app

    for principal in world.principals:
        if principal.role != "liaison" or principal.country not in world.inventory.referred:
            continue
        forbidden = Forbidden.of(
            world.inventory, allowance(world.inventory, "liaison", principal.country)
        )
        for fmt in ("json", "html"):
            result = CliRunner().invoke(
                app,
                [
                    *("--home", str(world.home.root), "report", world.case),
                    *("--format", fmt, "--scope", str(principal.country)),
                ],
            )
            assert result.exit_code == 0, result.output
            body = readable(result.stdout, fmt)
            assert forbidden.found_in(body) == [], (principal.country, fmt)
            assert len(forbidden) > 0


# ---- the check catches what it should ------------------------------------------------------


UNSCOPED = "/api/cases/{name}/unscoped-accounts"


def _unscoped_app(world: World) -> FastAPI:
    """The real app plus a route that reads accounts without the scoped layer."""
    from casegraph.web.access import CASE_READERS
    from casegraph.web.app import create_app
    from casegraph.web.context import open_case, require

    app = create_app(world.home)

    @app.get(UNSCOPED)
    def unscoped(request: Request, name: str) -> JSONResponse:
        viewer = require(request, CASE_READERS)
        case, _ = open_case(request, name, viewer)  # the scope is computed, then ignored
        with case.read() as session:
            rows = session.scalars(select(AccountRow).where(AccountRow.case_id == case.id))
            return JSONResponse({"accounts": [[a.key, a.identifier] for a in rows]})

    return app


def test_the_referral_package_carries_nothing_outside_its_countrys_scope(world: World) -> None:
    """What goes to a partner agency is no more than its country's liaison may see."""
    from casegraph.exchange.crypto import open_package
    from casegraph.exchange.keys import load_identity, load_public
    from web_fixtures import OWN_KEY, PARTNER_KEY

    assert world.referral is not None
    partner = world.home.root.parent / "partner-home"
    opened = open_package(
        world.referral,
        load_public(partner, OWN_KEY),
        load_identity(partner, PARTNER_KEY, KEY_PASSPHRASE),
    )
    inv = world.inventory
    allowed = allowance(inv, "liaison", world.referred_to)
    banned = Forbidden.of(inv, allowed)
    everything = b"".join(opened.files.values()).decode("utf-8", "replace")
    shown = {i.kind for i in inv.identifiers if allowed.allows(i) and i.text in everything}
    assert {"phone", "chat title", "display name"} <= shown  # the check has something to read
    leaks = [
        f"{name}: {leak}"
        for name, data in sorted(opened.files.items())
        for leak in banned.found_in(readable(data.decode("utf-8", "replace"), name))
    ]
    assert leaks == []


def test_a_route_that_bypasses_the_layer_is_caught(world: World) -> None:
    from fastapi.testclient import TestClient

    liaison = next(
        p for p in world.principals if p.role == "liaison" and p.country in world.inventory.referred
    )
    client = TestClient(_unscoped_app(world))
    login(client, liaison.name, "liaison-pass-123")
    leaky = World(world.home, world.case, world.inventory, [liaison], world.receipt, world.package)
    leaky.clients = {liaison.name: client}
    tally = Tally()
    check_world(leaky, SCOPE_RULES, tally, only={UNSCOPED})
    assert tally.leaks == [f"GET {UNSCOPED}: no scope rule"]
    tally = Tally()
    check_world(leaky, {**SCOPE_RULES, UNSCOPED: CASE}, tally, only={UNSCOPED})
    assert any(": phone +" in leak for leak in tally.leaks)
    assert any(": account key acct-" in leak for leak in tally.leaks)
