"""Investigations in the workspace: forward-only status, partners' outcome figures, and
signed, encrypted referral packages generated, listed and downloaded (audited)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casegraph.exchange.keys import export_public_key, import_public_key
from casegraph.exchange.receive import verify
from casegraph.exchange.sealed import PASSPHRASE_ENV
from casegraph.store.cases import Home, dispose_engines
from web_fixtures import (
    KEY_PASSPHRASE,
    OWN_KEY,
    PARTNER_KEY,
    Built,
    add_referral_keys,
    build_case,
    csrf_of,
    login,
    make_client,
    seed_users,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, Built]]:
    home = Home(Path(tmp_path_factory.mktemp("referrals")) / "home")
    built = build_case(home)
    seed_users(home, "analyst", "liaison")
    add_referral_keys(home)
    yield home, built
    dispose_engines()


@pytest.fixture(scope="module")
def analyst(world: tuple[Home, Built]) -> Any:
    client = make_client(world[0])
    login(client, "analyst")
    return client


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, KEY_PASSPHRASE)


def _token(client: Any) -> str:
    return csrf_of(client.get("/me").text)


def _investigation(client: Any, built: Built, country: str) -> dict[str, Any]:
    rows = client.get(f"/api/cases/{built.case}/investigations").json()["investigations"]
    return next(row for row in rows if row["country"] == country)


def _generate(client: Any, built: Built, country: str = "ES", **fields: str) -> Any:
    data = {"recipient": PARTNER_KEY, "identity": OWN_KEY, "reason": "referral to partner"}
    return client.post(
        f"/api/cases/{built.case}/investigations/{country}/packages",
        data={**data, **fields},
        headers={"x-csrf-token": _token(client)},
    )


def test_a_status_cannot_move_back_and_the_page_says_why(
    analyst: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    response = analyst.post(
        f"/cases/{built.case}/investigations/ES/status",
        data={"csrf_token": _token(analyst), "status": "proposed"},
    )
    assert response.status_code == 400
    assert "investigation ES is referred; it cannot go back to proposed" in response.text
    assert _investigation(analyst, built, "ES")["status"] == "referred"


def test_the_status_form_offers_only_forward_moves(analyst: Any, world: tuple[Home, Built]) -> None:
    _, built = world
    statuses = analyst.get(f"/api/cases/{built.case}/investigations").json()["statuses"]
    assert statuses["ES"] == ["referred", "acknowledged", "active", "arrests_made", "closed"]


def test_an_unknown_status_is_refused_with_the_valid_ones(
    analyst: Any, world: tuple[Home, Built]
) -> None:
    _, built = world
    response = analyst.post(
        f"/api/cases/{built.case}/investigations/ES/status",
        data={"status": "accepted"},
        headers={"x-csrf-token": _token(analyst)},
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("status 'accepted' is unknown: use one of")


def test_outcome_figures_are_recorded_from_the_form(
    analyst: Any, world: tuple[Home, Built]
) -> None:
    home, built = world
    response = analyst.post(
        f"/cases/{built.case}/investigations/MX/outcome",
        data={
            "csrf_token": _token(analyst),
            "arrests": "2",
            "suspects": "4",
            "minors": "",
            "suspect_ages": "33, 41",
            "reason": "partner report 7",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    row = _investigation(analyst, built, "MX")
    assert (row["arrests"], row["suspects"], row["minors"], row["suspect_ages"]) == (
        2,
        4,
        1,  # a blank field keeps what was recorded
        [33, 41],
    )
    assert row["status"] == "arrests_made"
    case = home.open_case(built.case)
    with case.read() as session:
        last = case.audit.entries(session, limit=1)[0]
    assert (last.action, last.reason, last.details["ages_recorded"]) == (
        "investigation.outcome",
        "partner report 7",
        2,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"arrests": "two"}, "arrests must be a whole number"),
        ({"suspects": "1", "minors": "3"}, "minors (3) cannot exceed suspects (1)"),
        ({"suspect_ages": "31, 200"}, "suspect ages must be between 0 and 120"),
    ],
)
def test_implausible_outcome_figures_are_refused(
    analyst: Any, world: tuple[Home, Built], fields: dict[str, str], message: str
) -> None:
    _, built = world
    before = _investigation(analyst, built, "ES")
    response = analyst.post(
        f"/api/cases/{built.case}/investigations/ES/outcome",
        data=fields,
        headers={"x-csrf-token": _token(analyst)},
    )
    assert response.status_code == 400 and message in response.json()["detail"]
    assert _investigation(analyst, built, "ES") == before


def test_without_the_key_passphrase_the_page_says_so_instead_of_failing(
    analyst: Any, world: tuple[Home, Built], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, built = world
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    page = analyst.get(f"/cases/{built.case}/investigations").text
    assert 'id="passphrase-missing"' in page and PASSPHRASE_ENV in page
    assert 'class="generate-referral"' not in page
    response = _generate(analyst, built)
    assert response.status_code == 400 and PASSPHRASE_ENV in response.json()["detail"]


def test_the_form_offers_the_partner_keys_and_own_identities(
    analyst: Any, world: tuple[Home, Built], passphrase: None
) -> None:
    _, built = world
    page = analyst.get(f"/cases/{built.case}/investigations").text
    assert 'class="generate-referral" data-country="ES"' in page
    assert f'<option value="{PARTNER_KEY}" selected>' in page
    assert f"<option>{OWN_KEY}</option>" in page


def test_a_generated_package_is_listed_with_its_sha256_and_opens_for_the_partner(
    analyst: Any, world: tuple[Home, Built], passphrase: None
) -> None:
    home, built = world
    result = _generate(analyst, built).json()
    package = home.case_dir(built.case) / "referrals" / "ES" / result["package"]
    digest = hashlib.sha256(package.read_bytes()).hexdigest()
    assert result["ciphertext_sha256"] == digest and result["targets"] == 3
    listed = analyst.get(f"/api/cases/{built.case}/investigations/ES/packages").json()
    assert {"name": package.name, "sha256": digest} in [
        {"name": p["name"], "sha256": p["sha256"]} for p in listed["packages"]
    ]
    page = analyst.get(f"/cases/{built.case}/investigations").text
    assert f"<code>{digest}</code>" in page
    # the partner opens it with their own identity and our public key
    partner = Home(home.root.parent / "partner-home")
    ours = export_public_key(home.root, OWN_KEY, home.root.parent / "our.pub.json")
    import_public_key(partner.root, ours)
    opened = verify(partner, package, OWN_KEY, PARTNER_KEY, KEY_PASSPHRASE)
    assert (opened.country, opened.ciphertext_sha256) == ("ES", digest)


def test_a_package_download_is_the_file_and_is_audited(
    analyst: Any, world: tuple[Home, Built], passphrase: None
) -> None:
    home, built = world
    name = _generate(analyst, built).json()["signature"]
    response = analyst.get(f"/cases/{built.case}/investigations/ES/packages/{name}")
    path = home.case_dir(built.case) / "referrals" / "ES" / name
    assert response.content == path.read_bytes()
    assert response.headers["cache-control"] == "no-store"
    case = home.open_case(built.case)
    with case.read() as session:
        last = case.audit.entries(session, limit=1)[0]
    assert (last.actor, last.action, last.details) == (
        "analyst",
        "referral.package.download",
        {"file": name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
    )


@pytest.mark.parametrize("name", ["../../case.sqlite", "notes.txt", "referral-x.age"])
def test_only_generated_packages_can_be_downloaded(
    analyst: Any, world: tuple[Home, Built], name: str
) -> None:
    _, built = world
    url = f"/api/cases/{built.case}/investigations/ES/packages/{name}"
    assert analyst.get(url).status_code == 404


def test_the_recipient_must_be_a_partner_key_of_the_key_store(
    analyst: Any, world: tuple[Home, Built], passphrase: None
) -> None:
    home, built = world
    outside = str(home.root / "keys" / "partners" / f"{PARTNER_KEY}.json")
    response = _generate(analyst, built, recipient=outside)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("no partner key")


def test_unattributed_accounts_cannot_be_referred(
    analyst: Any, world: tuple[Home, Built], passphrase: None
) -> None:
    _, built = world
    response = _generate(analyst, built, country="unattributed")
    assert response.status_code == 400
    assert "two-letter country" in response.json()["detail"]


def test_a_liaison_officer_never_sees_the_referral_form_or_packages(
    world: tuple[Home, Built], passphrase: None
) -> None:
    home, built = world
    liaison = make_client(home)
    login(liaison, "liaison")
    data = liaison.get(f"/api/cases/{built.case}/investigations").json()
    assert "referral_form" not in data and "packages" not in data
    page = liaison.get(f"/cases/{built.case}/investigations").text
    assert "generate-referral" not in page and re.search(r"/packages/referral-", page) is None
    assert _generate(liaison, built).status_code == 403


def test_packages_generated_back_to_back_are_both_kept(
    analyst: Any, world: tuple[Home, Built], passphrase: None
) -> None:
    _, built = world
    first, second = _generate(analyst, built).json(), _generate(analyst, built).json()
    assert first["package"] != second["package"]
    listed = analyst.get(f"/api/cases/{built.case}/investigations/ES/packages").json()["packages"]
    kept = {p["name"]: p["sha256"] for p in listed}
    assert kept[first["package"]] == first["ciphertext_sha256"]
    assert kept[second["package"]] == second["ciphertext_sha256"]


def test_the_package_button_refuses_another_countrys_key_without_its_own_reason(
    analyst: Any, world: tuple[Home, Built], passphrase: None
) -> None:
    home, built = world
    before = _investigation(analyst, built, "MX")["status"]
    response = _generate(analyst, built, country="MX")  # the ES partner's key, a general reason
    assert response.status_code == 400
    assert "is for country ES" in response.json()["detail"]
    assert _investigation(analyst, built, "MX")["status"] == before
    assert not (home.case_dir(built.case) / "referrals" / "MX").exists() or not list(
        (home.case_dir(built.case) / "referrals" / "MX").glob("*.age")
    )


def test_another_countrys_key_with_its_reason_is_sent_and_audited(
    analyst: Any, world: tuple[Home, Built], passphrase: None
) -> None:
    home, built = world
    response = _generate(analyst, built, country="MX", country_reason="MX liaison sits in ES")
    assert response.status_code == 200, response.text
    case = home.open_case(built.case)
    with case.read() as session:
        last = [e for e in case.audit.entries(session, limit=5) if e.action == "referral.create"][
            -1
        ]
    assert "MX liaison sits in ES" in last.reason
    assert last.details["country_mismatch"] == {"investigation": "MX", "key": "ES"}
