"""The writer: one transaction per source, idempotent, stable ids, crash-safe, reported."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casegraph.errors import InputError
from casegraph.report.json_view import build_report
from casegraph.store.cases import Case, Home, dispose_engines
from casegraph.store.ingest import ingest_paths
from casegraph.store.schema import (
    AccountRow,
    AuditRow,
    ChatRow,
    ChatSourceRow,
    MembershipRow,
    MessageRow,
    SourceRow,
)

GROUP = (
    '13/03/24, 09:00 - +34 600 000 111 created group "Night Owls"\n'
    "13/03/24, 09:01 - +34 600 000 111 added +34 600 000 222 and Lía 🌸\n"
    "13/03/24, 09:02 - +34 600 000 222: hola\n"
    "14/03/24, 10:00 - Lía 🌸: buenas\n"
    "14/03/24, 10:05 - Pau joined using this group's invite link\n"
    "15/03/24, 11:00 - +34 600 000 222 left\n"
)


def _case(home: Home, name: str = "op") -> Case:
    return home.create_case(name, timezone="Europe/Madrid", agency="ES")


def _export(
    tmp_path: Path, text: str = GROUP, name: str = "WhatsApp Chat with Night Owls.txt"
) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _count(case: Case, table: type) -> int:
    with case.read() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_report_shows_sources_chats_and_accounts(home: Home, tmp_path: Path) -> None:
    case = _case(home)
    ingest_paths(case, [_export(tmp_path)], "officer")
    report = build_report(case)
    (source,) = report["sources"]
    assert (source["format"], source["messages"]) == ("whatsapp-file", 2)
    (chat,) = report["chats"]
    ids = {a["id"]: a for a in report["accounts"]}
    identifiers = {a["identifier"]: a["id"] for a in report["accounts"]}
    assert chat["title"] == "Night Owls" and chat["messages"] == 2
    assert chat["events"] == {"added": 1, "created": 1, "joined_via_link": 1, "left": 1}
    assert chat["created_by"] == identifiers["+34600000111"]
    assert chat["created_at"] == "2024-03-13T09:00:00+01:00"
    assert sorted(ids[m]["identifier"] for m in chat["members"]) == [
        "+34600000111", "+34600000222", "Lía 🌸", "Pau"
    ]  # fmt: skip
    assert ids[identifiers["Lía 🌸"]]["names"] == ["Lía 🌸"]
    with case.read() as session:
        phone = session.scalars(
            select(AccountRow).where(AccountRow.identifier == "+34600000111")
        ).one()
    assert (phone.identifier_kind, phone.phone_country) == ("phone", "ES")


def test_reingesting_the_same_file_is_a_no_op(home: Home, tmp_path: Path) -> None:
    case = _case(home)
    path = _export(tmp_path)
    first = ingest_paths(case, [path], "officer")
    audit_entries = _count(case, AuditRow)
    again = ingest_paths(case, [path], "officer")
    assert (first.sources_added, again.sources_added, again.sources_skipped) == (1, 0, 1)
    assert _count(case, MessageRow) == 2 and _count(case, AuditRow) == audit_entries


def test_each_source_is_one_audited_transaction(home: Home, tmp_path: Path) -> None:
    case = _case(home)
    ingest_paths(case, [_export(tmp_path)], "officer")
    with case.read() as session:
        entry = session.scalars(select(AuditRow).where(AuditRow.action == "ingest.source")).one()
        assert case.audit.verify(session) == []
    assert (entry.details["messages"], entry.details["events"]) == (2, 4)


def test_account_and_chat_ids_are_stable_across_reruns(tmp_path: Path) -> None:
    path = _export(tmp_path)
    reports = []
    for run in ("one", "two"):  # the same inputs, again, in the same installation
        home = Home(tmp_path / "home")
        case = _case(home, f"op-{run}")
        ingest_paths(case, [path], "officer")
        reports.append(build_report(case))
        dispose_engines()
    assert [a["id"] for a in reports[0]["accounts"]] == [a["id"] for a in reports[1]["accounts"]]
    assert reports[0]["chats"][0]["id"] == reports[1]["chats"][0]["id"]


def test_two_officers_exports_of_one_group_are_one_chat(home: Home, tmp_path: Path) -> None:
    case = _case(home)
    first = _export(tmp_path)
    (tmp_path / "b").mkdir()
    second = _export(tmp_path / "b", GROUP + "16/03/24, 12:00 - Lía 🌸: sigo aquí\n")
    ingest_paths(case, [first, second], "officer")
    assert _count(case, ChatRow) == 1
    assert _count(case, ChatSourceRow) == 2
    assert _count(case, SourceRow) == 2


def test_a_bad_file_leaves_the_case_as_it_was(home: Home, tmp_path: Path) -> None:
    case = _case(home)
    path = _export(tmp_path, "01/02/24, 10:00 - Ana: a\n01/02/24, 11:00 - Ana: b\n")
    with pytest.raises(InputError, match="--date-order"):
        ingest_paths(case, [path], "officer")
    assert _count(case, SourceRow) == 0
    assert list(case.evidence.blobs()) == []
    result = ingest_paths(case, [path], "officer", date_order="dmy")
    assert result.messages == 2


def test_names_accumulate_for_one_account(home: Home, tmp_path: Path) -> None:
    folder = tmp_path / "ChatExport"
    folder.mkdir()
    messages = [
        {"id": i, "type": "message", "date_unixtime": str(1712337730 + i), "from": name,
         "from_id": "user42", "text": "x"}
        for i, name in enumerate(["Pau", "Pau R.", "Pau"])
    ]  # fmt: skip
    (folder / "result.json").write_text(json.dumps({"name": "G", "id": 5, "messages": messages}))
    case = _case(home)
    ingest_paths(case, [folder], "officer")
    with case.read() as session:
        assert session.scalars(select(AccountRow.names)).one() == ["Pau", "Pau R."]


def test_progress_bar_runs_without_changing_results(home: Home, tmp_path: Path) -> None:
    case = _case(home)
    assert ingest_paths(case, [_export(tmp_path)], "officer", progress=True).messages == 2


WORKER = """
import sys
from pathlib import Path
from casegraph.store.cases import Home
from casegraph.store.ingest import ingest_paths
case = Home(Path(sys.argv[1])).open_case("op")
print("start", flush=True)
ingest_paths(case, [Path(sys.argv[2])], captured_by="officer")
print("done", flush=True)
"""


def test_kill_9_at_random_points_leaves_the_case_as_before(tmp_path: Path) -> None:
    lines = [
        f"{1 + i // 2000:02d}/03/24, {i // 100 % 24:02d}:{i % 60:02d} - "
        f"+34 600 000 {i % 50:03d}: m{i}"
        for i in range(20_000)
    ]
    path = _export(tmp_path, "\n".join(lines) + "\n", name="WhatsApp Chat with Big.txt")
    home = Home(tmp_path / "home")
    _case(home)
    dispose_engines()
    rng = random.Random(20240313)
    for _ in range(3):
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(home.root), str(path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert worker.stdout is not None and worker.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0.05, 1.0))
        worker.kill()
        worker.wait()
        case = home.open_case("op")
        sources, messages = _count(case, SourceRow), _count(case, MessageRow)
        assert (sources, messages) in ((0, 0), (1, 20_000))
        with case.read() as session:
            assert case.audit.verify(session) == []
        dispose_engines()
    case = home.open_case("op")
    ingest_paths(case, [path], "officer")
    assert (_count(case, SourceRow), _count(case, MessageRow)) == (1, 20_000)
    with case.read() as session:
        assert case.audit.verify(session) == []


def test_same_results_on_both_backends(any_home: Home, case_name: str, tmp_path: Path) -> None:
    case = any_home.create_case(case_name, timezone="Europe/Madrid", agency="ES")
    path = _export(tmp_path)
    first = ingest_paths(case, [path], "officer")
    again = ingest_paths(case, [path], "officer")
    report = build_report(case)
    (chat,) = [c for c in report["chats"] if c["title"] == "Night Owls"]
    assert (first.messages, first.events, again.sources_skipped) == (2, 4, 1)
    assert chat["events"] == {"added": 1, "created": 1, "joined_via_link": 1, "left": 1}
    assert chat["created_at"] == "2024-03-13T09:00:00+01:00"
    assert len(chat["members"]) == 4
    with case.read() as session:
        assert case.audit.verify(session) == []


def test_membership_closes_on_leave_and_reopens_on_rejoin(home: Home, tmp_path: Path) -> None:
    text = GROUP + "16/03/24, 09:00 - Lía 🌸 left\n16/03/24, 10:00 - Lía 🌸 added +34 600 000 222\n"
    case = _case(home)
    ingest_paths(case, [_export(tmp_path, text)], "officer")
    with case.read() as session:
        rows = session.execute(
            select(AccountRow.identifier, MembershipRow.until).join(
                MembershipRow, MembershipRow.account_id == AccountRow.id
            )
        ).all()
    until = dict(rows)
    assert until["+34600000222"] is None  # left on the 15th, added back on the 16th
    assert until["Lía 🌸"] is not None and until["Lía 🌸"].day == 16
