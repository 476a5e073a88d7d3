"""``SqlRepository``: the :class:`~openwer.server.storage.protocols.Repository` on SQLite or
PostgreSQL.

Lifecycle, failure contract and thread safety are those of the Protocols (see
:mod:`openwer.server.storage.protocols`): open it with
:func:`openwer.server.storage.open_repository` (which migrates first), share one instance between
threads, close it once. Each method is one transaction (:class:`.Transactions`); the SQL lives
in :mod:`.sql_ingest`, :mod:`.sql_bundles`, :mod:`.sql_admin` and :mod:`.sql_queries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from openwer.server.storage import admin_rules, sql_admin, sql_bundles, sql_queries
from openwer.server.storage.clock import Clock, default_days, utc_now
from openwer.server.storage.database import Engines
from openwer.server.storage.model import (
    BucketQuery,
    BucketRef,
    BucketStatus,
    BundleResult,
    BundleUpload,
    DataPolicy,
    IssuedSecret,
    PrunedBundle,
    Scope,
    Stage1Item,
    Stage1Outcome,
)
from openwer.server.storage.prepared import check_upload, prepare_items
from openwer.server.storage.rows import (
    AdminTokenRow,
    BucketDetail,
    BucketPage,
    BucketRow,
    IngestKeyRow,
    ProductRow,
    ReportRow,
    SolutionRow,
)
from openwer.server.storage.solution_match import PatternCache
from openwer.server.storage.sql_ingest import ingest_batch
from openwer.server.storage.sql_transactions import Transactions
from openwer.types import DumpType

__all__ = ["SqlRepository"]


class SqlRepository:
    """The storage of a server on one SQLite file or PostgreSQL database."""

    def __init__(self, engines: Engines, clock: Clock = utc_now) -> None:
        self._tx = Transactions(engines)
        self._clock = clock
        self._patterns = PatternCache()

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._tx.dialect

    @property
    def transactions(self) -> Transactions:
        """The transaction runner, for storage parts with tables of their own that share these
        engines (``SqlUserRepository``, ``SqlDashboardReads``)."""
        return self._tx

    @property
    def clock(self) -> Clock:
        """The time source this repository stamps rows with."""
        return self._clock

    # -- ingest ---------------------------------------------------------------------------

    def ingest_stage1(self, items: Sequence[Stage1Item]) -> list[Stage1Outcome]:
        """See :meth:`IngestRepository.ingest_stage1`."""
        if not items:
            return []
        prepared = prepare_items(items, self._clock())
        return self._tx.write(
            lambda conn: ingest_batch(conn, self.dialect, prepared, self._patterns)
        )

    def record_bundle(self, upload: BundleUpload) -> BundleResult:
        """See :meth:`IngestRepository.record_bundle`."""
        return self.record_bundles([upload])[0]

    def record_bundles(self, uploads: Sequence[BundleUpload]) -> list[BundleResult]:
        """See :meth:`IngestRepository.record_bundles`."""
        if not uploads:
            return []
        for upload in uploads:
            check_upload(upload)
        now = self._clock()
        return self._tx.write(lambda conn: sql_bundles.record_bundles(conn, uploads, now))

    def verify_ingest_key(self, secret: str) -> ProductRow | None:
        """See :meth:`IngestRepository.verify_ingest_key`."""
        return self._tx.read(lambda conn: sql_admin.verify_ingest_key(conn, secret))

    def close(self) -> None:
        """See :meth:`IngestRepository.close`."""
        self._tx.close()

    # -- queries --------------------------------------------------------------------------

    def list_products(self, scope: Scope) -> list[ProductRow]:
        """See :meth:`QueryRepository.list_products`."""
        return self._tx.read(lambda conn: sql_queries.list_products(conn, scope))

    def list_buckets(self, scope: Scope, query: BucketQuery) -> BucketPage:
        """See :meth:`QueryRepository.list_buckets`."""
        return self._tx.read(lambda conn: sql_queries.list_buckets(conn, scope, query))

    def find_buckets(self, scope: Scope, bucket_id: str) -> list[BucketRow]:
        """See :meth:`QueryRepository.find_buckets`."""
        return self._tx.read(lambda conn: sql_queries.find_buckets(conn, scope, bucket_id))

    def get_bucket(
        self,
        scope: Scope,
        ref: BucketRef,
        since: date | None = None,
        until: date | None = None,
        samples: int = 10,
    ) -> BucketDetail:
        """See :meth:`QueryRepository.get_bucket`."""
        days = default_days(self._clock().date(), since, until)
        return self._tx.read(lambda conn: sql_queries.get_bucket(conn, scope, ref, days, samples))

    def get_report(self, scope: Scope, report_id: str) -> ReportRow:
        """See :meth:`QueryRepository.get_report`."""
        return self._tx.read(lambda conn: sql_queries.get_report(conn, scope, report_id))

    def reports_wanting_bundle(self, scope: Scope, limit: int = 100) -> list[str]:
        """See :meth:`QueryRepository.reports_wanting_bundle`."""
        return self._tx.read(lambda conn: sql_queries.reports_wanting_bundle(conn, scope, limit))

    def list_solutions(self, scope: Scope, product_id: int | None = None) -> list[SolutionRow]:
        """See :meth:`QueryRepository.list_solutions`."""
        return self._tx.read(lambda conn: sql_queries.list_solutions(conn, scope, product_id))

    # -- admin ----------------------------------------------------------------------------

    def create_product(self, name: str, policy: DataPolicy | None = None) -> ProductRow:
        """See :meth:`AdminRepository.create_product`."""
        now = self._clock()
        chosen = policy or DataPolicy()
        return self._tx.write(lambda conn: sql_admin.create_product(conn, name, chosen, now))

    def get_product(self, name: str) -> ProductRow:
        """See :meth:`AdminRepository.get_product`."""
        return self._tx.read(lambda conn: sql_admin.get_product(conn, name))

    def set_policy(self, product_id: int, policy: DataPolicy) -> ProductRow:
        """See :meth:`AdminRepository.set_policy`."""
        return self._tx.write(lambda conn: sql_admin.set_policy(conn, product_id, policy))

    def create_ingest_key(self, product_id: int) -> IssuedSecret:
        """See :meth:`AdminRepository.create_ingest_key`."""
        now = self._clock()
        return self._tx.write(
            lambda conn: sql_admin.create_ingest_key(conn, product_id, now, rotate=False)
        )

    def rotate_ingest_key(self, product_id: int) -> IssuedSecret:
        """See :meth:`AdminRepository.rotate_ingest_key`."""
        now = self._clock()
        return self._tx.write(
            lambda conn: sql_admin.create_ingest_key(conn, product_id, now, rotate=True)
        )

    def revoke_ingest_key(self, key_id: int) -> None:
        """See :meth:`AdminRepository.revoke_ingest_key`."""
        now = self._clock()
        self._tx.write(lambda conn: sql_admin.revoke(conn, "ingest_keys", key_id, now))

    def list_ingest_keys(self, product_id: int) -> list[IngestKeyRow]:
        """See :meth:`AdminRepository.list_ingest_keys`."""
        return self._tx.read(lambda conn: sql_admin.list_ingest_keys(conn, product_id))

    def create_admin_token(self, label: str) -> IssuedSecret:
        """See :meth:`AdminRepository.create_admin_token`."""
        now = self._clock()
        return self._tx.write(lambda conn: sql_admin.create_admin_token(conn, label, now))

    def verify_admin_token(self, secret: str) -> AdminTokenRow | None:
        """See :meth:`AdminRepository.verify_admin_token`."""
        return self._tx.read(lambda conn: sql_admin.verify_admin_token(conn, secret))

    def revoke_admin_token(self, token_id: int) -> None:
        """See :meth:`AdminRepository.revoke_admin_token`."""
        now = self._clock()
        self._tx.write(lambda conn: sql_admin.revoke(conn, "admin_tokens", token_id, now))

    def set_bucket_status(
        self,
        scope: Scope,
        ref: BucketRef,
        status: BucketStatus,
        fixed_in_version: str | None = None,
    ) -> BucketRow:
        """See :meth:`AdminRepository.set_bucket_status`."""
        return self._tx.write(
            lambda conn: sql_admin.set_bucket_status(conn, scope, ref, status, fixed_in_version)
        )

    def merge_buckets(self, scope: Scope, source: BucketRef, target: BucketRef) -> BucketRow:
        """See :meth:`AdminRepository.merge_buckets`."""
        return self._tx.write(
            lambda conn: sql_admin.merge_buckets(conn, self.dialect, scope, source, target)
        )

    def request_data(
        self, scope: Scope, ref: BucketRef, count: int, dump_type: DumpType = DumpType.MINI_DUMP
    ) -> BucketRow:
        """See :meth:`AdminRepository.request_data`."""
        return self._tx.write(
            lambda conn: sql_admin.request_data(conn, scope, ref, count, dump_type)
        )

    def add_solution(
        self,
        scope: Scope,
        product_id: int,
        message: str,
        url: str | None = None,
        bucket_id: str | None = None,
        pattern: str | None = None,
    ) -> SolutionRow:
        """See :meth:`AdminRepository.add_solution`."""
        fields = admin_rules.solution_fields(message, url, bucket_id, pattern)
        now = self._clock()
        return self._tx.write(
            lambda conn: sql_admin.add_solution(conn, scope, product_id, fields, now)
        )

    def update_solution(
        self, scope: Scope, solution_id: int, message: str, url: str | None = None
    ) -> SolutionRow:
        """See :meth:`AdminRepository.update_solution`."""
        return self._tx.write(
            lambda conn: sql_admin.update_solution(conn, scope, solution_id, message, url)
        )

    def delete_solution(self, scope: Scope, solution_id: int) -> None:
        """See :meth:`AdminRepository.delete_solution`."""
        self._tx.write(lambda conn: sql_admin.delete_solution(conn, scope, solution_id))

    def prune_bundles(
        self,
        older_than: datetime | None = None,
        max_total_bytes: int | None = None,
        limit: int = 1000,
    ) -> list[PrunedBundle]:
        """See :meth:`AdminRepository.prune_bundles`."""
        return self._tx.write(
            lambda conn: sql_bundles.prune_bundles(conn, older_than, max_total_bytes, limit)
        )
