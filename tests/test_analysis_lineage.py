"""Lineage: a break-off needs people or an invite link from an older parent."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from casegraph.analysis.lineage import InvitePost, binomial_tail, infer_lineage
from casegraph.analysis.records import ChatRecord, MembershipRecord


def day(n: int) -> datetime:
    return datetime(2024, 1, n, tzinfo=UTC)


def members(
    chat: int, since: datetime, *accounts: int, via: str = "added"
) -> list[MembershipRecord]:
    return [MembershipRecord(chat, a, since, None, via) for a in accounts]


def test_a_break_off_created_by_a_parent_member_gets_that_parent() -> None:
    chats = [
        ChatRecord(1, "c1", "whatsapp", "Parent", created_by=1),
        ChatRecord(2, "c2", "whatsapp", "Break-off", created_by=2),
    ]
    spans = members(1, day(1), 1, 2, 3, 4) + members(2, day(10), 2) + members(2, day(11), 3, 4)
    found = infer_lineage(chats, spans, {1: day(1), 2: day(10)})
    assert found[2].parent_id == 1 and found[1].parent_id is None
    kinds = [e["kind"] for e in found[2].evidence]
    assert "creator_prior_member" in kinds and "time_order" in kinds
    assert 0 < (found[2].confidence or 0) <= 1


def test_a_chat_never_breaks_off_from_a_younger_one() -> None:
    chats = [
        ChatRecord(1, "c1", "whatsapp", "Old", created_by=1),
        ChatRecord(2, "c2", "whatsapp", "Young", created_by=2),
    ]
    spans = members(1, day(1), 1, 2, 3) + members(2, day(5), 1, 2, 3)
    found = infer_lineage(chats, spans, {1: day(1), 2: day(5)})
    assert found[1].parent_id is None


def test_no_shared_people_means_no_lineage() -> None:
    chats = [
        ChatRecord(1, "c1", "whatsapp", "A", created_by=1),
        ChatRecord(2, "c2", "telegram", "B", created_by=5),
    ]
    spans = members(1, day(1), 1, 2, 3) + members(2, day(5), 5, 6)
    found = infer_lineage(chats, spans, {1: day(1), 2: day(5)})
    assert found[2].parent_id is None and found[2].evidence == []


def test_an_invite_link_posted_in_the_parent_is_evidence() -> None:
    chats = [
        ChatRecord(1, "c1", "whatsapp", "Parent", created_by=1),
        ChatRecord(2, "c2", "whatsapp", "Break-off", created_by=9),
    ]
    spans = (
        members(1, day(1), 1, 2, 3, 8)
        + members(2, day(10), 9)
        + members(2, day(12), 2, 3, via="joined_via_link")
    )
    post = InvitePost("https://chat.whatsapp.com/AbCdEfGhIjK123", 1, 8, day(11), 77)
    spans += members(2, day(10), 8)
    found = infer_lineage(chats, spans, {1: day(1), 2: day(10)}, [post])
    link = [e for e in found[2].evidence if e["kind"] == "invite_link_posted_in_parent"]
    assert found[2].parent_id == 1 and link and link[0]["message"] == 77


def test_a_chain_of_break_offs_points_each_at_its_own_parent() -> None:
    chats = [
        ChatRecord(1, "c1", "whatsapp", "A", created_by=1),
        ChatRecord(2, "c2", "whatsapp", "B", created_by=2),
        ChatRecord(3, "c3", "whatsapp", "C", created_by=3),
    ]
    spans = (
        members(1, day(1), *range(1, 21))
        + members(2, day(5), 2, 3, 4, 5, 6)
        + members(3, day(9), 3, 4, 5)
    )
    found = infer_lineage(chats, spans, {1: day(1), 2: day(5), 3: day(9)})
    assert (found[2].parent_id, found[3].parent_id) == (1, 2)


def test_members_a_big_group_brings_by_chance_are_no_lineage() -> None:
    """A 1000-member group in a 5000-account case holds a fifth of everybody: a new group
    whose creator and a fifth of whose members are in it owes it nothing."""
    chats = [
        ChatRecord(1, "c1", "whatsapp", "Big", created_by=1),
        ChatRecord(2, "c2", "whatsapp", "Unrelated", created_by=1),
        ChatRecord(3, "c3", "whatsapp", "Filler", created_by=2000),
    ]
    spans = (
        members(1, day(1), *range(1, 1001))
        + members(3, day(1), *range(1001, 5001))
        + members(2, day(10), 1, 2, 3, 4, 5, 6, *range(1001, 1025))
    )
    found = infer_lineage(chats, spans, {1: day(1), 2: day(10), 3: day(1)})
    assert found[2].parent_id is None


def test_a_minority_far_beyond_chance_is_lineage() -> None:
    """12 of 40 members from a 20-member group in a 5000-account case: chance brings 0.16."""
    chats = [
        ChatRecord(1, "c1", "whatsapp", "Small", created_by=1),
        ChatRecord(2, "c2", "whatsapp", "Offshoot", created_by=1),
        ChatRecord(3, "c3", "whatsapp", "Filler", created_by=2000),
    ]
    spans = (
        members(1, day(1), *range(1, 21))
        + members(3, day(1), *range(1001, 5981))
        + members(2, day(10), *range(1, 13), *range(1001, 1029))
    )
    found = infer_lineage(chats, spans, {1: day(1), 2: day(10), 3: day(1)})
    assert found[2].parent_id == 1
    overlap = next(e for e in found[2].evidence if e["kind"] == "member_overlap")
    assert overlap["shared"] == 12 and overlap["expected_by_chance"] == 0.2


@given(
    trials=st.integers(1, 60),
    rate=st.floats(0.01, 0.99),
    data=st.data(),
)
def test_binomial_tail_is_the_exact_sum(trials: int, rate: float, data: st.DataObject) -> None:
    successes = data.draw(st.integers(0, trials))
    exact = sum(
        math.comb(trials, k) * rate**k * (1 - rate) ** (trials - k)
        for k in range(successes, trials + 1)
    )
    assert math.isclose(
        binomial_tail(successes, trials, rate), min(1.0, exact), rel_tol=1e-9, abs_tol=1e-300
    )
