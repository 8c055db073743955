"""Parse a big export (a forkable chat format) in a forked child while this process writes the rows.

The child runs the pure parser (bulk mode) and sends batches of records through a pipe; the
parent's `ParsedChat` streams them, taking each batch's new accounts before its records and
the chat's identity, coverage and warnings at the end. Parsing and SQLite inserting then use
the machine's two cores. A child that dies takes the ingest down with an error, and a parent
that dies takes the child with it (the kernel's parent-death signal).
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Iterator
from typing import Any

from casegraph.errors import CaseError, InputError
from casegraph.ingest.formats import ChatFormat, ParseRequest
from casegraph.ingest.records import ParsedChat
from casegraph.processes import die_with_parent

PARALLEL_FROM_BYTES = 4 << 20  # about 50,000 messages; below it a child costs more than it saves
BATCH = 5000
# what a ParsedChat knows once its records are exhausted
FINAL = ("chat", "accounts", "provenance", "warnings", "first_at", "last_at", "messages", "events")


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _child(
    receiver: Any, sender: Any, chat_format: ChatFormat, request: ParseRequest, parent_pid: int
) -> None:
    die_with_parent(parent_pid)  # a parse of a huge file must not outlive a killed ingest
    receiver.close()  # else our own copy of the read end keeps the pipe open if the parent dies
    try:
        [parsed] = chat_format.parse(request)  # a forkable format reads exactly one chat
    except InputError as exc:
        sender.send(("refused", str(exc)))
        return
    try:
        sender.send(("surveyed", parsed.provenance))
        accounts = parsed.accounts
        sent = 0
        batch: list[Any] = []
        for record in parsed.records:
            batch.append(record)
            if len(batch) >= BATCH:
                sender.send((list(accounts.values())[sent:], batch))
                sent, batch = len(accounts), []
        sender.send((list(accounts.values())[sent:], batch))
        sender.send(("done", {name: getattr(parsed, name) for name in FINAL}))
    except BrokenPipeError:  # the parent is gone: nothing left to do
        return
    except Exception:
        sender.send(("failed", traceback.format_exc(limit=5)))


def parse_in_child(chat_format: ChatFormat, request: ParseRequest) -> ParsedChat:
    """`chat_format.parse` run in a forked child; InputError as in-process."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    arguments = (receiver, sender, chat_format, request, os.getpid())
    process = context.Process(target=_child, args=arguments, daemon=True)
    process.start()
    sender.close()
    kind, detail = _receive(receiver, process)
    if kind == "refused":
        process.join()
        raise InputError(detail)
    if kind != "surveyed":
        raise CaseError(f"parser process failed: {detail}")
    parsed = ParsedChat(chat_format.platform, iter(()), {})
    parsed.provenance = detail
    parsed.records = _stream(receiver, process, parsed)
    return parsed


def _receive(receiver: Any, process: Any) -> Any:
    try:
        return receiver.recv()
    except EOFError:
        process.join()
        raise CaseError(
            f"parser process ended unexpectedly (exit code {process.exitcode}); "
            "run the ingest again"
        ) from None


def _stream(receiver: Any, process: Any, parsed: ParsedChat) -> Iterator[Any]:
    try:
        while True:
            message = _receive(receiver, process)
            if message[0] == "done":
                final: dict[str, Any] = message[1]
                parsed.accounts.update(final.pop("accounts"))  # names seen after a first batch
                for name, value in final.items():
                    setattr(parsed, name, value)
                return
            if message[0] == "failed":
                raise CaseError(f"parser process failed: {message[1]}")
            accounts, batch = message
            for account in accounts:
                parsed.accounts[account.identifier] = account
            yield from batch
    finally:
        receiver.close()
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()
