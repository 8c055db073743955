"""The command line as a new user meets it: verbs, the home, one-line errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from casegraph import __version__
from casegraph.store.cases import Home

Cli = Callable[..., tuple[int, str, str]]


def test_version_is_printed(run_cli: Cli) -> None:
    assert run_cli("--version")[1].strip() == f"casegraph {__version__}"


def test_case_create_then_list_and_show(run_cli: Cli) -> None:
    code, out, _ = run_cli("case", "create", "op-sticker", "--timezone", "Europe/Madrid")
    assert code == 0 and "created case op-sticker" in out
    assert run_cli("case", "list")[1].split() == ["op-sticker"]
    code, out, _ = run_cli("case", "show", "op-sticker")
    assert code == 0 and "Europe/Madrid" in out and "audit entries" in out


def test_listing_an_empty_home_says_how_to_start(run_cli: Cli) -> None:
    assert "casegraph case create NAME" in run_cli("case", "list")[1]


def test_errors_are_one_line_with_exit_code_2(run_cli: Cli) -> None:
    code, out, err = run_cli("case", "show", "missing-case")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0
    assert err.startswith("error: no case 'missing-case'")
    assert "casegraph case create missing-case" in err


def test_a_failed_create_leaves_the_home_as_it_was(run_cli: Cli, home: Home) -> None:
    run_cli("case", "create", "kept")
    before = sorted(p.relative_to(home.root) for p in home.root.rglob("*"))
    code, _, err = run_cli("case", "create", "broken", "--timezone", "Nowhere/Town")
    assert code == 2 and "Europe/Madrid" in err
    after = sorted(p.relative_to(home.root) for p in home.root.rglob("*"))
    assert after == before


def test_report_json_follows_the_contract(run_cli: Cli) -> None:
    run_cli("case", "create", "contract", "--timezone", "America/Mexico_City")
    code, out, _ = run_cli("report", "contract", "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert report["case"]["name"] == "contract"
    assert report["case"]["timezone"] == "America/Mexico_City"
    for section in ("sources", "chats", "accounts", "persons", "key_actors", "media", "matches"):
        assert report[section] == []


def test_report_out_writes_the_file_and_audits_the_export(run_cli: Cli, tmp_path: Path) -> None:
    run_cli("case", "create", "exported")
    target = tmp_path / "reports" / "exported.json"
    code, out, _ = run_cli("report", "exported", "--out", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["case"]["name"] == "exported"
    code, out, _ = run_cli("audit", "show", "exported", "--json")
    assert [json.loads(line)["action"] for line in out.splitlines()] == [
        "case.create",
        "report.export",
    ]


def test_unknown_report_format_is_refused(run_cli: Cli) -> None:
    run_cli("case", "create", "fmt")
    code, _, err = run_cli("report", "fmt", "--format", "pdf")
    assert code == 2 and "--format json" in err


def test_casegraph_home_environment_variable_is_honoured(tmp_path: Path) -> None:
    env = {**os.environ, "CASEGRAPH_HOME": str(tmp_path / "elsewhere")}
    command = [sys.executable, "-m", "casegraph.cli"]
    subprocess.run([*command, "case", "create", "viaenv"], env=env, check=True, capture_output=True)
    assert (tmp_path / "elsewhere" / "cases" / "viaenv" / "case.sqlite").is_file()
    listed = subprocess.run([*command, "case", "list"], env=env, capture_output=True, text=True)
    assert listed.stdout.split() == ["viaenv"]


@pytest.mark.postgres
def test_db_url_puts_the_case_in_postgresql(pg_url: str, tmp_path: Path, case_name: str) -> None:
    from typer.testing import CliRunner

    from casegraph.cli import app

    base = ["--home", str(tmp_path / "h"), "--db-url", pg_url]
    runner = CliRunner()
    created = runner.invoke(app, [*base, "case", "create", case_name])
    assert created.exit_code == 0 and "(postgresql)" in created.stdout
    assert not (tmp_path / "h" / "cases" / case_name / "case.sqlite").exists()
    assert case_name in runner.invoke(app, [*base, "case", "list"]).stdout.split()
    assert runner.invoke(app, [*base, "audit", "verify", case_name]).exit_code == 0
