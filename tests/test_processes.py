"""A killed run leaves no processes behind, and the next run cleans and reports its leftovers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from casegraph.store.cases import Home

SRC = Path(__file__).resolve().parent.parent / "src"

POOL_PARENT = """
import os, sys, time
from pathlib import Path
import casegraph.media.parallel as parallel

def slow_hash(path):
    Path(sys.argv[1], str(os.getpid())).touch()
    time.sleep(120)

parallel.hash_media_file = slow_hash
parallel.map_hash_files([Path(f"m{i}") for i in range(8)], workers=2)
"""

PARSER_PARENT = """
import os, sys, time
from datetime import UTC
from pathlib import Path
from casegraph.ingest.formats import ParseRequest, chat_format
from casegraph.store.ingest_parallel import parse_in_child

def slow_open():
    Path(sys.argv[1], str(os.getpid())).touch()
    time.sleep(120)

request = ParseRequest(
    open_bytes=slow_open, file_name="chat.txt", tz=UTC, unit_name="chat.txt", container="file"
)
parse_in_child(chat_format("whatsapp"), request)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has already died


def _children_of_killed_parent(script: str, marks: Path, expected: int) -> list[int]:
    """Run `script`, wait until `expected` children marked themselves, kill -9 the parent."""
    marks.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    parent = subprocess.Popen([sys.executable, "-c", script, str(marks)], env=env)
    deadline = time.monotonic() + 60
    while len(list(marks.iterdir())) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    children = [int(p.name) for p in marks.iterdir()]
    assert len(children) >= expected, "the children never started"
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in children if _alive(pid)]


def test_hashing_workers_die_with_a_killed_match(tmp_path: Path) -> None:
    assert _children_of_killed_parent(POOL_PARENT, tmp_path / "marks", expected=2) == []


def test_the_parser_child_dies_with_a_killed_ingest(tmp_path: Path) -> None:
    assert _children_of_killed_parent(PARSER_PARENT, tmp_path / "marks", expected=1) == []


def _dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def test_partials_of_a_killed_ingest_are_reported_then_removed(
    home: Home, run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    assert run_cli("case", "create", "op")[0] == 0
    tmp = home.case_dir("op") / "evidence" / "tmp"
    tmp.mkdir(parents=True)
    partial = tmp / f"incoming-{_dead_pid()}-140001"
    partial.write_bytes(b"half a file")
    ours = tmp / f"incoming-{os.getpid()}-140002"  # a live writer's file is left alone
    ours.write_bytes(b"being written")
    code, out, _err = run_cli("evidence", "verify", "op")
    assert code == 0 and "1 partial file(s) of an interrupted run" in out.replace("\n", "")
    chat = tmp_path / "WhatsApp Chat with Harbour.txt"
    chat.write_text("13/03/24, 10:00 - Ana: hola\n", encoding="utf-8")
    code, _out, err = run_cli("ingest", "op", str(chat))
    assert code == 0
    removed = f"warning: removed 1 partial file(s) an interrupted run left in {tmp}"
    assert removed in err.replace("\n", "")  # the console wraps long lines
    assert not partial.exists() and ours.exists()
