"""The way back: a partner's signed, encrypted acknowledgements and outcome reports, recorded
by the coordinator once each, from the key the referral went to and from no one else."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from casegraph.errors import CaseError, InputError
from casegraph.exchange.crypto import open_package, seal_package
from casegraph.exchange.investigations import investigation_status
from casegraph.exchange.keys import export_public_key, import_public_key, load_identity, load_public
from casegraph.exchange.package import refer
from casegraph.exchange.receive import import_referral
from casegraph.exchange.responses import Outcome, import_response, send_response
from casegraph.store.cases import Home
from casegraph.store.schema import PartnerReportRow
from exchange_fixtures import Agencies, Operation, build_operation, make_agencies


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", "correct horse battery staple")


@pytest.fixture
def received(home: Home, tmp_path: Path) -> tuple[Agencies, Operation, str]:
    """The coordinator referred ES; the ES partner imported it."""
    agencies, op = make_agencies(home, tmp_path), build_operation(home)
    package = refer(home, "op", "ES", "es", tmp_path / "sent").package
    case = import_referral(agencies.partner, package, "es", "coord").case
    return agencies, op, case


OUTCOME = Outcome(
    arrests=2,
    suspects=3,
    suspect_ages=[17, 34, 41],
    minors_safeguarded=4,
    new_identifiers=[{"platform": "whatsapp", "identifier": "+34600000999"}],
    new_media_sha256=["ab" * 32],
)


def _es(received: tuple[Agencies, Operation, str], out: Path, **options: Any) -> Path:
    agencies, _op, case = received
    return send_response(agencies.partner, case, "ES", out, **options).package


def _coordinator_view(agencies: Agencies) -> Any:
    return investigation_status(agencies.coordinator.open_case("op"), "ES")[0]


def test_an_accepted_acknowledgement_moves_the_investigation_forward(
    received: tuple[Agencies, Operation, str], tmp_path: Path
) -> None:
    agencies = received[0]
    package = _es(received, tmp_path / "ack", status="accepted")
    result = import_response(agencies.coordinator, package, "es")
    assert (result.kind, result.status, result.reporter) == (
        "acknowledgement",
        "accepted",
        "Unidad ES",
    )
    assert _coordinator_view(agencies).status == "acknowledged"


def test_declining_needs_a_reason_that_reaches_the_coordinator(
    received: tuple[Agencies, Operation, str], tmp_path: Path
) -> None:
    agencies = received[0]
    with pytest.raises(CaseError, match="--reason"):
        _es(received, tmp_path / "ack", status="declined")
    package = _es(received, tmp_path / "ack", status="declined", reason="outside our remit")
    import_response(agencies.coordinator, package, "es")
    with agencies.coordinator.open_case("op").read() as session:
        report = session.scalars(select(PartnerReportRow)).one()
    assert (report.status, report.details["reason"]) == ("declined", "outside our remit")
    assert _coordinator_view(agencies).status == "referred"


def test_an_outcome_report_sets_the_figures_once_however_often_imported(
    received: tuple[Agencies, Operation, str], tmp_path: Path
) -> None:
    agencies = received[0]
    package = _es(received, tmp_path / "outcome", outcome=OUTCOME)
    first = import_response(agencies.coordinator, package, "es")
    again = import_response(agencies.coordinator, package, "es")
    assert not first.already_imported and again.already_imported
    view = _coordinator_view(agencies)
    assert (view.arrests, view.suspects, view.minors, view.suspect_ages) == (2, 3, 4, [17, 34, 41])
    assert view.status == "arrests_made"
    with agencies.coordinator.open_case("op").read() as session:
        assert session.scalar(select(func.count()).select_from(PartnerReportRow)) == 1


def test_an_older_outcome_imported_after_a_newer_one_does_not_replace_it(
    received: tuple[Agencies, Operation, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agencies = received[0]
    older = _es(received, tmp_path / "o1", outcome=Outcome(arrests=1, suspects=1))

    time.sleep(1.1)  # reported_at has one-second resolution
    newer = _es(received, tmp_path / "o2", outcome=OUTCOME)
    import_response(agencies.coordinator, newer, "es")
    import_response(agencies.coordinator, older, "es")
    assert _coordinator_view(agencies).arrests == 2


def test_a_response_from_a_key_the_referral_did_not_go_to_is_refused(
    received: tuple[Agencies, Operation, str], tmp_path: Path
) -> None:
    """Another partner, validly signing with its own known key, answers the ES referral."""

    agencies = received[0]
    genuine = _es(received, tmp_path / "genuine", outcome=OUTCOME)

    coordinator = agencies.coordinator.root
    response = json.loads(
        open_package(
            genuine, load_public(coordinator, "es"), load_identity(coordinator, "coord")
        ).files["response.json"]
    )
    export_public_key(coordinator, "coord", tmp_path / "c.json")
    import_public_key(agencies.outsider.root, tmp_path / "c.json")
    other = load_identity(agencies.outsider.root, "other")
    response["reporter"] = {
        "name": "other",
        "agency": "Other Unit",
        "country": "FR",
        "fingerprint": other.public.fingerprint,
    }
    body = json.dumps(response).encode()
    now = datetime.now(UTC).replace(microsecond=0)
    manifest = {
        "format": "casegraph-response/1",
        "tool": "casegraph",
        "created_at": now.isoformat(),
        "sender": response["reporter"],
        "recipient": {
            "name": "coord",
            "agency": "Coordinating Unit",
            "country": "NL",
            "fingerprint": load_public(coordinator, "coord").fingerprint,
        },
        "files": [
            {"path": "response.json", "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
        ],
    }
    forged = seal_package(
        {"response.json": body},
        manifest,
        other,
        load_public(agencies.outsider.root, "coord"),
        tmp_path / "forged",
        "response-forged",
        now,
    )
    with pytest.raises(InputError, match="did not send to key other"):
        import_response(agencies.coordinator, forged, "other")
    assert _coordinator_view(agencies).arrests == 0


def test_a_response_names_the_referral_and_version_it_answers(
    received: tuple[Agencies, Operation, str], tmp_path: Path
) -> None:
    agencies, _op, case = received
    sent = send_response(agencies.partner, case, "ES", tmp_path / "ack", status="received")
    assert sent.version == 1 and sent.referral_id.startswith("ref-")
    assert sent.package.name.startswith("response-op-ES-acknowledgement-")


def test_implausible_outcome_figures_are_refused_before_anything_is_sent(
    received: tuple[Agencies, Operation, str], tmp_path: Path
) -> None:
    with pytest.raises(CaseError, match="ages for 1 suspect"):
        _es(received, tmp_path / "o", outcome=Outcome(arrests=1, suspects=1, suspect_ages=[20, 30]))
    assert not (tmp_path / "o").exists()


def test_a_case_without_a_received_referral_cannot_answer(
    received: tuple[Agencies, Operation, str], tmp_path: Path
) -> None:
    agencies = received[0]
    with pytest.raises(CaseError, match="holds no received referral for FR"):
        send_response(agencies.partner, received[2], "FR", tmp_path / "o", status="received")


def test_the_response_schema_is_published(tmp_path: Path) -> None:
    from importlib import resources

    shipped = resources.files("casegraph.exchange").joinpath("schemas", "response-v1.json")
    published = Path(__file__).resolve().parent.parent / "docs" / "schema" / "response-v1.json"
    assert json.loads(published.read_text()) == json.loads(shipped.read_text())
