"""Migrations, URLs and SQLite settings of the server storage."""

from __future__ import annotations

import argparse
import importlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from server_storage_support import fresh_postgres_database, postgres_available

from openwer.errors import InvalidArgumentError, StoreError
from openwer.server.storage import migrate_storage, open_repository
from openwer.server.storage.database import (
    MIGRATIONS_DIR,
    create_engines,
    migrate,
    resolve_url,
)
from openwer.server.storage.schema import metadata

# Imported by package name when the tests are collected: alembic later loads the same file under
# a synthetic module name, and coverage keeps the first decision it makes about a file.
INITIAL_REVISION = importlib.import_module(
    "openwer.server.storage.migrations.versions.0001_initial_schema"
)
REVISIONS = (
    INITIAL_REVISION,
    importlib.import_module("openwer.server.storage.migrations.versions.0002_dashboard"),
)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this module."""
    reason = postgres_available()
    if reason is not None:
        pytest.skip(reason)
    with fresh_postgres_database() as url:
        yield url


def _schema_drift(url: str) -> list[object]:
    engines = create_engines(resolve_url(url))
    try:
        with engines.writer.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engines.dispose()


def test_sqlite_migrations_build_exactly_the_schema(tmp_path: Path) -> None:
    """After migrating, SQLite's schema equals schema.py; a second run changes nothing."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    migrate_storage(url)
    migrate_storage(url)
    assert _schema_drift(url) == []
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        head = REVISIONS[-1].revision
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]


def test_postgres_migrations_build_exactly_the_schema_concurrently(pg_url: str) -> None:
    """Three servers starting at once on one database migrate it once, to schema.py."""
    errors: list[BaseException] = []

    def start() -> None:
        try:
            migrate_storage(pg_url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _schema_drift(pg_url) == []


def test_downgrade_then_upgrade(tmp_path: Path) -> None:
    """The initial revision can be undone and redone (for developers)."""
    engines = create_engines(resolve_url(f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    migrate(engines)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engines.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    with engines.writer.connect() as connection:
        names = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
        assert {row[0] for row in names} == {"alembic_version"}
    migrate(engines)
    engines.dispose()
    assert _schema_drift(f"sqlite:///{tmp_path / 'db.sqlite3'}") == []


def test_revision_applies_and_reverts_on_its_own(tmp_path: Path) -> None:
    """The revisions, run directly in order, create exactly the schema and drop it again."""
    engines = create_engines(resolve_url(f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    with (
        engines.writer.begin() as connection,
        Operations.context(MigrationContext.configure(connection)),
    ):
        for revision in REVISIONS:
            revision.upgrade()
    engines.dispose()
    assert _schema_drift(f"sqlite:///{tmp_path / 'db.sqlite3'}") == []
    with (
        engines.writer.begin() as connection,
        Operations.context(MigrationContext.configure(connection)),
    ):
        for revision in reversed(REVISIONS):
            revision.downgrade()
    with engines.writer.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() == 0
    engines.dispose()


def test_alembic_command_line_environment(tmp_path: Path) -> None:
    """Developers can drive the migrations with alembic and -x url=… (no ini file)."""
    config = Config(cmd_opts=argparse.Namespace(x=[f"url=sqlite:///{tmp_path / 'cli.db'}"]))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    command.upgrade(config, "head")
    assert _schema_drift(f"sqlite:///{tmp_path / 'cli.db'}") == []
    command.upgrade(config, "head", sql=True)  # offline: prints the SQL
    bare = Config(cmd_opts=argparse.Namespace(x=[]))
    bare.set_main_option("script_location", str(MIGRATIONS_DIR))
    with pytest.raises(SystemExit, match="give the database"):
        command.upgrade(bare, "head")


def test_sqlite_is_durable_wal_with_foreign_keys(tmp_path: Path) -> None:
    """Every connection runs WAL, synchronous=FULL, foreign keys on, a busy timeout."""
    engines = create_engines(resolve_url("sqlite:///x.db", tmp_path))
    for engine in (engines.writer, engines.reader):
        with engine.connect() as connection:

            def pragma(name: str, conn: object = connection) -> object:
                return conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # type: ignore[attr-defined]

            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 30000
    engines.dispose()


def test_urls_resolve_or_are_refused(tmp_path: Path) -> None:
    """SQLite paths land under the data folder; postgres URLs use psycopg; others refused."""
    default = resolve_url(None, tmp_path)
    assert default.database == str(tmp_path / "openwer.sqlite3")
    assert resolve_url("sqlite:///sub/x.db", tmp_path).database == str(tmp_path / "sub/x.db")
    assert resolve_url("sqlite:////abs/x.db", tmp_path).database == "/abs/x.db"
    pg = resolve_url("postgres://u@h:5433/db")
    assert (pg.drivername, pg.host, pg.port, pg.database) == ("postgresql+psycopg", "h", 5433, "db")
    for bad in ("mysql://h/db", "sqlite://", "sqlite:///:memory:", "sqlite+aiosqlite:///x", "::"):
        with pytest.raises(InvalidArgumentError):
            resolve_url(bad, tmp_path)


def test_default_storage_lives_in_the_server_data_folder(openwer_home: Path) -> None:
    """Without a URL or folder the database is $OPENWER_HOME/server/openwer.sqlite3."""
    repository = open_repository()
    repository.create_product("p")
    repository.close()
    assert (openwer_home / "server" / "openwer.sqlite3").is_file()


def test_secrets_are_stored_only_as_hashes(tmp_path: Path) -> None:
    """Neither an ingest key nor an admin token appears in the database file."""
    repository = open_repository("sqlite:///db.sqlite3", tmp_path)
    product = repository.create_product("p")
    secrets = [repository.create_ingest_key(product.id).secret]
    secrets.append(repository.create_admin_token("ops").secret)
    repository.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("db.sqlite3"))
    for secret in secrets:
        assert secret.encode() not in raw


def test_unusable_storage_is_a_store_error(tmp_path: Path) -> None:
    """A database that cannot be opened raises StoreError, never a driver exception."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        open_repository("sqlite:///file/sub/db.sqlite3", tmp_path)
    with pytest.raises(StoreError):
        open_repository("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        open_repository(f"sqlite:///{damaged}")
