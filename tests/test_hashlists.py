"""Hash-list import/export: VICS 1.x/2.0, NCMEC v2 XML, CSV; categories with their scheme."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casegraph.errors import InputError
from casegraph.media.hashlists import read_hash_list, write_csv, write_vics
from casegraph.media.hashlists.categories import is_pertinent
from casegraph.model import HashEntry

MD5 = "0f343b0931126a20f133d67c2b018a3b"
SHA1 = "8d883f1577ca8c334b7c6d75ccb71209d71ced13"
SHA256 = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
CONTEXT_US = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#"


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def entries_by_id(path: Path, fmt: str = "auto") -> dict[str, HashEntry]:
    return {e.entry_id: e for e in read_hash_list(path, fmt).entries}


def test_vics_20_hash_set_with_bom_and_string_booleans(tmp_path: Path) -> None:
    doc = {
        "@odata.context": CONTEXT_US + "Media",
        "value": [
            {
                "MediaID": 1,
                "Category": 1,
                "MD5": MD5.upper(),
                "SHA1": SHA1,
                "IsDistributed": "false",
                "VictimIdentified": "true",
                "Tags": "sticker,groupA",
            },
            {"MediaID": 2, "Category": 0, "MD5": "1" * 32},
            {"MediaID": 3, "Category": None, "SHA1": "2" * 40},
        ],
    }
    entries = entries_by_id(write(tmp_path / "set.json", json.dumps(doc), bom=True))
    first = entries["1"]
    assert (first.md5, first.sha1, first.category, first.scheme) == (MD5, SHA1, "1", "vics-2.0-us")
    assert first.metadata["IsDistributed"] is False and first.metadata["VictimIdentified"] is True
    assert first.label == "sticker,groupA" and first.pertinent
    assert entries["2"].category == "0" and not entries["2"].pertinent  # non-pertinent in 2.0 US
    assert entries["3"].category is None and not entries["3"].pertinent  # uncategorised


def test_vics_20_case_export_streams_media_of_every_case(tmp_path: Path) -> None:
    doc = {
        "@odata.context": CONTEXT_US + "Cases",
        "value": [
            {
                "CaseID": "6f1d2c3e-0a4b-4c5d-9e8f-112233445566",
                "CaseNumber": "CG-0042",
                "TotalMediaFiles": 3,
                "Media": [
                    {
                        "MediaID": 1,
                        "Category": 2,
                        "MD5": MD5,
                        "MediaFiles": [{"MD5": MD5, "FileName": "STK-1.webp"}],
                    },
                    {
                        "MediaID": 2,
                        "Category": 1,
                        "SHA1": SHA1,
                        "AlternativeHashes": [
                            {"HashName": "PDQ", "HashValue": PDQ},
                            {"HashName": "SHA-256", "HashValue": SHA256},
                        ],
                    },
                ],
            },
        ],
    }
    parsed = read_hash_list(write(tmp_path / "case.json", json.dumps(doc)))
    assert [e.entry_id for e in parsed.entries] == ["1", "2"]
    assert parsed.entries[1].pdq == PDQ and parsed.entries[1].sha256 == SHA256
    assert parsed.header["cases"][0]["CaseNumber"] == "CG-0042"
    assert parsed.warnings == ["header declares 3 media, the file holds 2"]


def test_vics_legacy_root_reads_zero_as_uncategorised(tmp_path: Path) -> None:
    doc = {
        "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases",
        "value": [
            {
                "Media": [
                    {"odata.id": f'Media("{MD5.upper()}")', "Category": "0"},
                    {"odata.id": 'Media("' + "a" * 32 + '")', "Category": "1"},
                    {"odata.id": 'Media("' + "b" * 32 + '")', "Category": 5},
                ]
            }
        ],
    }
    entries = entries_by_id(write(tmp_path / "legacy.json", json.dumps(doc)))
    assert entries[MD5].scheme == "vics-legacy" and entries[MD5].category == "0"
    assert not entries[MD5].pertinent
    assert entries["a" * 32].pertinent
    assert not entries["b" * 32].pertinent  # CAT-5 non-pertinent


def test_category_zero_never_counts_in_either_vics_scheme() -> None:
    assert not is_pertinent("vics-2.0-us", "0")
    assert not is_pertinent("vics-legacy", "0")
    assert not is_pertinent("csv", "0")
    assert is_pertinent("vics-2.0-us", "1") and is_pertinent("ncmec-industry", None)


def test_vics_writer_round_trips_fields_in_both_shapes(tmp_path: Path) -> None:
    original = [
        HashEntry(
            "e-1",
            md5=MD5,
            sha1=SHA1,
            sha256=SHA256,
            pdq=PDQ,
            category="1",
            scheme="vics-2.0-us",
            label="groupA",
            metadata={"IsDistributed": True},
        ),
        HashEntry("7", md5="c" * 32, category=None, scheme="vics-2.0-us", pertinent=False),
    ]
    for shape in ("Media", "Cases"):
        back = read_hash_list(write_vics(original, tmp_path / f"{shape}.json", shape=shape))
        assert back.entries == original, shape


def test_vics_payload_fields_are_refused(tmp_path: Path) -> None:
    doc = {
        "@odata.context": CONTEXT_US + "Media",
        "value": [{"MediaID": 1, "MD5": MD5, "Data": "aGVsbG8="}],
    }
    with pytest.raises(InputError, match="payload"):
        read_hash_list(write(tmp_path / "p.json", json.dumps(doc)))


def test_vics_bad_hash_names_file_and_record(tmp_path: Path) -> None:
    doc = {"@odata.context": CONTEXT_US + "Media", "value": [{"MediaID": 1, "MD5": "xyz"}]}
    with pytest.raises(InputError, match=r"bad\.json: Media record 1: md5 'xyz'"):
        read_hash_list(write(tmp_path / "bad.json", json.dumps(doc)))


def test_truncated_vics_json_is_an_input_error(tmp_path: Path) -> None:
    text = json.dumps({"@odata.context": CONTEXT_US + "Media", "value": [{"MD5": MD5}]})
    with pytest.raises(InputError, match="not valid JSON"):
        read_hash_list(write(tmp_path / "cut.json", text[:-10]))


NCMEC_XML = """<?xml version="1.0" encoding="UTF-8"?>
<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
  <images count="3" maxTimestamp="2024-02-01T09:40:00Z">
    <image><member id="7">Member Org</member><timestamp>2024-02-01T09:30:00Z</timestamp>
      <id>img-0101</id><classification>B2</classification>
      <fingerprints><md5>{md5}</md5><sha1>{sha1}</sha1><pdna>AAEC</pdna></fingerprints></image>
    <image><member id="7">Member Org</member><timestamp>2024-02-01T09:35:00Z</timestamp>
      <id>img-0102</id><fingerprints><md5>{md5b}</md5></fingerprints></image>
    <deletedImage><member id="7">Member Org</member><id>img-0102</id>
      <timestamp>2024-02-01T09:40:00Z</timestamp></deletedImage>
    <image><member id="7">Member Org</member><timestamp>2024-02-01T09:10:00Z</timestamp>
      <id>img-0101</id><classification>A2</classification>
      <fingerprints><md5>{md5}</md5></fingerprints></image>
  </images>
  <videos count="1"><video><member id="9">Other</member><timestamp>2024-02-01T08:00:00Z</timestamp>
    <id>vid-1</id><fingerprints><md5>{md5c}</md5>
    <tmk-pdqf rel="self" href="/v2/entries/1/fingerprints/TMK_PDQF"/></fingerprints></video>
  </videos>
