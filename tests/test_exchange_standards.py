"""The standard files of a referral (STIX 2.1, MISP, VICS) as partners' own readers see them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casegraph.exchange import sealed
from casegraph.exchange.codes import Handling
from casegraph.exchange.crypto import OpenedPackage, open_package
from casegraph.exchange.keys import load_identity, load_public
from casegraph.exchange.package import refer
from casegraph.media.hashlists.categories import CSV
from casegraph.store.cases import Home
from casegraph.store.db import utcnow
from casegraph.store.schema import HashEntryRow, HashListRow, MatchRow, MediaRow
from exchange_fixtures import PASSPHRASE, Agencies, Operation, build_operation, make_agencies

STRICT = Handling(tlp="amber+strict")


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(sealed, "SCRYPT_N", 2**10)  # the work factor is stored per file


@pytest.fixture
def setup(home: Home, tmp_path: Path) -> tuple[Agencies, Operation]:
    return make_agencies(home, tmp_path), build_operation(home)


def _package(agencies: Agencies, out: Path, handling: Handling = STRICT) -> OpenedPackage:
    result = refer(agencies.coordinator, "op", "ES", "es", out, handling=handling)
    partner = agencies.partner.root
    return open_package(result.package, load_public(partner, "coord"), load_identity(partner, "es"))


def _bundle(opened: OpenedPackage) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(opened.files["stix/bundle.json"])
    return bundle


def _misp(opened: OpenedPackage) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(opened.files["misp/event.json"])
    return event


def _vics(opened: OpenedPackage) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(opened.files["vics/hashset.json"])["value"]
    return records


# ---- STIX 2.1 -------------------------------------------------------------------------------


def test_stix_bundle_has_no_error_or_warning_under_strict_validation_with_refs(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    from stix2validator import ValidationOptions, validate_instance

    agencies, _op = setup
    bundle = _bundle(_package(agencies, tmp_path / "out"))
    options = ValidationOptions(version="2.1", strict=True, enforce_refs=True)
    results = validate_instance(bundle, options)
    assert [str(e) for e in results.errors] == []
    assert [str(w) for w in results.warnings] == []  # docs/exchange.md keeps this list


def _register_shipped_extensions(files: dict[str, bytes], bundle: dict[str, Any]) -> None:
    """What a partner does with stix2: classes from the definitions and schemas in the package."""
    import stix2
    from stix2.properties import StringProperty

    for definition in (o for o in bundle["objects"] if o["type"] == "extension-definition"):
        schema_path = definition["schema"].rsplit(" ", 1)[-1]
        schema = json.loads(files[schema_path])
        if definition["extension_types"] != ["new-sco"]:
            continue
        required = set(schema["required"])
        fields = [
            (name, StringProperty(required=name in required))
            for name, spec in schema["properties"].items()
            if spec.get("type") == "string" and name not in ("id", "type", "spec_version")
        ]
        stix2.CustomObservable(
            definition["name"], fields, id_contrib_props=["value"], extension_name=definition["id"]
        )(type(definition["name"].replace("-", "_"), (object,), {}))


def test_stix2_parses_the_bundle_without_allow_custom_using_the_shipped_definitions(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    import stix2

    agencies, op = setup
    opened = _package(agencies, tmp_path / "out")
    bundle = _bundle(opened)
    _register_shipped_extensions(opened.files, bundle)
    parsed = stix2.parse(json.dumps(bundle), allow_custom=False)
    phones = {o.value for o in parsed.objects if o.type == "phone-number-e164"}
    assert phones == op.targets("ES")


def test_every_extension_used_is_defined_in_the_bundle_with_its_schema_in_the_package(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    opened = _package(agencies, tmp_path / "out")
    bundle = _bundle(opened)
    tlp_extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"  # OASIS TLP 2.0
    used = {
        key
        for o in bundle["objects"]
        for key in o.get("extensions", {})
        if key.startswith("extension-definition--") and key != tlp_extension
    }
    definitions = {o["id"]: o for o in bundle["objects"] if o["type"] == "extension-definition"}
    assert used and used <= set(definitions)
    for definition in definitions.values():
        assert "http" not in definition["schema"]
        schema_path = definition["schema"].rsplit(" ", 1)[-1]
        schema = json.loads(opened.files[schema_path])
        assert schema["title"] == definition["name"]


def test_stix_property_extensions_validate_against_their_shipped_json_schemas(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    import jsonschema

    agencies, _op = setup
    opened = _package(agencies, tmp_path / "out")
    bundle = _bundle(opened)
    definitions = {o["id"]: o for o in bundle["objects"] if o["type"] == "extension-definition"}
    checked = 0
    for obj in bundle["objects"]:
        for key, body in obj.get("extensions", {}).items():
            if key in definitions:
                schema_path = definitions[key]["schema"].rsplit(" ", 1)[-1]
                schema = json.loads(opened.files[schema_path])
                jsonschema.validate(obj if body["extension_type"] == "new-sco" else body, schema)
                checked += 1
    assert checked > len(bundle["objects"]) // 2


def test_sdo_ids_are_version_4_and_sco_ids_follow_the_spec(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    bundle = _bundle(_package(agencies, tmp_path / "out"))
    versions = {o["id"]: uuid.UUID(o["id"].split("--")[1]).version for o in bundle["objects"]}
    sdo = {"identity", "grouping", "report", "relationship", "observed-data", "threat-actor"}
    assert {versions[o["id"]] for o in bundle["objects"] if o["type"] in sdo} == {4}
    # file and user-account are deterministic per STIX 2.1 §2.9 (UUIDv5, the SCO namespace)
    sco = [o for o in bundle["objects"] if o["type"] in ("file", "user-account")]
    assert sco and {versions[o["id"]] for o in sco} == {5}


def test_agency_identities_keep_their_id_from_one_package_to_the_next(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    first = _bundle(_package(agencies, tmp_path / "one"))
    second = _bundle(_package(agencies, tmp_path / "two"))

    def agencies_of(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {
            o["name"]: o
            for o in bundle["objects"]
            if o["type"] == "identity" and o["identity_class"] == "organization"
        }

    assert agencies_of(first) == agencies_of(second)  # same id, same version, same content
    assert set(agencies_of(first)) == {"Coordinating Unit", "Unidad ES"}


def test_accounts_name_their_platform_in_an_extension_not_outside_the_vocabulary(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    bundle = _bundle(_package(agencies, tmp_path / "out"))
    accounts = [o for o in bundle["objects"] if o["type"] == "user-account"]
    assert accounts and all("account_type" not in o for o in accounts)
    extension = "extension-definition--5b7d9e2a-3c4f-4a1b-8e6d-0f9a8b7c6d5e"
    assert {p for o in accounts for p in o["extensions"][extension]["platforms"]} == {"whatsapp"}


def test_stix_report_text_counts_chats_not_observations(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    bundle = _bundle(_package(agencies, tmp_path / "out"))
    [report] = [o for o in bundle["objects"] if o["type"] == "report"]
    groups = [o for o in bundle["objects"] if o.get("identity_class") == "group"]
    observed = [o for o in bundle["objects"] if o["type"] == "observed-data"]
    assert len(groups) == 1 and len(observed) == 1
    assert report["description"].startswith("2 targets, 1 chats, 1 matched media")


# ---- MISP -----------------------------------------------------------------------------------


def test_misp_file_is_core_format_with_event_wrapper_orgc_and_sharing_group(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    from pymisp import MISPEvent

    agencies, _op = setup
    document = _misp(_package(agencies, tmp_path / "out"))
    assert list(document) == ["Event"]
    body = document["Event"]
    assert body["Orgc"]["name"] == "Coordinating Unit" and uuid.UUID(body["Orgc"]["uuid"])
    assert int(body["distribution"]) == 4
    group = body["SharingGroup"]
    assert {o["Organisation"]["name"] for o in group["SharingGroupOrg"]} == {
        "Coordinating Unit",
        "Unidad ES",
    }
    event = MISPEvent()
    event.load(json.dumps(document))
    assert event.Orgc.name == "Coordinating Unit"
    assert event.SharingGroup.name == group["name"]


def test_misp_phone_numbers_are_phone_number_attributes_and_nothing_else(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    from pymisp import MISPEvent

    agencies, op = setup
    event = MISPEvent()
    event.load(_package(agencies, tmp_path / "out").files["misp/event.json"].decode())
    attributes = [a for o in event.objects for a in o.attributes] + list(event.attributes)
    phones = {a.value for a in attributes if a.type == "phone-number"}
    assert phones == op.targets("ES")
    assert not [a for a in attributes if a.value in phones and a.type != "phone-number"]


def test_misp_event_and_every_attribute_carry_tags_and_a_distribution(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    from pymisp import MISPEvent

    agencies, _op = setup
    event = MISPEvent()
    event.load(_package(agencies, tmp_path / "out").files["misp/event.json"].decode())
    wanted = {"tlp:amber+strict", "PAP:AMBER", 'europol-handling:code="H2"'}
    assert wanted <= {t.name for t in event.tags}
    attributes = [a for o in event.objects for a in o.attributes] + list(event.attributes)
    assert event.attributes, "the event-level note is an attribute too"
    for attribute in attributes:
        assert wanted <= {t.name for t in attribute.tags}, attribute.object_relation
        assert int(attribute.distribution) == 5  # the event's sharing group
    assert all(int(o.distribution) == 5 for o in event.objects)


def test_every_misp_tag_is_a_machinetag_of_a_taxonomy_pytaxonomies_loads(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    from pymisp import MISPEvent
    from pytaxonomies import Taxonomies

    agencies, _op = setup
    opened = _package(agencies, tmp_path / "out")
    shipped = tmp_path / "taxonomies"
    for name, body in opened.files.items():
        if name.startswith("misp/taxonomies/"):
            target = shipped / name.removeprefix("misp/taxonomies/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
    local = Taxonomies(manifest_path=shipped / "MANIFEST.json")
    local.validate_with_schema()  # MISP's taxonomy JSON schema
    known = {tag for group in local.all_machinetags() for tag in group}
    known |= {tag for group in Taxonomies().all_machinetags() for tag in group}  # tlp, PAP
    event = MISPEvent()
    event.load(opened.files["misp/event.json"].decode())
    used = {t.name for t in event.tags} | {
        t.name for o in event.objects for a in o.attributes for t in a.tags
    }
    assert any(tag.startswith("europol-") for tag in used)
    assert used <= known, used - known


# ---- VICS -----------------------------------------------------------------------------------


def _add_pdq_only_match(agencies: Agencies, op: Operation) -> None:
    """m3 (posted by an ES target) matches a CSV PDQ list only, category 2."""
    case = agencies.coordinator.open_case("op")
    with case.mutate("test", "fixture.load", "case:op") as session:
        hash_list = HashListRow(
            case_id=case.id, name="partner_pdq", format="csv", imported_at=utcnow()
        )
        session.add(hash_list)
        session.flush()
        entry = HashEntryRow(list_id=hash_list.id, entry_id="pdq-1", category="2", scheme=CSV)
        session.add(entry)
        session.flush()
        media = session.scalars(
            select(MediaRow).where(MediaRow.sha256 == op.media["m3"]["sha256"])
        ).one()
        session.add(
            MatchRow(
                case_id=case.id,
                media_id=media.id,
                list_id=hash_list.id,
                entry_id=entry.id,
                method="pdq",
                distance=6,
                category="2",
                scheme=CSV,
            )
        )


def test_vics_media_matched_only_through_a_pdq_list_get_a_category(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = setup
    _add_pdq_only_match(agencies, op)
    records = {r["SHA1"]: r for r in _vics(_package(agencies, tmp_path / "out"))}
    assert set(records) == {op.media[m]["sha1"].upper() for m in ("m1", "m3")}
    assert records[op.media["m3"]["sha1"].upper()]["Category"] == 2
    assert records[op.media["m1"]["sha1"].upper()]["Category"] == 1


def test_vics_md5_has_one_case_in_every_field(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    for record in _vics(_package(agencies, tmp_path / "out")):
        md5s = [record["MD5"]] + [alt["MD5"] for alt in record["AlternativeHashes"]]
        assert md5s and all(m == record["MD5"].upper() for m in md5s)


def test_vics_items_say_they_are_precategorised_and_when_updated(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    [record] = _vics(_package(agencies, tmp_path / "out"))
    assert record["IsPrecategorized"] is True
    assert record["PrecategorizationSource"] == "known_material"
    assert record["DateUpdated"].endswith("Z") and record["DateUpdated"][:4].isdigit()


def test_vics_file_with_a_pdq_only_match_reimports_through_casegraphs_reader(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    from casegraph.media.hashlists import read_hash_list

    agencies, op = setup
    _add_pdq_only_match(agencies, op)
    path = tmp_path / "hashset.json"
    path.write_bytes(_package(agencies, tmp_path / "out").files["vics/hashset.json"])
    parsed = read_hash_list(path)
    assert sorted((e.md5, e.category, e.pertinent) for e in parsed.entries) == sorted(
        [(op.media["m1"]["md5"], "1", True), (op.media["m3"]["md5"], "2", True)]
    )
