"""CyberTipline report XML (NCMEC ispws `<report>`) in as tips.

Parsed with defusedxml (no entities, no DTDs, no network). A file may hold one `<report>`
or several under any wrapper element. What a report says about files (hashes and whether
the provider viewed them) is kept in the tip's description; the files themselves never come.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from casegraph.errors import InputError
from casegraph.intake.inbox import SubmitResult, record_tip
from casegraph.intake.tips import INVITE_IN_TEXT, TipInput, normalise_invite_link, validate_tip
from casegraph.store.cases import Home

MAX_BYTES = 20 * 1024 * 1024
_CLIENTS = {"whatsapp": "whatsapp", "telegram": "telegram", "signal": "signal"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(node: Element, name: str) -> list[Element]:
    return [child for child in node.iter() if _local(child.tag) == name]


def _first_text(node: Element, name: str) -> str:
    for child in _children(node, name):
        if child.text and child.text.strip():
            return child.text.strip()
    return ""


def _platform(report: Element) -> str:
    text = " ".join(
        _first_text(report, name).lower()
        for name in ("chatClient", "espService", "platform", "url")
    )
    for word, platform in _CLIENTS.items():
        if word in text:
            return platform
    if "t.me/" in text:
        return "telegram"
    return "other"


def _phones(report: Element) -> list[str]:
    phones: list[str] = []
    for reported in _children(report, "personOrUserReported"):
        for phone in _children(reported, "phone"):
            if phone.text and phone.text.strip():
                phones.append(phone.text.strip())
    return phones


def _file_lines(report: Element) -> list[str]:
    lines = []
    for details in _children(report, "fileDetails"):
        name = _first_text(details, "fileName") or _first_text(details, "originalFileName")
        viewed = _first_text(details, "fileViewedByEsp") or "unknown"
        hashes = [
            f"{h.get('hashType', 'hash')}:{h.text.strip()}"
            for h in _children(details, "originalFileHash")
            if h.text and h.text.strip()
        ]
        lines.append(f"file {name or '(unnamed)'} viewed by ESP: {viewed}; {' '.join(hashes)}")
    return lines


def _invite_link(report: Element) -> str:
    for candidate in (
        _first_text(report, "url"),
        _first_text(report, "groupIdentifier"),
        _first_text(report, "content"),
        _first_text(report, "additionalInfo"),
    ):
        found = INVITE_IN_TEXT.search(candidate)
        if found:
            try:
                return normalise_invite_link(found.group(0))
            except InputError:
                continue
    return ""


def report_to_fields(report: Element) -> dict[str, object]:
    """The tip fields one `<report>` element carries."""
    incident = _first_text(report, "incidentType")
    when = _first_text(report, "incidentDateTime")
    screen_names = [
        e.text.strip()
        for tag in ("screenName", "displayName", "espIdentifier")
        for e in _children(report, tag)
        if e.text and e.text.strip()
    ]
    description = [
        f"CyberTipline report {report.get('id') or _first_text(report, 'reportId')}".strip(),
        f"incident: {incident}" if incident else "",
        f"incident time: {when}" if when else "",
        f"reported users: {', '.join(screen_names)}" if screen_names else "",
        _first_text(report, "content"),
        *[e.text.strip() for e in _children(report, "additionalInfo") if e.text and e.text.strip()],
        *_file_lines(report),
    ]
    reporter = next(iter(_children(report, "reporter")), None)
    contact = ""
    if reporter is not None:
        contact = " ".join(
            filter(None, (_first_text(reporter, n) for n in ("firstName", "lastName", "email")))
        )
    group = _first_text(report, "chatRoomName") or _first_text(report, "groupIdentifier")
    return {
        "platform": _platform(report),
        "group_name": "" if INVITE_IN_TEXT.search(group) else group,
        "invite_link": _invite_link(report),
        "phones": "\n".join(_phones(report)),
        "description": "\n".join(line for line in description if line)[:5000],
        "contact": contact[:300],
    }


def parse_cybertip(path: Path) -> list[TipInput]:
    """Every report in the file as a validated tip; InputError names the file and the fix."""
    if not path.is_file():
        raise InputError(f"{path}: no such file; give the path of a CyberTipline report XML")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{path}: larger than {MAX_BYTES // 2**20} MiB; split the export")
    try:
        root = SafeET.parse(str(path)).getroot()
    except DefusedXmlException as exc:
        raise InputError(
            f"{path}: refused unsafe XML ({type(exc).__name__}); ask the sender for plain XML"
        ) from exc
    except SafeET.ParseError as exc:
        raise InputError(
            f"{path}: not well-formed XML ({exc}); check the file is complete"
        ) from exc
    reports = [root] if _local(root.tag) == "report" else _children(root, "report")
    if not reports:
        raise InputError(f"{path}: no <report> element; is this a CyberTipline report XML?")
    tips = []
    for number, report in enumerate(reports, 1):
        try:
            tips.append(validate_tip(report_to_fields(report)))
        except InputError as exc:
            raise InputError(f"{path}: report {number}: {exc}") from exc
    return tips


def import_cybertip(home: Home, path: Path, actor: str = "cli") -> list[SubmitResult]:
    """`casegraph tip import FILE`: every report becomes a tip (deduped, auto-linked)."""
    tips = parse_cybertip(path)
    return [record_tip(home, tip, origin="cybertip", actor=actor) for tip in tips]
