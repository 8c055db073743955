"""Received content against the published JSON Schema, then the references between its parts.

The schema (docs/schema/referral-v2.json, shipped in casegraph/exchange/schemas/) checks the
form of each document; `check_references` checks what a schema cannot: every message's author
is a target, every chat member, poster and matched media is in the package.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from casegraph.errors import InputError

REFERRAL_SCHEMA = "referral-v2.json"
RESPONSE_SCHEMA = "response-v1.json"


@cache
def schema(name: str) -> dict[str, Any]:
    text = resources.files("casegraph.exchange").joinpath("schemas", name).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator(name: str, definition: str) -> Draft202012Validator:
    document = schema(name)
    wrapper = {"$ref": f"#/$defs/{definition}", "$defs": document["$defs"]}
    return Draft202012Validator(wrapper, format_checker=FormatChecker())


def check(document: Any, name: str, definition: str, origin: str) -> None:
    """Raise one line naming the first place where `document` breaks the schema."""
    errors = sorted(_validator(name, definition).iter_errors(document), key=lambda e: e.path)
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in first.absolute_path) or "(top)"
        message = first.message if len(first.message) < 160 else first.message[:157] + "..."
        raise InputError(
            f"{origin}: {where}: {message} (schema {schema(name)['$id']}, {len(errors)} "
            "problem(s)); nothing was imported, ask the sender for a corrected package"
        )


def check_references(document: dict[str, Any], messages: list[dict[str, Any]], origin: str) -> None:
    """Every id a part of the referral names must be defined in it, once."""
    accounts = _unique(document["accounts"], "key", "accounts", origin)
    chats = _unique(document["chats"], "key", "chats", origin)
    media = _unique(document["media"], "sha256", "media", origin)
    persons = _unique(document["persons"], "key", "persons", origin)
    _unique(messages, "id", "messages", origin)
    problems: list[str] = []
    for account in document["accounts"]:
        if account.get("person") and account["person"] not in persons:
            problems.append(f"account {account['key']} names unknown person {account['person']}")
    for chat in document["chats"]:
        for member in [*chat["members"], *filter(None, [chat.get("created_by")])]:
            if member not in accounts:
                problems.append(f"chat {chat['key']} names {member}, who is not a target")
    for item in document["media"]:
        for poster in item.get("posted_by", []):
            if poster not in accounts:
                problems.append(f"media {item['sha256'][:12]} posted by {poster}, not a target")
    for match in document["matches"]:
        if match["media_sha256"] not in media:
            problems.append(f"a match names media {match['media_sha256'][:12]} not in the package")
    for message in messages:
        if message["account"] not in accounts:
            author = message["account"]
            problems.append(f"message {message['id']} has author {author}, not a target")
        if message["chat"] not in chats:
            problems.append(f"message {message['id']} is in chat {message['chat']}, not shared")
    if problems:
        raise InputError(
            f"{origin}: {problems[0]} ({len(problems)} problem(s)); nothing was imported, "
            "ask the sender for a corrected package"
        )


def _unique(items: list[dict[str, Any]], field: str, label: str, origin: str) -> set[str]:
    seen: set[str] = set()
    for item in items:
        if item[field] in seen:
            raise InputError(f"{origin}: {label} lists {item[field]} twice; ask for a resend")
        seen.add(item[field])
    return seen
