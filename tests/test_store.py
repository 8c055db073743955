"""The case store on both backends: creation, reopening, migrations, time handling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from casegraph.errors import CaseError
from casegraph.store.cases import Home, dispose_engines
from casegraph.store.db import HEAD_REVISION, head_revision
from casegraph.store.schema import Base, ChatRow, MessageRow, SourceRow


def test_created_case_reopens_with_its_settings(any_home: Home, case_name: str) -> None:
    any_home.create_case(case_name, timezone="Europe/Madrid", agency="ES")
    dispose_engines()
    case = any_home.open_case(case_name)
    assert (case.name, case.timezone, case.agency) == (case_name, "Europe/Madrid", "ES")
    assert case_name in any_home.case_names()


def test_schema_is_at_the_newest_migration_with_every_table(any_home: Home, case_name: str) -> None:
    case = any_home.create_case(case_name)
    with case.read() as session:
        revision = session.execute(text("select version_num from alembic_version")).scalar()
        tables = set(inspect(session.connection()).get_table_names())
    assert revision == head_revision()
    assert set(Base.metadata.tables) <= tables


def test_the_recorded_head_is_the_newest_migration_script() -> None:
    # a new migration must move HEAD_REVISION too, or opening a case would skip it
    assert head_revision() == HEAD_REVISION


def test_opening_a_case_at_the_head_does_not_load_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    Home(tmp_path).create_case("current")
    probe = (
        "import sys; from pathlib import Path; from casegraph.store.cases import Home; "
        f"Home(Path({str(tmp_path)!r})).open_case('current'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_case_one_revision_behind_is_brought_to_the_head_on_open(tmp_path: Path) -> None:
    from alembic import command

    from casegraph.store.db import _alembic_config, make_engine, sqlite_url

    home = Home(tmp_path)
    home.create_case("older")
    dispose_engines()
    engine = make_engine(sqlite_url(tmp_path / "cases" / "older" / "case.sqlite"))
    with engine.begin() as connection:  # as the release before the newest migration left it
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
        assert "message_sources" not in inspect(connection).get_table_names()
    engine.dispose()
    case = home.open_case("older")
    with case.read() as session:
        revision = session.execute(text("select version_num from alembic_version")).scalar()
        assert "message_sources" in inspect(session.connection()).get_table_names()
    assert revision == HEAD_REVISION


def test_a_second_case_with_the_same_name_is_refused(any_home: Home, case_name: str) -> None:
    any_home.create_case(case_name)
    with pytest.raises(CaseError, match="already exists"):
        any_home.create_case(case_name)


def test_opening_a_missing_case_names_the_fix(any_home: Home) -> None:
    with pytest.raises(CaseError, match="casegraph case create nowhere"):
        any_home.open_case("nowhere")


@pytest.mark.parametrize("bad", ["", "a b", "../up", "x" * 101, "-lead"])
def test_unsafe_case_names_are_refused(home: Home, bad: str) -> None:
    with pytest.raises(CaseError, match="not allowed"):
        home.create_case(bad)


def test_unknown_time_zone_is_refused_and_leaves_nothing(home: Home) -> None:
    with pytest.raises(CaseError, match="unknown time zone"):
        home.create_case("tz", timezone="Mars/Base")
    assert not home.case_dir("tz").exists()
    assert home.case_names() == []


def test_times_come_back_as_the_same_instant_in_utc(any_home: Home, case_name: str) -> None:
    case = any_home.create_case(case_name)
    madrid_evening = datetime(2024, 3, 1, 21, 5, 7, tzinfo=timezone(timedelta(hours=1)))
    with case.mutate("t", "source.add", "test") as session:
        source = SourceRow(
            case_id=case.id,
            sha256="a" * 64,
            md5="b" * 32,
            sha1="c" * 40,
            size=1,
            filename="x.txt",
            received_at=madrid_evening,
        )
        session.add(source)
        session.flush()
        chat = ChatRow(case_id=case.id, key="chat-1", platform="whatsapp", native_id="n")
        session.add(chat)
        session.flush()
        session.add(
            MessageRow(
                case_id=case.id,
                chat_id=chat.id,
                source_id=source.id,
                seq=1,
                sent_at=madrid_evening,
                text="hola",
            )
        )
    with case.read() as session:
        stored = session.scalars(
            select(MessageRow.sent_at).where(MessageRow.case_id == case.id)
        ).one()
    assert stored == madrid_evening
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored.hour == 20


def test_naive_times_are_refused(home: Home) -> None:
    case = home.create_case("naive")
    with pytest.raises(Exception, match="naive datetime"), case.mutate("t", "x", "y") as session:
        session.add(
            SourceRow(
                case_id=case.id,
                sha256="a" * 64,
                md5="b" * 32,
                sha1="c" * 40,
                size=1,
                filename="x",
                received_at=datetime(2024, 1, 1),
            )
        )
    with case.read() as session:
        assert session.scalars(select(SourceRow)).all() == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(home: Home) -> None:
    case = home.create_case("pragmas")
    with case.read() as session:
        assert session.execute(text("pragma journal_mode")).scalar() == "wal"
        assert session.execute(text("pragma foreign_keys")).scalar() == 1


def test_failed_mutation_leaves_no_rows_and_no_audit_entry(any_home: Home, case_name: str) -> None:
    case = any_home.create_case(case_name)
    with pytest.raises(RuntimeError), case.mutate("t", "source.add", "x") as session:
        session.add(
            SourceRow(
                case_id=case.id,
                sha256="d" * 64,
                md5="e" * 32,
                sha1="f" * 40,
                size=1,
                filename="x",
                received_at=datetime.now(UTC),
            )
        )
        session.flush()
        raise RuntimeError("disk full")
    with case.read() as session:
        assert session.scalars(select(SourceRow).where(SourceRow.case_id == case.id)).all() == []
        assert case.audit.count(session) == 1  # only case.create
        assert case.audit.verify(session) == []


def test_unreachable_postgresql_is_one_clear_error(tmp_path: Path) -> None:
    home = Home(tmp_path / "h", db_url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(CaseError, match=r"cannot reach database .* check --db-url"):
        home.create_case("x")


def test_migrations_build_exactly_the_models_tables(any_home: Home, case_name: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    case = any_home.create_case(case_name)
    with case.read() as session:
        context = MigrationContext.configure(session.connection())
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
