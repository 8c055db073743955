"""Hostile and odd inputs end in one line naming the file, and the case stays as it was."""

from __future__ import annotations

import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casegraph.errors import InputError
from casegraph.ingest.archive import survey_zip
from casegraph.store.cases import Case, Home
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import SourceRow

CHAT = "13/03/24, 10:00 - Ana: IMG-20240313-WA0001.jpg (file attached)\n"
PICTURE = b"\xff\xd8\xff\xe0 benign test bytes " * 20
NAME = "WhatsApp Chat - Harbour.zip"


def _stored_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("_chat.txt", CHAT)
        archive.writestr("IMG-20240313-WA0001.jpg", PICTURE)
    return path


def _nothing_stored(case: Case) -> bool:
    with case.read() as session:
        sources = session.scalar(select(func.count()).select_from(SourceRow))
    return sources == 0 and list(case.evidence.blobs()) == []


def _set_method(data: bytearray, method: int) -> None:
    """Rewrite the compression method in every local and central header."""
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.find(signature)
        while at != -1:
            struct.pack_into("<H", data, at + offset, method)
            at = data.find(signature, at + 4)


def test_members_under_the_per_member_floor_cannot_add_up_to_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / NAME
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_chat.txt", CHAT)
        for i in range(64):  # exactly 1 MiB each: the per-member ratio check never looks
            archive.writestr(f"IMG-{i:04d}.jpg", bytes([i]) * (1 << 20))
    assert path.stat().st_size < 1 << 20
    with pytest.raises(InputError, match=r"Harbour\.zip: members expand \d+-fold in total"):
        survey_zip(path)


def test_ordinary_compressible_chat_text_is_not_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / NAME
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = (
            f"13/03/24, 10:{i % 60:02d} - +34 600 {i:06d}: message {i} about the meeting\n"
            for i in range(40_000)
        )
        archive.writestr("_chat.txt", "".join(lines))  # chat text compresses a few-fold
    members, _ignored = survey_zip(path)
    assert [m.path for m in members] == ["_chat.txt"]


def test_an_unreadable_compression_method_is_refused_by_name(home: Home, tmp_path: Path) -> None:
    path = _stored_zip(tmp_path / NAME)
    data = bytearray(path.read_bytes())
    _set_method(data, 9)  # Deflate64, which zipfile cannot inflate
    path.write_bytes(bytes(data))
    case = home.create_case("op")
    with pytest.raises(InputError, match=r"Harbour\.zip: member '_chat\.txt' uses compression"):
        ingest_paths(case, [path], "officer")
    assert _nothing_stored(case)


def _break_local_header(data: bytearray) -> None:
    second = data.find(b"PK\x03\x04", 4)  # the picture's local header
    data[second : second + 4] = b"XX\x03\x04"


def _break_crc(data: bytearray) -> None:
    at = data.find(PICTURE[:16])
    data[at + 40] ^= 0xFF


@pytest.mark.parametrize(
    ("damage", "detail"),
    [(_break_local_header, "cannot be opened"), (_break_crc, "is damaged")],
    ids=["local header", "crc"],
)
def test_a_damaged_member_names_the_submitted_file_not_the_blob(
    home: Home, tmp_path: Path, damage: Callable[[bytearray], None], detail: str
) -> None:
    path = _stored_zip(tmp_path / NAME)
    data = bytearray(path.read_bytes())
    damage(data)
    path.write_bytes(bytes(data))
    case = home.create_case("op")
    with pytest.raises(InputError) as refused:
        ingest_paths(case, [path], "officer")
    message = str(refused.value)
    assert message.startswith(f"{NAME}: member 'IMG-20240313-WA0001.jpg' {detail}")
    assert "\n" not in message and "sha256" not in message
    assert _nothing_stored(case)


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_device_or_a_pipe_is_one_line_not_a_traceback(
    run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path, kind: str
) -> None:
    if kind == "device":
        target = Path("/dev/zero")
    else:
        target = tmp_path / "chat.txt"
        os.mkfifo(target)
    assert run_cli("case", "create", "op")[0] == 0
    code, _out, err = run_cli("ingest", "op", str(target))
    assert code == 2
    assert err.strip() == (
        f"error: {target}: not a regular file or folder (a device or a pipe?); "
        "pass the export itself"
    )


def test_a_pipe_inside_an_export_folder_is_refused(home: Home, tmp_path: Path) -> None:
    folder = tmp_path / "WhatsApp Chat - Harbour"
    folder.mkdir()
    (folder / "_chat.txt").write_text(CHAT, encoding="utf-8")
    os.mkfifo(folder / "IMG-20240313-WA0001.jpg")
    case = home.create_case("op")
    with pytest.raises(InputError, match=r"IMG-20240313-WA0001\.jpg is not a regular file"):
        ingest_paths(case, [folder], "officer")
    assert _nothing_stored(case)
