"""WhatsApp locale wording, loaded from the versioned data files in `patterns/`.

System-event templates use placeholders: {A} actor, {B} targets, {G} group subject, {OLD}
and {NEW} subjects, {PA}/{PB} phone numbers (number changes), {*} any text. Templates are
tried most-specific first (longest literal text), across every locale.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

LOCALES = ("en", "es", "pt", "de", "fr", "it")
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_QUOTE = '["“”„«»]'
_PHONE = r"\+?[\d\s()\-.\u2010-\u2015\u00a0\u202f]{6,30}?"
_PLACEHOLDERS = {
    "{A}": r"(?P<actor>.+?)",
    "{B}": r"(?P<targets>.+?)",
    "{G}": rf"{_QUOTE}?\s?(?P<subject>.+?)\s?{_QUOTE}?",
    "{OLD}": rf"{_QUOTE}?\s?(?P<old>.+?)\s?{_QUOTE}?",
    "{NEW}": rf"{_QUOTE}?\s?(?P<new>.+?)\s?{_QUOTE}?",
    "{PA}": rf"(?P<actor>{_PHONE})",
    "{PB}": rf"(?P<targets>{_PHONE})",
    "{*}": r".*",
}
_SPLIT = re.compile("(" + "|".join(re.escape(p) for p in _PLACEHOLDERS) + ")")


@dataclass(frozen=True, slots=True)
class EventTemplate:
    type: str
    template: str
    locale: str
    regex: re.Pattern[str]
    actor_self: bool
    targets_self: bool
    confirmed: bool
    literal_length: int
    literal_start: str  # literal text before the first placeholder


@dataclass(frozen=True, slots=True)
class EventMatch:
    """A system line recognised by one template; parties are still raw text."""

    type: str
    locale: str
    template: str
    confirmed: bool
    actor: str | None
    actor_self: bool
    targets: tuple[str, ...]
    targets_self: bool
    subject: str | None = None
    old: str | None = None
    new: str | None = None


def _literal(text: str) -> str:
    # Apostrophes come straight or curly depending on the phone's keyboard and version.
    return "".join("['’]" if ch in "'’" else re.escape(ch) for ch in text)


def compile_template(template: str) -> re.Pattern[str]:
    parts = _SPLIT.split(template)
    body = "".join(_PLACEHOLDERS.get(part) or _literal(part) for part in parts if part)
    return re.compile(rf"^{body}\.?$", re.S)


def _load(locale: str) -> dict[str, Any]:
    text = (
        resources.files("casegraph.ingest").joinpath(f"patterns/{locale}.json").read_text("utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class Wording:
    """Every locale's wording, compiled once per process."""

    templates: tuple[EventTemplate, ...]
    literal_start: re.Pattern[str]
    self_words: frozenset[str]
    joiners: dict[str, tuple[str, ...]]
    deleted: frozenset[str]
    media_omitted: frozenset[str]
    view_once: frozenset[str]
    location_prefixes: tuple[str, ...]
    edited_markers: tuple[str, ...]
    android_attached: re.Pattern[str]
    ios_attached: re.Pattern[str]
    chat_file_name: re.Pattern[str]
    versions: dict[str, int]


def _fold(text: str) -> str:
    return text.strip(BIDI + " \t").casefold()


