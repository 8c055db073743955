"""The floors under `casegraph ingest`: what the CLI costs with no messages, and the store's
own insert of ready-made rows. A target below the sum of the two cannot be met by any parser.

- start-up: `casegraph ingest` of a three-message export into a fresh case, as a CLI process
  (interpreter, imports, opening the case and its database, evidence copy, audit entry, commit);
- bare insert: the rows of the input, parsed beforehand and already in the sink's form, written
  through `MessageSink` (SQLite executemany with the index rebuild, or PostgreSQL COPY) in one
  transaction with its commit, in this process: no parse, no digest, no accounts.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TINY_EXPORT = (
    "13/03/2024, 10:00 - Ana: hola\n"
    "13/03/2024, 10:01 - Bea: buenas\n"
    "13/03/2024, 10:02 - Ana: nos vemos\n"
)

Runner = Callable[..., tuple[float, float]]


def _fresh_case(workdir: Path, db_url: str | None, run: Runner) -> tuple[Path, dict[str, str]]:
    home = Path(tempfile.mkdtemp(dir=workdir))
    env = dict(os.environ, CASEGRAPH_HOME=str(home))
    if db_url:
        env["CASEGRAPH_DB_URL"] = db_url
    run("case", "create", "bench", "--timezone", "Europe/Madrid", "--agency", "ES", env=env)
    return home, env


def _ingest_tiny(workdir: Path, env: dict[str, str], run: Runner) -> float:
    """Wall seconds of a CLI ingest of the three-message export."""
    tiny = workdir / "WhatsApp Chat with Floor.txt"
    tiny.write_text(TINY_EXPORT, encoding="utf-8")
    seconds, _ = run("ingest", "bench", str(tiny), "--captured-by", "bench", env=env)
    return seconds


def startup_seconds(workdir: Path, db_url: str | None, run: Runner) -> float:
    """Wall seconds of a CLI ingest of three messages into a fresh case."""
    _, env = _fresh_case(workdir, db_url, run)
    return _ingest_tiny(workdir, env, run)


def ready_rows(path: Path) -> list[tuple[Any, ...]]:
    """The input's messages in the sink's row form (author left out: no account rows)."""
    from casegraph.ingest.whatsapp import parse_whatsapp_bulk

    parsed = parse_whatsapp_bulk(
        lambda: path.open("rb"), file_name=path.name, tz=ZoneInfo("Europe/Madrid")
    )
    return [
        (row[0] + 10, row[1], None, *row[3:]) for row in parsed.records if isinstance(row, tuple)
    ]


def bare_insert_seconds(
    rows: list[tuple[Any, ...]], workdir: Path, db_url: str | None, run: Runner
) -> float:
    """Seconds to write `rows` through the store's sink in one committed transaction."""
    from sqlalchemy import select

    from casegraph.store.cases import Home
    from casegraph.store.ingest_bulk import BATCH, MessageSink
    from casegraph.store.schema import ChatRow, SourceRow

    home, env = _fresh_case(workdir, db_url, run)
    _ingest_tiny(workdir, env, run)  # gives the rows a chat and a source
    case = Home(home, db_url).open_case("bench")
    start = time.perf_counter()
    with case.mutate("bench", "bench.floor", "floor") as session:
        chat_id = session.scalar(select(ChatRow.id).where(ChatRow.case_id == case.id))
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.case_id == case.id))
        assert chat_id is not None and source_id is not None
        sink = MessageSink(session, case.id, chat_id, source_id)
        for first in range(0, len(rows), BATCH):
            sink.write(list(rows[first : first + BATCH]))
        sink.close()
    return time.perf_counter() - start


def pg_copy_breakdown(
    rows: list[tuple[Any, ...]], workdir: Path, schema_url: str, run: Runner
) -> dict[str, float]:
    """COPY of `rows` into copies of the store's `messages` table without its foreign keys:
    with its indexes, and bare. Against the sink's floor this splits PostgreSQL's insert cost
    into per-row foreign-key checks, index upkeep and the COPY itself."""
    import psycopg

    from casegraph.store.ingest_bulk import MESSAGE_COLUMNS

    _fresh_case(workdir, schema_url, run)  # the store's migrations create `messages` here
    columns = ", ".join(("case_id", "chat_id", "source_id", *MESSAGE_COLUMNS))
    seconds: dict[str, float] = {}
    with psycopg.connect(schema_url) as connection:
        for table, label, parts in (
            (
                "floor_indexed",
                "no foreign keys, indexes kept",
                "INCLUDING DEFAULTS INCLUDING INDEXES",
            ),
            ("floor_bare", "no foreign keys, no indexes", "INCLUDING DEFAULTS"),
        ):
            connection.execute(f"CREATE TABLE {table} (LIKE messages {parts})")
            connection.commit()
            start = time.perf_counter()
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row((1, 1, 1, row[0], row[1] + "+00", *row[2:]))
            connection.commit()
            seconds[label] = time.perf_counter() - start
    return seconds
