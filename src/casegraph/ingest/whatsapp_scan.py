"""Whole-buffer scanning of a WhatsApp export: headers found by one MULTILINE regex per chunk.

The file is read in large chunks cut at a newline and decoded once; `re.finditer` finds the
header lines, and everything between two headers is one block (the header's first line plus
its continuation lines). Line numbers come from counting newlines and byte offsets from the
UTF-8 length of the text between headers, so no Python code runs per line.
"""

from __future__ import annotations

import re
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


class BlockScanner:
    """Streams (time, body, line number, byte offset, flags) per header block, in file order.

    `clock(match)` gives a header's time, or None when the header-shaped line is not one of
    this file's headers (foreign shape, impossible date); such a line stays in the body of
    the block before it, flagged `header_like_line`.
    """

    def __init__(self, clock: Callable[[re.Match[str]], Any], chunk: int = CHUNK) -> None:
        self.clock = clock
        self.chunk = chunk
        self.header_like = 0
        self.preamble = 0

    def blocks(self, open_bytes: Opener) -> Iterator[tuple[Any, str, int, int, list[str]]]:
        clock = self.clock
        at: Any = None  # time of the pending block; None until the first header
        body_start = pending_line = pending_byte = 0
        flags: list[str] = []
        carry, carry_raw = "", b""  # the pending block from its header on, read earlier
        line, byte = 1, 0  # line number and byte offset of the line start `position`
        ends_in_newline = True
        for decoded, raw in _chunks(open_bytes, self.chunk):
            text, data = carry + decoded, carry_raw + raw
            base = byte  # byte offset of text[0]
            between = _Offsets(text, data).between
            position = 0
            count = text.count
            for match in HEADERS.finditer(text, len(carry)):
                header_at = clock(match)
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
