"""`casegraph demo` as a newcomer runs it: safe with folders, honest about ports, one count."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casegraph.cli import app, out
from casegraph.report.summary import MATCHED_MEDIA, case_summary, matched_media_in_report
from casegraph.store.cases import Home, dispose_engines


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def wide_console() -> Iterator[None]:
    """Rich wraps at 80 columns when piped; widen it so a long line shows as long."""
    before = out.width
    out.width = 200
    yield
    out.width = before


def test_a_workdir_the_demo_did_not_make_is_refused_and_kept(tmp_path: Path) -> None:
    workdir = tmp_path / "mine"
    workdir.mkdir()
    (workdir / "notes.txt").write_text("my own notes")
    code, _, err = _invoke("--home", str(tmp_path / "h"), "demo", "--workdir", str(workdir))
    assert code == 2 and "did not make" in err
    assert [p.name for p in workdir.iterdir()] == ["notes.txt"]
    assert (workdir / "notes.txt").read_text() == "my own notes"


def test_a_busy_port_is_refused_before_the_pipeline_runs(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        workdir = tmp_path / "demo"
        code, _, err = _invoke("demo", "--workdir", str(workdir), "--port", str(port))
    assert code == 2 and f"port {port}" in err and "--port" in err
    assert not workdir.exists()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One demo run with --home and --no-serve, its console output at full width."""
    base = tmp_path_factory.mktemp("demo")
    home, workdir = base / "home", base / "work"
    before = out.width
    out.width = 200
    try:
        code, stdout, err = _invoke(
            "demo", "--workdir", str(workdir), "--no-serve", "--home", str(home)
        )
    finally:
        out.width = before
    assert code == 0, err
    yield {"home": Home(home), "workdir": workdir, "stdout": stdout}
    dispose_engines()


def test_demo_honours_home(demo_run: dict[str, Any]) -> None:
    assert demo_run["home"].case_names() == ["demo"]
    assert not (demo_run["workdir"] / "home").exists()


def test_no_serve_still_creates_the_demo_users(demo_run: dict[str, Any]) -> None:
    from casegraph.web.users import list_users

    roles = {user.role for user in list_users(demo_run["home"])}
    assert roles == {"admin", "analyst", "reviewer", "liaison", "auditor"}
    assert "login analyst" in demo_run["stdout"] and "serve" in demo_run["stdout"]


def test_demo_lines_fit_80_columns(demo_run: dict[str, Any]) -> None:
    paths = str(demo_run["workdir"].parent)  # paths are the user's; the rest must fit
    long_lines = [
        line for line in demo_run["stdout"].splitlines() if len(line) > 80 and paths not in line
    ]
    assert long_lines == []


def test_one_match_count_in_demo_case_show_and_both_reports(
    demo_run: dict[str, Any], wide_console: None
) -> None:
    home: Home = demo_run["home"]
    case = home.open_case("demo")
    expected = case_summary(case)[MATCHED_MEDIA]
    report = json.loads((demo_run["workdir"] / "reports" / "case.json").read_text())
    assert expected == len(matched_media_in_report(report["matches"]))
    hits = len(report["matches"])
    assert expected > 0 and hits != expected  # the demo's lists give both numbers; one is shown
    demo_said = re.search(r"(\d+) matched media \(known material\)", demo_run["stdout"])
    assert demo_said and int(demo_said.group(1)) == expected
    code, shown, _ = _invoke("--home", str(home.root), "case", "show", "demo")
    assert code == 0 and re.search(rf"{MATCHED_MEDIA}\s+│?\s*{expected}\b", shown)
    html = (demo_run["workdir"] / "reports" / "case.html").read_text()
    card = re.search(r"<b>(\d+)</b>\s*media files matched known material", html)
    assert card and int(card.group(1)) == expected


def test_a_second_run_replaces_only_its_own_folders(demo_run: dict[str, Any]) -> None:
    workdir: Path = demo_run["workdir"]
    (workdir / "notes.txt").write_text("kept")
    code, _, err = _invoke(
        "demo", "--workdir", str(workdir), "--no-serve", "--home", str(demo_run["home"].root)
    )
    assert code == 0, err
    assert (workdir / "notes.txt").read_text() == "kept"
    assert demo_run["home"].case_names() == ["demo", "demo-2"]  # the first case is kept too


def test_media_hash_is_audited_as_the_user_who_ran_it(demo_run: dict[str, Any]) -> None:
    case = demo_run["home"].open_case("demo")
    with case.read() as session:
        entries = case.audit.entries(session, limit=500)
    actors = {row.actor for row in entries if row.action == "media.hash"}
    assert actors and "media" not in actors
    assert actors == {row.actor for row in entries if row.action == "match.run"}


def test_an_unreadable_demo_marker_is_refused_not_trusted(tmp_path: Path) -> None:
    from casegraph.demo import MARKER, prepare_workdir
    from casegraph.errors import CaseError

    (tmp_path / MARKER).write_text("not json")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "mine.txt").write_text("kept")
    with pytest.raises(CaseError, match="demo marker"):
        prepare_workdir(tmp_path, own_home=True)
    assert (tmp_path / "reports" / "mine.txt").read_text() == "kept"
