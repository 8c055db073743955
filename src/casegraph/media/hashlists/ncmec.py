"""NCMEC hash-sharing API v2 XML (`queryResult`): images, videos, classifications, deletions.

An entry is keyed by (member id, entry id); a later record of the same key updates it and a
`deletedImage`/`deletedVideo` tombstone removes it. Records are not time-ordered, so a
tombstone wins over an entry only when it is not older. PhotoDNA and video fingerprints are
kept as metadata (casegraph cannot compute them). Parsed with defusedxml (no entities).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from casegraph.errors import InputError
from casegraph.media.hashlists.base import (
    HashListFormat,
    ParsedList,
    clean_hash,
    has_any_hash,
    register,
)
from casegraph.media.hashlists.categories import NCMEC, is_pertinent
from casegraph.model import HashEntry

NAMESPACE = "https://hashsharing.ncmec.org/hashsharing/v2"
ENTRY_TAGS = {"image", "video"}
DELETED_TAGS = {"deletedImage", "deletedVideo"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: Element, name: str) -> str | None:
    child = _child(element, name)
    return child.text.strip() if child is not None and child.text else None


def _key(element: Element) -> str:
    member = _child(element, "member")
    member_id = member.get("id", "") if member is not None else ""
    return f"{member_id}:{_text(element, 'id') or ''}"


def read_ncmec(path: Path) -> ParsedList:
    parsed = ParsedList("ncmec")
    entries: dict[str, tuple[str, HashEntry]] = {}
    tombstones: dict[str, str] = {}
    try:
        for _event, element in SafeET.iterparse(str(path), events=("end",)):
            tag = _local(element.tag)
            if tag == "queryResult":
                parsed.header["root"] = "queryResult"
            if tag in ENTRY_TAGS:
                stamp = _text(element, "timestamp") or ""
                entry = _entry(element, tag, path)
                known = entries.get(entry.entry_id)
                if has_any_hash(entry) and (known is None or known[0] <= stamp):
                    entries[entry.entry_id] = (stamp, entry)
                element.clear()
            elif tag in DELETED_TAGS:
                key = _key(element)
                stamp = _text(element, "timestamp") or ""
                tombstones[key] = max(stamp, tombstones.get(key, ""))
                element.clear()
    except DefusedXmlException as exc:
        raise InputError(
            f"{path}: refused XML construct ({exc}); ask the sender for plain XML"
        ) from exc
    except SafeET.ParseError as exc:
        raise InputError(f"{path}: not well-formed XML ({exc}); re-download the list") from exc
    if parsed.header.get("root") != "queryResult":
        raise InputError(f"{path}: no <queryResult> root; not an NCMEC hash-sharing v2 file")
    for key, (stamp, entry) in entries.items():
        if key in tombstones and tombstones[key] >= stamp:
            parsed.deleted.add(key)
        else:
            parsed.entries.append(entry)
    parsed.deleted |= {key for key in tombstones if key not in entries}
    return parsed


def _entry(element: Element, tag: str, path: Path) -> HashEntry:
    key = _key(element)
    where = f"<{tag}> {key}"
    fingerprints = _child(element, "fingerprints")
    values: dict[str, Any] = {}
    links: dict[str, str] = {}
    if fingerprints is not None:
        for child in fingerprints:
            name = _local(child.tag)
            if child.get("href"):
                links[name] = child.get("href", "")
            elif child.text:
                values[name] = child.text.strip()
    classification = _text(element, "classification")
    member = _child(element, "member")
    metadata: dict[str, Any] = {
        "type": tag,
        "member": member.text.strip() if member is not None and member.text else "",
        "member_id": member.get("id", "") if member is not None else "",
        "timestamp": _text(element, "timestamp") or "",
    }
    if "pdna" in values:
        metadata["pdna"] = values["pdna"]
    if links:
        metadata["fingerprint_links"] = links
    return HashEntry(
        entry_id=key,
        md5=clean_hash(values.get("md5"), "md5", path, where),
        sha1=clean_hash(values.get("sha1"), "sha1", path, where),
        sha256=clean_hash(values.get("sha256"), "sha256", path, where),
        pdq=clean_hash(values.get("pdq"), "pdq", path, where),
        category=classification,
        scheme=NCMEC,
        pertinent=is_pertinent(NCMEC, classification),
        metadata=metadata,
    )


def _sniff(head: str) -> bool:
    return head.lstrip().startswith("<")


# NCMEC files are deltas: entries are upserted and tombstones applied, nothing else removed.
register(HashListFormat("ncmec", _sniff, read_ncmec, is_delta=True, priority=20))
