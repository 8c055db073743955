"""Write-once, content-addressed evidence and `evidence verify`."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from casegraph.store.cases import Case, Home
from casegraph.store.custody import verify_evidence
from casegraph.store.evidence import EvidenceStore, hash_file
from casegraph.store.schema import SourceRow

PAYLOAD = b"[12/03/24, 21:05:07] +34 600 000 001: hola\n"


def test_stored_blob_is_named_by_its_sha256_and_read_only(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "ev")
    hashes, new = store.put_bytes(PAYLOAD)
    path = store.path_for(hashes.sha256)
    assert new and path.read_bytes() == PAYLOAD
    assert hashes.sha256 == hashlib.sha256(PAYLOAD).hexdigest()
    assert hashes.md5 == hashlib.md5(PAYLOAD).hexdigest()
    assert hashes.sha1 == hashlib.sha1(PAYLOAD).hexdigest()
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_second_put_of_the_same_bytes_stores_nothing_new(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "ev")
    first, _ = store.put_bytes(PAYLOAD)
    before = os.stat(store.path_for(first.sha256))
    second, new = store.put_stream(io.BytesIO(PAYLOAD))
    assert (second, new) == (first, False)
    assert list(store.blobs()) == [first.sha256]
    assert os.stat(store.path_for(first.sha256)).st_mtime_ns == before.st_mtime_ns
    assert not list((tmp_path / "ev" / "tmp").iterdir())


class _BrokenStream(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        if self.tell() > 0:
            raise OSError("device unplugged")
        return super().read(4)


def test_an_interrupted_write_leaves_no_blob_and_no_temporary_file(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "ev")
    with pytest.raises(OSError, match="unplugged"):
        store.put_stream(_BrokenStream(PAYLOAD))
    assert list(store.blobs()) == []
    assert not list((tmp_path / "ev" / "tmp").iterdir())


def _case_with_source(home: Home, tmp_path: Path) -> tuple[Case, str]:
    case = home.create_case("custody")
    original = tmp_path / "WhatsApp Chat with Grupo.txt"
    original.write_bytes(PAYLOAD)
    with case.mutate("officer", "source.add", original.name) as session:
        hashes, _ = case.evidence.put_file(original)
        session.add(
            SourceRow(
                case_id=case.id,
                sha256=hashes.sha256,
                md5=hashes.md5,
                sha1=hashes.sha1,
                size=hashes.size,
                filename=original.name,
                received_at=datetime.now(UTC),
            )
        )
    return case, hashes.sha256


def test_verify_passes_on_intact_evidence(home: Home, tmp_path: Path) -> None:
    case, _ = _case_with_source(home, tmp_path)
    report = verify_evidence(case)
    assert report.ok and report.checked == 1


def test_verify_catches_a_modified_blob(
    home: Home, tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    case, sha256 = _case_with_source(home, tmp_path)
    blob = case.evidence.path_for(sha256)
    blob.chmod(0o644)
    blob.write_bytes(PAYLOAD.replace(b"hola", b"adios"))
    blob.chmod(0o444)
    code, out, err = run_cli("evidence", "verify", "custody")
    assert code == 1
    assert "modified" in out and sha256 in out
    assert hash_file(blob).sha256 in out
    assert "problem" in err


def test_verify_catches_a_deleted_blob(
    home: Home, tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    case, sha256 = _case_with_source(home, tmp_path)
    case.evidence.path_for(sha256).unlink()
    code, out, _ = run_cli("evidence", "verify", "custody")
    assert code == 1
    assert "missing" in out and sha256 in out


def test_verify_catches_a_blob_made_writable(home: Home, tmp_path: Path) -> None:
    case, sha256 = _case_with_source(home, tmp_path)
    case.evidence.path_for(sha256).chmod(0o644)
    assert [p.problem for p in verify_evidence(case).problems] == ["writable"]


def test_verify_run_is_itself_audited(
    home: Home, tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    case, _ = _case_with_source(home, tmp_path)
    run_cli("evidence", "verify", "custody")
    with case.read() as session:
        actions = [e.action for e in case.audit.entries(session)]
    assert actions == ["case.create", "source.add", "evidence.verify"]
