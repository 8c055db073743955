"""The way back in the workspace: the partner's buttons send an acknowledgement or an outcome
report; the coordinator uploads it, and the dashboard shows who reported what, and when."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casegraph.exchange.package import refer
from casegraph.exchange.receive import import_referral
from casegraph.exchange.sealed import PASSPHRASE_ENV
from casegraph.store.cases import Home
from exchange_fixtures import PASSPHRASE, Agencies, build_operation, make_agencies
from web_fixtures import csrf_of, login, make_client, seed_users


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)


@pytest.fixture
def agencies(home: Home, tmp_path: Path) -> Agencies:
    agencies = make_agencies(home, tmp_path)
    build_operation(home)
    package = refer(home, "op", "ES", "es", tmp_path / "sent").package
    import_referral(agencies.partner, package, "es", "coord")
    seed_users(agencies.partner, "analyst", "liaison")
    seed_users(agencies.coordinator, "analyst")
    return agencies


def _client(home: Home, user: str = "analyst") -> Any:
    client = make_client(home)
    login(client, user)
    return client


def _answer(client: Any, **fields: str) -> Any:
    return client.post(
        "/api/cases/ref-op-ES/investigations/ES/responses",
        data=fields,
        headers={"x-csrf-token": csrf_of(client.get("/me").text)},
    )


def _upload(client: Any, package: Path, sender: str = "es") -> Any:
    files = {
        "package": ("x.age", package.read_bytes()),
        "signature": ("x.sig", package.with_suffix(".sig").read_bytes()),
    }
    return client.post(
        "/api/cases/op/responses",
        data={"sender": sender},
        files=files,
        headers={"x-csrf-token": csrf_of(client.get("/me").text)},
    )


def test_the_partner_page_offers_to_answer_the_referral_it_received(agencies: Agencies) -> None:
    page = _client(agencies.partner).get("/cases/ref-op-ES/investigations").text
    assert 'class="acknowledge" data-country="ES"' in page
    assert 'class="report-outcome" data-country="ES"' in page
    assert "from Coordinating Unit" in page


def test_buttons_send_and_upload_records_then_the_dashboard_shows_it(agencies: Agencies) -> None:
    partner = _client(agencies.partner)
    ack = _answer(partner, kind="acknowledgement", status="accepted").json()
    report = _answer(
        partner,
        kind="outcome",
        arrests="2",
        suspects="3",
        suspect_ages="17, 34, 41",
        minors_safeguarded="4",
    ).json()
    folder = agencies.partner.case_dir("ref-op-ES") / "referrals" / "ES"
    listed = partner.get("/api/cases/ref-op-ES/investigations/ES/packages").json()["packages"]
    assert {p["name"] for p in listed} == {ack["package"], report["package"]}
    coordinator = _client(agencies.coordinator)
    for name in (ack["package"], report["package"], report["package"]):
        assert _upload(coordinator, folder / name).status_code == 200
    dashboard = coordinator.get("/api/dashboard").json()
    (row,) = dashboard["partner_outcomes"]
    assert (row["country"], row["acknowledgement"], row["arrests"], row["reporter"]) == (
        "ES",
        "accepted",
        2,
        "Unidad ES",
    )
    assert row["suspect_ages"] == [17, 34, 41] and row["minors_safeguarded"] == 4
    assert dashboard["totals"]["arrests"] == 2


def test_an_upload_with_a_wrong_sender_key_is_refused_in_one_line(agencies: Agencies) -> None:
    ack = _answer(_client(agencies.partner), kind="acknowledgement", status="received").json()
    package = agencies.partner.case_dir("ref-op-ES") / "referrals" / "ES" / ack["package"]
    response = _upload(_client(agencies.coordinator), package, sender="other")
    assert response.status_code == 400 and "is signed by key" in response.json()["detail"]


def test_declining_without_a_reason_is_refused_by_the_form(agencies: Agencies) -> None:
    response = _answer(_client(agencies.partner), kind="acknowledgement", status="declined")
    assert response.status_code == 400 and "--reason" in response.json()["detail"]


def test_a_liaison_officer_cannot_answer_for_the_unit(agencies: Agencies) -> None:
    response = _answer(
        _client(agencies.partner, "liaison"), kind="acknowledgement", status="received"
    )
    assert response.status_code == 403
