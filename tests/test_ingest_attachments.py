"""Attachment references in every locale, joined to the files of a with-media export."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from casegraph.ingest.media_kind import is_animated_webp, kind_from_name
from casegraph.ingest.whatsapp_patterns import attachment_reference
from casegraph.store.cases import Case, Home
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import AttachmentRow, MediaRow, MessageRow, SourceMemberRow, SourceRow

LRM = "\u200e"


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ("IMG-20240301-WA0002.jpg (file attached)", "IMG-20240301-WA0002.jpg"),
        (f"{LRM}IMG-20230718-WA0012.jpg (arquivo anexado)", "IMG-20230718-WA0012.jpg"),
        ("VID-20220903-WA0004.mp4 (Datei angehängt)", "VID-20220903-WA0004.mp4"),
        ("STK-20240301-WA0007.webp (archivo adjunto)", "STK-20240301-WA0007.webp"),
        ("PTT-20240301-WA0011.opus (fichier joint)", "PTT-20240301-WA0011.opus"),
        ("DOC-20240301-WA0001.pdf (file allegato)", "DOC-20240301-WA0001.pdf"),
        ("IMG-20240301-WA0002.jpg (file attached)\nlook at this", "IMG-20240301-WA0002.jpg"),
        (
            f"{LRM}<attached: 00000012-PHOTO-2024-03-01-18-02-55.jpg>",
            "00000012-PHOTO-2024-03-01-18-02-55.jpg",
        ),
        (
            "<adjunto: 00000021-STICKER-2024-03-01-18-05-10.webp>",
            "00000021-STICKER-2024-03-01-18-05-10.webp",
        ),
        (
            "<anexado: 00000003-VIDEO-2024-03-01-18-05-10.mp4>",
            "00000003-VIDEO-2024-03-01-18-05-10.mp4",
        ),
        (
            "<Anhang: 00000007-PHOTO-2022-01-12-16-20-43.jpg>",
            "00000007-PHOTO-2022-01-12-16-20-43.jpg",
        ),
        (
            "<angehängt: 00000007-PHOTO-2022-01-12-16-20-43.jpg>",
            "00000007-PHOTO-2022-01-12-16-20-43.jpg",
        ),
        (
            "<allegato: 00000001-AUDIO-2023-03-15-17-55-18.opus>",
            "00000001-AUDIO-2023-03-15-17-55-18.opus",
        ),
        (
            "<pièce jointe : 00000002-GIF-2023-03-15-17-55-18.mp4>",
            "00000002-GIF-2023-03-15-17-55-18.mp4",
        ),
        ("Plan.pdf • 3 pages <attached: 00000004-Plan.pdf>", "00000004-Plan.pdf"),
        ("2016-02-11-PHOTO-00000315.jpg <\u200eattached>", "2016-02-11-PHOTO-00000315.jpg"),
    ],
)
def test_attachment_reference_forms(body: str, reference: str) -> None:
    assert attachment_reference(body) == reference


def test_plain_text_with_brackets_is_not_an_attachment() -> None:
    assert attachment_reference("see (file here) and <b>bold</b>") is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("STK-20240301-WA0007.webp", "sticker"),
        ("00000021-STICKER-2024-03-01-18-05-10.webp", "sticker"),
        ("IMG-20240301-WA0002.jpg", "image"),
        ("00000012-PHOTO-2024-03-01-18-02-55.jpg", "image"),
        ("VID-20240301-WA0003.mp4", "video"),
        ("PTT-20240301-WA0011.opus", "audio"),
        ("00000002-GIF-2023-03-15-17-55-18.mp4", "gif"),
        ("stickers/sticker (2).webp", "sticker"),
        ("photos/photo_2@05-04-2024_08-59-46.jpg", "image"),
        ("Informe.pdf", "document"),
    ],
)
def test_media_kind_from_the_apps_file_names(name: str, kind: str) -> None:
    assert kind_from_name(name) == kind


def _webp(frames: int) -> bytes:
    images = [Image.new("RGB", (32, 32), (40 * i, 90, 200)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "WEBP", save_all=frames > 1, append_images=images[1:], duration=100)
    return out.getvalue()


def test_animated_webp_is_told_by_its_bytes() -> None:
    assert is_animated_webp(_webp(3)[:32])
    assert not is_animated_webp(_webp(1)[:32])


def _case(home: Home) -> Case:
    return home.create_case("op", timezone="Europe/Madrid", agency="ES")


def _with_media_zip(path: Path) -> Path:
    chat = (
        "[13/03/24, 10:00:00] Ana Ruiz: "
        "\u200e<attached: 00000001-STICKER-2024-03-13-10-00-00.webp>\n"
        "[13/03/24, 10:01:00] Bo Gil: \u200e<attached: 00000002-PHOTO-2024-03-13-10-01-00.jpg>\n"
        "[13/03/24, 10:02:00] Bo Gil: \u200e<attached: 00000003-PHOTO-2024-03-13-10-02-00.jpg>\n"
        "[13/03/24, 10:03:00] Ana Ruiz: "
        "\u200e<attached: 00000004-STICKER-2024-03-13-10-03-00.webp>\n"
    )
    photo = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 10, 10)).save(photo, "JPEG")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_chat.txt", chat)
        archive.writestr("00000001-STICKER-2024-03-13-10-00-00.webp", _webp(3))
        archive.writestr("00000002-PHOTO-2024-03-13-10-01-00.jpg", photo.getvalue())
        archive.writestr("00000004-STICKER-2024-03-13-10-03-00.webp", _webp(3))  # same bytes
        archive.writestr("00000009-PHOTO-2024-03-13-11-00-00.jpg", b"unreferenced")
        archive.writestr("__MACOSX/._00000002-PHOTO-2024-03-13-10-01-00.jpg", b"appledouble")
    return path


def test_with_media_zip_joins_hashes_and_reports(home: Home, tmp_path: Path) -> None:
    case = _case(home)
    result = ingest_paths(
        case, [_with_media_zip(tmp_path / "WhatsApp Chat - Stickers.zip")], "officer"
    )
    with case.read() as session:
        attachments = session.scalars(select(AttachmentRow).order_by(AttachmentRow.id)).all()
        media = session.scalars(select(MediaRow)).all()
        members = {m.path: m for m in session.scalars(select(SourceMemberRow))}
        source = session.scalars(select(SourceRow)).one()
    assert [a.member_path is not None for a in attachments] == [True, True, False, True]
    assert attachments[2].missing_reason == "not in export"
    assert attachments[0].media_id == attachments[3].media_id  # one media row per distinct file
    assert sorted(m.kind for m in media) == ["animated_sticker", "image"]
    assert all(not m.hashed for m in media)
    assert set(members) == {
        "_chat.txt",
        "00000001-STICKER-2024-03-13-10-00-00.webp",
        "00000002-PHOTO-2024-03-13-10-01-00.jpg",
        "00000004-STICKER-2024-03-13-10-03-00.webp",
        "00000009-PHOTO-2024-03-13-11-00-00.jpg",
    }
    assert not members["00000009-PHOTO-2024-03-13-11-00-00.jpg"].referenced
    for member in members.values():  # every member is in the evidence store
        assert case.evidence.has(member.sha256)
    assert source.provenance["unreferenced_members"] == ["00000009-PHOTO-2024-03-13-11-00-00.jpg"]
    assert source.provenance["missing_members"] == ["00000003-PHOTO-2024-03-13-10-02-00.jpg"]
    assert source.provenance["ignored_members"] == [
        "__MACOSX/._00000002-PHOTO-2024-03-13-10-01-00.jpg"
    ]
    assert any("not in the export" in w for w in result.warnings)
    assert any("no message references" in w for w in result.warnings)
    assert result.media == 2


def test_android_caption_is_the_next_line_of_the_same_message(home: Home, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "WhatsApp Chat with Night Owls.txt").write_text(
        "13/03/24, 10:00 - Ana Ruiz: IMG-20240313-WA0001.jpg (file attached)\nlook at this\n"
    )
    (folder / "IMG-20240313-WA0001.jpg").write_bytes(b"\xff\xd8benign")
    case = _case(home)
    ingest_paths(case, [folder], "officer")
    with case.read() as session:
        message = session.scalars(select(MessageRow)).one()
        attachment = session.scalars(select(AttachmentRow)).one()
    assert (message.kind, message.attachment_ref) == ("media", "IMG-20240313-WA0001.jpg")
    assert message.text.endswith("\nlook at this")
    assert attachment.member_path == "IMG-20240313-WA0001.jpg"


def test_coverage_window_is_recorded_per_source(home: Home, tmp_path: Path) -> None:
    case = _case(home)
    ingest_paths(case, [_with_media_zip(tmp_path / "WhatsApp Chat - Stickers.zip")], "officer")
    with case.read() as session:
        source = session.scalars(select(SourceRow)).one()
    coverage = source.provenance["chats"][0]["coverage"]
    assert coverage["first_at"] == "2024-03-13T10:00:00+01:00"
    assert coverage["last_at"] == "2024-03-13T10:03:00+01:00"
    assert coverage["possibly_truncated"] is False
