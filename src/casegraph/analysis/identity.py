"""Who is who: phone normalisation and the grouping of accounts into persons.

Accounts are already one per normalised identifier (ingest keys them so). Persons group
accounts where the identifiers prove it — the same phone number on two platforms, a "changed
their number" event — and then analysts' merges and splits are replayed in the order made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from casegraph.analysis.records import AccountRecord, EventRecord
from casegraph.ingest import phones as ingest_phones


def normalise_phone(raw: str, default_region: str | None = None) -> str | None:
    """E.164 of a valid number as people write it (ingest's rule, legacy forms folded)."""
    return ingest_phones.normalise_phone(raw, default_region, valid_only=True)


@dataclass(slots=True, frozen=True)
class Decision:
    """An analyst's merge (all listed accounts are one person) or split (each stands alone)."""

    kind: str  # "merge" | "split"
    account_keys: tuple[str, ...]


@dataclass(slots=True)
class PersonGroup:
    key: str
    account_ids: list[int]
    reasons: list[str] = field(default_factory=list)


def person_key(anchor_account_key: str) -> str:
    """Stable person id: derived from the group's smallest account key."""
    return "person-" + hashlib.sha256(anchor_account_key.encode()).hexdigest()[:16]


class UnionFind:
    def __init__(self, items: Iterable[int]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: int) -> int:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def resolve_persons(
    accounts: Sequence[AccountRecord],
    events: Iterable[EventRecord] = (),
    decisions: Iterable[Decision] = (),
) -> list[PersonGroup]:
    """Group accounts into persons; every automatic link and analyst decision gives a reason."""
    by_id = {a.id: a for a in accounts}
    by_key = {a.key: a.id for a in accounts}
    groups = UnionFind(by_id)
    reasons: dict[int, list[str]] = {a.id: [] for a in accounts}

    same_identifier: dict[str, list[int]] = {}
    for account in accounts:
        if account.identifier_kind == "phone":
            same_identifier.setdefault(account.identifier, []).append(account.id)
    for identifier, ids in same_identifier.items():
        for other in ids[1:]:
            groups.union(ids[0], other)
        if len(ids) > 1:
            for account_id in ids:
                reasons[account_id].append(f"same phone number {identifier} on several platforms")
    for event in events:
        if event.type == "number_changed" and event.actor_id in by_id:
            for target in event.target_ids:
                if target in by_id:
                    groups.union(event.actor_id, target)
                    old, new = by_id[event.actor_id].identifier, by_id[target].identifier
                    reasons[target].append(f"number changed from {old} to {new}")
                    reasons[event.actor_id].append(f"number changed from {old} to {new}")

    for decision in decisions:
        ids = [by_key[k] for k in decision.account_keys if k in by_key]
        if decision.kind == "merge":
            for other in ids[1:]:
                groups.union(ids[0], other)
            for account_id in ids:
                reasons[account_id].append(f"merged by an analyst with {len(ids) - 1} account(s)")
        elif decision.kind == "split":
            groups = _detach(groups, by_id, set(ids))
            for account_id in ids:
                reasons[account_id].append("split off by an analyst")

    members: dict[int, list[int]] = {}
    for account_id in sorted(by_id):
        members.setdefault(groups.find(account_id), []).append(account_id)
    result = []
    for ids in members.values():
        anchor = min(by_id[i].key for i in ids)
        unique_reasons = list(dict.fromkeys(r for i in ids for r in reasons[i]))
        result.append(PersonGroup(key=person_key(anchor), account_ids=ids, reasons=unique_reasons))
    return sorted(result, key=lambda g: g.key)


def _detach(groups: UnionFind, by_id: dict[int, AccountRecord], alone: set[int]) -> UnionFind:
    """Rebuild the partition with each of `alone` in a group of its own."""
    rebuilt = UnionFind(by_id)
    roots: dict[int, int] = {}
    for account_id in sorted(by_id):
        if account_id in alone:
            continue
        root = groups.find(account_id)
        if root in roots:
            rebuilt.union(roots[root], account_id)
        else:
            roots[root] = account_id
    return rebuilt
