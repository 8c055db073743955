"""WhatsApp locale wording, loaded from the versioned data files in `patterns/`.

System-event templates use placeholders: {A} actor, {B} targets, {G} group subject, {OLD}
and {NEW} subjects, {PA}/{PB} phone numbers (number changes), {*} any text. Templates are
tried most-specific first (longest literal text), across every locale.

A template is matched without backtracking regexes, in time linear in the line: its first
literal must start the line and its last end it, and each literal in between is found
leftmost with `str.find` (for free-text placeholders leftmost is complete: a later
occurrence only leaves less room for what follows). A crafted message shaped like the start
of a system line therefore costs one scan per template, not one per split point.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

LOCALES = ("en", "es", "pt", "de", "fr", "it")
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
QUOTE_MARKS = '"“”„«»'
_PHONE = re.compile(r"\+?[\d\s()\-.\u2010-\u2015\u00a0\u202f]{6,30}")
_SLOTS = {"{A}": "A", "{B}": "B", "{G}": "G", "{OLD}": "OLD", "{NEW}": "NEW", "{PA}": "PA",
          "{PB}": "PB", "{*}": "*"}  # fmt: skip
_GROUP_NAMES = {"A": "actor", "B": "targets", "G": "subject", "OLD": "old", "NEW": "new",
                "PA": "actor", "PB": "targets"}  # fmt: skip
MAX_FILE_NAME = 255  # attachment references name one file
_SPLIT = re.compile("(" + "|".join(re.escape(p) for p in _SLOTS) + ")")
# Keyboards and versions differ in apostrophes, hyphens and spaces; one form each for matching
# (one code point for one, so positions in the folded text are positions in the original).
_FOLD = str.maketrans({"’": "'", "\u2010": "-", "\u2011": "-", "\u00a0": " ", "\u202f": " "})
_FOLDED_CHARS = re.compile("[’\u2010\u2011\u00a0\u202f]")


@dataclass(frozen=True, slots=True)
class EventTemplate:
    type: str
    template: str
    locale: str
    literals: tuple[str, ...]  # folded literal text around the slots: len(slots) + 1
    slots: tuple[str, ...]  # placeholder names in order: A, B, G, OLD, NEW, PA, PB, *
    actor_self: bool
    targets_self: bool
    confirmed: bool
    literal_length: int
    literal_start: str  # literal text before the first placeholder

    def match(self, folded: str, original: str) -> dict[str, str] | None:
        """Placeholder values of `original` (whose folded form is `folded`), or None."""
        literals, slots = self.literals, self.slots
        first, last = literals[0], literals[-1]
        if not slots:
            return {} if folded in (first, first + ".") else None
        if not folded.startswith(first):
            return None
        end = len(folded)
        if last:  # the template's last words end the line, an optional full stop after them
            if folded.endswith(last):
                end -= len(last)
            elif folded.endswith(last + "."):
                end -= len(last) + 1
            else:
                return None
        position = len(first)
        values: dict[str, str] = {}
        final = len(slots) - 1
        for index, slot in enumerate(slots):
            if index == final:
                stop = end
            else:
                stop = folded.find(literals[index + 1], position + (slot != "*"), end)
                if stop < 0:
                    return None
            value = _slot_value(slot, original[position:stop], index == final and not last)
            if value is None:
                return None
            values[slot] = value
            position = stop + len(literals[index + 1])
        return values


def _slot_value(slot: str, text: str, ends_line: bool) -> str | None:
    """What one placeholder holds, None when the text cannot fill it.

    Mirrors the template grammar: a subject may sit in one quote and one space on each side,
    a template that ends in a slot may have a full stop after it; the value is the shortest
    non-empty text left (as a lazy regex group would take it).
    """
    if slot == "*":
        return text
    if slot in ("PA", "PB"):
        value = _shortest(text, _END_TAIL if ends_line else _NO_TAIL)
        return value if value is not None and _PHONE.fullmatch(value) else None
    if slot not in ("G", "OLD", "NEW"):
        return _shortest(text, _END_TAIL if ends_line else _NO_TAIL)
    tail = _QUOTED_END_TAIL if ends_line else _QUOTED_TAIL
    # an opening quote, then a space, each taken when there (and given back if need be)
    quote = 1 if text[:1] and text[0] in QUOTE_MARKS else 0
    space = 1 if text[quote : quote + 1].isspace() else 0
    leads = (quote + space, quote, space, 0) if quote else (space, 0)
    for lead in dict.fromkeys(leads):
        value = _shortest(text[lead:], tail)
        if value is not None:
            return value
    return None


def _shortest(text: str, tail: re.Pattern[str]) -> str | None:
    """The shortest non-empty head of `text` whose rest the (at most 3-character) tail fits."""
    for length in range(max(1, len(text) - 3), len(text) + 1):
        if tail.fullmatch(text, length):
            return text[:length]
    return None


_NO_TAIL = re.compile(r"")
_END_TAIL = re.compile(r"\.?")
_QUOTED_TAIL = re.compile(rf"\s?[{QUOTE_MARKS}]?")
_QUOTED_END_TAIL = re.compile(rf"\s?[{QUOTE_MARKS}]?\.?")


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


def fold(text: str) -> str:
    """The form templates are matched in: one apostrophe, one hyphen, one space."""
    if text.isascii() or _FOLDED_CHARS.search(text) is None:
        return text  # the common case, without a translate pass over the text
    return text.translate(_FOLD)


def parse_template(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(literals, slots) of a template: literals[i] comes before slots[i]."""
    literals, slots = [""], []
    for part in _SPLIT.split(template):
        if part in _SLOTS:
            slots.append(_SLOTS[part])
            literals.append("")
        else:
            literals[-1] += fold(part)
    return tuple(literals), tuple(slots)


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
    literal_span: int  # characters of a line the literal starts can cover
    marker_first: frozenset[str]  # first two characters of folded body markers
    self_words: frozenset[str]
    joiners: dict[str, tuple[str, ...]]
    deleted: frozenset[str]
    media_omitted: frozenset[str]
    view_once: frozenset[str]
    location_prefixes: tuple[str, ...]
    edited_markers: tuple[str, ...]
    android_attached: re.Pattern[str]
    ios_attached: re.Pattern[str]
    legacy_attached: re.Pattern[str]  # "name <attached>" (iOS up to 2017), found by its tail
    chat_file_name: re.Pattern[str]
    versions: dict[str, int]


