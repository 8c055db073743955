"""The README's tour runs as written, command by command, in an empty folder.

Every fenced `sh` block of README.md is run verbatim by bash (`set -ex`, so the failing
command is the last one traced). The one long-running verb, `casegraph serve`, is started on
its own with a free port in place of the README's, a page is fetched, and it is stopped.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
LONG_RUNNING = ("casegraph serve",)
TOUR_PASSWORD = "tour-password-1\n"  # `user add` asks twice


def tour_commands(readme: str) -> list[str]:
    """The command lines of every ```sh block, comments and blank lines left out."""
    blocks = re.findall(r"^```sh\n(.*?)^```", readme, flags=re.S | re.M)
    lines = [line for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _venv_activation(folder: Path) -> None:
    """`.venv` in the tour folder: the environment running the tests, as `make install` built."""
    if sys.prefix != sys.base_prefix:
        (folder / ".venv").symlink_to(sys.prefix)
    else:  # not in a virtual environment: put this interpreter's scripts first, as activate does
        activate = folder / ".venv" / "bin" / "activate"
        activate.parent.mkdir(parents=True)
        activate.write_text(f'export PATH="{Path(sys.executable).parent}:$PATH"\n')


def _environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEGRAPH_", "VIRTUAL_ENV"))}
    env["HOME"] = str(folder)
    env["PATH"] = f"{folder / '.venv' / 'bin'}:{env.get('PATH', '')}"
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_readme_has_a_tour_with_the_verbs_it_promises() -> None:
    commands = tour_commands(README.read_text(encoding="utf-8"))
    joined = "\n".join(commands)
    for verb in ("person facts", "keys generate", "refer", "import-referral", "user add"):
        assert f"casegraph {verb}" in joined or f" {verb} " in joined
    facts = next(i for i, c in enumerate(commands) if "person facts" in c)
    assert "casegraph analyze" in commands[facts + 1]  # facts apply from the next analyze


def test_the_readme_tour_runs_verbatim(tmp_path: Path) -> None:
    commands = tour_commands(README.read_text(encoding="utf-8"))
    batch = [c for c in commands if not c.startswith(LONG_RUNNING)]
    serving = [c for c in commands if c.startswith(LONG_RUNNING)]
    assert batch and serving, "the tour lost its commands"
    _venv_activation(tmp_path)
    script = tmp_path / "tour.sh"
    script.write_text("set -ex\n" + "\n".join(batch) + "\n")
    env = _environment(tmp_path)
    done = subprocess.run(
        ["bash", str(script)],
        cwd=tmp_path,
        env=env,
        input=TOUR_PASSWORD * 2,
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,  # no terminal: `user add` reads its password from stdin
    )
    assert done.returncode == 0, f"README tour failed:\n{done.stderr[-3000:]}"
    assert (tmp_path / "op.html").is_file() and (tmp_path / "op.json").is_file()
    assert "created case ref-op-sticker-ES" in done.stdout
    assert "user analyst1 (analyst)" in done.stdout

    for command in serving:
        port = _free_port()
        line = re.sub(r"--port \d+", f"--port {port}", command)
        server = subprocess.Popen(
            ["bash", "-c", f"exec {line}"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            page = _fetch_when_up(f"http://127.0.0.1:{port}/report", server)
        finally:
            os.killpg(server.pid, signal.SIGINT)  # Ctrl-C, as the README says
            server.wait(timeout=30)
        assert "casegraph" in page.lower()


def _fetch_when_up(url: str, server: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.stdout.read().decode() if server.stdout else ""
            pytest.fail(f"casegraph serve exited with {server.returncode}: {output[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body: str = response.read().decode("utf-8")
                return body
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"casegraph serve did not answer {url} within 60 s")
