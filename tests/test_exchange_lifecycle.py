"""A referral's life after the first package: versions converge, guards refuse, content is
validated, and nothing half-done stays behind."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from casegraph.errors import CaseError, InputError
from casegraph.exchange.crypto import open_package, seal_package
from casegraph.exchange.keys import export_age_identity, load_identity, load_public, revoke_key
from casegraph.exchange.package import ReferralResult, refer
from casegraph.exchange.receive import import_referral
from casegraph.store.audit import AuditLog
from casegraph.store.cases import Home
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    AuditRow,
    ChatRow,
    InvestigationRow,
    MediaRow,
    MessageRow,
)
from casegraph.web.users import add_user
from exchange_fixtures import Agencies, AgencyHomes, Operation, build_operation, make_agencies


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", "correct horse battery staple")


@pytest.fixture
def setup(home: Home, tmp_path: Path) -> tuple[Agencies, Operation]:
    return make_agencies(home, tmp_path), build_operation(home)


def _refer_es(agencies: Agencies, out: Path, **options: Any) -> ReferralResult:
    return refer(agencies.coordinator, "op", "ES", "es", out, **options)


def _counts(home: Home, case: str) -> dict[str, int]:
    with home.open_case(case).read() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (AccountRow, ChatRow, MessageRow, AttachmentRow, MediaRow)
        }


def _blobs(home: Home) -> list[str]:
    return sorted(str(p) for p in (home.root / "cases").rglob("sha256/*/*"))


def _manifest(agencies: Agencies, result: ReferralResult) -> dict[str, Any]:
    partner = agencies.partner.root
    opened = open_package(
        result.package, load_public(partner, "coord"), load_identity(partner, "es")
    )
    return opened.manifest


# ---- finding 1: an update converges instead of duplicating ------------------------------------


def test_every_package_carries_referral_id_version_and_what_it_supersedes(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    first = _manifest(agencies, _refer_es(agencies, tmp_path / "one"))
    second_result = _refer_es(agencies, tmp_path / "two")
    second = _manifest(agencies, second_result)
    assert first["format"] == "casegraph-referral/2"
    assert first["referral"]["version"] == 1 and first["referral"]["supersedes"] is None
    assert second["referral"]["id"] == first["referral"]["id"]
    assert second["referral"]["version"] == 2
    assert second["referral"]["supersedes"]["version"] == 1


def test_an_update_imported_at_the_partner_adds_no_duplicate(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    first = import_referral(
        agencies.partner, _refer_es(agencies, tmp_path / "1").package, "es", "coord"
    )
    before = _counts(agencies.partner, first.case)
    update = _refer_es(agencies, tmp_path / "2")
    second = import_referral(agencies.partner, update.package, "es", "coord")
    assert (second.case, second.version, second.previous_version) == (first.case, 2, 1)
    assert second.messages == 0
    assert _counts(agencies.partner, first.case) == before
    assert before["messages"] == 4 and before["attachments"] == 2


def test_a_new_message_in_an_update_is_added_once(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, op = setup
    first = import_referral(
        agencies.partner, _refer_es(agencies, tmp_path / "1").package, "es", "coord"
    )
    with op.case.mutate("test", "fixture.more", "case:op") as session:
        template = session.scalars(select(MessageRow).order_by(MessageRow.id)).first()
        assert template is not None
        session.add(
            MessageRow(
                case_id=op.case.id,
                chat_id=template.chat_id,
                source_id=template.source_id,
                seq=999,
                sent_at=template.sent_at,
                account_id=template.account_id,
                text="otra vez",
            )
        )
    second = import_referral(
        agencies.partner, _refer_es(agencies, tmp_path / "2").package, "es", "coord"
    )
    assert second.messages == 1
    assert _counts(agencies.partner, first.case)["messages"] == 5


def test_reimporting_the_same_or_an_older_version_changes_nothing_and_says_so(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    old = _refer_es(agencies, tmp_path / "1")
    new = _refer_es(agencies, tmp_path / "2")
    imported = import_referral(agencies.partner, new.package, "es", "coord")
    before = _counts(agencies.partner, imported.case)
    for package in (new.package, old.package):
        again = import_referral(agencies.partner, package, "es", "coord")
        assert again.already_imported and again.previous_version == 2
    assert _counts(agencies.partner, imported.case) == before
    with agencies.partner.open_case(imported.case).read() as session:
        actions = session.scalars(select(AuditRow.action)).all()
    assert actions.count("referral.import.unchanged") == 2


def test_a_held_referral_cannot_be_imported_into_a_second_case(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    import_referral(agencies.partner, _refer_es(agencies, tmp_path / "1").package, "es", "coord")
    update = _refer_es(agencies, tmp_path / "2")
    with pytest.raises(CaseError, match=r"already held in case 'ref-op-ES'"):
        import_referral(agencies.partner, update.package, "es", "coord", case_name="other")
    assert agencies.partner.case_names() == ["ref-op-ES"]


def test_the_partner_keeps_the_senders_ids_as_external_ids(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    from casegraph.store.schema import ExchangeLinkRow

    agencies, op = setup
    imported = import_referral(
        agencies.partner, _refer_es(agencies, tmp_path / "1").package, "es", "coord"
    )
    with agencies.partner.open_case(imported.case).read() as session:
        links = {(r.kind, r.external_id) for r in session.scalars(select(ExchangeLinkRow))}
    assert ("account", op.accounts["+34600000101"]) in links
    assert ("chat", op.chats["g1"]) in links
    assert sum(1 for kind, _ in links if kind == "message") == 4


# ---- finding 2: recipient guard ------------------------------------------------------------------


def test_referring_to_a_key_of_another_country_is_refused(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    with pytest.raises(CaseError, match=r"key other is for country FR .* investigation MX"):
        refer(agencies.coordinator, "op", "MX", "other", tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    with agencies.coordinator.open_case("op").read() as session:
        status = session.scalar(
            select(InvestigationRow.status).where(InvestigationRow.country == "MX")
        )
    assert status == "proposed"


def test_another_countrys_key_with_a_reason_is_audited(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    refer(agencies.coordinator, "op", "MX", "other", tmp_path / "out", reason="FR liaison for MX")
    with agencies.coordinator.open_case("op").read() as session:
        entry = session.scalars(select(AuditRow).where(AuditRow.action == "referral.create")).one()
    assert entry.reason == "FR liaison for MX"
    assert entry.details["country_mismatch"] == {"investigation": "MX", "key": "FR"}


# ---- finding 3: validly signed but malformed content ------------------------------------------


def _resign(
    agencies: Agencies, result: ReferralResult, out: Path, change: Callable[[dict[str, Any]], None]
) -> Path:
    """The coordinator signs changed content: a bug or a compromised sender, not an outsider."""
    partner = agencies.partner.root
    opened = open_package(
        result.package, load_public(partner, "coord"), load_identity(partner, "es")
    )
    files = {k: v for k, v in opened.files.items() if k not in ("manifest.json", "manifest.sig")}
    documents = {
        name: json.loads(files[name]) for name in ("referral.json", "excerpts/messages.json")
    }
    change(documents)
    for name, document in documents.items():
        files[name] = json.dumps(document).encode()
    manifest = dict(opened.manifest)
    manifest["files"] = [
        {"path": n, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
        for n, b in sorted(files.items())
    ]
    sender = load_identity(agencies.coordinator.root, "coord")
    from datetime import UTC, datetime

    return seal_package(
        files,
        manifest,
        sender,
        load_public(agencies.coordinator.root, "es"),
        out,
        "bad",
        datetime.now(UTC),
    )


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "no accounts": (lambda d: d["referral.json"].pop("accounts"), "'accounts' is a required"),
    "author not a target": (
        lambda d: d["excerpts/messages.json"]["messages"][0].update(account="acct-nobody"),
        "has author acct-nobody, not a target",
    ),
    "text is a number": (
        lambda d: d["excerpts/messages.json"]["messages"][0].update(text=7),
        "messages/0/text: 7 is not of type 'string'",
    ),
    "bad sha256": (lambda d: d["referral.json"]["media"][0].update(sha256="zz"), "media/0/sha256"),
}


@pytest.mark.parametrize("problem", sorted(MALFORMED))
def test_validly_signed_malformed_content_is_one_line_and_leaves_no_case(
    setup: tuple[Agencies, Operation], tmp_path: Path, problem: str
) -> None:
    agencies, _op = setup
    change, message = MALFORMED[problem]
    bad = _resign(agencies, _refer_es(agencies, tmp_path / "out"), tmp_path / "bad", change)
    with pytest.raises(InputError, match=message) as failure:
        import_referral(agencies.partner, bad, "es", "coord")
    assert "\n" not in str(failure.value)
    assert agencies.partner.case_names() == []
    assert not (agencies.partner.root / "cases").exists() or _blobs(agencies.partner) == []


def test_a_failed_import_into_an_existing_case_leaves_no_orphan_blob(
    setup: tuple[Agencies, Operation], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agencies, _op = setup
    import_referral(agencies.partner, _refer_es(agencies, tmp_path / "1").package, "es", "coord")
    blobs, counts = _blobs(agencies.partner), _counts(agencies.partner, "ref-op-ES")
    update = _refer_es(agencies, tmp_path / "2")
    original = AuditLog.append

    def failing(self: AuditLog, session: Any, actor: str, action: str, *args: Any) -> Any:
        if action == "referral.import":
            raise OSError("disk full")
        return original(self, session, actor, action, *args)

    monkeypatch.setattr(AuditLog, "append", failing)
    with pytest.raises(OSError):
        import_referral(agencies.partner, update.package, "es", "coord")
    assert _blobs(agencies.partner) == blobs
    assert _counts(agencies.partner, "ref-op-ES") == counts


@pytest.fixture
def any_setup(any_home: Home, tmp_path: Path) -> Iterator[tuple[Agencies, Operation]]:
    """The same agencies on SQLite and on PostgreSQL (one schema per agency there)."""
    homes = AgencyHomes(any_home)
    coordinator = homes.home(tmp_path / "coordinator")
    yield make_agencies(coordinator, tmp_path, homes), build_operation(coordinator)
    homes.close()


def test_a_failure_while_creating_the_case_leaves_no_empty_case(
    any_setup: tuple[Agencies, Operation], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agencies, _op = any_setup
    result = _refer_es(agencies, tmp_path / "1")
    original = AuditLog.append

    def failing(self: AuditLog, session: Any, actor: str, action: str, *args: Any) -> Any:
        if action == "referral.import":
            raise OSError("disk full")
        return original(self, session, actor, action, *args)

    monkeypatch.setattr(AuditLog, "append", failing)
    with pytest.raises(OSError):
        import_referral(agencies.partner, result.package, "es", "coord")
    assert agencies.partner.case_names() == []
    assert not agencies.partner.case_dir("ref-op-ES").exists()


def test_the_published_schema_is_the_shipped_one() -> None:
    from importlib import resources

    shipped = resources.files("casegraph.exchange").joinpath("schemas", "referral-v2.json")
    published = Path(__file__).resolve().parent.parent / "docs" / "schema" / "referral-v2.json"
    assert json.loads(published.read_text()) == json.loads(shipped.read_text())


# ---- finding 10: the package and its audit entry stand or fall together -------------------------


def test_a_failed_audit_commit_leaves_no_sealed_package(
    setup: tuple[Agencies, Operation], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agencies, _op = setup
    original = AuditLog.append

    def failing(self: AuditLog, session: Any, actor: str, action: str, *args: Any) -> Any:
        if action == "referral.create":
            raise OSError("audit disk full")
        return original(self, session, actor, action, *args)

    monkeypatch.setattr(AuditLog, "append", failing)
    with pytest.raises(OSError, match="audit disk full"):
        _refer_es(agencies, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


# ---- keys at import: revocation ------------------------------------------------------------------


def test_a_package_from_a_revoked_sender_key_is_refused(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    result = _refer_es(agencies, tmp_path / "out")
    revoke_key(agencies.partner.root, "coord", "coordinator laptop lost")
    with pytest.raises(InputError, match=r"sender key coord .* revoked"):
        import_referral(agencies.partner, result.package, "es", "coord")
    assert agencies.partner.case_names() == []


# ---- issue 10 finding 9: media bytes only by a reviewer, and only if the receiver opts in --------


def _with_media(agencies: Agencies, tmp_path: Path) -> ReferralResult:
    agencies.coordinator.open_case("op").evidence.put_bytes(b"benign test media m1")
    add_user(agencies.coordinator, "rita", "reviewer-password-1", "reviewer")
    return _refer_es(
        agencies, tmp_path / "out", include_media=True, reviewer="rita", reason="court order 12/24"
    )


def test_media_files_need_a_named_reviewer(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    add_user(agencies.coordinator, "ana", "analyst-password-1", "analyst")
    with pytest.raises(CaseError, match="--reviewer"):
        _refer_es(agencies, tmp_path / "out", include_media=True, reason="court order")
    with pytest.raises(CaseError, match="'ana' is not an enabled user with the reviewer role"):
        _refer_es(agencies, tmp_path / "out", include_media=True, reason="x", reviewer="ana")


def test_the_receiver_refuses_media_unless_its_operator_opts_in(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    result = _with_media(agencies, tmp_path)
    with pytest.raises(InputError, match=r"carries 1 media file.*--accept-media"):
        import_referral(agencies.partner, result.package, "es", "coord")
    assert agencies.partner.case_names() == []
    imported = import_referral(agencies.partner, result.package, "es", "coord", accept_media=True)
    case = agencies.partner.open_case(imported.case)
    assert case.evidence.read(hashlib.sha256(b"benign test media m1").hexdigest())


def test_a_media_file_the_referral_does_not_list_is_refused(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    agencies, _op = setup
    result = _with_media(agencies, tmp_path)
    sha = hashlib.sha256(b"benign test media m1").hexdigest()

    def unlist(documents: dict[str, Any]) -> None:
        documents["referral.json"]["media"] = []
        documents["referral.json"]["matches"] = []
        for message in documents["excerpts/messages.json"]["messages"]:
            message["attachment_sha256"] = None

    bad = _resign(agencies, result, tmp_path / "bad", unlist)
    with pytest.raises(InputError, match=f"media/{sha} does not hash to a media item"):
        import_referral(agencies.partner, bad, "es", "coord", accept_media=True)
    assert agencies.partner.case_names() == []


# ---- docs/exchange.md: a partner verifies with openssl and age alone -----------------------------

VERIFY_SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "verify-package.sh"


def _partner_tools() -> None:
    missing = [tool for tool in ("age", "openssl") if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (apt-get install age openssl)"
        if os.environ.get("CASEGRAPH_REQUIRE_AGE") == "1":
            pytest.fail(message + " — CI requires the partner-tool tests")
        pytest.skip(message)


def test_the_documented_openssl_and_age_check_accepts_a_package_and_refuses_a_changed_one(
    setup: tuple[Agencies, Operation], tmp_path: Path
) -> None:
    _partner_tools()
    agencies, _op = setup
    result = _refer_es(agencies, tmp_path / "out")
    pem = tmp_path / "coord.pem"
    pem.write_text(load_public(agencies.partner.root, "coord").document()["ed25519_pem"])
    identity = export_age_identity(agencies.partner.root, "es", tmp_path / "es.txt")
    stem = str(result.package.with_suffix(""))
    command = ["bash", str(VERIFY_SCRIPT), stem, str(pem), str(identity)]
    done = subprocess.run([*command, str(tmp_path / "a")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "every file matches the manifest" in done.stdout
    assert (tmp_path / "a" / "referral.json").is_file()
    data = bytearray(result.package.read_bytes())
    data[-1] ^= 1
    result.package.write_bytes(bytes(data))
    changed = subprocess.run([*command, str(tmp_path / "b")], capture_output=True, text=True)
    assert changed.returncode != 0 and not (tmp_path / "b").exists()