BIDI_AND_SPACE = BIDI + " \t"


def _fold(text: str) -> str:
    return text.strip(BIDI_AND_SPACE).casefold()


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
            literals, slots = parse_template(template)
            templates.append(
                EventTemplate(
                    type=entry["type"],
                    template=template,
                    locale=locale,
                    literals=literals,
                    slots=slots,
                    actor_self=entry.get("actor") == "self",
                    targets_self=entry.get("targets") == "self",
                    confirmed=entry.get("confirmed", True),
                    literal_length=sum(map(len, literals)),
                    literal_start=literals[0],
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
    markers = deleted | omitted | view_once | {"", "."} | set(locations)
    return Wording(
        templates=tuple(templates),
        literal_span=2 * max(map(len, starts)) + 16,  # decomposed accents, leading marks
        marker_first=frozenset(m[:2] for m in markers),
        literal_start=re.compile(rf"^[{BIDI}]*(?:{alt(re.escape(s) for s in starts)})"),  # folded
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
        # bounded names: a search tries every "<", so an unbounded name would be quadratic
        ios_attached=re.compile(
            rf"<[{BIDI}]*(?:{alt(re.escape(a) for a in ios)})\s?:\s"
            rf"(?P<name>[^<>\n]{{1,{MAX_FILE_NAME}}})>"
        ),
        legacy_attached=re.compile(rf" <[{BIDI}]*attached>"),
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
    if not clean.isascii():  # some phones write decomposed accents (u + U+0308 for ü)
        clean = unicodedata.normalize("NFC", clean)
    folded = fold(clean)
    for template in wording().templates:
        values = template.match(folded, clean)
        if values is None:
            continue
        actor = values.get("A") or values.get("PA")
        targets_raw = values.get("B") or values.get("PB")
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
            subject=values.get("G"),
            old=values.get("OLD"),
            new=values.get("NEW"),
        )
    return None


def may_be_system(text: str) -> bool:
    """Cheap test: does the text start like a template that opens with literal words?"""
    words = wording()
    if words.literal_start.match(text) is not None:
        return True
    head = text[: words.literal_span]
    if head.isascii():
        return False
    # typographic variants: decomposed accents, curly apostrophes, non-breaking hyphens
    normal = head if unicodedata.is_normalized("NFC", head) else unicodedata.normalize("NFC", head)
    normal = fold(normal)
    return normal != head and words.literal_start.match(normal) is not None


def body_kind(body: str) -> str | None:
    """Kind of an authored body that is a marker (deleted, omitted, view-once, location)."""
    if len(body) > 120:
        return None
    words = wording()
    if body.lstrip(BIDI_AND_SPACE)[:2].casefold()[:2] not in words.marker_first:
        return None  # no marker starts like this (most bodies end here)
    folded = _fold(body)
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
            return found.group("name").strip(BIDI + " ")
        legacy = words.legacy_attached.search(body)
        if legacy:
            before = body[max(0, legacy.start() - MAX_FILE_NAME) : legacy.start()]
            name = re.split(r"[\s<>]", before)[-1]
            if name:
                return name.strip(BIDI + " ")
    return None


def is_edited(body: str) -> bool:
    return body.rstrip().endswith(wording().edited_markers)


def name_hint(file_name: str) -> str | None:
    """The chat name a localized export file name carries ("WhatsApp Chat with X.txt" -> X)."""
    match = wording().chat_file_name.match(file_name.replace("_", " "))
    return match.group("name").strip() if match else None
