"""Helpers of the server storage tests: stage 1 requests, a settable clock, PostgreSQL databases,
and the repositories of every backend.

PostgreSQL tests use the real server on 127.0.0.1:5432 (trust auth, user postgres): each test
session creates a fresh database ``openwer_test_<random>`` and drops it at the end. When the
server is down, :func:`postgres_available` tries to start the cluster once.

Test modules keep their fixtures (scope and params stay visible where they are used) and build
them with :func:`migrated_postgres_url` and :func:`backend_repository`: a fixture imported from
here would look unused to the linters, and a conftest per folder would break mypy's module names.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openwer.formats.protocol import SignatureParameter, Stage1Request
from openwer.server.storage import (
    MemoryRepository,
    Repository,
    SqlRepository,
    migrate_storage,
    open_repository,
)
from openwer.types import ConsentLevel

__all__ = [
    "BACKENDS",
    "BASE_TIME",
    "PG_SERVER",
    "FakeClock",
    "backend_repository",
    "fresh_postgres_database",
    "migrated_postgres_url",
    "open_backend",
    "open_sql_backend",
    "postgres_available",
    "report_id",
    "stage1",
    "truncate_postgres",
]

BASE_TIME = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PG_SERVER = os.environ.get("OPENWER_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
BACKENDS = ("memory", "sqlite", "postgresql")
_TABLES = (
    "report_files, solutions, reports, bucket_hits, ingest_keys, buckets, products, admin_tokens,"
    " report_packages, dashboard_sessions, user_products, users"
)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = BASE_TIME) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        """Move the clock forward (``timedelta`` keywords)."""
        self.now += timedelta(**kwargs)


def report_id(number: int) -> str:
    """A deterministic report id."""
    return str(uuid.UUID(int=number))


def stage1(
    number: int | str,
    *,
    module: str = "mod.py",
    event_type: str = "APPCRASH",
    version: str = "1.0",
    consent: ConsentLevel = ConsentLevel.ALL_DATA,
    product: str | None = None,
    app_version: str | None = None,
    os_name: str | None = None,
) -> Stage1Request:
    """A stage 1 request: ``module`` (P2) picks the bucket, ``version`` is P1."""
    rid = report_id(number) if isinstance(number, int) else number
    dynamic = () if os_name is None else (SignatureParameter("OS Version", os_name),)
    return Stage1Request(
        report_id=rid,
        event_type=event_type,
        report_type=2,
        signature=(
            SignatureParameter("Application Name", "demo"),
            SignatureParameter("Application Version", version),
            SignatureParameter("Fault Module Name", module),
        ),
        dynamic_signature=dynamic,
        consent=consent,
        product=product,
        app_version=app_version,
    )


def postgres_available() -> str | None:
    """``None`` when PostgreSQL can be reached (starting it if needed), else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
        return None
    except psycopg.OperationalError:
        pass
    try:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"],
            check=False,
            capture_output=True,
            timeout=30,
        )
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
        return None
    except (OSError, subprocess.SubprocessError, psycopg.OperationalError) as exc:
        return f"PostgreSQL at {PG_SERVER} cannot be reached or started: {exc}"


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new empty database for this session; dropped afterwards. Yields its URL."""
    import psycopg

    name = f"openwer_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated_postgres_url() -> Iterator[str]:
    """The body of a module's ``pg_url`` fixture: a fresh migrated PostgreSQL database, dropped
    afterwards (skips the tests that use it when PostgreSQL cannot be reached)."""
    reason = postgres_available()
    if reason is not None:
        pytest.skip(reason)
    with fresh_postgres_database() as url:
        migrate_storage(url)
        yield url


def truncate_postgres(url: str) -> None:
    """Empty every storage table (ids restart), keeping the schema."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE")


def open_backend(
    kind: str, tmp_path: Path, clock: FakeClock, pg_url: Callable[[], str]
) -> Repository:
    """A fresh, empty repository of ``kind`` (one of :data:`BACKENDS`)."""
    if kind == "memory":
        return MemoryRepository(clock=clock)
    return open_sql_backend(kind, tmp_path, clock, pg_url)


def open_sql_backend(
    kind: str, tmp_path: Path, clock: FakeClock, pg_url: Callable[[], str]
) -> SqlRepository:
    """A fresh, empty SQL repository: ``kind`` is ``"sqlite"`` or ``"postgresql"`` (the
    database ``pg_url()``, emptied)."""
    if kind == "sqlite":
        return open_repository("sqlite:///storage.sqlite3", tmp_path, clock=clock)
    url = pg_url()
    truncate_postgres(url)
    return open_repository(url, clock=clock, run_migrations=False)


def backend_repository(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[Repository]:
    """The body of a ``repo`` fixture parametrized over :data:`BACKENDS`: the backend
    ``request.param``, empty, closed afterwards (PostgreSQL from the module's ``pg_url``)."""
    repository = open_backend(
        request.param, tmp_path, clock, lambda: request.getfixturevalue("pg_url")
    )
    yield repository
    repository.close()
