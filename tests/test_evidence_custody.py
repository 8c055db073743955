"""Custody details: the right thing is blamed, no machine paths leak, batches stay atomic."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text

from casegraph.store.cases import Home
from casegraph.store.custody import verify_evidence
from casegraph.store.evidence import EvidenceStore
from casegraph.store.ingest import ingest_paths
from casegraph.store.matching import hash_case_media
from casegraph.store.schema import MediaRow

CHAT = "13/03/24, 10:00 - Ana: hola\n"


def test_an_edited_custody_record_is_blamed_on_the_record_not_the_blob(
    home: Home, tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    case = home.create_case("op")
    export = tmp_path / "WhatsApp Chat with Harbour.txt"
    export.write_text(CHAT, encoding="utf-8")
    ingest_paths(case, [export], "officer")
    with case.sessions() as session, session.begin():
        session.execute(text("update sources set md5 = :md5"), {"md5": "0" * 32})
    problems = verify_evidence(case).problems
    assert [p.problem for p in problems] == ["record-changed"]
    assert problems[0].detail.startswith(
        "the blob is intact but its custody record was edited: md5 recorded " + "0" * 32
    )
    code, _out, err = run_cli("evidence", "verify", "op")
    assert code == 1 and "custody record(s) were edited" in err and "restore the blobs" not in err


def test_an_unreadable_video_is_reported_without_this_machines_paths(
    home: Home, tmp_path: Path
) -> None:
    case = home.create_case("op")
    export = tmp_path / "WhatsApp Chat - Harbour.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr(
            "_chat.txt", "13/03/24, 10:00 - Ana: VID-20240313-WA0001.mp4 (file attached)\n"
        )
        archive.writestr(
            "VID-20240313-WA0001.mp4",
            b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"x" * 64,
        )
    ingest_paths(case, [export], "officer")
    assert hash_case_media(case) == 1
    with case.read() as session:
        error = session.scalar(select(MediaRow.hash_error))
    assert error is not None and error.startswith("not a readable video")
    assert str(home.root) not in error and "/" not in error
    with case.read() as session:
        assert f"evidence blob {session.scalar(select(MediaRow.sha256))}" in error


def test_a_failed_batch_names_no_blob_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "ev")
    with pytest.raises(RuntimeError), store.batch():
        store.put_bytes(b"first member")
        store.put_bytes(b"second member")
        raise RuntimeError("the archive turned out to be hostile")
    assert list(store.blobs()) == []
    assert list((tmp_path / "ev" / "tmp").iterdir()) == []


def test_a_batch_stores_identical_members_once(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "ev")
    with store.batch():
        first, new_first = store.put_bytes(b"sticker")
        second, new_second = store.put_stream(io.BytesIO(b"sticker"))
    assert first == second and (new_first, new_second) == (True, False)
    assert list(store.blobs()) == [first.sha256]
    assert store.read(first.sha256) == b"sticker"
