"""Deconfliction by private set intersection: signed requests and answers, no shared key.

Three agencies: the coordinator (case `op`), ES (case `es-local`) and FR (case `fr-local`).
Each side learns which of its own identifiers the other holds, and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import private_set_intersection.python as psi
import pytest
from sqlalchemy import select

from casegraph.errors import CaseError, InputError
from casegraph.exchange import sealed
from casegraph.exchange.deconflict import (
    REQUEST_PURPOSE,
    answer_request,
    export_request,
    read_answer,
)
from casegraph.exchange.keys import import_public_key, load_identity, revoke_key
from casegraph.exchange.sealed import unseal
from casegraph.exchange.signed import signed_message
from casegraph.model import account_key
from casegraph.store.cases import Case, Home
from casegraph.store.evidence import hash_bytes
from casegraph.store.schema import AccountRow, AuditRow, MediaRow
from exchange_fixtures import (
    ACCOUNTS,
    PASSPHRASE,
    Agencies,
    AgencyHomes,
    Operation,
    build_operation,
    make_agencies,
    media_bytes,
)

FR_SECRET_TARGET = "+33639981234"  # synthetic; held by FR only
FR_SHARED_WITH_ES = "+34600000999"


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(sealed, "SCRYPT_N", 2**10)  # the work factor is stored per file


@pytest.fixture
def shared(home: Home, tmp_path: Path) -> tuple[Agencies, Operation]:
    return _share(home, tmp_path, AgencyHomes(home))


@pytest.fixture
def any_shared(any_home: Home, tmp_path: Path) -> Iterator[tuple[Agencies, Operation]]:
    """The same agencies on SQLite and on PostgreSQL (one schema per agency there)."""
    homes = AgencyHomes(any_home)
    yield _share(homes.home(tmp_path / "coordinator"), tmp_path, homes)
    homes.close()


def _account(case: Case, platform: str, identifier: str) -> AccountRow:
    return AccountRow(
        case_id=case.id,
        key=account_key(platform, identifier, case.id_secret),
        platform=platform,
        identifier=identifier,
        identifier_kind="phone",
    )


def _share(home: Home, tmp_path: Path, homes: AgencyHomes) -> tuple[Agencies, Operation]:
    """Keys exchanged; ES and FR have cases of their own with planted overlaps."""
    agencies = make_agencies(home, tmp_path, homes)
    import_public_key(agencies.outsider.root, tmp_path / "es.pub.json")
    op = build_operation(home)
    es_case = agencies.partner.create_case("es-local", agency="Unidad ES")
    with es_case.mutate("test", "fixture.load", "case:es-local") as session:
        # one coordinator target (seen on Telegram here), one FR target, and the m2 file
        session.add(_account(es_case, "telegram", "+34600000102"))
        session.add(_account(es_case, "whatsapp", FR_SHARED_WITH_ES))
        m2 = hash_bytes(media_bytes("m2"))
        session.add(
            MediaRow(case_id=es_case.id, sha256=m2.sha256, md5=m2.md5, sha1=m2.sha1, size=1)
        )
    fr_case = agencies.outsider.create_case("fr-local", agency="Other Unit")
    with fr_case.mutate("test", "fixture.load", "case:fr-local") as session:
        session.add(_account(fr_case, "whatsapp", FR_SHARED_WITH_ES))
        session.add(_account(fr_case, "whatsapp", FR_SECRET_TARGET))
    return agencies, op


def _es_asks_coordinator(agencies: Agencies, tmp_path: Path) -> tuple[Path, Path]:
    request, answer = tmp_path / "es.request.json", tmp_path / "es.answer.json"
    export_request(agencies.partner, "es-local", request, operation="lantern")
    answer_request(agencies.coordinator, "op", request, answer)
    return request, answer


def test_the_requester_learns_which_of_its_identifiers_the_other_side_holds(
    any_shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = any_shared
    _request, answer = _es_asks_coordinator(agencies, tmp_path)
    result = read_answer(agencies.partner, "es-local", answer)
    assert [a["identifier"] for a in result.known_accounts] == ["+34600000102"]
    assert result.known_media == [op.media["m2"]["sha256"]]
    assert (result.partner, result.operation) == ("Coordinating Unit", "lantern")


def test_the_other_direction_gives_the_coordinator_its_own_view(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = shared
    request, answer = tmp_path / "op.request.json", tmp_path / "op.answer.json"
    export_request(agencies.coordinator, "op", request, recipient="es")
    answer_request(agencies.partner, "es-local", request, answer)
    result = read_answer(agencies.coordinator, "op", answer)
    assert [a["key"] for a in result.known_accounts] == [op.accounts["+34600000102"]]
    assert result.known_media == [op.media["m2"]["sha256"]]
    assert result.partner == "Unidad ES"


def test_request_and_answer_bytes_hold_no_raw_identifier(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = shared
    request, answer = tmp_path / "op.request.json", tmp_path / "op.answer.json"
    count = export_request(agencies.coordinator, "op", request)
    answer_request(agencies.partner, "es-local", request, answer)
    secrets = [*ACCOUNTS, *(i.lstrip("+") for i in ACCOUNTS), FR_SHARED_WITH_ES]
    secrets += [h for hashes in op.media.values() for h in hashes.values()]
    secrets += [h.upper() for hashes in op.media.values() for h in hashes.values()]
    for path in (request, answer):
        raw = path.read_bytes()
        for value in secrets:
            assert value.encode() not in raw, (path.name, value)
    assert count == json.loads(request.read_bytes())["identifiers"]
    assert count == len(ACCOUNTS) + 3 * len(op.media)


def test_the_answering_agency_records_who_asked_and_how_many_but_not_what(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    _es_asks_coordinator(agencies, tmp_path)
    with agencies.coordinator.open_case("op").read() as session:
        answered = select(AuditRow).where(AuditRow.action == "deconflict.answer")
        entry = session.scalars(answered).one()
        flagged = [r for r in session.scalars(select(AccountRow)) if r.provenance]
    assert entry.details["agency"] == "Unidad ES" and entry.details["identifiers"] == 5
    assert not {"known_accounts", "known_media"} & set(entry.details)
    assert flagged == []


def test_a_check_is_audited_with_counts_and_flags_the_accounts_once(
    any_shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = any_shared
    _request, answer = _es_asks_coordinator(agencies, tmp_path)
    read_answer(agencies.partner, "es-local", answer)
    read_answer(agencies.partner, "es-local", answer)
    with agencies.partner.open_case("es-local").read() as session:
        entries = session.scalars(select(AuditRow).where(AuditRow.action == "deconflict.check"))
        counts = [(e.details["known_accounts"], e.details["known_media"]) for e in entries]
        flagged = {
            row.identifier: row.provenance["known_elsewhere"]
            for row in session.scalars(select(AccountRow))
            if row.provenance.get("known_elsewhere")
        }
    assert counts == [(1, 1), (1, 1)]
    assert list(flagged) == ["+34600000102"]
    [flag] = flagged["+34600000102"]  # a repeated check replaces its own flag
    assert (flag["by"], flag["operation"]) == ("Coordinating Unit", "lantern")


def test_other_cases_of_the_installation_are_flagged(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    second = agencies.partner.create_case("es-2")
    with second.mutate("test", "fixture.load", "case:es-2") as session:
        session.add(_account(second, "whatsapp", FR_SHARED_WITH_ES))
    _request, answer = _es_asks_coordinator(agencies, tmp_path)
    result = read_answer(agencies.partner, "es-local", answer)
    assert result.in_other_cases == [
        {
            "kind": "account",
            "id": account_key("whatsapp", FR_SHARED_WITH_ES, second.id_secret),
            "cases": ["es-2"],
        }
    ]


def test_a_request_over_the_daily_allowance_is_refused_and_audited(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    request = tmp_path / "es.request.json"
    export_request(agencies.partner, "es-local", request)
    answer_request(agencies.coordinator, "op", request, tmp_path / "first.json", daily_limit=8)
    with pytest.raises(CaseError, match=r"5 identifier\(s\) after 5 .* allowance is 8"):
        answer_request(agencies.coordinator, "op", request, tmp_path / "second.json", daily_limit=8)
    assert not (tmp_path / "second.json").exists()
    with agencies.coordinator.open_case("op").read() as session:
        refused = session.scalars(select(AuditRow).where(AuditRow.action == "deconflict.refused"))
        assert [e.details["agency"] for e in refused] == ["Unidad ES"]


def _resign(document: dict[str, Any], home: Home, name: str, purpose: str) -> dict[str, Any]:
    identity = load_identity(home.root, name)
    signature = identity.signing.sign(signed_message(document, purpose))
    return {**document, "signature": base64.b64encode(signature).decode()}


def test_a_request_claiming_another_agency_is_refused_even_when_validly_signed(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    request = tmp_path / "fr.request.json"
    export_request(agencies.outsider, "fr-local", request)
    document = json.loads(request.read_text())
    document["signer"] = {**document["signer"], "agency": "Unidad ES", "country": "ES"}
    request.write_text(json.dumps(_resign(document, agencies.outsider, "other", REQUEST_PURPOSE)))
    with pytest.raises(InputError, match="claims to come from 'Unidad ES'"):
        answer_request(agencies.coordinator, "op", request, tmp_path / "answer.json")


def test_a_changed_field_in_a_signed_request_fails_verification(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    request = tmp_path / "es.request.json"
    export_request(agencies.partner, "es-local", request)
    document = json.loads(request.read_text())
    document["signer"]["agency"] = "Coordinating Unit"
    request.write_text(json.dumps(document))
    with pytest.raises(InputError, match="fails signature verification"):
        answer_request(agencies.coordinator, "op", request, tmp_path / "answer.json")


def test_a_request_from_a_key_that_was_never_imported_is_refused(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    request = tmp_path / "op.request.json"
    export_request(agencies.coordinator, "op", request)  # FR never imported this key
    with pytest.raises(InputError, match="not among your partner keys"):
        answer_request(agencies.outsider, "fr-local", request, tmp_path / "answer.json")


def test_a_request_from_a_revoked_partner_key_is_refused_and_answers_nothing(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    request, answer = tmp_path / "es.request.json", tmp_path / "es.answer.json"
    export_request(agencies.partner, "es-local", request)
    revoke_key(agencies.coordinator.root, "es", "laptop lost")
    with pytest.raises(InputError, match=r"sender key es .* was revoked .*laptop lost"):
        answer_request(agencies.coordinator, "op", request, answer)
    assert not answer.exists()


def test_a_revoked_own_key_makes_no_request(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    revoke_key(agencies.partner.root, "es", "replaced")
    with pytest.raises(InputError, match=r"own key es .* was revoked"):
        export_request(agencies.partner, "es-local", tmp_path / "es.request.json")
    assert not (tmp_path / "es.request.json").exists()


def test_an_answer_is_read_only_against_the_case_that_asked(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    agencies.partner.create_case("es-other")
    _request, answer = _es_asks_coordinator(agencies, tmp_path)
    with pytest.raises(InputError, match="was made for case 'es-local'"):
        read_answer(agencies.partner, "es-other", answer)


def test_a_file_that_is_neither_request_nor_answer_is_a_clear_error(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"format": "casegraph-deconfliction-tokens/1", "tokens": []}')
    with pytest.raises(InputError, match="not a casegraph deconfliction file"):
        answer_request(agencies.coordinator, "op", bogus, tmp_path / "answer.json")


# ---- what a member holding everything can learn ----------------------------------------------


def _candidates() -> list[str]:
    """10^4 numbers of FR's secret target's block: the search that recovered it before."""
    prefix = FR_SECRET_TARGET[:-4]
    return [f"{prefix}{n:04d}" for n in range(10_000)]


def _hmac_search(secrets: list[bytes], haystack: bytes, candidates: list[str]) -> set[str]:
    """The attack on shared-key tokens: tokenise every candidate under every key held."""
    found = set()
    for secret in secrets:
        for number in candidates:
            digest = hmac.new(secret, f"phone:{number}".encode(), hashlib.sha256).digest()
            if digest.hex().encode() in haystack or base64.b64encode(digest) in haystack:
                found.add(number)
    return found


def _held_secrets(home: Home) -> list[bytes]:
    """Every secret in the member's key store, unsealed: what a dishonest member can use."""
    secrets: list[bytes] = []
    for path in sorted((home.root / "keys").rglob("*.json")):
        document = json.loads(path.read_text())
        if "ciphertext" not in document:
            continue
        for value in unseal(document, PASSPHRASE, path).values():
            if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9+/=]{40,48}", value):
                secrets.append(base64.b64decode(value))
    return secrets


