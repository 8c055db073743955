"""Out-of-scope parties of an in-scope record, shown as counted placeholders.

A liaison officer sees a chat of their targets, but not the other people in it: an event,
a lineage sentence or a sticker cascade that involves them says how many there were, never
who (no identifier, name, public id, chat title or hash).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from casegraph.access.reader import Reader, digits

HIDDEN_CHAT = "a chat outside your scope"
HIDDEN_NUMBER = "[a number outside your scope]"
# a written phone number: optional +, digits with the separators people and exports use
_NUMBER = re.compile(r"\+?\d[\d \u00a0().\-]{5,}\d")


def outside(count: int, noun: str) -> str | None:
    """A counted placeholder such as "2 members outside your scope"; None for none."""
    if count <= 0:
        return None
    return f"{count} {noun if count == 1 else noun + 's'} outside your scope"


def event_view(
    reader: Reader,
    event_type: str,
    actor_id: int | None,
    target_ids: Sequence[int] | None,
    text: str | None,
) -> dict[str, Any] | None:
    """An event as this scope may see it; None when none of its parties is in the scope.

    The export's own sentence names every party, so it is kept only when all are visible;
    otherwise the event is described from its type and the visible parties' public ids."""
    keys = reader.account_keys()
    targets = list(target_ids or [])
    parties = [p for p in (actor_id, *targets) if p is not None]
    visible = [p for p in parties if reader.sees_account(p)]
    if reader.limited and not visible:
        return None
    hidden = len(parties) - len(visible)
    shown_targets = [keys[t] for t in targets if reader.sees_account(t) and t in keys]
    actor = keys.get(actor_id) if actor_id is not None and reader.sees_account(actor_id) else None
    if hidden:
        who = ", ".join(filter(None, (actor, *shown_targets, outside(hidden, "account"))))
        text = f"{event_type.replace('_', ' ')}: {who}"
    text = scrub_numbers(reader, text)  # a line may name someone who is not a party
    return {
        "type": event_type,
        "actor": actor,
        "targets": shown_targets,
        "outside_scope": outside(hidden, "account"),
        "text": text,
    }


def scrub_numbers(reader: Reader, text: str | None, replacement: str = HIDDEN_NUMBER) -> str | None:
    """Free text (a message, an event line) with the numbers of hidden accounts replaced."""
    if not text or not reader.limited:
        return text
    hidden = reader.hidden_numbers()

    def replace(found: re.Match[str]) -> str:
        return replacement if digits(found.group())[-9:] in hidden else found.group()

    return _NUMBER.sub(replace, text)


def scrub(text: str, names: Sequence[str], replacement: str = HIDDEN_CHAT) -> str:
    """`text` with every name in `names` (longest first) replaced."""
    for name in names:
        if name in text:
            text = text.replace(name, replacement)
    return text


def scrub_text(
    reader: Reader, text: str, number: str = HIDDEN_NUMBER, chat: str = HIDDEN_CHAT
) -> str:
    """Free text with the numbers and chat names outside the scope replaced by `number` and
    `chat`: what the scope may read of a sentence or a message."""
    return scrub(scrub_numbers(reader, text, number) or "", reader.hidden_chat_names(), chat)


def lineage_evidence(reader: Reader, evidence: Sequence[Any], parent_visible: bool) -> list[Any]:
    """Lineage evidence naming only visible accounts; a hidden parent is never named."""
    if not reader.limited:
        return list(evidence)
    visible_keys = set(reader.account_keys().values())
    hidden_names = reader.hidden_chat_names()
    shown: list[Any] = []
    for item in evidence:
        if not isinstance(item, dict):  # a bare sentence: it can only be scrubbed
            shown.append(scrub(str(item), hidden_names))
            continue
        entry = dict(item)
        if "account" in entry and entry["account"] not in visible_keys:
            entry["account"] = None
            entry["account_outside_scope"] = outside(1, "account")
        if "accounts" in entry:
            keys = list(entry["accounts"] or [])
            entry["accounts"] = [k for k in keys if k in visible_keys]
            entry["accounts_outside_scope"] = outside(len(keys) - len(entry["accounts"]), "account")
        if not parent_visible:
            entry.pop("link", None)  # the invite link names the hidden parent group
            entry.pop("message", None)
        entry["text"] = scrub(str(entry.get("text", "")), hidden_names)
        if not parent_visible and entry.get("kind") == "invite_link_posted_in_parent":
            entry["text"] = f"an invite link followed by joins to it was posted in {HIDDEN_CHAT}"
        shown.append(entry)
    return shown


# audit details that carry an evidence file's name, which often is the chat's title
NAMING_DETAILS = frozenset({"file", "filename"})
WITHHELD = "(withheld: names a chat or person)"


def audit_details(details: dict[str, Any], names_visible: bool) -> dict[str, Any]:
    """An audit entry's details for a reader who audits actions but may not see case names."""
    if names_visible:
        return details
    return {k: WITHHELD if k in NAMING_DETAILS else v for k, v in (details or {}).items()}
