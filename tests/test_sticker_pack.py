"""Sticker pack metadata: read from the WebP's EXIF chunk, stored on media, used by spread."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from casegraph.analysis.records import MediaRecord, OccurrenceRecord
from casegraph.analysis.run import analyze_case
from casegraph.analysis.spread import sticker_pack_leads
from casegraph.media.sticker_pack import exif_for_pack, read_sticker_pack
from casegraph.report.json_view import build_report
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths
from casegraph.synth import images
from casegraph.synth.catalogue import PACKS

PACK = {
    "sticker-pack-id": "org.example.stickerstudio.provider 1735622300",
    "sticker-pack-name": "Pegatinas del barrio",
    "sticker-pack-publisher": "Sticker Studio Demo",
    "emojis": ["\U0001f600"],
    "android-app-store-link": "https://play.example.org/x",
    "is-avatar-sticker": 0,
}


def _riff(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"WEBP" + b"".join(
        fourcc + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
        for fourcc, data in chunks
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_a_sticker_apps_pack_is_read_with_stable_field_names() -> None:
    pack = read_sticker_pack(io.BytesIO(images.sticker(5, size=64, pack=PACK)))
    assert pack == {
        "id": "org.example.stickerstudio.provider 1735622300",
        "name": "Pegatinas del barrio",
        "publisher": "Sticker Studio Demo",
        "emojis": ["\U0001f600"],
        "android_app_store_link": "https://play.example.org/x",
        "other": {"is-avatar-sticker": "0"},
    }


def test_an_animated_stickers_pack_is_read() -> None:
    data = images.animated_sticker(7, frames=3, size=64, pack=PACK)
    assert read_sticker_pack(io.BytesIO(data))["id"] == PACK["sticker-pack-id"]  # type: ignore[index]


def test_a_sticker_without_exif_has_no_pack() -> None:
    assert read_sticker_pack(io.BytesIO(images.sticker(5, size=64))) is None


def test_pixels_are_never_decoded_only_chunk_headers() -> None:
    # The image chunk is garbage: a decoder would fail, the chunk walk does not care.
    data = _riff(
        (b"VP8X", b"\x08" + bytes(9)), (b"VP8 ", b"\xff" * 33), (b"EXIF", exif_for_pack(PACK))
    )
    assert read_sticker_pack(io.BytesIO(data))["name"] == "Pegatinas del barrio"  # type: ignore[index]


def test_big_endian_tiff_and_an_exif_prefix_are_read() -> None:
    body = json.dumps({"sticker-pack-id": "p1", "sticker-pack-publisher": "pub"}).encode()
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHII", 0x5741, 7, len(body), 22) + body
    data = _riff((b"VP8X", bytes(10)), (b"EXIF", b"Exif\x00\x00" + tiff))
    assert read_sticker_pack(io.BytesIO(data)) == {"id": "p1", "publisher": "pub"}


def test_exif_without_pack_json_is_no_pack() -> None:
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHII", 0x0112, 3, 1, 1)  # an orientation tag only
    assert read_sticker_pack(io.BytesIO(_riff((b"EXIF", tiff)))) is None


def test_a_jpeg_is_not_a_sticker() -> None:
    assert read_sticker_pack(io.BytesIO(images.photo(1)[:2000])) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_garbage_after_a_riff_header_never_raises(tail: bytes) -> None:
    read_sticker_pack(io.BytesIO(b"RIFF\x00\x10\x00\x00WEBP" + tail))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2000))
def test_a_truncated_sticker_never_raises(cut: int) -> None:
    data = images.sticker(3, size=32, pack=PACK)
    read_sticker_pack(io.BytesIO(data[:cut]))


def test_synth_stickers_carry_their_packs() -> None:
    for pack in PACKS:
        data = images.sticker(1, size=32, pack=pack)
        assert read_sticker_pack(io.BytesIO(data))["id"] == pack["sticker-pack-id"]  # type: ignore[index]


def _occ(media_id: int, chat_id: int, minute: int) -> OccurrenceRecord:
    from datetime import UTC, datetime

    return OccurrenceRecord(
        media_id,
        media_id * 10 + chat_id,
        chat_id,
        None,
        datetime(2024, 1, 1, 10, minute, tzinfo=UTC),
    )


def test_spread_leads_join_one_pack_across_chats_and_a_publisher_across_packs() -> None:
    media = [
        MediaRecord(1, "a" * 64, "sticker", pack_id="p1", pack_publisher="Pub"),
        MediaRecord(2, "b" * 64, "sticker", pack_id="p1", pack_publisher="Pub"),
        MediaRecord(3, "c" * 64, "sticker", pack_id="p2", pack_publisher="Pub"),
        MediaRecord(4, "d" * 64, "sticker"),
    ]
    leads = sticker_pack_leads(media, [_occ(1, 7, 5), _occ(2, 8, 1), _occ(3, 9, 9), _occ(4, 7, 0)])
    by = {(lead.kind, lead.value): lead for lead in leads}
    assert set(by) == {("pack", "p1"), ("pack", "p2"), ("publisher", "Pub")}
    assert by[("pack", "p1")].chat_ids == [8, 7]  # first reached chat 8
    assert by[("pack", "p1")].media_ids == [1, 2]
    assert by[("publisher", "Pub")].chat_ids == [8, 7, 9]


def _export(path: Path, title: str, stickers: list[tuple[str, bytes]]) -> Path:
    lines = [f"[21.03.24, 10:00:00] Ana: hola {title}"]
    for n, (name, _data) in enumerate(stickers):
        lines.append(f"[21.03.24, 10:0{n + 1}:00] +34 600 111 22{n}: \u200e<attached: {name}>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_chat.txt", "\n".join(lines) + "\n")
        for name, data in stickers:
            archive.writestr(name, data)
    return path


def test_ingest_stores_the_pack_and_the_report_shows_where_it_spread(
    home: Home, tmp_path: Path
) -> None:
    case = home.create_case("packs", timezone="Europe/Madrid")
    first = images.sticker(11, size=64, pack=PACK)
    second = images.sticker(12, size=64, pack=PACK)
    plain = images.sticker(13, size=64)
    ingest_paths(
        case,
        [
            _export(
                tmp_path / "WhatsApp Chat - Uno.zip",
                "uno",
                [("00000001-STICKER-2024-03-01-10-01-00.webp", first)],
            ),
            _export(
                tmp_path / "WhatsApp Chat - Dos.zip",
                "dos",
                [
                    ("00000001-STICKER-2024-03-01-10-01-00.webp", second),
                    ("00000002-STICKER-2024-03-01-10-02-00.webp", plain),
                ],
            ),
        ],
        captured_by="officer",
    )
    analyze_case(case)
    report = build_report(case)
    packs = {m["sha256"][:8]: m["sticker_pack"] for m in report["media"]}
    with_pack = [p for p in packs.values() if p]
    assert len(with_pack) == 2 and list(packs.values()).count(None) == 1
    chats = {c["id"] for c in report["chats"]}
    for pack in with_pack:
        assert pack["id"] == PACK["sticker-pack-id"]
        assert pack["publisher"] == "Sticker Studio Demo"
        assert set(pack["pack_chats"]) == chats and len(chats) == 2