def test_the_search_finds_a_target_in_shared_key_tokens_like_the_old_ones(tmp_path: Path) -> None:
    """Control: the same search recovers the target from an old-style HMAC token file."""
    shared_key = b"k" * 32
    token = hmac.new(shared_key, f"phone:{FR_SECRET_TARGET}".encode(), "sha256").hexdigest()
    old_file = json.dumps({"tokens": [{"t": token, "kind": "account"}]}).encode()
    assert _hmac_search([shared_key], old_file, _candidates()) == {FR_SECRET_TARGET}


def test_a_member_holding_everything_cannot_recover_another_members_secret_target(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    es, fr = agencies.partner, agencies.outsider
    request, answer = tmp_path / "es-to-fr.request.json", tmp_path / "es-to-fr.answer.json"
    export_request(es, "es-local", request, recipient="other")
    answer_request(fr, "fr-local", request, answer)
    honest = read_answer(es, "es-local", answer)
    assert [a["identifier"] for a in honest.known_accounts] == [FR_SHARED_WITH_ES]

    # 1. the old attack, with every secret ES holds, over everything ES received
    received = request.read_bytes() + answer.read_bytes()
    secrets = _held_secrets(es)
    assert len(secrets) >= 2  # its signing key and the request's PSI key at least
    assert _hmac_search(secrets, received, _candidates()) == set()

    # 2. completing the PSI offline: ES blinds the candidates with its own key and treats
    #    them as if FR had answered them (FR's exponent is the one thing it lacks)
    document = json.loads(answer.read_text())
    setup = psi.ServerSetup()
    setup.ParseFromString(base64.b64decode(document["setup"]))
    client = psi.client.CreateWithNewKey(True)
    guesses = client.CreateRequest([f"phone:{n}" for n in _candidates()])
    pretend = psi.Response()
    pretend.encrypted_elements.extend(guesses.encrypted_elements)
    assert client.GetIntersection(setup, pretend) == []

    # 3. asking FR about the whole block (and a mobile range beyond) is refused and audited
    flood = psi.Request()
    flood.reveal_intersection = True
    for _ in range(3):
        flood.encrypted_elements.extend(guesses.encrypted_elements)
    forged = json.loads(request.read_text())
    forged["request"] = base64.b64encode(flood.SerializeToString()).decode()
    forged["request_id"] = "f" * 32
    (tmp_path / "flood.json").write_text(json.dumps(_resign(forged, es, "es", REQUEST_PURPOSE)))
    with pytest.raises(CaseError, match="allowance is 20000 a day"):
        answer_request(fr, "fr-local", tmp_path / "flood.json", tmp_path / "flood.answer.json")
    assert not (tmp_path / "flood.answer.json").exists()


@pytest.mark.skipif(
    shutil.which("jq") is None or shutil.which("openssl") is None,
    reason="jq or openssl is not installed (apt-get install jq openssl)",
)
def test_a_partner_checks_an_answer_with_jq_and_openssl_alone(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    _request, answer = _es_asks_coordinator(agencies, tmp_path)
    script = (
        "{ printf 'casegraph-deconfliction-answer-v1\\n'; jq -cjS 'del(.signature)' A.json; }"
        " > msg.bin && jq -r .signature A.json | base64 -d > sig.bin"
        " && jq -r .ed25519_pem coord.pub.json > coord.pem"
        " && openssl pkeyutl -verify -pubin -inkey coord.pem -rawin -in msg.bin -sigfile sig.bin"
    )
    shutil.copy(answer, tmp_path / "A.json")
    checked = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert "Signature Verified Successfully" in checked.stdout, checked.stderr


def test_a_validly_signed_request_with_points_off_the_curve_is_one_line_and_audits_nothing(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    request = tmp_path / "es.request.json"
    export_request(agencies.partner, "es-local", request)
    document = json.loads(request.read_text())
    broken = psi.Request()
    broken.reveal_intersection = True
    broken.encrypted_elements.extend([b"not a point"])
    document["request"] = base64.b64encode(broken.SerializeToString()).decode()
    request.write_text(json.dumps(_resign(document, agencies.partner, "es", REQUEST_PURPOSE)))
    with pytest.raises(InputError, match="the request is damaged") as raised:
        answer_request(agencies.coordinator, "op", request, tmp_path / "answer.json")
    assert "\n" not in str(raised.value)
    with agencies.coordinator.open_case("op").read() as session:
        actions = set(session.scalars(select(AuditRow.action)))
    assert not {a for a in actions if a.startswith("deconflict")}
