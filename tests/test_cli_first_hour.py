"""The command line in a newcomer's first hour: fast start, global options anywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casegraph.cli import app, hoist_global_options

HEAVY = ("sqlalchemy", "alembic", "casegraph.store", "casegraph.analysis", "numpy")


def _modules_loaded_by(*args: str) -> set[str]:
    """Top-level module names a fresh interpreter has loaded after running the CLI with args."""
    script = (
        "import sys\n"
        "from casegraph.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(done.stderr.split())


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("case", "--help")])
def test_version_and_help_import_no_database_code(args: tuple[str, ...]) -> None:
    loaded = _modules_loaded_by(*args)
    assert not [m for m in loaded if m.startswith(HEAVY)]


def test_verbs_still_load_the_store_when_they_run(tmp_path: Path) -> None:
    loaded = _modules_loaded_by("--home", str(tmp_path), "case", "list")
    assert "sqlalchemy" in loaded


def test_home_is_accepted_after_the_verb(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["case", "create", "late", "--home", str(tmp_path / "h")])
    assert created.exit_code == 0, created.output
    assert (tmp_path / "h" / "cases" / "late" / "case.sqlite").is_file()
    listed = runner.invoke(app, ["case", "list", f"--home={tmp_path / 'h'}"])
    assert listed.stdout.split() == ["late"]


def test_home_after_a_top_level_verb_and_its_arguments(tmp_path: Path) -> None:
    runner = CliRunner()
    home = str(tmp_path / "h")
    runner.invoke(app, ["--home", home, "case", "create", "op"])
    shown = runner.invoke(app, ["audit", "verify", "op", "--home", home])
    assert shown.exit_code == 0 and "chain intact" in shown.stdout


@pytest.mark.postgres
def test_db_url_is_accepted_after_the_verb(pg_url: str, tmp_path: Path, case_name: str) -> None:
    runner = CliRunner()
    home = str(tmp_path / "h")
    created = runner.invoke(app, ["case", "create", case_name, "--home", home, "--db-url", pg_url])
    assert created.exit_code == 0 and "(postgresql)" in created.stdout
    assert not (tmp_path / "h" / "cases" / case_name / "case.sqlite").exists()


def test_hoisting_moves_only_global_options_and_stops_at_double_dash() -> None:
    args = ["ingest", "op", "a.txt", "--home", "H", "--db-url=U", "--", "--home", "x"]
    assert hoist_global_options(args) == [
        "--home",
        "H",
        "--db-url=U",
        "ingest",
        "op",
        "a.txt",
        "--",
        "--home",
        "x",
    ]


def test_a_trailing_home_without_value_is_left_for_click_to_refuse() -> None:
    assert hoist_global_options(["case", "list", "--home"]) == ["case", "list", "--home"]


def test_match_on_an_empty_case_says_there_is_nothing_to_match(tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(tmp_path / "h")]
    runner.invoke(app, [*home, "case", "create", "empty"])
    done = runner.invoke(app, [*home, "match", "empty"])
    assert done.exit_code == 0
    assert "nothing to match" in done.stdout and "casegraph ingest empty" in done.stdout
    audit = runner.invoke(app, [*home, "audit", "show", "empty", "--json"]).stdout
    assert "match.run" not in audit and "media.hash" not in audit


def test_analyze_on_an_empty_case_says_there_is_nothing_to_analyze(tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(tmp_path / "h")]
    runner.invoke(app, [*home, "case", "create", "empty"])
    done = runner.invoke(app, [*home, "analyze", "empty"])
    assert done.exit_code == 0
    assert "nothing to analyze" in done.stdout and "casegraph ingest empty" in done.stdout
