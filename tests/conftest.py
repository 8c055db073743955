"""Shared fixtures: a fresh home per test, PostgreSQL when one answers, one synthetic operation."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from casegraph.store.cases import Home, dispose_engines
from casegraph.store.db import normalise_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
PG_REQUIRED = os.environ.get("CASEGRAPH_REQUIRE_PG") == "1"
BROWSER_REQUIRED = os.environ.get("CASEGRAPH_REQUIRE_BROWSER") == "1"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"


def _pg_base_url() -> str:
    return os.environ.get("CASEGRAPH_TEST_PG_URL", DEFAULT_PG)


def _pg_answers(url: str) -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        engine = create_engine(normalise_url(url), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a schema made for this test session alone."""
    base = _pg_base_url()
    reason = _pg_answers(base)
    if reason is not None:
        message = f"PostgreSQL at {base} does not answer ({reason}); set CASEGRAPH_TEST_PG_URL"
        if PG_REQUIRED:
            pytest.fail(message + " — CI requires the PostgreSQL tests")
        pytest.skip(message)
    schema = f"cg_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f"create schema {schema}"))
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}"
    dispose_engines()
    with admin.begin() as connection:
        connection.execute(text(f"drop schema {schema} cascade"))
    admin.dispose()


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    yield Home(tmp_path / "home")
    dispose_engines()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Home]:
    """The same test on both backends; the PostgreSQL run skips locally when none answers."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        yield Home(tmp_path / "home", db_url=url)
    else:
        yield Home(tmp_path / "home")
    dispose_engines()


@pytest.fixture
def run_cli(home: Home) -> Callable[..., tuple[int, str, str]]:
    """Runs the CLI in-process against the test's home; returns (exit code, stdout, stderr)."""
    from typer.testing import CliRunner

    from casegraph.cli import app

    def run(*args: str) -> tuple[int, str, str]:
        runner = CliRunner()
        result = runner.invoke(app, ["--home", str(home.root), *args])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture
def case_name() -> str:
    """Unique per test, since PostgreSQL cases of one session share a schema."""
    return f"op-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def synth_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from casegraph.synth import generate

    return generate(tmp_path_factory.mktemp("synth") / "op", seed=7, scale="small")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; never downloads a browser."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (make install)"
    if reason is not None:
        if BROWSER_REQUIRED:
            pytest.fail(reason + " — CI requires the browser tests")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where browser tests leave their screenshots for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(autouse=True)
def _fast_key_sealing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys made in tests use a small scrypt work factor; it is stored per file, so reading
    follows the file. test_exchange_keys checks the shipped default in a fresh process."""
    from casegraph.exchange import sealed

    monkeypatch.setattr(sealed, "SCRYPT_N", 2**10)
