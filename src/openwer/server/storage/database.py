"""Storage URLs, engines and migrations.

URLs: ``sqlite:///relative/or/absolute/path`` (relative paths are under the data folder; the
default is ``<data folder>/openwer.sqlite3``) and ``postgresql://user@host/db`` (also
``postgres://``; driven by psycopg 3). Anything else is refused.

SQLite is opened in WAL mode with ``synchronous=FULL``: a commit is on disk (the WAL is fsynced)
before it returns, which is what "durable before acknowledged" needs; group commit makes that one
fsync per batch, so FULL costs little (``NORMAL`` would only be safe against a process kill,
not against a power cut). Foreign keys are on, the busy timeout is 30 s, and transactions are
begun by us: ``BEGIN IMMEDIATE`` on the writer engine, so a writer takes the write lock up
front and a read-then-write transaction never fails to upgrade its lock; a plain ``BEGIN`` on
the reader engine, so a read sees one snapshot (WAL readers never block the writer).

:func:`migrate` runs the alembic migrations shipped in ``migrations/`` (no ``alembic.ini``);
concurrent starts are serialized (an advisory lock on PostgreSQL, the write lock on SQLite), so
several ``openwer serve`` processes may start at once. Thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from openwer.errors import InvalidArgumentError, StoreError

__all__ = ["DEFAULT_SQLITE_NAME", "Engines", "create_engines", "migrate", "resolve_url"]

DEFAULT_SQLITE_NAME = "openwer.sqlite3"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_KEY = 0x0E_0E_5E_0E  # pg_advisory_xact_lock key of openwer's migrations
_SQLITE_BUSY_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Engines:
    """The engines of one database: ``writer`` for transactions that write, ``reader`` for
    read-only ones (the same engine on PostgreSQL)."""

    writer: Engine
    reader: Engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.writer.dialect.name

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def resolve_url(url: str | None, data_dir: Path | None = None) -> URL:
    """The SQLAlchemy URL of a storage URL (see the module docstring)."""
    if url is None or url == "":
        url = f"sqlite:///{DEFAULT_SQLITE_NAME}"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidArgumentError(f"not a storage URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
            raise InvalidArgumentError(f"unsupported SQLite driver in {url!r}")
        if not parsed.database or parsed.database == ":memory:":
            raise InvalidArgumentError("a SQLite storage URL needs a file: sqlite:///path")
        path = Path(parsed.database)
        if not path.is_absolute():
            path = (data_dir or Path.cwd()) / path
        return parsed.set(drivername="sqlite+pysqlite", database=str(path))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    raise InvalidArgumentError(f"unsupported storage URL {url!r}: use sqlite:/// or postgresql://")


def create_engines(url: URL) -> Engines:
    """Engines for ``url`` (from :func:`resolve_url`); SQLite's folder is created."""
    try:
        if url.get_backend_name() == "sqlite":
            assert url.database is not None
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            return Engines(_sqlite_engine(url, "BEGIN IMMEDIATE"), _sqlite_engine(url, "BEGIN"))
        engine = create_engine(
            url, pool_size=8, max_overflow=8, pool_pre_ping=True, pool_recycle=1800
        )
        return Engines(engine, engine)
    except (OSError, SQLAlchemyError) as exc:
        raise StoreError(f"cannot open storage {url.render_as_string()}: {exc}") from exc


def _sqlite_engine(url: URL, begin: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        pool_size=4,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see docstring)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def migrate(engines: Engines) -> None:
    """Bring the database to the newest schema; safe to call from several processes at once."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    try:
        with engines.writer.begin() as connection:
            if engines.dialect == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the storage schema: {exc}") from exc