@cache
def wording() -> Wording:
    templates: list[EventTemplate] = []
    self_words: set[str] = set()
    joiners: dict[str, tuple[str, ...]] = {}
    deleted: set[str] = set()
    omitted: set[str] = set()
    view_once: set[str] = set()
    locations: list[str] = []
    edited: list[str] = []
    android: list[str] = []
    ios: list[str] = []
    file_names: list[str] = []
    versions: dict[str, int] = {}
    for locale in LOCALES:
        data = _load(locale)
        versions[locale] = int(data["version"])
        self_words.update(data.get("self_words", []))
        joiners[locale] = tuple(data.get("list_joiners", [", "]))
        for entry in data["events"]:
            template = entry["template"]
            literal = "".join(p for p in _SPLIT.split(template) if p not in _PLACEHOLDERS)
            start = _SPLIT.split(template)[0]
            templates.append(
                EventTemplate(
                    type=entry["type"],
                    template=template,
                    locale=locale,
                    regex=compile_template(template),
                    actor_self=entry.get("actor") == "self",
                    targets_self=entry.get("targets") == "self",
                    confirmed=entry.get("confirmed", True),
                    literal_length=len(literal),
                    literal_start=start,
                )
            )
        deleted.update(_fold(x) for x in data.get("deleted", []))
        omitted.update(_fold(x) for x in data.get("media_omitted", []))
        view_once.update(_fold(x) for x in data.get("view_once", []))
        locations.extend(x.casefold() for x in data.get("location_prefixes", []))
        edited.extend(data.get("edited_markers", []))
        android.extend(data.get("android_attached", []))
        ios.extend(data.get("ios_attached", []))
        file_names.extend(data.get("chat_file_names", []))
    templates.sort(key=lambda t: -t.literal_length)
    starts = sorted({t.literal_start for t in templates if t.literal_start}, key=len, reverse=True)
    alt = "|".join
    return Wording(
        templates=tuple(templates),
        literal_start=re.compile(rf"^[{BIDI}]*(?:{alt(re.escape(s) for s in starts)})"),
        self_words=frozenset(self_words),
        joiners=joiners,
        deleted=frozenset(deleted),
        media_omitted=frozenset(omitted),
        view_once=frozenset(view_once),
        location_prefixes=tuple(locations),
        edited_markers=tuple(edited),
        android_attached=re.compile(
            rf"^[{BIDI}]*(?P<name>[^\n]+?) \((?:{alt(re.escape(a) for a in android)})\)"
        ),
        ios_attached=re.compile(
            rf"[{BIDI}]*<[{BIDI}]*(?:{alt(re.escape(a) for a in ios)})\s?:\s(?P<name>[^>\n]+)>"
            rf"|(?P<legacy>[^\s<>]+) <[{BIDI}]*attached>"
        ),
        chat_file_name=re.compile(
            rf"^(?:{alt(re.escape(n).replace(re.escape('{name}'), '') for n in file_names)})"
            r"(?P<name>.+?)(?:\.txt|\.zip)?$"
        ),
        versions=versions,
    )


def _split_targets(raw: str, locale: str) -> tuple[str, ...]:
    parts = [raw]
    for joiner in wording().joiners.get(locale, (", ",)):
        parts = [piece for part in parts for piece in part.split(joiner)]
    return tuple(p.strip() for p in parts if p.strip())


def classify_system(text: str) -> EventMatch | None:
    """The event a system line states, or None when no template of any locale fits."""
    clean = text.strip(BIDI + " ").replace("\u200e", "")
    for template in wording().templates:
        match = template.regex.match(clean)
        if match is None:
            continue
        groups = match.groupdict()
        actor = groups.get("actor")
        targets_raw = groups.get("targets")
        targets = _split_targets(targets_raw, template.locale) if targets_raw else ()
        return EventMatch(
            type=template.type,
            locale=template.locale,
            template=template.template,
            confirmed=template.confirmed,
            actor=actor.strip() if actor else None,
            actor_self=template.actor_self,
            targets=targets,
            targets_self=template.targets_self,
            subject=groups.get("subject"),
            old=groups.get("old"),
            new=groups.get("new"),
        )
    return None


def may_be_system(text: str) -> bool:
    """Cheap test: does the text start like a template that opens with literal words?"""
    return wording().literal_start.match(text) is not None


def body_kind(body: str) -> str | None:
    """Kind of an authored body that is a marker (deleted, omitted, view-once, location)."""
    if len(body) > 120:
        return None
    folded = _fold(body)
    words = wording()
    if folded in words.deleted:
        return "deleted"
    if folded in words.media_omitted:
        return "media_omitted"
    if folded in words.view_once or folded in ("", "."):
        return "view_once"
    if folded.startswith(words.location_prefixes):
        return "location"
    return None


def attachment_reference(body: str) -> str | None:
    """The file name an "Include media" export wrote for this message, if any."""
    words = wording()
    if "(" in body:
        match = words.android_attached.match(body)
        if match:
            return match.group("name").strip(BIDI + " ")
    if "<" in body:
        found = words.ios_attached.search(body)
        if found:
            return (found.group("name") or found.group("legacy")).strip(BIDI + " ")
    return None


def is_edited(body: str) -> bool:
    return body.rstrip().endswith(wording().edited_markers)


def name_hint(file_name: str) -> str | None:
    """The chat name a localized export file name carries ("WhatsApp Chat with X.txt" -> X)."""
    match = wording().chat_file_name.match(file_name.replace("_", " "))
    return match.group("name").strip() if match else None
