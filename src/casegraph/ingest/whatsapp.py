"""WhatsApp "Export chat" text (Android and iOS, any locale and clock) -> records.

Two passes over the bytes, each a whole-buffer regex scan (`whatsapp_scan`): the first
surveys every header (date order, header shapes, author labels), the second streams messages
and system events in file order. Bodies are kept as written (invisible characters included);
only the header region is normalised.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import tzinfo
from pathlib import PurePosixPath
from typing import Any

from casegraph.ingest.archive import is_ignored
from casegraph.ingest.formats import ChatFormat, ParseRequest, register
from casegraph.ingest.records import BIDI_AND_BOM, BulkMessage, ParsedChat, PartyBook
from casegraph.ingest.whatsapp_clock import LocalClock, UtcTextClock
from casegraph.ingest.whatsapp_header import (
    HEADER,
    DateOrder,
    HeaderSurvey,
    infer_date_order,
    named_shape,
)
from casegraph.ingest.whatsapp_patterns import (
    EventMatch,
    attachment_reference,
    body_kind,
    classify_system,
    is_edited,
    may_be_system,
    name_hint,
    wording,
)
from casegraph.ingest.whatsapp_scan import BlockScanner, MixedFormats, Opener, survey_file
from casegraph.model import Chat, ChatEvent, Message

QUOTES = '"“”„«»'
# Exports are capped (about 40,000 messages without media, 10,000 with); near it, the
# oldest lines were probably dropped.
CAP_WITHOUT_MEDIA, CAP_WITH_MEDIA = 39_000, 9_900


def _mixed_formats(survey: HeaderSurvey) -> MixedFormats | None:
    """The minority header shapes' runs, when the file holds more than one shape."""
    majority = survey.majority()
    if majority is None or len(survey.runs) <= 1:
        return None
    return MixedFormats(survey.runs, survey.headers, majority, _complete_header)


def _complete_header(rest: str) -> bool:
    """What follows a header is a full message start: 'Author: ', 'Author:' or a system line."""
    newline = rest.find("\n")
    first = rest if newline < 0 else rest[:newline]
    if first.find(": ") > 0 or (len(first) > 1 and first.endswith((":", ":."))):
        return True
    return classify_system(first) is not None


def parse_whatsapp(
    open_bytes: Opener,
    *,
    file_name: str,
    tz: tzinfo,
    name_hint: str | None = None,
    date_order: str | None = None,
    default_region: str | None = None,
) -> ParsedChat:
    """Survey the file (raising InputError when it cannot be read) and return its stream."""
    return _parse(open_bytes, file_name, tz, name_hint, date_order, default_region, bulk=False)


def parse_whatsapp_bulk(
    open_bytes: Opener,
    *,
    file_name: str,
    tz: tzinfo,
    name_hint: str | None = None,
    date_order: str | None = None,
    default_region: str | None = None,
) -> ParsedChat:
    """`parse_whatsapp` for the store's fast path: messages stream as `records.BulkMessage`
    tuples (time as naive-UTC SQLite text, flags as JSON) instead of `Message` objects."""
    return _parse(open_bytes, file_name, tz, name_hint, date_order, default_region, bulk=True)


def _parse(
    open_bytes: Opener,
    file_name: str,
    tz: tzinfo,
    name_hint: str | None,
    date_order: str | None,
    default_region: str | None,
    bulk: bool,
) -> ParsedChat:
    survey = survey_file(open_bytes)
    order = infer_date_order(survey, file_name, date_order)
    book = PartyBook("whatsapp", default_region, wording().self_words)
    parsed = ParsedChat("whatsapp", iter(()), book.accounts)
    parsed.provenance = _provenance(survey, order)
    clock = (UtcTextClock if bulk else LocalClock)(tz, order.order, order.by_shape)
    parser = _Parser(parsed, book, survey, clock, name_hint, file_name, bulk)
    parsed.records = parser.run(open_bytes)
    return parsed


def _shape_fields(raw: tuple[Any, ...]) -> dict[str, Any]:
    platform, sep, join, seconds, ampm = named_shape(raw)
    return {"platform": platform, "date_separator": sep, "joiner": join,
            "seconds": bool(seconds), "clock": "12h" if ampm else "24h"}  # fmt: skip