</queryResult>"""


def test_ncmec_entries_classifications_updates_and_deletions(tmp_path: Path) -> None:
    xml = NCMEC_XML.format(md5=MD5, sha1=SHA1, md5b="d" * 32, md5c="e" * 32)
    parsed = read_hash_list(write(tmp_path / "ncmec.xml", xml))
    entries = {e.entry_id: e for e in parsed.entries}
    assert set(entries) == {"7:img-0101", "9:vid-1"}
    image = entries["7:img-0101"]
    assert (image.category, image.scheme, image.pertinent) == ("B2", "ncmec-industry", True)
    assert image.sha1 == SHA1 and image.metadata["pdna"] == "AAEC"  # the newer record won
    assert parsed.deleted == {"7:img-0102"}
    video = entries["9:vid-1"]
    assert video.metadata["type"] == "video" and "tmk-pdqf" in video.metadata["fingerprint_links"]


def test_ncmec_entity_expansion_is_refused(tmp_path: Path) -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaa">]>'
        '<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">&a;</queryResult>'
    )
    with pytest.raises(InputError, match="refused XML"):
        read_hash_list(write(tmp_path / "evil.xml", xml))


def test_csv_with_extra_columns_kept_as_metadata(tmp_path: Path) -> None:
    text = f"PDQ,category,label,source\n{PDQ.upper()},1,sticker A,partner-x\n"
    (entry,) = read_hash_list(write(tmp_path / "l.csv", text, bom=True)).entries
    assert (entry.pdq, entry.category, entry.label, entry.entry_id) == (PDQ, "1", "sticker A", PDQ)
    assert entry.metadata == {"source": "partner-x"} and entry.scheme == "csv"


def test_csv_writer_round_trips_fields(tmp_path: Path) -> None:
    original = [
        HashEntry(
            "a",
            md5=MD5,
            sha256=SHA256,
            category="1",
            scheme="csv",
            label="x",
            metadata={"source": "p1"},
        ),
        HashEntry(
            "b", pdq=PDQ, category="0", scheme="csv", pertinent=False, metadata={"source": "p2"}
        ),
    ]
    assert read_hash_list(write_csv(original, tmp_path / "out.csv")).entries == original


def test_csv_without_hash_column_or_with_bad_hash_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="names no hash column"):
        read_hash_list(write(tmp_path / "a.csv", "name,category\nx,1\n"), "csv")
    with pytest.raises(InputError, match=r"b\.csv: line 3: md5"):
        read_hash_list(write(tmp_path / "b.csv", f"md5,label\n{MD5},ok\n1234,bad\n"))


def test_unknown_format_asks_for_format_flag(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--format"):
        read_hash_list(write(tmp_path / "x.bin", "hello world\n"))
