"""Issue 10, finding 4: a public account or chat id does not give away the identifier.

Ids are an HMAC of the identifier under a secret created once per installation, so nobody
holding an id can recover the number by hashing every number of a numbering plan.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casegraph.errors import CaseError
from casegraph.model import account_key, chat_key, received_key
from casegraph.report.json_view import build_report
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths
from casegraph.store.secret import SECRET_FILE

PHONE = "+525550000101"
EXPORT = (
    "16/03/24, 10:00 - Los mensajes y las llamadas están cifrados de extremo a extremo.\n"
    "16/03/24, 10:01 - +52 55 5000 0101: hola a todos\n"
    "16/03/24, 10:02 - +34 600 00 01 02: buenas\n"
)


def _ingest(home: Home, tmp_path: Path, name: str = "op") -> dict[str, object]:
    export = tmp_path / "WhatsApp Chat with Grupo Sintetico.txt"
    export.write_text(EXPORT, encoding="utf-8")
    case = home.create_case(name, timezone="Europe/Madrid")
    ingest_paths(case, [export], "officer")
    return build_report(case)


def _unkeyed(platform: str, identifier: str) -> str:
    """What ids were before: anyone could compute this from a guessed number."""
    return "acct-" + hashlib.sha256(f"{platform}:{identifier}".encode()).hexdigest()[:16]


def test_finding4_an_account_id_is_not_the_hash_of_its_number(home: Home, tmp_path: Path) -> None:
    report = _ingest(home, tmp_path)
    ids = {a["identifier"]: a["id"] for a in report["accounts"]}  # type: ignore[attr-defined]
    assert PHONE in ids
    assert ids[PHONE] != _unkeyed("whatsapp", PHONE)
    guesses = {_unkeyed("whatsapp", f"+5255500001{n:02d}") for n in range(100)}
    assert ids[PHONE] not in guesses


def test_ids_are_stable_within_an_installation_and_differ_between_installations(
    tmp_path: Path,
) -> None:
    first = _ingest(Home(tmp_path / "a"), tmp_path, "op-1")
    again = _ingest(Home(tmp_path / "a"), tmp_path, "op-2")
    other = _ingest(Home(tmp_path / "b"), tmp_path, "op-1")

    def ids(report: dict[str, object]) -> list[str]:
        return sorted(a["id"] for a in report["accounts"])  # type: ignore[attr-defined]

    assert ids(first) == ids(again)
    assert set(ids(first)).isdisjoint(ids(other))


def test_the_secret_is_created_once_and_readable_by_its_owner_only(home: Home) -> None:
    secret = home.id_secret()
    path = home.root / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Home(home.root).id_secret() == secret


def test_a_damaged_secret_file_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.mkdir()
    (root / SECRET_FILE).write_text("not hex", encoding="ascii")
    with pytest.raises(CaseError, match=r"installation\.key is not an installation secret"):
        Home(root).id_secret()


@pytest.mark.postgres
def test_postgresql_workers_share_the_secret_through_the_database(
    pg_url: str, tmp_path: Path
) -> None:
    first = Home(tmp_path / "worker-1", db_url=pg_url).id_secret()
    second = Home(tmp_path / "worker-2", db_url=pg_url).id_secret()
    assert first == second
    assert (tmp_path / "worker-2" / SECRET_FILE).is_file()


def test_a_public_id_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        account_key("whatsapp", PHONE, b"")


def test_received_ids_are_kept_as_sent_and_malformed_ones_refused() -> None:
    assert received_key("acct-0123456789abcdef") == "acct-0123456789abcdef"
    assert received_key("chat-0123456789abcdef") == "chat-0123456789abcdef"
    assert received_key("acct-+525550000101") is None
    assert received_key(None) is None


@settings(max_examples=50, deadline=None)
@given(
    platform=st.sampled_from(["whatsapp", "telegram", "signal"]),
    identifier=st.text(min_size=1, max_size=30),
    secret=st.binary(min_size=16, max_size=64),
)
def test_ids_have_the_public_shape_and_depend_on_the_secret(
    platform: str, identifier: str, secret: bytes
) -> None:
    key = account_key(platform, identifier, secret)
    assert received_key(key) == key
    assert key == account_key(platform, identifier, secret)
    assert key != account_key(platform, identifier, secret + b"x")
    assert received_key(chat_key(platform, identifier, secret)) is not None