def _provenance(survey: HeaderSurvey, order: DateOrder) -> dict[str, Any]:
    shape = survey.shapes.most_common(1)[0][0] if survey.shapes else ()
    platform, sep, join, seconds, ampm = shape or ("", "", "", "", "")
    ending = "crlf" if survey.crlf == survey.lines else "lf" if not survey.crlf else "mixed"
    return {
        "parser": "whatsapp",
        "header_variant": {
            "platform": platform,
            "date_separator": sep,
            "joiner": join,
            "seconds": bool(seconds),
        },
        "date_order": order.order,
        "date_order_confidence": order.confidence,
        "date_order_reason": order.reason,
        "date_orders_by_header_shape": [
            {**_shape_fields(shape), "date_order": by} for shape, by in order.by_shape.items()
        ],
        "clock": "12h" if ampm else "24h",
        "century_assumed": bool(survey.year_widths.get(2)),
        "line_ending": ending,
        "lines": survey.lines,
        "headers": survey.headers,
        "header_shapes": len(survey.shapes),
        "pattern_versions": wording().versions,
    }


class _Parser:
    def __init__(
        self,
        parsed: ParsedChat,
        book: PartyBook,
        survey: HeaderSurvey,
        clock: LocalClock,
        name_hint: str | None,
        file_name: str,
        bulk: bool,
    ) -> None:
        self.parsed = parsed
        self.book = book
        self.labels = survey.labels
        # Labels worth testing as whole system lines: seen once, or holding a quote mark.
        self.rare_labels = {
            label for label, n in survey.labels.items() if n <= 1 or any(q in label for q in QUOTES)
        }
        self.clock = clock
        self.bulk = bulk
        self.file_name = file_name
        self.name_hint = name_hint
        self.group_labels: set[str] = {name_hint} if name_hint else set()
        self.subjects: list[str] = []
        self.creation_subject: str | None = None
        self.first_old_subject: str | None = None
        self.seq = 0
        self.previous_at: Any = None  # a datetime, or SQLite text in bulk mode
        self.first_at: Any = None
        self.header_like = 0
        self.preamble = 0
        self.preamble_text = ""
        self.impossible_times = 0
        self.mixed_headers = 0
        self.mixed = _mixed_formats(survey)

    # -- streaming ---------------------------------------------------------------------

    def run(self, open_bytes: Opener) -> Iterator[Any]:
        scanner = BlockScanner(self.clock, mixed=self.mixed)
        finish = self._finish
        for at, body, number, offset, flags in scanner.blocks(open_bytes):
            yield finish(at, body, number, offset, flags)
        self.header_like, self.preamble = scanner.header_like, scanner.preamble
        self.impossible_times, self.mixed_headers = scanner.impossible_times, scanner.mixed_headers
        if self.preamble:
            self.preamble_text = _first_line(open_bytes)
        self._close()

    def _finish(self, at: Any, rest: str, number: int, offset: int, flags: list[str]) -> Any:
        self.seq += 1
        if self.first_at is None:
            self.first_at = at
        previous = self.previous_at
        if previous is not None and at < previous:
            flags.append("out_of_order")
        self.previous_at = at
        newline = rest.find("\n")
        first = rest if newline < 0 else rest[:newline]
        colon = first.find(": ")
        if colon > 0:
            label, body = rest[:colon], rest[colon + 2 :]
            event = self._labelled_event(label, body, first)
            if event is not None:
                return self._event(event, at, label if event[1] else None, rest, number)
            return self._message(at, label, body, number, offset, flags)
        if newline < 0 and first.endswith((":", ":.")) and len(first) > 1:
            # View-once media: "Name:" (iOS) or "Name:." (Android), nothing after the colon.
            label = first[: first.rindex(":")]
            return self._message(at, label, first[len(label) + 1 :], number, offset, flags)
        match = classify_system(first)
        return self._event((match, False), at, None, rest, number)

    def _labelled_event(
        self, label: str, body: str, first: str
    ) -> tuple[EventMatch | None, bool] | None:
        """A system line with something in the author slot (modern iOS/Android), or None.

        Returns the match (None: unclassified) and whether the label stood apart from the
        event text. A line labelled with the group's name is never a member's message.
        """
        marked = body != "" and body[0] in BIDI_AND_BOM  # iOS puts an LRM before system text
        bare = body.lstrip(BIDI_AND_BOM) if marked else body
        label_key = label.strip(BIDI_AND_BOM + " ") if label[:1] in BIDI_AND_BOM else label
        grouped = label_key in self.group_labels
        if marked or grouped or bare.startswith(label_key) or may_be_system(bare):
            match = classify_system(bare.split("\n", 1)[0])
            if match is not None and (
                marked
                or grouped
                or match.actor is None
                or match.actor.strip(BIDI_AND_BOM + " ") == label_key
            ):
                return match, True
            if grouped:
                return None, True
        if label in self.rare_labels:
            match = classify_system(first)
            if match is not None and (match.actor is None or ": " not in match.actor):
                return match, False
        return None

    def _message(
        self, at: Any, label: str, body: str, number: int, offset: int, flags: list[str]
    ) -> Message | BulkMessage:
        author = self.book.resolve(label)
        if flags and "out_of_order" in flags and self.labels[label] <= 1:
            flags.append("suspect_header")
        reference = attachment_reference(body) if ("(" in body or "<" in body) else None
        kind = "media" if reference is not None else body_kind(body) or "text"
        if "<" in body and is_edited(body):
            flags.append("edited")
        self.parsed.messages += 1
        if self.bulk:
            marks = json.dumps(flags, ensure_ascii=False) if flags else "[]"
            return (
                self.seq,
                at,
                author,
                label,
                body,
                kind,
                reference,
                number,
                offset,
                marks,
                None,
                None,
            )
        return Message(
            seq=self.seq,
            sent_at=at,
            author=author,
            text=body,
            kind=kind,
            author_label=label,
            attachment=reference,
            line=number,
            byte_offset=offset,
            flags=tuple(flags),
        )

    def _event(
        self,
        found: tuple[EventMatch | None, bool],
        at: Any,
        label: str | None,
        text: str,
        number: int,
    ) -> ChatEvent:
        match = found[0]
        self.parsed.events += 1
        at = self.clock.to_datetime(at)
        if match is None:
            return ChatEvent(self.seq, at, "unclassified", label=label, text=text, line=number)
        actor = None if match.actor_self or match.actor is None else self.book.resolve(match.actor)
        targets = tuple(
            t for t in (self.book.resolve(raw) for raw in match.targets) if t is not None
        )
        details: dict[str, Any] = {
            "locale": match.locale,
            "template": match.template,
            "confirmed_wording": match.confirmed,
        }
        if match.actor_self or (match.actor and self.book.resolve(match.actor) is None):
            details["actor_is_exporter"] = True
        if match.targets_self or len(targets) < len(match.targets):
            details["targets_include_exporter"] = True
        if match.actor:
            details["actor_shown"] = match.actor
        if match.targets:
            details["targets_shown"] = list(match.targets)
        for key in ("subject", "old", "new"):
            value = getattr(match, key)
            if value is not None:
                details[key] = value
        self._track_subject(match)
        return ChatEvent(self.seq, at, match.type, actor, targets, label, text, number, details)

    def _track_subject(self, match: EventMatch) -> None:
        if match.type == "created" and match.subject:
            self.creation_subject = self.creation_subject or match.subject
            self.subjects.append(match.subject)
            self.group_labels.add(match.subject)
        elif match.type == "subject_changed":
            if match.old:
                if self.first_old_subject is None:
                    self.first_old_subject = match.old
                if not self.subjects:
                    self.subjects.append(match.old)
                self.group_labels.add(match.old)
            if match.new:
                self.subjects.append(match.new)
                self.group_labels.add(match.new)

    def _close(self) -> None:
        """Chat identity, coverage and warnings, once every line has been read."""
        if self.first_at is not None:
            self.parsed.first_at = self.clock.to_datetime(self.first_at)
            self.parsed.last_at = self.clock.to_datetime(self.previous_at)
        subjects = list(dict.fromkeys(self.subjects))
        title = subjects[-1] if subjects else (self.name_hint or self.file_name)
        aliases = [s for s in subjects if s != title]
        if self.name_hint and self.name_hint not in subjects and subjects:
            aliases.append(self.name_hint)
        earliest = self.creation_subject or self.first_old_subject
        if earliest is None:
            earliest = subjects[0] if subjects else (self.name_hint or self.file_name)
        self.parsed.chat = Chat("whatsapp", chat_native_id(earliest), title, aliases)
        provenance = self.parsed.provenance
        provenance["native_id_rule"] = "earliest known subject" if subjects else "file name hint"
        provenance["header_like_lines"] = self.header_like
        provenance["lines_before_first_header"] = self.preamble
        provenance["impossible_12h_times"] = self.impossible_times
        provenance["mixed_format_headers"] = self.mixed_headers
        warn = self.parsed.warnings.append
        if self.header_like:
            warn(
                f"{self.file_name}: {self.header_like} header-shaped line(s) inside bodies are not "
                "headers (impossible date, or quoted in another header format); kept as message "
                "text and flagged header_like_line"
            )
        if self.impossible_times:
            warn(
                f"{self.file_name}: {self.impossible_times} message(s) with an impossible 12-hour "
                "time (such as 23:59 PM) read as 24-hour times and flagged impossible_12h_time"
            )
        if self.mixed_headers:
            warn(
                f"{self.file_name}: {self.mixed_headers} message(s) in a second header format "
                "(exports of several phones joined?) read as messages and flagged "
                "mixed_header_format"
            )
        if self.preamble and self.preamble_text.strip(BIDI_AND_BOM + " \t\r\n"):
            warn(
                f"{self.file_name}: {self.preamble} line(s) before the first readable header are "
                f"not messages (first: {self.preamble_text[:60]!r}); an impossible date? They "
                "stay in the evidence file"
            )


