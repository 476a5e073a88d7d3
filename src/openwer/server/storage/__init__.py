"""The collection server's relational storage: buckets, hits, reports, data requests, solutions.

Open it with :func:`open_repository` (``sqlite:///path``, the default under the server's data
folder, or ``postgresql://…``); migrations run first. The ASGI layer ingests stage 1 through
:class:`IngestBatcher` (group commit: many reports, one transaction, each acknowledged only
after the commit) and calls the other methods from worker threads. :class:`MemoryRepository` is
the fake for unit tests. The Protocols in :mod:`.protocols` state lifecycle, failure contract
and thread safety.
"""

from __future__ import annotations

from pathlib import Path

from openwer.server.storage.batcher import IngestBatcher
from openwer.server.storage.clock import Clock, utc_now
from openwer.server.storage.database import create_engines, migrate, resolve_url
from openwer.server.storage.memory import MemoryRepository
from openwer.server.storage.model import (
    BucketQuery,
    BucketRef,
    BucketSort,
    BucketStatus,
    BundleOutcome,
    BundleResult,
    BundleState,
    BundleUpload,
    DataPolicy,
    IssuedSecret,
    PrunedBundle,
    ReportFile,
    Scope,
    Stage1Item,
    Stage1Outcome,
    Stage1Status,
)
from openwer.server.storage.protocols import (
    AdminRepository,
    IngestRepository,
    QueryRepository,
    Repository,
)
from openwer.server.storage.rows import (
    AdminTokenRow,
    BucketDetail,
    BucketPage,
    BucketRow,
    BucketSummary,
    DayCount,
    IngestKeyRow,
    ProductRow,
    ReportRow,
    SolutionRow,
    ValueCount,
)
from openwer.server.storage.sql_repository import SqlRepository

__all__ = [
    "AdminRepository",
    "AdminTokenRow",
    "BucketDetail",
    "BucketPage",
    "BucketQuery",
    "BucketRef",
    "BucketRow",
    "BucketSort",
    "BucketStatus",
    "BucketSummary",
    "BundleOutcome",
    "BundleResult",
    "BundleState",
    "BundleUpload",
    "Clock",
    "DataPolicy",
    "DayCount",
    "IngestBatcher",
    "IngestKeyRow",
    "IngestRepository",
    "IssuedSecret",
    "MemoryRepository",
    "ProductRow",
    "PrunedBundle",
    "QueryRepository",
    "ReportFile",
    "ReportRow",
    "Repository",
    "Scope",
    "SolutionRow",
    "SqlRepository",
    "Stage1Item",
    "Stage1Outcome",
    "Stage1Status",
    "ValueCount",
    "migrate_storage",
    "open_repository",
    "utc_now",
]


def open_repository(
    url: str | None = None,
    data_dir: Path | None = None,
    *,
    clock: Clock = utc_now,
    run_migrations: bool = True,
) -> SqlRepository:
    """Open the storage at ``url`` and bring its schema up to date.

    Args:
        url: ``sqlite:///path`` or ``postgresql://…``; ``None`` means
            ``sqlite:///openwer.sqlite3`` under ``data_dir``.
        data_dir: Where relative SQLite paths live; ``None`` means the server data folder of
            :func:`openwer.settings.paths.resolve_paths` (``$OPENWER_HOME/server``…).
        clock: The time source (tests pass a fixed one).
        run_migrations: ``False`` only when another step migrates (see :func:`migrate_storage`).

    Raises:
        InvalidArgumentError: The URL is not a supported storage URL.
        StoreError: The database cannot be opened or migrated.
    """
    engines = create_engines(resolve_url(url, data_dir or _default_data_dir()))
    try:
        if run_migrations:
            migrate(engines)
    except BaseException:
        engines.dispose()
        raise
    return SqlRepository(engines, clock)


def migrate_storage(url: str | None = None, data_dir: Path | None = None) -> None:
    """Run the migrations of the storage at ``url`` and close it (for ``openwer serve``)."""
    engines = create_engines(resolve_url(url, data_dir or _default_data_dir()))
    try:
        migrate(engines)
    finally:
        engines.dispose()


def _default_data_dir() -> Path:
    from openwer.settings.paths import resolve_paths

    return resolve_paths().server_data_dir
