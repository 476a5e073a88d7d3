"""The parts one running app shares, reachable from every route through ``request``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from starlette.requests import Request

from openwer.server.auth import RequestAuthenticator
from openwer.server.blobs import BlobStore
from openwer.server.config import ServerConfig
from openwer.server.ingest_service import IngestService
from openwer.server.retention import RetentionSchedule
from openwer.server.storage import IngestBatcher, Repository

__all__ = ["Services", "services_of"]


@dataclass(frozen=True, slots=True)
class Services:
    """Built by ``create_app``; closed by its lifespan (retention, batcher, repository, blob
    store). ``auth`` is rate-limited when the configuration says so."""

    config: ServerConfig
    repository: Repository
    batcher: IngestBatcher
    blobs: BlobStore
    auth: RequestAuthenticator
    ingest: IngestService
    retention: RetentionSchedule


def services_of(request: Request) -> Services:
    """The :class:`Services` of the app serving ``request``."""
    return cast(Services, request.app.state.services)
