"""VICS JSON (Project VIC): 1.x (`odata.metadata`) and 2.0 (`@odata.context`), both shapes.

A 2.0 *hash set* (`#Media`) has Media records directly under `value`; a *case export*
(`#Cases`) has cases under `value`, each with `Media[]`. The file is stream-parsed (ijson),
so memory stays bounded by one Media record, not the file. UTF-8 with or without BOM;
booleans may be strings. Category is read with its scheme: (data-model version, variant).
Only hashes and metadata enter: payload-like fields are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import ijson

from casegraph import __version__
from casegraph.errors import InputError
from casegraph.media.hashlists.base import (
    HashListFormat,
    ParsedList,
    clean_hash,
    has_any_hash,
    parse_bool,
    register,
)
from casegraph.media.hashlists.categories import (
    VICS_LEGACY,
    VICS_OTHER,
    VICS_UK,
    VICS_US,
    is_pertinent,
)
from casegraph.model import HashEntry

CONTEXT_20 = (
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{variant}/$metadata#{shape}"
)
ENTRY_ID_PROPERTY = "casegraph.entry_id"
FLAGS = (
    "VictimIdentified",
    "OffenderIdentified",
    "IsDistributed",
    "IsSuspected",
    "SelfGenerated",
    "IsPrecategorized",
)
WRITTEN_FIELDS = (
    "MediaSize",
    "MimeType",
    "Series",
    "Comments",
    "DateUpdated",
    "PrecategorizationSource",
)
PAYLOAD_FIELDS = ("Data", "Content", "Base64", "Thumbnail", "Payload")
_ODATA_ID = re.compile(r'Media\("?\{?([0-9A-Fa-f]{32})\}?"?\)')


def scheme_for(root_key: str, context: str) -> str:
    if root_key == "odata.metadata" or "/1." in context:
        return VICS_LEGACY
    match = re.search(r"2\.0\.xml/([^/]+)/", context)
    variant = (match.group(1) if match else "").upper()
    return {"US": VICS_US, "UK": VICS_UK}.get(variant, VICS_OTHER)


def read_vics(path: Path) -> ParsedList:
    parsed = ParsedList("vics")
    with path.open("rb") as stream:
        if stream.read(3) != b"\xef\xbb\xbf":
            stream.seek(0)
        try:
            _parse(stream, path, parsed)
        except ijson.JSONError as exc:
            raise InputError(
                f"{path}: not valid JSON ({str(exc)[:120]}); re-export the VICS file"
            ) from exc
    if not parsed.header.get("root"):
        raise InputError(
            f"{path}: no 'odata.metadata' or '@odata.context' root; not a VICS file "
            "(use --format csv for CSV lists)"
        )
    declared = parsed.header.get("declared_media")
    records = parsed.header.get("media_records", 0)
    if declared is not None and declared != records:
        parsed.warnings.append(f"header declares {declared} media, the file holds {records}")
    return parsed


def _parse(stream: IO[bytes], path: Path, parsed: ParsedList) -> None:
    scheme = VICS_US
    media_builder: ijson.ObjectBuilder | None = None
    item_builder: ijson.ObjectBuilder | None = None
    counter = {"media": 0}
    ids: dict[str, int] = {}
    for prefix, event, value in ijson.parse(stream, use_float=True):
        if prefix in ("odata.metadata", "@odata.context") and event == "string":
            parsed.header["root"] = prefix
            parsed.header["context"] = value
            scheme = scheme_for(prefix, value)
            parsed.header["scheme"] = scheme
            continue
        if prefix.startswith("value.item.Media.item"):
            if prefix == "value.item.Media.item" and event == "start_map":
                media_builder = ijson.ObjectBuilder()
            if media_builder is not None:
                media_builder.event(event, value)
            if prefix == "value.item.Media.item" and event == "end_map" and media_builder:
                _add(parsed, media_builder.value, scheme, path, counter, ids)
                media_builder = None
            continue
        if prefix == "value.item.Media" or (
            prefix == "value.item" and event == "map_key" and value == "Media"
        ):
            continue  # the Media array of a case is streamed above, not kept in the case header
        if prefix.startswith("value.item"):
            if prefix == "value.item" and event == "start_map":
                item_builder = ijson.ObjectBuilder()
            if item_builder is not None:
                item_builder.event(event, value)
            if prefix == "value.item" and event == "end_map" and item_builder:
                _item_done(parsed, item_builder.value, scheme, path, counter, ids)
                item_builder = None


def _item_done(
    parsed: ParsedList,
    item: dict[str, Any],
    scheme: str,
    path: Path,
    counter: dict[str, int],
    ids: dict[str, int],
) -> None:
    """A `value` item is a Media record (hash set) or a case header (case export)."""
    if any(k in item for k in ("MD5", "SHA1", "MediaID", "odata.id", "AlternativeHashes")):
        _add(parsed, item, scheme, path, counter, ids)
        return
    cases = parsed.header.setdefault("cases", [])
    cases.append({k: v for k, v in item.items() if not isinstance(v, list | dict)})
    declared = item.get("TotalMediaFiles")
    if declared is not None:
        parsed.header.setdefault("declared_media", 0)
        parsed.header["declared_media"] += int(declared)


def _add(
    parsed: ParsedList,
    media: dict[str, Any],
    scheme: str,
    path: Path,
    counter: dict[str, int],
    ids: dict[str, int],
) -> None:
    counter["media"] += 1
    parsed.header["media_records"] = counter["media"]
    for name in PAYLOAD_FIELDS:
        if media.get(name):
            raise InputError(
                f"{path}: Media record {counter['media']} carries a '{name}' payload; "
                "hash lists must hold hashes and metadata only, remove the payload"
            )
    entry = media_entry(media, scheme, path, counter["media"])
    if not has_any_hash(entry):
        parsed.warnings.append(f"Media record {counter['media']} has no hash; skipped")
        return
    if entry.entry_id in ids:  # Up to 116 records can name one file: the last one wins
        parsed.entries[ids[entry.entry_id]] = entry
        parsed.warnings.append(f"entry {entry.entry_id} repeated; last record kept")
        return
    ids[entry.entry_id] = len(parsed.entries)
    parsed.entries.append(entry)


def media_entry(media: dict[str, Any], scheme: str, path: Path, number: int) -> HashEntry:
    where = f"Media record {number}"
    alternatives = {
        str(a.get("HashName", "")).strip().upper().replace("-", ""): a.get("HashValue")
        for a in media.get("AlternativeHashes") or []
        if isinstance(a, dict)
    }
    md5 = media.get("MD5")
    if not md5 and isinstance(media.get("odata.id"), str):
        found = _ODATA_ID.search(media["odata.id"])
        md5 = found.group(1) if found else None
    category = media.get("Category")
    category_text = None if category is None or category == "" else str(int(float(category)))
    properties = {
        str(p.get("PropertyName")): p.get("PropertyValue")
        for p in media.get("MediaMetadata") or []
        if isinstance(p, dict)
    }
    metadata: dict[str, Any] = {
        flag: parse_bool(media[flag]) for flag in FLAGS if media.get(flag) is not None
    }
    for key in ("MediaSize", "MimeType", "Series", "Comments", "DateUpdated", "PhotoDNA"):
        if media.get(key) not in (None, ""):
            metadata[key] = media[key]
    extra_properties = {k: v for k, v in properties.items() if k != ENTRY_ID_PROPERTY}
    if extra_properties:
        metadata["MediaMetadata"] = extra_properties
    if media.get("MediaFiles"):
        metadata["files"] = len(media["MediaFiles"])
    md5_clean = clean_hash(md5, "md5", path, where)
    sha1_clean = clean_hash(media.get("SHA1"), "sha1", path, where)
    entry_id = properties.get(ENTRY_ID_PROPERTY) or media.get("MediaID") or md5_clean or sha1_clean
    return HashEntry(
        entry_id=str(entry_id),
        md5=md5_clean,
        sha1=sha1_clean,
        sha256=clean_hash(alternatives.get("SHA256"), "sha256", path, where),
        pdq=clean_hash(alternatives.get("PDQ"), "pdq", path, where),
        category=category_text,
        scheme=scheme,
        pertinent=is_pertinent(scheme, category_text),
        label=(str(media["Tags"]).strip() or None) if media.get("Tags") else None,
        metadata=metadata,
    )


# ---------------------------------------------------------------- writer


def _media_record(entry: HashEntry, media_id: int) -> dict[str, Any]:
    md5 = entry.md5.upper() if entry.md5 else None  # one case wherever the MD5 is written
    alternatives = [
        {"HashName": name, "HashValue": value, "MD5": md5}
        for name, value in (("SHA256", entry.sha256), ("PDQ", entry.pdq))
        if value
    ]
    record: dict[str, Any] = {
        "MediaID": media_id,
        "Category": int(entry.category) if entry.category and entry.category.isdigit() else None,
        "MD5": md5,
        "SHA1": entry.sha1.upper() if entry.sha1 else None,
        "Tags": entry.label or "",
        "AlternativeHashes": alternatives,
        "MediaMetadata": [{"PropertyName": ENTRY_ID_PROPERTY, "PropertyValue": entry.entry_id}],
    }
    for key, value in entry.metadata.items():
        if key in FLAGS or key in WRITTEN_FIELDS:
            record[key] = value
        elif key == "MediaMetadata" and isinstance(value, dict):
            record["MediaMetadata"] += [
                {"PropertyName": k, "PropertyValue": v} for k, v in value.items()
            ]
    return record


def write_vics(
    entries: Iterable[HashEntry],
    path: Path,
    variant: str = "US",
    shape: str = "Media",
    case: dict[str, Any] | None = None,
) -> Path:
    """VICS 2.0 JSON: a hash set (`shape="Media"`) or a case export (`shape="Cases"`).

    Categories are written as codes of the list's own scheme; an uncategorised entry is null.
    """
    if shape not in ("Media", "Cases"):
        raise ValueError("shape must be 'Media' or 'Cases'")
    records = [_media_record(e, n) for n, e in enumerate(entries, start=1)]
    context = CONTEXT_20.format(variant=variant, shape=shape)
    if shape == "Media":
        document: dict[str, Any] = {"@odata.context": context, "value": records}
    else:
        header = {
            "SourceApplicationName": "casegraph",
            "SourceApplicationVersion": __version__,
            **(case or {}),
            "TotalMediaFiles": len(records),
            "TotalPrecategorized": sum(1 for r in records if r["Category"] is not None),
            "Media": records,
        }
        document = {"@odata.context": context, "value": [header]}
    with path.open("w", encoding="utf-8") as stream:
        json.dump(document, stream, ensure_ascii=False, indent=1)
    return path


def _sniff(head: str) -> bool:
    return head.lstrip()[:1] in ("{", "[")


register(HashListFormat("vics", _sniff, read_vics, is_delta=False, priority=10))