def _first_line(open_bytes: Opener) -> str:
    with open_bytes() as stream:
        return stream.readline(4096).decode("utf-8", "replace").rstrip("\r\n")


def chat_native_id(subject: str) -> str:
    """Stable WhatsApp chat key: the earliest known subject, case- and width-folded.

    Two officers' exports of one group give the same key when their subject history
    agrees (same creation subject, or the same earliest rename, or the same current name
    when neither export reaches back to a subject event).
    """
    folded = unicodedata.normalize("NFKC", subject).casefold().strip()
    return "subject:" + " ".join(folded.split())


# ---- registration -----------------------------------------------------------------------

_CHATLIKE = re.compile(r"(chat|whatsapp)", re.I)
SNIFF_LINES = 200


def whatsapp_text_member(names: list[str]) -> str | None:
    """`_chat.txt`, else a localized export name, else the shortest chat-like .txt."""
    texts = [n for n in names if n.lower().endswith(".txt") and not is_ignored(n)]
    for name in texts:
        if PurePosixPath(name).name == "_chat.txt":
            return name
    for name in texts:
        if name_hint(PurePosixPath(name).name):
            return name
    chatlike = sorted((n for n in texts if _CHATLIKE.search(PurePosixPath(n).name)), key=len)
    if chatlike:
        return chatlike[0]
    return texts[0] if len(texts) == 1 else None


def _sniff(file_name: str, head: bytes) -> bool:
    if not file_name.lower().endswith(".txt"):
        return False
    text = head.decode("utf-8", "replace")
    return any(HEADER.match(line) for line in text.splitlines()[:SNIFF_LINES])


def _parse_request(request: ParseRequest) -> list[ParsedChat]:
    member = PurePosixPath(request.text_member).name if request.text_member else None
    hint = name_hint(request.unit_name) or (name_hint(member) if member else None)
    parse = parse_whatsapp_bulk if request.bulk else parse_whatsapp
    return [
        parse(
            request.open_bytes,
            file_name=request.file_name,
            tz=request.tz,
            name_hint=hint,
            date_order=request.date_order,
            default_region=request.default_region,
        )
    ]


register(
    ChatFormat(
        name="whatsapp",
        platform="whatsapp",
        parse=_parse_request,
        sniff=_sniff,
        member=whatsapp_text_member,
        suffixes=(".txt",),
        export_cap=(CAP_WITHOUT_MEDIA, CAP_WITH_MEDIA),
        forkable=True,
        priority=90,  # a header-shaped line is a weak signal: every other format first
    )
)
