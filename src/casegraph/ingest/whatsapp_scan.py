"""Whole-buffer scanning of a WhatsApp export: headers found by one MULTILINE regex per chunk.

The file is read in large chunks cut at a newline and decoded once; `re.finditer` finds the
header lines, and everything between two headers is one block (the header's first line plus
its continuation lines). Line numbers come from counting newlines and byte offsets from the
UTF-8 length of the text between headers, so no Python code runs per line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import IO, Any

from casegraph.ingest.whatsapp_header import HEADER, HeaderSurvey

Opener = Callable[[], AbstractContextManager[IO[bytes]]]
CHUNK = 8 << 20
HEADERS = re.compile(HEADER.pattern, HEADER.flags | re.MULTILINE)


def _chunks(open_bytes: Opener, size: int) -> Iterator[tuple[str, bytes]]:
    """Decoded pieces of the file, each ending at a newline (or at the end of the file)."""
    with open_bytes() as stream:
        carry = b""
        while True:
            data = stream.read(size)
            if not data:
                break
            data = carry + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            carry = data[cut:]
            raw = data[:cut]
            yield raw.decode("utf-8", "replace"), raw
        if carry:
            yield carry.decode("utf-8", "replace"), carry


def survey_file(open_bytes: Opener, chunk: int = CHUNK) -> HeaderSurvey:
    """First pass: every header of the file, its shapes and author labels."""
    survey = HeaderSurvey()
    add = survey.add
    for text, raw in _chunks(open_bytes, chunk):
        survey.lines += raw.count(b"\n") + (not raw.endswith(b"\n"))
        survey.crlf += raw.count(b"\r\n")
        find = text.find
        end_of_text = len(text)
        for match in HEADERS.finditer(text):
            start = match.end()
            eol = find("\n", start)
            colon = find(": ", start, end_of_text if eol < 0 else eol)
            add(match, text[start:colon] if colon > start else None)
    survey.finish()
    return survey


class _Offsets:
    """UTF-8 byte length of the text between two line starts of one decoded chunk."""

    def __init__(self, text: str, raw: bytes) -> None:
        self.text = text
        self.ascii = text.isascii() and len(text) == len(raw)
        self.exact = self.ascii or "\ufffd" not in text
        self.table: dict[int, int] = {}
        if not self.exact:  # undecodable bytes: map each line start to its byte position
            char = byte = 0
            for line in raw.split(b"\n"):
                self.table[char] = byte
                char += len(line.decode("utf-8", "replace")) + 1
                byte += len(line) + 1

    def between(self, start: int, end: int) -> int:
        if self.ascii:
            return end - start
        if self.exact:
            return len(self.text[start:end].encode("utf-8", "surrogatepass"))
        return self.table[end] - self.table[start]


def body_of(raw_body: str) -> str:
    """A block's text as the line reader saw it: line ends and trailing CRs removed."""
    if raw_body.endswith("\n"):
        raw_body = raw_body[:-1]
    if "\r" in raw_body:
        return "\n".join(line.rstrip("\r") for line in raw_body.split("\n"))
    return raw_body


