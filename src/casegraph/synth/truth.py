"""truth.json: what a perfect ingest + match + analysis of the generated files must find.

Everything is counted from the generator's own records (plans, written occurrences), never
re-parsed from the exports, so tests can compare the two independently.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from casegraph.synth.people import Person
from casegraph.synth.records import ChatPlan
from casegraph.synth.whatsapp_writer import Occurrence

TIMEZONE = "Europe/Madrid"
ZONE = ZoneInfo(TIMEZONE)


def iso(at: datetime) -> str:
    return at.replace(tzinfo=ZONE).isoformat()


def chat_truth(plan: ChatPlan) -> dict[str, Any]:
    events = Counter(e.event for e in plan.entries if e.kind == "event")
    messages = sum(1 for e in plan.entries if e.kind != "event")
    if plan.counted is not None:
        messages, events = plan.counted[0], Counter(plan.counted[1])
    return {
        "id": plan.id,
        "platform": plan.platform,
        "title": plan.title,
        "aliases": list(plan.aliases),
        "export": plan.export,
        "variant": plan.variant,
        "with_media": plan.with_media,
        "messages": messages,
        "events": dict(sorted(events.items())),
        "creator": plan.creator,
        "created_at": iso(plan.created_at) if plan.created_at else None,
        "parent": plan.parent,
        "invite_link": plan.invite_link,
        "members": list(plan.members),
    }


def _is_name(label: str) -> bool:
    return not label.lstrip("\u200e").startswith("+")


def account_truth(plans: list[ChatPlan], people: list[Person]) -> list[dict[str, Any]]:
    owner: dict[str, Person] = {}
    for person in people:
        for identifier in [person.phone, person.telegram_id, *person.extra_phones]:
            if identifier:
                owner[identifier] = person
    names: dict[str, list[str]] = {}
    platform: dict[str, str] = {}
    for plan in plans:
        seen = set(plan.members) | {e.author for e in plan.entries if e.author}
        for identifier in sorted(seen):
            platform[identifier] = plan.platform
            label = plan.labels.get(identifier, "")
            used = names.setdefault(identifier, [])
            if label and _is_name(label) and label not in used:
                used.append(label)
    accounts = []
    for identifier in sorted(platform):
        person = owner[identifier]
        phone = identifier.startswith("+")
        country = (
            phonenumbers.region_code_for_number(phonenumbers.parse(identifier)) if phone else None
        )
        accounts.append(
            {
                "identifier": identifier,
                "platform": platform[identifier],
                "names": sorted(names[identifier]),
                "country": country,
                "language": person.language,
                "date_of_birth": person.date_of_birth,
            }
        )
    return accounts


def media_truth(occurrences: list[Occurrence], hashes: dict[str, Any]) -> list[dict[str, Any]]:
    """One record per distinct file (SHA-256), with every place it lies and its first poster."""
    by_key: dict[str, list[Occurrence]] = {}
    for occurrence in occurrences:
        by_key.setdefault(occurrence.item.key, []).append(occurrence)
    sha_of_key = {key: hashes[key].file.sha256 for key in by_key}
    records = []
    for key, found in by_key.items():
        item = found[0].item
        first = min(found, key=lambda o: (o.at, o.chat, o.path))
        original = None
        if item.variant_of:
            original = sha_of_key.get(item.variant_of) or hashes[item.variant_of].file.sha256
        records.append(
            {
                "sha256": sha_of_key[key],
                "md5": hashes[key].file.md5,
                "sha1": hashes[key].file.sha1,
                "kind": item.kind,
                "files": sorted(o.path for o in found),
                "variant_of": original,
                "chats": sorted({o.chat for o in found}),
                "first_seen": {"chat": first.chat, "account": first.author, "at": iso(first.at)},
            }
        )
    return sorted(records, key=lambda r: r["sha256"])


def countries(accounts: list[dict[str, Any]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for account in accounts:
        if account["country"]:
            grouped.setdefault(account["country"], []).append(account["identifier"])
    return {country: sorted(ids) for country, ids in sorted(grouped.items())}
