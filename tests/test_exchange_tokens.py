"""Deconfliction: keyed tokens find shared targets and media and leak no raw identifier."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casegraph.errors import CaseError, InputError
from casegraph.exchange import sealed
from casegraph.exchange.opkeys import (
    export_operation_key,
    generate_operation_key,
    import_operation_key,
)
from casegraph.exchange.tokens import deconflict, export_tokens
from casegraph.model import account_key
from casegraph.store.cases import Home
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


def _share(home: Home, tmp_path: Path, homes: AgencyHomes) -> tuple[Agencies, Operation]:
    """Coordinator and partner hold the same operation key; the partner has its own case."""
    agencies = make_agencies(home, tmp_path, homes)
    op = build_operation(home)
    generate_operation_key(home.root, "operation-lantern")
    export_operation_key(home.root, "operation-lantern", "es", tmp_path / "op.key.age")
    import_operation_key(agencies.partner.root, tmp_path / "op.key.age")
    partner_case = agencies.partner.create_case("es-local", agency="Unidad ES")
    with partner_case.mutate("test", "fixture.load", "case:es-local") as session:
        # Planted overlaps: one ES number (seen on Telegram there) and the m2 media file.
        session.add(
            AccountRow(
                case_id=partner_case.id,
                key=account_key("telegram", "+34600000102", partner_case.id_secret),
                platform="telegram",
                identifier="+34600000102",
                identifier_kind="phone",
            )
        )
        session.add(
            AccountRow(
                case_id=partner_case.id,
                key=account_key("whatsapp", "+34600000999", partner_case.id_secret),
                platform="whatsapp",
                identifier="+34600000999",
                identifier_kind="phone",
            )
        )
        m2 = hash_bytes(media_bytes("m2"))
        session.add(
            MediaRow(case_id=partner_case.id, sha256=m2.sha256, md5=m2.md5, sha1=m2.sha1, size=1)
        )
    return agencies, op


def test_deconfliction_finds_the_planted_overlaps(
    any_shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = any_shared
    export_tokens(agencies.partner, "es-local", tmp_path / "es.tokens.json")
    result = deconflict(agencies.coordinator, "op", tmp_path / "es.tokens.json")
    assert [a["identifier"] for a in result.known_accounts] == ["+34600000102"]
    assert result.known_media == [op.media["m2"]["sha256"]]
    assert result.partner == "Unidad ES"


def test_token_file_bytes_hold_no_raw_identifier(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = shared
    path = tmp_path / "coord.tokens.json"
    count = export_tokens(agencies.coordinator, "op", path)
    raw = path.read_bytes()
    secrets = [*ACCOUNTS, *(i.lstrip("+") for i in ACCOUNTS)]
    secrets += [h for hashes in op.media.values() for h in hashes.values()]
    secrets += [h.upper() for hashes in op.media.values() for h in hashes.values()]
    for value in secrets:
        assert value.encode() not in raw, value
    tokens = json.loads(raw)["tokens"]
    assert count == len(tokens) == len(ACCOUNTS) + 3 * len(op.media)
    assert all(re.fullmatch(r"[0-9a-f]{64}", t["t"]) for t in tokens)
    assert [t["t"] for t in tokens] == sorted(t["t"] for t in tokens)


def test_tokens_under_another_operation_key_match_nothing(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    generate_operation_key(agencies.outsider.root, "other-operation")
    outsider_case = agencies.outsider.create_case("fr-local")
    with outsider_case.mutate("test", "fixture.load", "case:fr-local") as session:
        session.add(
            AccountRow(
                case_id=outsider_case.id,
                key="acct-x",
                platform="whatsapp",
                identifier="+34600000101",
                identifier_kind="phone",
            )
        )
    export_tokens(agencies.outsider, "fr-local", tmp_path / "fr.tokens.json")
    with pytest.raises(CaseError, match="0 matches for operation key"):
        deconflict(agencies.coordinator, "op", tmp_path / "fr.tokens.json")


def test_other_cases_of_the_installation_are_flagged(
    any_shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = any_shared
    second = agencies.coordinator.create_case("op-2")
    with second.mutate("test", "fixture.load", "case:op-2") as session:
        session.add(
            AccountRow(
                case_id=second.id,
                key=op.accounts["+525550000201"],
                platform="whatsapp",
                identifier="+525550000201",
                identifier_kind="phone",
            )
        )
    export_tokens(agencies.partner, "es-local", tmp_path / "es.tokens.json")
    result = deconflict(agencies.coordinator, "op", tmp_path / "es.tokens.json")
    assert result.in_other_cases == [
        {"kind": "account", "id": op.accounts["+525550000201"], "cases": ["op-2"]}
    ]


def test_a_deconfliction_check_is_audited_with_counts(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    export_tokens(agencies.partner, "es-local", tmp_path / "es.tokens.json")
    deconflict(agencies.coordinator, "op", tmp_path / "es.tokens.json")
    with agencies.coordinator.open_case("op").read() as session:
        entry = session.scalars(select(AuditRow).where(AuditRow.action == "deconflict.check")).one()
    assert (entry.details["known_accounts"], entry.details["known_media"]) == (1, 1)
    assert entry.details["partner"] == "Unidad ES"


def test_known_targets_are_flagged_on_the_account(
    any_shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = any_shared
    export_tokens(agencies.partner, "es-local", tmp_path / "es.tokens.json")
    deconflict(agencies.coordinator, "op", tmp_path / "es.tokens.json")
    deconflict(agencies.coordinator, "op", tmp_path / "es.tokens.json")
    with agencies.coordinator.open_case("op").read() as session:
        flagged = {
            row.identifier: row.provenance["known_elsewhere"]
            for row in session.scalars(select(AccountRow))
            if row.provenance.get("known_elsewhere")
        }
    assert list(flagged) == ["+34600000102"]
    [flag] = flagged["+34600000102"]  # a repeated check replaces its own flag
    assert (flag["by"], flag["operation"]) == ("Unidad ES", "operation-lantern")


def test_a_file_that_is_not_a_token_file_is_a_clear_error(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a casegraph token file"):
        deconflict(agencies.coordinator, "op", bogus)


def test_operation_key_file_is_readable_only_by_its_recipient(
    shared: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = shared
    with pytest.raises(InputError, match="not encrypted to any of your keys"):
        import_operation_key(agencies.outsider.root, tmp_path / "op.key.age")
