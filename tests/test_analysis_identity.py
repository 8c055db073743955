"""Identity: phone normalisation and accounts grouped into persons."""

from __future__ import annotations

from datetime import UTC, datetime

from casegraph.analysis.identity import Decision, normalise_phone, resolve_persons
from casegraph.analysis.records import AccountRecord, EventRecord

AT = datetime(2024, 1, 1, tzinfo=UTC)


def account(id_: int, platform: str, identifier: str, kind: str = "phone") -> AccountRecord:
    return AccountRecord(id_, f"acct-{id_:04d}", platform, identifier, kind)


def test_mexican_legacy_mobile_prefix_folds_to_the_current_number() -> None:
    assert normalise_phone("+52 1 55 1234 0102") == "+525512340102"
    assert normalise_phone("+52 55 1234 0102") == "+525512340102"


def test_national_forms_need_the_region_and_garbage_is_none() -> None:
    assert normalise_phone("600 000 101", "ES") == "+34600000101"
    assert normalise_phone("not a number") is None


def test_each_account_is_its_own_person_without_proof() -> None:
    groups = resolve_persons(
        [account(1, "whatsapp", "+34600000101"), account(2, "whatsapp", "+34600000102")]
    )
    assert [g.account_ids for g in groups] == [[1], [2]] or [g.account_ids for g in groups] == [
        [2],
        [1],
    ]


def test_the_same_phone_on_two_platforms_is_one_person() -> None:
    groups = resolve_persons(
        [account(1, "whatsapp", "+34600000101"), account(2, "signal", "+34600000101")]
    )
    assert len(groups) == 1 and groups[0].account_ids == [1, 2]
    assert "same phone number" in groups[0].reasons[0]


def test_a_number_change_event_joins_old_and_new_number() -> None:
    accounts = [account(1, "whatsapp", "+34600000101"), account(2, "whatsapp", "+34600000199")]
    event = EventRecord(10, AT, "number_changed", actor_id=1, target_ids=(2,))
    groups = resolve_persons(accounts, [event])
    assert len(groups) == 1 and "number changed" in groups[0].reasons[0]


def test_analyst_merge_then_split_are_replayed_in_order() -> None:
    accounts = [
        account(1, "whatsapp", "+34600000101"),
        account(2, "telegram", "user1", "platform_id"),
        account(3, "telegram", "user2", "platform_id"),
    ]
    merged = resolve_persons(
        accounts, decisions=[Decision("merge", ("acct-0001", "acct-0002", "acct-0003"))]
    )
    assert len(merged) == 1
    split = resolve_persons(
        accounts,
        decisions=[
            Decision("merge", ("acct-0001", "acct-0002", "acct-0003")),
            Decision("split", ("acct-0003",)),
        ],
    )
    assert sorted(g.account_ids for g in split) == [[1, 2], [3]]


def test_person_keys_do_not_depend_on_input_order() -> None:
    accounts = [account(1, "whatsapp", "+34600000101"), account(2, "signal", "+34600000101")]
    assert [g.key for g in resolve_persons(accounts)] == [
        g.key for g in resolve_persons(list(reversed(accounts)))
    ]
