"""Hostile archives and folders are refused with a clear error, and nothing is stored."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casegraph.errors import InputError
from casegraph.ingest.archive import Limits, survey_zip
from casegraph.ingest.detect import find_sources
from casegraph.store.cases import Case, Home
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import SourceRow

CHAT = "13/03/24, 10:00 - Ana: hola\n"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _nothing_stored(case: Case) -> bool:
    with case.read() as session:
        sources = session.scalar(select(func.count()).select_from(SourceRow))
    return sources == 0 and list(case.evidence.blobs()) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../../etc/evil.txt", "path traversal"),
        ("media/../../evil.txt", "path traversal"),
        ("/abs/evil.txt", "absolute path"),
        ("C:/evil.txt", "absolute path"),
        ("..\\evil.txt", "path traversal"),
    ],
)
def test_paths_leaving_the_archive_are_refused(
    home: Home, tmp_path: Path, name: str, message: str
) -> None:
    archive = _zip(tmp_path / "WhatsApp Chat - X.zip", {"_chat.txt": CHAT.encode(), name: b"x"})
    case = home.create_case("op")
    with pytest.raises(InputError, match=message):
        ingest_paths(case, [archive], "officer")
    assert _nothing_stored(case)


def test_symlink_members_are_refused(home: Home, tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat - X.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_chat.txt", CHAT)
        link = zipfile.ZipInfo("media.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    case = home.create_case("op")
    with pytest.raises(InputError, match="symbolic link"):
        ingest_paths(case, [path], "officer")
    assert _nothing_stored(case)


def test_compression_bomb_is_refused(home: Home, tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "WhatsApp Chat - X.zip", {"_chat.txt": CHAT.encode(), "big.bin": bytes(8 << 20)}
    )
    case = home.create_case("op")
    with pytest.raises(InputError, match="zip bomb"):
        ingest_paths(case, [archive], "officer")
    assert _nothing_stored(case)


def test_member_count_and_total_size_are_bounded(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {f"m{i}.txt": b"abc" for i in range(5)})
    with pytest.raises(InputError, match="exceed the limit"):
        survey_zip(archive, Limits(max_members=4))
    with pytest.raises(InputError, match="expand beyond"):
        survey_zip(archive, Limits(max_total_bytes=10))
    with pytest.raises(InputError, match="nested too deep"):
        survey_zip(_zip(tmp_path / "b.zip", {"a/b/c/d.txt": b"x"}), Limits(max_depth=2))


def test_member_inflating_past_its_declared_size_is_refused(home: Home, tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "WhatsApp Chat - X.zip", {"_chat.txt": CHAT.encode(), "IMG-1.jpg": b"A" * 4000}
    )
    data = bytearray(path.read_bytes())
    # Lower the declared size of IMG-1.jpg in its central-directory entry only.
    entry = data.rfind(b"PK\x01\x02")
    data[entry + 24 : entry + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    case = home.create_case("op")
    with pytest.raises(InputError, match=r"IMG-1\.jpg"):
        ingest_paths(case, [path], "officer")
    assert _nothing_stored(case)


def test_corrupt_zip_is_a_clean_error(home: Home, tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat - X.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputError, match=r"WhatsApp Chat - X\.zip"):
        ingest_paths(home.create_case("op"), [path], "officer")


def test_symlink_inside_a_folder_is_refused(home: Home, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "WhatsApp Chat with X.txt").write_text(CHAT)
    os.symlink("/etc/hostname", folder / "IMG-20240313-WA0001.jpg")
    case = home.create_case("op")
    with pytest.raises(InputError, match="symbolic link"):
        ingest_paths(case, [folder], "officer")
    assert _nothing_stored(case)


def test_macosx_entries_are_ignored_not_stored(home: Home, tmp_path: Path) -> None:
    members = {"_chat.txt": CHAT.encode(), "__MACOSX/._chat.txt": b"mac", "._IMG.jpg": b"mac"}
    archive = _zip(tmp_path / "WhatsApp Chat - X.zip", members)
    case = home.create_case("op")
    ingest_paths(case, [archive], "officer")
    with case.read() as session:
        source = session.scalars(select(SourceRow)).one()
    assert sorted(source.provenance["ignored_members"]) == ["._IMG.jpg", "__MACOSX/._chat.txt"]


def test_detection_of_each_input_shape(tmp_path: Path) -> None:
    (tmp_path / "WhatsApp Chat with A.txt").write_text(CHAT)
    _zip(tmp_path / "WhatsApp Chat - B.zip", {"_chat.txt": CHAT.encode()})
    telegram = tmp_path / "ChatExport_2024-04-11"
    telegram.mkdir()
    (telegram / "result.json").write_text('{"name": "T", "messages": []}')
    (tmp_path / "messages.json").write_text("[]")
    signal = tmp_path / "Sunday"
    signal.mkdir()
    (signal / "chat.md").write_text("[2022-11-08 20:17:41] Ana: hi\n")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    found = {(u.path.name, u.format, u.container) for u in find_sources([tmp_path])}
    assert found == {
        ("WhatsApp Chat with A.txt", "whatsapp", "file"),
        ("WhatsApp Chat - B.zip", "whatsapp", "zip"),
        ("ChatExport_2024-04-11", "telegram", "folder"),
        ("messages.json", "sigtop-json", "file"),
        ("Sunday", "signal-md", "folder"),
    }


def test_unknown_file_names_the_supported_formats(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n")
    with pytest.raises(InputError, match=r"notes\.txt: not a chat export"):
        find_sources([path])