class MixedFormats:
    """Which header-shaped lines of a minority header shape are messages (docs/ingest-rules.md).

    A file concatenated from several phones holds runs of headers in each phone's grammar.
    A run of at least RUN_MIN headers of a minority shape is real; a shorter one (one line,
    two) is a message only if its header is complete (an author and ": ", or a system line)
    and its time fits between the message before it and the next readable header (a quote
    or forward repeats something said at another time). Otherwise it stays body text,
    flagged.
    """

    RUN_MIN = 3
    LOOKAHEAD = 4  # header-shaped lines looked at for the next readable time

    def __init__(
        self,
        runs: list[tuple[int, tuple[Any, ...]]],
        headers: int,
        majority: tuple[Any, ...],
        is_complete: Callable[[str], bool],
    ) -> None:
        self.starts = [start for start, _ in runs]
        self.ends = [*self.starts[1:], headers]
        self.minority = [shape != majority for _, shape in runs]
        self.is_complete = is_complete

    def strength(self, ordinal: int) -> int:
        """0: majority shape; 1: in a long minority run; 2: in a short one."""
        index = bisect_right(self.starts, ordinal) - 1
        if index < 0 or not self.minority[index]:
            return 0
        return 1 if self.ends[index] - self.starts[index] >= self.RUN_MIN else 2

    def quoted(
        self,
        text: str,
        match: re.Match[str],
        header_at: Any,
        enclosing_at: Any,
        clock: Callable[[re.Match[str]], Any],
    ) -> bool:
        """A short-run header read as text: incomplete, or out of time order with the
        message before it or the next readable header after it."""
        end = match.end()
        eol = text.find("\n", end)
        if not self.is_complete(text[end : eol if eol >= 0 else len(text)]):
            return True
        if enclosing_at is None:
            return False  # before the first message there is no body to be quoted in
        if header_at < enclosing_at:
            return True
        following = HEADERS.search(text, eol + 1) if eol >= 0 else None
        for _ in range(self.LOOKAHEAD):
            if following is None:
                return False  # the chunk ends here: nothing to compare with
            next_at = clock(following)
            if next_at is not None:
                return bool(next_at < header_at)
            following = HEADERS.search(text, following.end())
        return False


class BlockScanner:
    """Streams (time, body, line number, byte offset, flags) per header block, in file order.

    `clock(match)` gives a header's time, or None when the header-shaped line cannot be a
    header (impossible date); such a line, and a short run of a minority header shape that
    `MixedFormats` reads as quoted, stays in the body of the block before it, flagged
    `header_like_line`.
    """

    def __init__(
        self,
        clock: Callable[[re.Match[str]], Any],
        chunk: int = CHUNK,
        mixed: MixedFormats | None = None,
    ) -> None:
        self.clock = clock
        self.chunk = chunk
        self.mixed = mixed
        self.impossible: set[str] = getattr(clock, "impossible", set())
        self.header_like = 0
        self.preamble = 0
        self.impossible_times = 0
        self.mixed_headers = 0

    def blocks(self, open_bytes: Opener) -> Iterator[tuple[Any, str, int, int, list[str]]]:
        clock = self.clock
        mixed = self.mixed
        impossible = self.impossible
        at: Any = None  # time of the pending block; None until the first header
        body_start = pending_line = pending_byte = 0
        flags: list[str] = []
        carry, carry_raw = "", b""  # the pending block from its header on, read earlier
        line, byte = 1, 0  # line number and byte offset of the line start `position`
        ordinal = -1  # of the header-shaped line, counted as the survey counted them
        ends_in_newline = True
        for decoded, raw in _chunks(open_bytes, self.chunk):
            text, data = carry + decoded, carry_raw + raw
            base = byte  # byte offset of text[0]
            between = _Offsets(text, data).between
            position = 0
            count = text.count
            for match in HEADERS.finditer(text, len(carry)):
                ordinal += 1
                header_at = clock(match)
                strength = 0
                if mixed is not None and header_at is not None:
                    strength = mixed.strength(ordinal)
                    if strength == 2 and mixed.quoted(text, match, header_at, at, clock):
                        header_at = None
                if header_at is None:
                    if at is not None:
                        self.header_like += 1
                        flags.append("header_like_line")
                    continue
                start = match.start()
                line += count("\n", position, start)
                byte += between(position, start)
                position = start
                if at is None:
                    self.preamble = line - 1
                else:
                    body = body_of(text[body_start:start])
                    yield at, body, pending_line, pending_byte, flags
                    flags = []
                if strength:
                    flags.append("mixed_header_format")
                    self.mixed_headers += 1
                if impossible and match.group(0) in impossible:
                    flags.append("impossible_12h_time")
                    self.impossible_times += 1
                at, body_start, pending_line, pending_byte = header_at, match.end(), line, byte
            ends_in_newline = raw.endswith(b"\n")
            if at is None:
                line += count("\n", position)
                byte = base + len(data)
                continue
            carry, carry_raw = text[position:], data[byte - base :]
            body_start -= position
        if at is not None:
            yield at, body_of(carry[body_start:]), pending_line, pending_byte, flags
        else:
            self.preamble = line - 1 if ends_in_newline else line
