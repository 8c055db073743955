"""Matching written to the store: hashing media rows, importing lists, exact/PDQ/negative hits."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from casegraph.media.drawn import animated_webp, drawn_image, encode, variant
from casegraph.media.hashing import hash_media_bytes
from casegraph.media.hashlists import write_csv
from casegraph.model import HashEntry
from casegraph.store.cases import Case, Home
from casegraph.store.matching import hash_case_media, import_hash_list, match_case
from casegraph.store.schema import HashEntryRow, HashListRow, MatchRow, MediaRow


def add_media(case: Case, data: bytes, kind: str = "image") -> str:
    """What ingest does for one attachment: blob in the evidence store + an unhashed row."""
    hashes, _new = case.evidence.put_bytes(data)
    with case.mutate("test", "media.add", hashes.sha256) as session:
        session.add(
            MediaRow(
                case_id=case.id,
                sha256=hashes.sha256,
                md5=hashes.md5,
                sha1=hashes.sha1,
                size=hashes.size,
                kind=kind,
            )
        )
    return hashes.sha256


def matches(case: Case) -> dict[tuple[str, str, str], MatchRow]:
    with case.read() as session:
        rows = session.execute(
            select(MatchRow, MediaRow.sha256, HashListRow.name, HashEntryRow.entry_id)
            .join(MediaRow, MatchRow.media_id == MediaRow.id)
            .join(HashListRow, MatchRow.list_id == HashListRow.id)
            .join(HashEntryRow, MatchRow.entry_id == HashEntryRow.id)
        ).all()
    return {(sha, name, entry): row for row, sha, name, entry in rows}


def csv_list(path: Path, entries: list[HashEntry]) -> Path:
    return write_csv(entries, path)


def test_hash_case_media_fills_pdq_and_records_unhashable(home: Home) -> None:
    case = home.create_case("hashing")
    good = add_media(case, encode(drawn_image(1, 300, 200), "JPEG"))
    bad = add_media(case, b"\xff\xd8\xff\xe0 not really a jpeg")
    assert hash_case_media(case) == 2
    assert hash_case_media(case) == 0  # nothing left to hash
    with case.read() as session:
        rows = {r.sha256: r for r in session.scalars(select(MediaRow))}
    assert rows[good].pdq and rows[good].pdq_quality and rows[good].hashed
    assert rows[bad].pdq is None and rows[bad].hash_error and rows[bad].hashed


def test_exact_and_perceptual_matches_with_method_distance_category(
    home: Home, tmp_path: Path
) -> None:
    case = home.create_case("exact")
    photo = drawn_image(2, 640, 480)
    original = encode(photo, "PNG")
    exact = add_media(case, original)
    reencoded = add_media(case, variant(photo, "half"))
    unrelated = add_media(case, encode(drawn_image(3, 640, 480), "PNG"))
    hash_case_media(case)
    known = hash_media_bytes(original)
    path = csv_list(
        tmp_path / "known.csv",
        [
            HashEntry("m1", md5=known.file.md5, category="1", scheme="csv"),
            HashEntry("p1", pdq=known.pdq, category="1", scheme="csv"),
        ],
    )
    import_hash_list(case, path, name="known")
    result = match_case(case)
    found = matches(case)
    assert set(found) == {
        (exact, "known", "m1"),
        (exact, "known", "p1"),
        (reencoded, "known", "p1"),
    }
    assert found[(exact, "known", "m1")].method == "md5"  # the VICS key names exact hits
    assert found[(exact, "known", "p1")].distance == 0
    assert 0 < found[(reencoded, "known", "p1")].distance <= 31
    assert found[(reencoded, "known", "p1")].category == "1"
    assert found[(reencoded, "known", "p1")].scheme == "csv"
    assert result.known_material == 2 and unrelated not in {k[0] for k in found}


def test_category_zero_is_kept_but_never_known_material(home: Home, tmp_path: Path) -> None:
    case = home.create_case("cat0")
    data = encode(drawn_image(4, 200, 200), "PNG")
    sha = add_media(case, data)
    doc = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/"
        "$metadata#Media",
        "value": [{"MediaID": 1, "Category": 0, "MD5": hash_media_bytes(data).file.md5}],
    }
    (tmp_path / "v.json").write_text(json.dumps(doc))
    import_hash_list(case, tmp_path / "v.json", name="vics")
    result = match_case(case)
    row = matches(case)[(sha, "vics", "1")]
    assert (row.category, row.scheme, row.pertinent) == ("0", "vics-2.0-us", False)
    assert result.known_material == 0 and result.matches == 1


def test_negative_list_suppresses_other_hits(home: Home, tmp_path: Path) -> None:
    case = home.create_case("negative")
    data = encode(drawn_image(5, 300, 300), "PNG")
    sha = add_media(case, data)
    md5 = hash_media_bytes(data).file.md5
    import_hash_list(
        case, csv_list(tmp_path / "k.csv", [HashEntry("k", md5=md5, category="1")]), name="known"
    )
    import_hash_list(
        case,
        csv_list(tmp_path / "fp.csv", [HashEntry("fp", md5=md5)]),
        name="false-positives",
        negative=True,
    )
    result = match_case(case)
    found = matches(case)
    assert found[(sha, "known", "k")].suppressed_by == found[(sha, "false-positives", "fp")].id
    assert not found[(sha, "false-positives", "fp")].pertinent
    assert result.known_material == 0 and result.suppressed == 1


def test_quality_floor_keeps_flat_images_out_of_pdq_matching(home: Home, tmp_path: Path) -> None:
    case = home.create_case("flat")
    flat = encode(Image.new("RGB", (200, 200), (90, 120, 200)), "PNG")
    add_media(case, flat)
    hash_case_media(case)
    flat_hash = hash_media_bytes(flat)
    assert (flat_hash.pdq_quality or 0) < 50
    import_hash_list(case, csv_list(tmp_path / "p.csv", [HashEntry("p", pdq=flat_hash.pdq)]))
    assert match_case(case).matches == 0


def test_reimport_updates_the_list_and_rematching_writes_only_the_difference(
    home: Home, tmp_path: Path
) -> None:
    case = home.create_case("rerun")
    a, b = (encode(drawn_image(seed, 200, 200), "PNG") for seed in (6, 7))
    sha_a, sha_b = add_media(case, a), add_media(case, b)
    md5_a, md5_b = hash_media_bytes(a).file.md5, hash_media_bytes(b).file.md5
    path = tmp_path / "l.csv"
    import_hash_list(case, csv_list(path, [HashEntry("a", md5=md5_a, category="1")]), name="l")
    first = match_case(case)
    kept_id = matches(case)[(sha_a, "l", "a")].id
    again = match_case(case)
    assert (first.added, again.added, again.removed) == (1, 0, 0)
    result = import_hash_list(
        case,
        csv_list(
            path, [HashEntry("a", md5=md5_a, category="2"), HashEntry("b", md5=md5_b, category="1")]
        ),
        name="l",
    )
    assert (result.added, result.updated, result.removed) == (1, 1, 0)
    third = match_case(case)
    assert (third.added, third.updated) == (1, 1)
    assert matches(case)[(sha_a, "l", "a")].id == kept_id
    assert matches(case)[(sha_a, "l", "a")].category == "2"
    import_hash_list(case, csv_list(path, [HashEntry("b", md5=md5_b, category="1")]), name="l")
    assert set(matches(case)) == {(sha_b, "l", "b")}  # the withdrawn entry's match went with it


def test_rotated_copy_matches_only_with_dihedral(home: Home, tmp_path: Path) -> None:
    case = home.create_case("dihedral")
    image = drawn_image(8, 400, 400)
    add_media(case, encode(image.transpose(Image.Transpose.ROTATE_90), "PNG"))
    hash_case_media(case)
    known = hash_media_bytes(encode(image, "PNG")).pdq
    import_hash_list(case, csv_list(tmp_path / "p.csv", [HashEntry("p", pdq=known)]))
    assert match_case(case).matches == 0
    assert match_case(case, dihedral=True).matches == 1
    (row,) = matches(case).values()
    assert row.method == "pdq-dihedral"


def test_animated_sticker_matches_through_a_later_frame(home: Home, tmp_path: Path) -> None:
    case = home.create_case("frames")
    data = animated_webp(9, frames=5)
    add_media(case, data, kind="sticker")
    hash_case_media(case)
    third_frame = hash_media_bytes(data).frame_pdqs[2][0]
    import_hash_list(case, csv_list(tmp_path / "p.csv", [HashEntry("f", pdq=third_frame)]))
    match_case(case)
    (row,) = matches(case).values()
    assert (row.method, row.distance) == ("pdq-frames", 0)
    with case.read() as session:
        assert session.scalars(select(MediaRow.kind)).one() == "animated_sticker"


def test_synthetic_operation_expected_matches_are_found_and_nothing_else(
    home: Home, synth_small: Path
) -> None:
    truth = json.loads((synth_small / "truth.json").read_text())
    case = home.create_case("synth")
    for media in truth["media"]:
        archive, _, member = media["files"][0].partition("!")
        source = synth_small / archive
        data = zipfile.ZipFile(source).read(member) if member else source.read_bytes()
        assert add_media(case, data) == media["sha256"]
    hash_case_media(case)
    for hash_list in truth["hash_lists"]:
        import_hash_list(
            case,
            synth_small / hash_list["file"],
            name=hash_list["name"],
            negative=hash_list["negative"],
        )
    match_case(case)
    found = {
        (sha, name, entry, row.method)
        for (sha, name, entry), row in matches(case).items()
        if row.suppressed_by is None or row.list_id is None
    }
    expected = {
        (e["media_sha256"], e["list"], e["entry"], e["method"]) for e in truth["expected_matches"]
    }
    assert found == expected
