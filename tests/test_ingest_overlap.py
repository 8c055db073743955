"""Overlapping sources of one group: one timeline, every source kept, person links proposed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from casegraph.analysis.run import analyze_case
from casegraph.report.json_view import build_report
from casegraph.store.cases import Case, Home
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import MessageRow, MessageSourceRow, PersonDecisionRow, SourceRow
from casegraph.synth.records import Entry
from device_fixtures import ZONE_NAME, A, B, C, android_db, group_plan, ios_db, write_export


def _windows(tmp_path: Path) -> tuple[Path, Path]:
    """Officer 1's phone exported the start, officer 2's the end; entries 8-11 are in both."""
    plan = group_plan()
    first = write_export(tmp_path / "officer1", replace(plan, entries=plan.entries[:12]))
    second = write_export(
        tmp_path / "officer2", replace(plan, entries=plan.entries[8:], variant="ios-es-12h")
    )
    return first, second


def _chat(case: Case) -> dict[str, Any]:
    (chat,) = build_report(case)["chats"]
    return chat


def test_two_officers_exports_make_one_timeline_without_duplicates(
    home: Home, tmp_path: Path
) -> None:
    case = home.create_case("overlap", timezone=ZONE_NAME)
    first, second = _windows(tmp_path)
    result = ingest_paths(case, [first, second], captured_by="officers")
    assert result.sources_added == 2
    chat = _chat(case)
    assert chat["messages"] == 11  # 9 + 6 with 4 in both
    assert chat["overlap"] == {"sources": 2, "messages_in_several_sources": 4}
    assert [(s["messages"], s["only_here"]) for s in chat["sources"]] == [(9, 5), (6, 2)]


def test_each_message_keeps_the_set_of_sources_that_hold_it(home: Home, tmp_path: Path) -> None:
    case = home.create_case("overlap", timezone=ZONE_NAME)
    first, second = _windows(tmp_path)
    ingest_paths(case, [first, second], captured_by="officers")
    with case.read() as session:
        names = dict(session.execute(select(SourceRow.id, SourceRow.filename)).all())
        held: dict[str, set[str]] = {}
        for id_, text, source in session.execute(
            select(MessageRow.id, MessageRow.text, MessageRow.source_id)
        ):
            held[text] = {names[source]}
            for (extra,) in session.execute(
                select(MessageSourceRow.source_id).where(MessageSourceRow.message_id == id_)
            ):
                held[text].add(names[extra])
    assert held["otra vez"] == {first.name, second.name}
    assert held["hola a todos"] == {first.name}
    assert held["adios"] == {second.name}


def test_the_order_of_ingest_does_not_change_the_timeline(home: Home, tmp_path: Path) -> None:
    first, second = _windows(tmp_path)
    one = home.create_case("one", timezone=ZONE_NAME)
    ingest_paths(one, [first, second], captured_by="officers")
    two = home.create_case("two", timezone=ZONE_NAME)
    ingest_paths(two, [second, first], captured_by="officers")
    assert _chat(one)["messages"] == _chat(two)["messages"] == 11
    assert _chat(one)["events"] == _chat(two)["events"]


def test_system_events_in_both_exports_count_once(home: Home, tmp_path: Path) -> None:
    plan = group_plan()
    case = home.create_case("events", timezone=ZONE_NAME)
    ingest_paths(case, [write_export(tmp_path / "a", plan)], captured_by="officer 1")
    alone = _chat(case)["events"]
    ingest_paths(
        case, [write_export(tmp_path / "b", replace(plan, variant="ios-es-12h"))], captured_by="o2"
    )
    assert _chat(case)["events"] == alone


def test_repeated_lines_pair_in_order_not_all_with_all(home: Home, tmp_path: Path) -> None:
    plan = group_plan()
    at = plan.entries[-1].at
    repeated = [*plan.entries, Entry(at, "text", B, text="ok"), Entry(at, "text", B, text="ok")]
    case = home.create_case("repeat", timezone=ZONE_NAME)
    ingest_paths(
        case, [write_export(tmp_path / "a", replace(plan, entries=repeated))], captured_by="1"
    )
    more = [*repeated, Entry(at, "text", B, text="ok")]  # the second phone got a third "ok"
    ingest_paths(case, [write_export(tmp_path / "b", replace(plan, entries=more))], captured_by="2")
    assert _chat(case)["messages"] == 11 + 3


def test_a_database_owners_messages_take_the_author_an_export_names(
    home: Home, tmp_path: Path
) -> None:
    case = home.create_case("owner", timezone=ZONE_NAME)
    ingest_paths(case, [android_db(tmp_path / "phone")], captured_by="lab")
    ingest_paths(case, [write_export(tmp_path / "export", group_plan())], captured_by="officer")
    report = build_report(case)
    ids = {a["identifier"]: a for a in report["accounts"]}
    assert ids[A]["messages"] == 3  # "hola a todos", "si", "adios" were the owner's own
    (source,) = [s for s in report["sources"] if s["format"] == "whatsapp-zip"]
    (summary,) = source["provenance"]["chats"]
    assert summary["overlap"]["owner_messages_attributed"] == 3


def _names_and_numbers(home: Home, tmp_path: Path) -> Case:
    case = home.create_case(f"names{tmp_path.name[-12:].replace('-', '')}", timezone=ZONE_NAME)
    android = write_export(tmp_path / "android", group_plan())
    ios = write_export(tmp_path / "ios", group_plan("ios-es-12h"), contact_names=True)
    ingest_paths(case, [android, ios], captured_by="officers")
    return case


def test_a_contact_name_and_a_number_for_one_member_become_a_proposed_link(
    any_home: Home, tmp_path: Path
) -> None:
    report = build_report(_names_and_numbers(any_home, tmp_path))
    by_key = {a["id"]: a["identifier"] for a in report["accounts"]}
    proposals = {
        tuple(sorted(by_key[k] for k in p["accounts"])): p for p in report["person_proposals"]
    }
    assert set(proposals) == {(B, "Berta Ruiz"), (C, "Carlos Gil")}
    proposal = proposals[(B, "Berta Ruiz")]
    assert proposal["evidence"]["coinciding_messages"] == 3
    assert proposal["evidence"]["consistent"] is True
    assert 0.8 <= proposal["confidence"] <= 0.95


def test_a_proposed_link_is_never_merged_silently(home: Home, tmp_path: Path) -> None:
    case = _names_and_numbers(home, tmp_path)
    analyze_case(case)
    report = build_report(case)
    person = {a["identifier"]: a["person"] for a in report["accounts"]}
    assert person[B] != person["Berta Ruiz"]
    with case.read() as session:
        kinds = set(session.scalars(select(PersonDecisionRow.kind)))
    assert kinds == {"proposed"}


def test_a_proposal_is_made_once(home: Home, tmp_path: Path) -> None:
    case = _names_and_numbers(home, tmp_path)
    again = write_export(tmp_path / "ios2", group_plan("ios-en-12h-nnbsp"), contact_names=True)
    ingest_paths(case, [again], captured_by="officer 3")
    assert len(build_report(case)["person_proposals"]) == 2


def test_the_html_report_shows_the_overlap_and_the_proposals(home: Home, tmp_path: Path) -> None:
    from casegraph.report.html import render_html

    case = _names_and_numbers(home, tmp_path)
    shared = _chat(case)["overlap"]["messages_in_several_sources"]
    assert shared == 3  # only A shows as a number in both; B and C differ in the author slot
    html = render_html(case)
    assert f"2 sources, {shared} in several" in html
    assert "Proposed person links (not merged)" in html and "Berta Ruiz" in html


def test_an_event_split_per_member_on_a_phone_folds_into_the_exports_one_line(
    home: Home, tmp_path: Path
) -> None:
    # The export writes "A added B, C, D and E" once; the iPhone keeps one row per member.
    case = home.create_case("split", timezone=ZONE_NAME)
    ingest_paths(case, [write_export(tmp_path / "export", group_plan())], captured_by="officer")
    alone = _chat(case)["events"]
    ingest_paths(case, [ios_db(tmp_path / "phone")], captured_by="lab")
    assert _chat(case)["events"] == alone
