"""Which group broke off from which, with the evidence an analyst or prosecutor can check.

A break-off needs people or an invite link coming from the parent beyond what chance brings:
most of its members were in the parent before they joined it (or so many more than chance
would bring that chance is ruled out), or its invite link was posted in the parent and
followed by joins. Its creator's and early members' prior membership, and members who left
the parent as they joined, then weigh in the confidence. Shared media alone is never lineage,
and a chat cannot break off from a younger one, so the result is always a forest.

Why chance matters: in a large case one big group holds a good share of everybody, so any new
group has some of its members (often its creator) by chance alone; that is not lineage.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from casegraph.analysis.records import ChatRecord, MembershipRecord

MOVE_WINDOW = timedelta(days=3)
EARLY_SHARE = 0.3  # the first 30 % of joiners (at least 3) count as early members
MIN_CONFIDENCE = 0.3
MAJORITY = 0.5  # share of a chat's members who were in the parent before joining it
BEYOND_CHANCE = 1e-6  # binomial tail probability below which chance is ruled out
WEIGHTS = {"creator": 0.35, "early": 0.25, "overlap": 0.15, "moved": 0.1, "invite_link": 0.3}


@dataclass(slots=True, frozen=True)
class InvitePost:
    """An invite link posted in a chat (from entity extraction)."""

    link: str
    chat_id: int
    account_id: int | None
    at: datetime
    message_id: int


@dataclass(slots=True)
class Lineage:
    chat_id: int
    parent_id: int | None
    confidence: float | None
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Joins:
    since: dict[int, datetime]  # account -> first time seen in the chat
    until: dict[int, datetime]  # account -> time it left, where known
    via: dict[int, str]


def _joins(
    memberships: Sequence[MembershipRecord], births: Mapping[int, datetime]
) -> dict[int, _Joins]:
    joins: dict[int, _Joins] = defaultdict(lambda: _Joins({}, {}, {}))
    for m in memberships:
        record = joins[m.chat_id]
        if m.until is not None:
            record.until[m.account_id] = max(m.until, record.until.get(m.account_id, m.until))
        # a departure alone says nothing about when the account joined
        since = m.since or (None if m.via in {"left", "removed"} else births.get(m.chat_id))
        if since is None:
            continue
        if m.account_id not in record.since or since < record.since[m.account_id]:
            record.since[m.account_id] = since
            record.via[m.account_id] = m.via
    return joins


def infer_lineage(
    chats: Sequence[ChatRecord],
    memberships: Sequence[MembershipRecord],
    births: Mapping[int, datetime],
    invite_posts: Sequence[InvitePost] = (),
    labels: Mapping[int, str] | None = None,
) -> dict[int, Lineage]:
    """For every chat its most likely parent (or none), with confidence and evidence.

    `births` holds each chat's creation time, or its first activity where creation is unknown.
    """
    names = labels or {}
    joins = _joins(memberships, births)
    population = len({m.account_id for m in memberships})
    result: dict[int, Lineage] = {}
    for chat in chats:
        birth = births.get(chat.id)
        best: Lineage = Lineage(chat.id, None, None)
        best_rank: tuple[float, float, datetime] | None = None
        for candidate in chats:
            cand_birth = births.get(candidate.id)
            if (
                candidate.id == chat.id
                or birth is None
                or cand_birth is None
                or cand_birth >= birth
            ):
                continue
            scored = _score(chat, candidate, birth, joins, invite_posts, names, population)
            if scored is None:
                continue
            confidence, jaccard, evidence = scored
            rank = (confidence, jaccard, cand_birth)
            if best_rank is None or rank > best_rank:
                best_rank = rank
                best = Lineage(chat.id, candidate.id, round(confidence, 3), evidence)
        result[chat.id] = best
    return result


def _score(
    chat: ChatRecord,
    parent: ChatRecord,
    birth: datetime,
    joins: Mapping[int, _Joins],
    invite_posts: Sequence[InvitePost],
    names: Mapping[int, str],
    population: int,
) -> tuple[float, float, list[dict[str, Any]]] | None:
    child_joins, parent_joins = joins.get(chat.id), joins.get(parent.id)
    if child_joins is None or parent_joins is None:
        return None
    parent_name = names.get(parent.id, parent.title)
    evidence: list[dict[str, Any]] = []
    score = 0.0

    def was_in_parent(account: int, when: datetime) -> bool:
        return account in parent_joins.since and parent_joins.since[account] <= when

    creator = chat.created_by
    if creator is not None and was_in_parent(creator, birth):
        score += WEIGHTS["creator"]
        evidence.append(
            {
                "kind": "creator_prior_member",
                "account": creator,
                "text": f"its creator was a member of {parent_name} before creating it",
            }
        )
    joiners = sorted((at, a) for a, at in child_joins.since.items() if a != creator)
    early = joiners[: max(3, int(len(joiners) * EARLY_SHARE))]
    from_parent = [a for at, a in early if was_in_parent(a, at)]
    if early and from_parent:
        share = len(from_parent) / len(early)
        score += WEIGHTS["early"] * share
        evidence.append(
            {
                "kind": "early_members_from_parent",
                "accounts": from_parent,
                "text": f"{len(from_parent)} of its first {len(early)} members came "
                f"from {parent_name}",
            }
        )
    members, parent_members = set(child_joins.since), set(parent_joins.since)
    shared = members & parent_members
    jaccard = len(shared) / len(members | parent_members) if members else 0.0
    came = [a for a in members if was_in_parent(a, child_joins.since[a])]
    chance = len(parent_members) / population if population else 0.0
    beyond_chance = len(came) >= 2 and (
        len(came) / len(members) >= MAJORITY
        or (
            len(came) > chance * len(members)  # the tail is only worth summing above the mean
            and binomial_tail(len(came), len(members), chance) <= BEYOND_CHANCE
        )
    )
    if came:
        score += WEIGHTS["overlap"] * len(came) / len(members)
        evidence.append(
            {
                "kind": "member_overlap",
                "shared": len(came),
                "members": len(members),
                "expected_by_chance": round(chance * len(members), 1),
                "text": f"{len(came)} of its {len(members)} members were in {parent_name} "
                f"before joining it (chance alone would bring about "
                f"{chance * len(members):.1f})",
            }
        )
    moved = [
        a
        for a in shared
        if a in parent_joins.until
        and abs(parent_joins.until[a] - child_joins.since[a]) <= MOVE_WINDOW
    ]
    if moved:
        score += WEIGHTS["moved"]
        evidence.append(
            {
                "kind": "moved",
                "accounts": sorted(moved),
                "text": f"{len(moved)} member(s) left {parent_name} as they joined",
            }
        )
    link = _invite_link_evidence(chat, parent, birth, child_joins, invite_posts)
    if link is not None:
        score += WEIGHTS["invite_link"]
        evidence.append(
            {
                "kind": "invite_link_posted_in_parent",
                "link": link.link,
                "message": link.message_id,
                "account": link.account_id,
                "text": f"an invite link followed by joins to it was posted in "
                f"{parent_name}: {link.link}",
            }
        )
    if not (beyond_chance or link is not None) or score < MIN_CONFIDENCE:
        return None
    evidence.append({"kind": "time_order", "text": f"{parent_name} existed before it"})
    return min(1.0, score), jaccard, evidence


def binomial_tail(successes: int, trials: int, rate: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, rate): how likely chance alone does this."""
    if successes <= 0 or rate >= 1.0:
        return 1.0
    if rate <= 0.0:
        return 0.0
    log_rate, log_miss = math.log(rate), math.log1p(-rate)
    head = math.lgamma(trials + 1)
    total = 0.0
    for k in range(successes, trials + 1):
        term = math.exp(
            head
            - math.lgamma(k + 1)
            - math.lgamma(trials - k + 1)
            + k * log_rate
            + (trials - k) * log_miss
        )
        total += term
        if k > trials * rate and term < total * 1e-12:  # past the mean terms only shrink
            break
    return min(1.0, total)


def _invite_link_evidence(
    chat: ChatRecord,
    parent: ChatRecord,
    birth: datetime,
    child_joins: _Joins,
    invite_posts: Sequence[InvitePost],
) -> InvitePost | None:
    """A link posted in the parent, after the chat was born, by one of its members, and followed
    by members of the chat joining it by link."""
    link_joins = sorted(
        at
        for a, at in child_joins.since.items()
        if child_joins.via.get(a) in {"joined_via_link", "link"}
    )
    for post in invite_posts:
        if post.chat_id != parent.id or post.at < birth - timedelta(hours=1):
            continue
        poster_in_chat = post.account_id is not None and post.account_id in child_joins.since
        if poster_in_chat and any(post.at <= at for at in link_joins):
            return post
    return None
