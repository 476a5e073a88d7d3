"""The parts every dashboard page shares, built once per app by :func:`build_dashboard`.

Lifecycle: made by the app's composition root from the storage and blob store it already
opened; it opens nothing of its own (the SQL user store and reads run on the repository's
engines), so the app's shutdown closes everything. Thread safety: frozen; its parts are each
thread-safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from openwer.server.blobs import BlobStore
from openwer.server.dashboard.access import Access
from openwer.server.dashboard.login_throttle import LoginThrottle
from openwer.server.dashboard.settings import DashboardSettings
from openwer.server.dashboard.sign_in import SignIn
from openwer.server.dashboard.stored_bundles import StoredBundles
from openwer.server.storage import ProductRow, Repository, Scope, SqlRepository
from openwer.server.storage.clock import Clock
from openwer.server.storage.dashboard_model import DashboardReads
from openwer.server.storage.sql_dashboard import SqlDashboardReads
from openwer.server.storage.sql_users import SqlUserRepository
from openwer.server.storage.users import UserRepository

__all__ = ["Dashboard", "build_dashboard"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Storage, bundles, sessions and sign-in for the pages."""

    repository: Repository
    reads: DashboardReads
    users: UserRepository
    bundles: StoredBundles
    access: Access
    sign_in: SignIn
    clock: Clock

    async def run(self, work: Callable[[], T]) -> T:
        """Run blocking ``work`` (storage, bundles) in a worker thread."""
        return await asyncio.to_thread(work)

    def products(self, scope: Scope) -> list[ProductRow]:
        """The products in ``scope``, by name (blocking)."""
        return self.repository.list_products(scope)


def build_dashboard(
    repository: Repository,
    blobs: BlobStore,
    settings: DashboardSettings | None = None,
    throttle: LoginThrottle | None = None,
) -> Dashboard | None:
    """The dashboard over ``repository``, or ``None`` when it is not SQL storage (the pages'
    analytic reads are SQL only; the in-memory repository serves the API's unit tests)."""
    if not isinstance(repository, SqlRepository):
        return None
    chosen = settings or DashboardSettings.from_environ()
    users = SqlUserRepository(repository.transactions, repository.clock)
    return Dashboard(
        repository=repository,
        reads=SqlDashboardReads(repository.transactions),
        users=users,
        bundles=StoredBundles(blobs),
        access=Access(users, chosen),
        sign_in=SignIn(users, throttle or LoginThrottle(), chosen.session_lifetime),
        clock=repository.clock,
    )
