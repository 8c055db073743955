"""Concurrent runs on one case, as real CLI processes: both finish, or one waits and says so.

Every test runs on SQLite and on PostgreSQL (`any_home`). The shared media are small benign
PNGs drawn here; the chats are synthetic.
"""

from __future__ import annotations

import functools
import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from casegraph.store.cases import Case, Home, dispose_engines
from casegraph.store.custody import verify_evidence
from casegraph.store.schema import MediaRow, SourceRow

SRC = Path(__file__).resolve().parent.parent / "src"
MEDIA = 200  # enough blobs that one ingest's acquisition overlaps the other's


@functools.cache
def _png(i: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (i % 256, i // 256, 77)).save(buffer, "PNG")
    return buffer.getvalue()


def _media_names() -> list[str]:
    return [f"IMG-20240313-WA{i:04d}.png" for i in range(MEDIA)]


def _export_zip(path: Path, chat: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_chat.txt", chat)
        for i, name in enumerate(_media_names()):
            archive.writestr(name, _png(i))
    return path


def _valid_chat() -> str:
    lines = ['13/03/24, 09:00 - +34 600 000 111 created group "Harbour"\n']
    for i, name in enumerate(_media_names()):
        lines.append(
            f"13/03/24, 10:{i % 60:02d} - +34 600 000 {i % 7:03d}: {name} (file attached)\n"
        )
    return "".join(lines)


def _unreadable_dates_chat() -> str:
    # A day above 12 in both fields: the date order cannot be decided, the ingest is refused.
    lines = [
        f"13/01/24, 10:00 - +34 600 000 001: {name} (file attached)\n" for name in _media_names()
    ]
    lines.append("01/13/24, 10:00 - +34 600 000 002: which order?\n")
    return "".join(lines)


def _cli(home: Home, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "CASEGRAPH_ACTOR": "officer"}
    db = ["--db-url", home.db_url] if home.db_url else []
    return subprocess.Popen(
        [sys.executable, "-m", "casegraph.cli", "--home", str(home.root), *db, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout, stderr


def _no_traceback(*streams: str) -> None:
    for stream in streams:
        assert "Traceback" not in stream, stream


def _case(home: Home, name: str) -> Case:
    case = home.create_case(name, timezone="Europe/Madrid")
    dispose_engines()  # the children open their own connections
    return case


def _count(case: Case, table: type) -> int:
    with case.read() as session:
        return int(
            session.scalar(select(func.count()).select_from(table).where(table.case_id == case.id))
            or 0
        )


def test_a_refused_ingest_never_removes_blobs_an_accepted_one_holds(
    any_home: Home, case_name: str, tmp_path: Path
) -> None:
    refused = _export_zip(tmp_path / "WhatsApp Chat - Harbour A.zip", _unreadable_dates_chat())
    accepted = _export_zip(tmp_path / "WhatsApp Chat - Harbour B.zip", _valid_chat())
    case = _case(any_home, case_name)
    first = _cli(any_home, "ingest", case_name, str(refused))
    time.sleep(0.2)
    second = _cli(any_home, "ingest", case_name, str(accepted))
    code_a, _out_a, err_a = _finish(first)
    code_b, _out_b, err_b = _finish(second)
    _no_traceback(err_a, err_b)
    assert code_a == 2 and "date order" in err_a
    assert code_b == 0, err_b
    report = verify_evidence(case)
    assert report.ok, report.problems[:3]
    assert report.checked == MEDIA + 2  # the zip, its chat text and every picture
    assert _count(case, MediaRow) == MEDIA


def test_three_ingests_of_one_export_and_another_sharing_its_media_all_finish(
    any_home: Home, case_name: str, tmp_path: Path
) -> None:
    export = _export_zip(tmp_path / "WhatsApp Chat - Harbour.zip", _valid_chat())
    other = _export_zip(
        tmp_path / "WhatsApp Chat - Quay.zip", _valid_chat().replace("Harbour", "Quay")
    )
    case = _case(any_home, case_name)
    runs = [_cli(any_home, "ingest", case_name, str(path)) for path in (export, export, other)]
    results = [_finish(run) for run in runs]
    for code, _out, err in results:
        _no_traceback(err)
        assert code == 0, err
    outputs = sorted(out for _code, out, _err in results)
    assert sum(", 1 already present" in out for out in outputs) == 1
    assert _count(case, SourceRow) == 2 and _count(case, MediaRow) == MEDIA
    assert verify_evidence(case).ok


def test_ingest_and_match_at_once_both_finish(
    any_home: Home, case_name: str, tmp_path: Path
) -> None:
    export = _export_zip(tmp_path / "WhatsApp Chat - Harbour.zip", _valid_chat())
    case = _case(any_home, case_name)
    ingest = _cli(any_home, "ingest", case_name, str(export))
    time.sleep(0.3)
    match = _cli(any_home, "match", case_name)
    for code, _out, err in (_finish(ingest), _finish(match)):
        _no_traceback(err)
        assert code == 0, err
    assert verify_evidence(case).ok
    with case.read() as session:
        assert case.audit.verify(session) == []


def test_a_busy_case_makes_the_second_writer_wait_and_say_for_whom(
    any_home: Home, case_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = tmp_path / "WhatsApp Chat with Harbour.txt"
    export.write_text(_valid_chat(), encoding="utf-8")
    case = _case(any_home, case_name)
    monkeypatch.setenv("CASEGRAPH_LOCK_TIMEOUT", "1")
    with case.exclusive("match"):
        code, _out, err = _finish(_cli(any_home, "ingest", case_name, str(export)))
    _no_traceback(err)
    assert code == 2
    waiting, failed = err.strip().splitlines()
    assert waiting.startswith(f"waiting for case {case_name}: ") and "match" in waiting
    assert failed.startswith(f"error: case {case_name} is busy: ") and "match" in failed
    assert _count(case, SourceRow) == 0
    code, _out, err = _finish(_cli(any_home, "ingest", case_name, str(export)))
    assert code == 0 and "waiting" not in err


@pytest.mark.postgres
def test_homes_sharing_a_postgresql_database_take_turns_on_a_case(
    pg_url: str, case_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = tmp_path / "WhatsApp Chat with Harbour.txt"
    export.write_text(_valid_chat(), encoding="utf-8")
    here = Home(tmp_path / "home-here", db_url=pg_url)
    there = Home(tmp_path / "home-there", db_url=pg_url)  # another machine's home, same database
    case = _case(here, case_name)
    monkeypatch.setenv("CASEGRAPH_LOCK_TIMEOUT", "1")
    with case.exclusive("match"):
        code, _out, err = _finish(_cli(there, "ingest", case_name, str(export)))
    _no_traceback(err)
    assert code == 2
    waiting = err.strip().splitlines()[0]
    assert waiting == (
        f"waiting for case {case_name}: casegraph match pid {os.getpid()} is writing to it "
        "(up to 1 s, CASEGRAPH_LOCK_TIMEOUT)"
    )
    assert _finish(_cli(there, "ingest", case_name, str(export)))[0] == 0
