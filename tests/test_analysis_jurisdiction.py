"""Countries: recorded facts win, then the phone number, then language; ages and minors."""

from __future__ import annotations

from datetime import UTC, datetime

from casegraph.analysis.ages import age_at_activity
from casegraph.analysis.jurisdiction import account_languages, attribute_countries, group_by_country
from casegraph.analysis.records import AccountRecord

ES = AccountRecord(1, "a1", "whatsapp", "+34600000101", "phone", phone_country="ES")
BR = AccountRecord(2, "a2", "whatsapp", "+5511987650103", "phone", phone_country="BR")
BR2 = AccountRecord(3, "a3", "whatsapp", "+5511987650104", "phone", phone_country="BR")
TG = AccountRecord(4, "a4", "telegram", "user1000001", "platform_id")
TG_SILENT = AccountRecord(5, "a5", "telegram", "user1000002", "platform_id")
PERSONS = {1: "p1", 2: "p2", 3: "p3", 4: "p4", 5: "p5"}


def test_languages_are_detected_per_account() -> None:
    languages = account_languages(
        {
            1: ["Bienvenidos al grupo, aquí compartimos todo"],
            2: ["Obrigado, estou muito feliz de estar aqui com vocês"],
            3: ["ok"],
        }
    )
    assert languages[1][0] == "es" and languages[2][0] == "pt" and 3 not in languages


def test_the_phone_number_decides_when_nothing_is_recorded() -> None:
    found = attribute_countries([ES], {1: ["pt"]}, PERSONS, {})
    assert found[1].country == "ES" and found[1].reasons[0]["kind"] == "phone"


def test_a_recorded_fact_always_wins() -> None:
    found = attribute_countries([ES], {}, PERSONS, {"p1": "FR"})
    assert (found[1].country, found[1].confidence) == ("FR", 1.0)


def test_language_only_suggests_where_its_writers_with_phones_are() -> None:
    languages = {2: ["pt"], 3: ["pt"], 4: ["pt"]}
    found = attribute_countries([BR, BR2, TG], languages, PERSONS, {})
    assert found[4].country is None
    assert found[4].reasons[0]["suggested"] == "BR"
    assert found[4].reasons[0]["text"].startswith("writes Portuguese;")  # a name, not "pt"


def test_a_phone_reason_reads_as_a_sentence() -> None:
    found = attribute_countries([ES, BR], {}, PERSONS, {})
    texts = [found[key].reasons[0]["text"] for key in (1, 2)]
    assert texts[0].endswith(" is an ES number") and texts[1].endswith(" is a BR number")


def test_a_same_person_account_lends_its_phone_country() -> None:
    found = attribute_countries([ES, TG], {}, {1: "p1", 4: "p1"}, {})
    assert found[4].country == "ES" and found[4].reasons[0]["kind"] == "same_person_phone"


def test_unknown_is_null_and_goes_to_unattributed() -> None:
    found = attribute_countries([ES, TG_SILENT], {}, PERSONS, {})
    assert found[5].country is None and found[5].confidence is None
    assert group_by_country(found) == {"ES": [1], "unattributed": [5]}


def test_age_from_date_of_birth_flags_a_minor_at_the_time() -> None:
    finding = age_at_activity(
        "p1",
        datetime(2024, 1, 10, tzinfo=UTC),
        datetime(2024, 6, 1, tzinfo=UTC),
        date_of_birth="2006-03-01",
    )
    assert finding is not None and (finding.age_first, finding.age_last) == (17, 18)
    assert finding.minor


def test_recorded_age_is_the_age_at_the_last_activity() -> None:
    finding = age_at_activity(
        "p1", datetime(2022, 1, 10, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC), age=30
    )
    assert finding is not None and (finding.age_first, finding.age_last, finding.minor) == (
        28,
        30,
        False,
    )
    assert (
        age_at_activity("p1", datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC))
        is None
    )
