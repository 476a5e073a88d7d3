"""The collection server's composition root: ``create_app(config) -> ASGI app``.

Wires the storage (opened and migrated unless one is passed in), the stage-1 group-commit
batcher, the blob store, authentication and the routes of :mod:`openwer.server.routes` into
one Starlette app, with the error translation of :mod:`openwer.server.http_errors`.

Per-key rate limits (:mod:`openwer.server.rate_limit`) wrap the authenticator when the
configuration turns them on; bundle retention (:mod:`openwer.server.retention`) runs in the
background while the lifespan runs.

Lifecycle: everything is opened by :func:`create_app`; the app's lifespan start-up starts the
retention schedule, and its shutdown stops it, then closes the batcher (which first writes what
is queued) and the repository. Run it under uvicorn (:mod:`openwer.server.serve`) or any ASGI
server that runs the lifespan; without a lifespan (httpx's ASGI transport) nothing is pruned
on a schedule, and :func:`close_app` must be called when done.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from openwer.server.auth import Authenticator
from openwer.server.blobs import BlobStore, open_blob_store
from openwer.server.config import ServerConfig
from openwer.server.dashboard import dashboard_routes
from openwer.server.http_errors import EXCEPTION_HANDLERS
from openwer.server.ingest_service import IngestService
from openwer.server.rate_limit import rate_limited
from openwer.server.retention import BundlePruner, RetentionPolicy, RetentionSchedule
from openwer.server.routes import admin, health, ingest, mscer2, queries
from openwer.server.services import Services
from openwer.server.storage import IngestBatcher, Repository, open_repository

__all__ = ["close_app", "create_app"]


def create_app(
    config: ServerConfig, repository: Repository | None = None, blobs: BlobStore | None = None
) -> Starlette:
    """Build the server app for ``config``.

    Args:
        config: the server configuration.
        repository: the storage to use (tests pass a ``MemoryRepository``); ``None`` opens
            ``config.database`` under ``config.data_dir`` and runs its migrations.
        blobs: where bundles go; ``None`` opens ``config.blobs`` (``<data_dir>/blobs`` by
            default) with :func:`~openwer.server.blobs.open_blob_store`.

    Raises:
        StoreError, InvalidArgumentError, AccessDeniedError: the storage or the blob store
            cannot be opened (or migrated).
    """
    from openwer.server import openapi

    if repository is None:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        repository = open_repository(config.database, config.data_dir)
    if blobs is None:
        blobs = open_blob_store(config.blobs, config.data_dir)
    batcher = IngestBatcher(repository)
    services = Services(
        config=config,
        repository=repository,
        batcher=batcher,
        blobs=blobs,
        auth=rate_limited(Authenticator(repository, repository), config),
        ingest=IngestService(
            batcher,
            blobs,
            max_bundle_bytes=config.max_bundle_bytes,
        ),
        retention=RetentionSchedule(
            BundlePruner(repository, blobs, RetentionPolicy.from_config(config)),
            config.retention_interval_seconds,
        ),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services.retention.start()
        try:
            yield
        finally:
            # Retention first: a pass in progress still uses the storage and the blob store.
            try:
                await services.retention.stop()
            finally:
                await asyncio.to_thread(close_app, app)

    routes: list[BaseRoute] = [
        *health.routes(),
        *ingest.routes(),
        *queries.routes(),
        *admin.routes(),
        *mscer2.routes(),
        *openapi.routes(),
        *dashboard_routes(repository, blobs),  # the pages; none over non-SQL storage
    ]
    app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
    app.state.services = services
    return app


def close_app(app: Starlette) -> None:
    """Write what the batcher holds, then close the storage and the blob store. Idempotent;
    blocks. (A retention pass still running is asked to stop; the lifespan waits for it.)"""
    services: Services = app.state.services
    services.retention.request_stop()
    services.batcher.close()
    services.repository.close()
    services.blobs.close()
