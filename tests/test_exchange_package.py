"""Referral packages: round trip, tamper detection, formats partners' tools read."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casegraph.errors import CaseError, InputError
from casegraph.exchange import sealed
from casegraph.exchange.codes import Handling
from casegraph.exchange.crypto import OpenedPackage, open_package
from casegraph.exchange.investigations import investigation_status
from casegraph.exchange.keys import export_age_identity, load_identity, load_public
from casegraph.exchange.package import ReferralResult, refer
from casegraph.exchange.receive import import_referral, verify
from casegraph.store.cases import Home
from casegraph.store.schema import AccountRow, AuditRow, InvestigationRow, SourceRow
from casegraph.web.users import add_user
from exchange_fixtures import (
    PASSPHRASE,
    Agencies,
    AgencyHomes,
    Operation,
    build_operation,
    make_agencies,
)

STRICT = Handling(tlp="amber+strict")


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(sealed, "SCRYPT_N", 2**10)  # the work factor is stored per file


@pytest.fixture
def setup(home: Home, tmp_path: Path) -> tuple[Agencies, Operation]:
    return make_agencies(home, tmp_path), build_operation(home)


@pytest.fixture
def any_setup(any_home: Home, tmp_path: Path) -> Iterator[tuple[Agencies, Operation]]:
    """The same agencies on SQLite and on PostgreSQL (one schema per agency there)."""
    homes = AgencyHomes(any_home)
    coordinator = homes.home(tmp_path / "coordinator")
    yield make_agencies(coordinator, tmp_path, homes), build_operation(coordinator)
    homes.close()


def _refer_es(agencies: Agencies, out: Path, **options: object) -> ReferralResult:
    return refer(agencies.coordinator, "op", "ES", "es", out, **options)  # type: ignore[arg-type]


def _open(agencies: Agencies, result: ReferralResult) -> OpenedPackage:
    partner = agencies.partner.root
    return open_package(result.package, load_public(partner, "coord"), load_identity(partner, "es"))


def test_round_trip_reproduces_the_investigation_targets(
    any_setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = any_setup
    result = _refer_es(agencies, tmp_path / "out")
    imported = import_referral(agencies.partner, result.package, "es", "coord")
    case = agencies.partner.open_case(imported.case)
    with case.read() as session:
        investigation = session.scalars(select(InvestigationRow)).one()
    view = investigation_status(case, "ES")[0]
    assert investigation.country == "ES"
    assert set(view.accounts) == {op.accounts[i] for i in op.targets("ES")}
    assert imported.matches == 1 and imported.media == 1


def test_import_keeps_provenance_of_sender_time_and_handling_code(
    any_setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = any_setup
    result = _refer_es(agencies, tmp_path / "out")
    imported = import_referral(agencies.partner, result.package, "es", "coord", case_name="es-op")
    with agencies.partner.open_case("es-op").read() as session:
        source = session.scalars(select(SourceRow)).one()
    assert source.provenance["sender"]["agency"] == "Coordinating Unit"
    assert source.provenance["handling"]["handling_code"] == "H2"
    assert source.provenance["sent_at"] == imported_sent_at(result, agencies)
    assert source.sha256 == result.ciphertext_sha256
    assert imported.handling["evaluation"] == "B2"


def imported_sent_at(result: ReferralResult, agencies: Agencies) -> str:
    return str(_open(agencies, result).manifest["created_at"])


def test_importing_the_same_package_twice_adds_nothing(
    any_setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = any_setup
    result = _refer_es(agencies, tmp_path / "out")
    import_referral(agencies.partner, result.package, "es", "coord", case_name="es-op")
    again = import_referral(agencies.partner, result.package, "es", "coord", case_name="es-op")
    assert again.already_imported and again.accounts == 0


def _assert_nothing_imported(partner: Home) -> None:
    assert partner.case_names() == []


@pytest.mark.parametrize("where", [0, 200, -1])
def test_one_flipped_byte_in_the_package_fails_and_imports_nothing(
    setup: tuple[Agencies, Operation], tmp_path: Path, where: int
) -> None:
    agencies, _op = setup
    result = _refer_es(agencies, tmp_path / "out")
    data = bytearray(result.package.read_bytes())
    data[where] ^= 0x01
    result.package.write_bytes(bytes(data))
    with pytest.raises(InputError, match="fails signature verification"):
        import_referral(agencies.partner, result.package, "es", "coord")
    _assert_nothing_imported(agencies.partner)


def test_a_flipped_byte_in_the_signature_fails(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    result = _refer_es(agencies, tmp_path / "out")
    signature = json.loads(result.signature.read_text())
    raw = bytearray(signature["signature"].encode())
    raw[10] = ord("A") if raw[10] != ord("A") else ord("B")
    signature["signature"] = raw.decode()
    result.signature.write_text(json.dumps(signature))
    with pytest.raises(InputError, match="fails signature verification"):
        verify(agencies.partner, result.package, "coord", "es")
    _assert_nothing_imported(agencies.partner)


def test_wrong_sender_key_fails_with_a_clear_error(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    result = _refer_es(agencies, tmp_path / "out")
    with pytest.raises(InputError, match=r"not by the sender key .*check --sender-key"):
        import_referral(agencies.partner, result.package, "es", "other")
    _assert_nothing_imported(agencies.partner)


def test_wrong_recipient_key_cannot_open_the_package(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    result = _refer_es(agencies, tmp_path / "out")
    from casegraph.exchange.keys import export_public_key, import_public_key

    export_public_key(agencies.coordinator.root, "coord", tmp_path / "c.json")
    import_public_key(agencies.outsider.root, tmp_path / "c.json")
    with pytest.raises(InputError, match=r"not to your key .*check --identity"):
        import_referral(agencies.outsider, result.package, "other", "coord")
    _assert_nothing_imported(agencies.outsider)


def test_a_manifest_lists_every_file_with_its_sha256(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    opened = _open(agencies, _refer_es(agencies, tmp_path / "out"))
    listed = {entry["path"] for entry in opened.manifest["files"]}
    assert listed == set(opened.files) - {"manifest.json", "manifest.sig"}
    assert {"stix/bundle.json", "misp/event.json", "vics/hashset.json", "summary.html"} <= listed
    assert (
        opened.manifest["recipient"]["fingerprint"]
        == load_public(agencies.coordinator.root, "es").fingerprint
    )


def test_the_package_names_only_the_countrys_targets(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = setup
    opened = _open(agencies, _refer_es(agencies, tmp_path / "out"))
    everything = b"".join(opened.files.values())
    for identifier in op.targets("MX") | op.targets("unattributed"):
        assert identifier.encode() not in everything
    for identifier in op.targets("ES"):
        assert identifier.encode() in opened.files["referral.json"]


def test_stix_bundle_passes_the_validator_with_tlp2_and_phone_numbers(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    from stix2validator import ValidationOptions, validate_instance

    agencies, op = setup
    opened = _open(agencies, _refer_es(agencies, tmp_path / "out", handling=STRICT))
    bundle = json.loads(opened.files["stix/bundle.json"])
    results = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]
    types = {o["type"] for o in bundle["objects"]}
    assert {"identity", "user-account", "phone-number-e164", "grouping", "report", "file"} <= types
    assert "artifact" not in types
    phones = {o["value"] for o in bundle["objects"] if o["type"] == "phone-number-e164"}
    assert phones == op.targets("ES")
    tlp = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    shared = [o for o in bundle["objects"] if o["type"] not in ("marking-definition",)]
    marked = [o for o in shared if o["type"] != "extension-definition"]
    assert all(o["object_marking_refs"] == [tlp] for o in marked)
    handling = "extension-definition--8c2e4b1d-7a6f-4d3e-b5c9-1e0f2a3b4c5d"
    assert all(o["extensions"][handling]["handling_code"] == "H2" for o in marked)


def test_misp_event_loads_in_pymisp_with_handling_tags_and_fields(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    from pymisp import MISPEvent

    agencies, _op = setup
    opened = _open(agencies, _refer_es(agencies, tmp_path / "out", handling=STRICT))
    event = MISPEvent()
    event.load(opened.files["misp/event.json"].decode())
    names = sorted(o.name for o in event.objects)
    assert names == ["file", "instant-message-group", "person", "user-account", "user-account"]
    tags = {t.name for t in event.tags}
    assert {"tlp:amber+strict", "PAP:AMBER", 'europol-handling:code="H2"'} <= tags
    for obj in event.objects:
        for attribute in obj.attributes:
            assert "handling H2, evaluation B2" in attribute.comment
    assert not [a for o in event.objects for a in o.attributes if a.type == "attachment"]


def test_vics_hash_set_reimports_through_casegraphs_vics_reader(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    from casegraph.media.hashlists import read_hash_list

    agencies, op = setup
    opened = _open(agencies, _refer_es(agencies, tmp_path / "out"))
    path = tmp_path / "hashset.json"
    path.write_bytes(opened.files["vics/hashset.json"])
    parsed = read_hash_list(path)
    assert [(e.md5, e.sha1, e.category) for e in parsed.entries] == [
        (op.media["m1"]["md5"], op.media["m1"]["sha1"], "1")
    ]


def test_media_files_stay_out_unless_asked_for(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    agencies.coordinator.open_case("op").evidence.put_bytes(b"benign test media m1")
    opened = _open(agencies, _refer_es(agencies, tmp_path / "out"))
    assert not [name for name in opened.files if name.startswith("media/")]
    assert b"benign test media" not in b"".join(opened.files.values())


def test_including_media_needs_a_reason(setup: tuple[Agencies, Operation], tmp_path: Path) -> None:
    agencies, _op = setup
    with pytest.raises(CaseError, match="--reason"):
        _refer_es(agencies, tmp_path / "out", include_media=True)


def test_including_media_is_audited_with_its_reason(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = setup
    case = agencies.coordinator.open_case("op")
    case.evidence.put_bytes(b"benign test media m1")
    add_user(agencies.coordinator, "rita", "reviewer-password-1", "reviewer")
    result = _refer_es(
        agencies, tmp_path / "out", include_media=True, reason="court order 12/24", reviewer="rita"
    )
    opened = _open(agencies, result)
    assert opened.files[f"media/{op.media['m1']['sha256']}"] == b"benign test media m1"
    with case.read() as session:
        entry = session.scalars(select(AuditRow).where(AuditRow.action == "referral.create")).one()
    assert entry.reason == "court order 12/24"
    assert entry.details["include_media"] is True and entry.details["media_files"] == 1
    assert entry.details["reviewer"] == "rita"


def test_referring_marks_the_investigation_referred(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    _refer_es(agencies, tmp_path / "out")
    with agencies.coordinator.open_case("op").read() as session:
        row = session.scalars(
            select(InvestigationRow).where(InvestigationRow.country == "ES")
        ).one()
    assert (row.status, row.agency) == ("referred", "Unidad ES")


def test_unknown_country_is_a_one_line_error(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    with pytest.raises(CaseError, match="no investigation for 'PT'"):
        refer(agencies.coordinator, "op", "PT", "es", tmp_path / "out")


@pytest.mark.skipif(shutil.which("age") is None, reason="the age tool is not installed")
def test_partner_opens_the_package_with_the_standard_age_tool(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = setup
    result = _refer_es(agencies, tmp_path / "out")
    identity = export_age_identity(agencies.partner.root, "es", tmp_path / "es.age-identity")
    assert identity.stat().st_mode & 0o777 == 0o600
    plain = subprocess.run(
        ["age", "-d", "-i", str(identity), str(result.package)], capture_output=True, check=True
    ).stdout
    tar_path = tmp_path / "package.tar"
    tar_path.write_bytes(plain)
    with tarfile.open(tar_path) as archive:
        names = archive.getnames()
        referral = archive.extractfile("referral.json")
        assert referral is not None
        document = json.loads(referral.read())
    assert "manifest.sig" in names
    assert {a["identifier"] for a in document["accounts"]} == op.targets("ES")


def _investigation(home: Home, case_name: str, country: str) -> InvestigationRow:
    with home.open_case(case_name).read() as session:
        return session.scalars(
            select(InvestigationRow).where(InvestigationRow.country == country)
        ).one()


def test_without_codes_the_investigations_stored_codes_are_sent(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    case = agencies.coordinator.open_case("op")
    with case.mutate("test", "fixture.codes", "investigation:ES") as session:
        row = session.scalars(
            select(InvestigationRow).where(InvestigationRow.country == "ES")
        ).one()
        row.handling_code, row.evaluation, row.tlp, row.pap = "H1", "A1", "red", "green"
    opened = _open(agencies, _refer_es(agencies, tmp_path / "out"))
    sent = opened.manifest["handling"]
    assert (sent["handling_code"], sent["evaluation"], sent["tlp"], sent["pap"]) == (
        "H1",
        "A1",
        "red",
        "green",
    )
    accounts = json.loads(opened.files["referral.json"])["accounts"]
    assert {a["handling"]["handling_code"] for a in accounts} == {"H1"}


def test_the_codes_sent_are_stored_on_the_investigation_with_what_was_sent(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    codes = Handling("H3", "C3", "red", "red", conditions="court use only")
    result = _refer_es(agencies, tmp_path / "out", handling=codes)
    row = _investigation(agencies.coordinator, "op", "ES")
    stored = (row.handling_code, row.evaluation, row.tlp, row.pap, row.conditions)
    assert stored == ("H3", "C3", "red", "red", "court use only")
    [sent] = row.provenance["sent"]
    assert sent["to"]["fingerprint"] == result.recipient_fingerprint
    assert sent["ciphertext_sha256"] == result.ciphertext_sha256 and sent["targets"] == 2


def test_the_referral_audit_entry_records_what_happened_not_the_codes(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    result = _refer_es(agencies, tmp_path / "out")
    with agencies.coordinator.open_case("op").read() as session:
        entry = session.scalars(select(AuditRow).where(AuditRow.action == "referral.create")).one()
    assert "handling" not in entry.details
    assert entry.details["recipient"]["fingerprint"] == result.recipient_fingerprint
    assert (entry.details["targets"], entry.details["media"]) == (2, 1)


def test_the_recipients_investigation_carries_the_senders_codes_and_provenance(
    any_setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = any_setup
    codes = Handling("H1", "A2", "amber", "clear")
    result = _refer_es(agencies, tmp_path / "out", handling=codes)
    import_referral(agencies.partner, result.package, "es", "coord", case_name="es-op")
    row = _investigation(agencies.partner, "es-op", "ES")
    assert (row.handling_code, row.evaluation, row.tlp, row.pap) == ("H1", "A2", "amber", "clear")
    [received] = row.provenance["received"]
    coord = load_public(agencies.partner.root, "coord")
    assert (received["from"], received["fingerprint"]) == ("Coordinating Unit", coord.fingerprint)
    assert received["source"] == result.ciphertext_sha256 and row.notes == ""


def test_received_accounts_record_which_referral_named_them(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    result = _refer_es(agencies, tmp_path / "out")
    import_referral(agencies.partner, result.package, "es", "coord", case_name="es-op")
    with agencies.partner.open_case("es-op").read() as session:
        rows = session.scalars(select(AccountRow).order_by(AccountRow.identifier)).all()
    assert [r.identifier for r in rows] == ["+34600000101", "+34600000102"]
    for row in rows:
        [referral] = row.provenance["referrals"]
        assert (referral["from"], referral["country"], referral["handling_code"]) == (
            "Coordinating Unit",
            "ES",
            "H2",
        )
        assert referral["source"] == result.ciphertext_sha256
        assert row.country == "ES" and row.country_reasons == []


def test_the_unattributed_list_cannot_be_referred(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    with pytest.raises(CaseError, match="move them into a country first"):
        refer(agencies.coordinator, "op", "unattributed", "es", tmp_path / "out")


def test_every_shared_item_carries_its_codes_with_scheme_assessor_and_time(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    opened = _open(agencies, _refer_es(agencies, tmp_path / "out"))
    document = json.loads(opened.files["referral.json"])
    excerpts = json.loads(opened.files["excerpts/messages.json"])
    items = [
        *(item for part in ("accounts", "chats", "media", "matches") for item in document[part]),
        *excerpts["messages"],
    ]
    assert len(items) == 2 + 1 + 1 + 1 + 4
    for item in items:
        codes = item["handling"]
        assert (codes["handling_code"], codes["evaluation"], codes["evaluation_scheme"]) == (
            "H2",
            "B2",
            "eu-4x4",
        )
        assert codes["assessor"] == "Coordinating Unit"
        assert codes["assessed_at"] == opened.manifest["created_at"]


def test_a_second_package_in_the_same_second_never_replaces_the_first(
    setup: tuple[Agencies, Operation], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from casegraph.exchange import package

    frozen = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)

    class _FrozenClock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return frozen

    monkeypatch.setattr(package, "datetime", _FrozenClock)
    agencies, _ = setup
    first = _refer_es(agencies, tmp_path / "out")
    first_bytes = first.package.read_bytes()
    second = _refer_es(agencies, tmp_path / "out")
    assert second.package != first.package
    assert first.package.read_bytes() == first_bytes
    assert second.package.name == f"{first.package.stem}-2.age"
