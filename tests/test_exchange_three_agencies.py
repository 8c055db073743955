"""Done-when for the referral lifecycle: a coordinator and two partners (ES, FR), each its own
installation with its own keys, run refer -> import -> update -> re-import -> acknowledgement
-> outcome back -> dashboard on the small synthetic operation; every count equals the truth
and nothing is duplicated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from casegraph.exchange.collect import collect
from casegraph.exchange.investigations import investigation_status
from casegraph.exchange.keys import export_public_key, generate_key, import_public_key
from casegraph.exchange.package import refer
from casegraph.exchange.receive import import_referral
from casegraph.exchange.responses import Outcome, import_response, send_response
from casegraph.store.cases import Home
from casegraph.store.schema import AccountRow, AttachmentRow, ChatRow, MediaRow, MessageRow
from web_fixtures import login, make_client, seed_users

pytestmark = pytest.mark.slow

ES_OUTCOME = Outcome(3, 4, [17, 29, 34, 41], 5, [{"platform": "telegram", "identifier": "u1"}])
FR_OUTCOME = Outcome(1, 2, [38], 0, [], ["cd" * 32])


def _coordinator(synth_small: Path, root: Path) -> tuple[Home, dict[str, Any]]:
    from casegraph.analysis.run import analyze_case
    from casegraph.store.ingest import ingest_paths
    from casegraph.store.matching import hash_case_media, import_hash_list, match_case

    truth = json.loads((synth_small / "truth.json").read_text())
    home = Home(root)
    case = home.create_case("op", timezone=truth["timezone"])
    ingest_paths(case, sorted((synth_small / "exports").iterdir()), captured_by="test")
    hash_case_media(case)
    for hash_list in truth["hash_lists"]:
        import_hash_list(case, synth_small / hash_list["file"], negative=hash_list["negative"])
    match_case(case)
    analyze_case(case)
    return home, truth


def _exchange_keys(tmp: Path, homes: dict[str, tuple[Home, str, str]]) -> None:
    """Each agency makes its key; every one imports every other's public key."""
    for name, (home, agency, country) in homes.items():
        generate_key(home.root, name, agency=agency, country=country)
        export_public_key(home.root, name, tmp / f"{name}.pub.json")
    for name, (home, _a, _c) in homes.items():
        for other in homes:
            if other != name:
                import_public_key(home.root, tmp / f"{other}.pub.json")


def _rows(home: Home, case: str) -> dict[str, int]:
    with home.open_case(case).read() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (AccountRow, ChatRow, MessageRow, AttachmentRow, MediaRow)
        }


def _distinct_messages(home: Home, case: str) -> int:
    with home.open_case(case).read() as session:
        rows = session.execute(
            select(MessageRow.chat_id, MessageRow.account_id, MessageRow.sent_at, MessageRow.text)
        ).all()
    return len(set(rows))


def test_refer_import_update_reimport_acknowledge_report_and_dashboard(
    synth_small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", "correct horse battery staple")
    coordinator, truth = _coordinator(synth_small, tmp_path / "coordinator")
    es, fr = Home(tmp_path / "es"), Home(tmp_path / "fr")
    _exchange_keys(
        tmp_path,
        {
            "coord": (coordinator, "Coordinating Unit", "NL"),
            "es": (es, "Unidad ES", "ES"),
            "fr": (fr, "Unité FR", "FR"),
        },
    )
    partners = {"ES": (es, "es"), "FR": (fr, "fr")}
    op = coordinator.open_case("op")
    sent = {country: collect(op, country) for country in partners}

    # refer -> import: each partner holds exactly its country's targets and their messages
    for country, (home, key) in partners.items():
        package = refer(coordinator, "op", country, key, tmp_path / "out" / country).package
        result = import_referral(home, package, key, "coord")
        assert (result.version, result.created) == (1, True)
        held = investigation_status(home.open_case(result.case), country)[0]
        identifiers = _identifiers(home, result.case)
        assert identifiers == set(truth["countries"][country]), country
        assert len(held.accounts) == len(truth["countries"][country])
        rows = _rows(home, result.case)
        assert rows["messages"] == len(sent[country].messages) > 0
        assert rows["media"] == len(sent[country].media)
        assert rows["messages"] == _distinct_messages(home, result.case)
    first = {country: _rows(home, f"ref-op-{country}") for country, (home, _k) in partners.items()}

    # update (version 2) -> import -> re-import of both versions: nothing is added twice
    for country, (home, key) in partners.items():
        update = refer(coordinator, "op", country, key, tmp_path / "v2" / country)
        assert update.version == 2
        result = import_referral(home, update.package, key, "coord")
        assert (result.case, result.previous_version, result.messages) == (
            f"ref-op-{country}",
            1,
            0,
        )
        for again in (update.package, *sorted((tmp_path / "out" / country).glob("*.age"))):
            assert import_referral(home, again, key, "coord").already_imported
        assert _rows(home, f"ref-op-{country}") == first[country]
        assert home.case_names() == [f"ref-op-{country}"]

    # acknowledgement and outcome back, each imported twice at the coordinator
    outcomes = {"ES": ES_OUTCOME, "FR": FR_OUTCOME}
    for country, (home, key) in partners.items():
        ack = send_response(
            home, f"ref-op-{country}", country, tmp_path / "back", status="accepted"
        )
        report = send_response(
            home, f"ref-op-{country}", country, tmp_path / "back", outcome=outcomes[country]
        )
        for package in (ack.package, report.package, ack.package, report.package):
            import_response(coordinator, package, key)
    views = {v.country: v for v in investigation_status(op)}
    for country, outcome in outcomes.items():
        view = views[country]
        assert (view.arrests, view.suspects, view.minors, view.suspect_ages) == (
            outcome.arrests,
            outcome.suspects,
            outcome.minors_safeguarded,
            outcome.suspect_ages,
        )
        assert view.status == "arrests_made"

    # the operation dashboard shows what came from partners, who reported it and when
    seed_users(coordinator, "analyst")
    client = make_client(coordinator)
    login(client, "analyst")
    dashboard = client.get("/api/dashboard").json()
    reported = {row["country"]: row for row in dashboard["partner_outcomes"]}
    assert set(reported) == {"ES", "FR"}
    assert reported["ES"]["reporter"] == "Unidad ES" and reported["FR"]["reporter"] == "Unité FR"
    assert reported["ES"]["acknowledgement"] == "accepted"
    assert reported["ES"]["arrests"] == 3 and reported["ES"]["minors_safeguarded"] == 5
    assert reported["FR"]["new_media"] == 1 and reported["ES"]["new_identifiers"] == 1
    assert reported["ES"]["reported_at"] and reported["ES"]["received_at"]
    assert dashboard["totals"]["arrests"] == 4 and dashboard["totals"]["minors"] == 5
    page = client.get("/dashboard").text
    assert 'id="partner-outcomes"' in page and "Unité FR (FR)" in page


def _identifiers(home: Home, case: str) -> set[str]:
    with home.open_case(case).read() as session:
        return set(session.scalars(select(AccountRow.identifier)))
