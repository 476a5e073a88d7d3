"""The server's storage seam: three small Protocols, named for the role each caller plays.

* :class:`IngestRepository`: what the ingest endpoints need (stage 1, stage 2, key checks);
* :class:`QueryRepository`: what the query API and the dashboard read;
* :class:`AdminRepository`: products, keys, tokens, bucket lifecycle, solutions, retention.

:class:`Repository` is all three. Implementations: ``SqlRepository`` (SQLite or PostgreSQL,
:mod:`openwer.server.storage.sql_repository`) and ``MemoryRepository`` (the fake for unit tests,
:mod:`openwer.server.storage.memory`); one contract test suite runs against all of them.

Lifecycle: a repository is opened ready to use (``open_repository`` runs the migrations first)
and is closed once with :meth:`IngestRepository.close`; using it after ``close`` raises
``StoreError``.

Failure contract: every method either succeeds completely or changes nothing (one transaction
each; ``ingest_stage1`` is one transaction for the whole batch). Storage failures raise
:class:`~openwer.errors.StoreError`; unknown buckets, reports or solutions raise
:class:`~openwer.errors.NotFoundError` (also when they exist outside the caller's
:class:`~openwer.server.storage.model.Scope`, so a key cannot probe another product's data); bad
arguments raise :class:`~openwer.errors.InvalidArgumentError`. No driver or SQLAlchemy exception
escapes. Results per item that are not failures of storage are named outcomes
(:class:`~openwer.server.storage.model.Stage1Status`, ``BundleOutcome``).

Thread safety: every method may be called from any thread, concurrently; the methods block (call
them from worker threads, or through :class:`~openwer.server.storage.batcher.IngestBatcher`).
Several processes may share one PostgreSQL database (or one SQLite file): hits are counted once
per report id, buckets are never duplicated and explicit data requests are honoured exactly as
many times as asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

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
from openwer.types import DumpType

__all__ = ["AdminRepository", "IngestRepository", "QueryRepository", "Repository"]


class IngestRepository(Protocol):
    """Stage 1 and stage 2 bookkeeping, and the ingest-key check."""

    def ingest_stage1(self, items: Sequence[Stage1Item]) -> list[Stage1Outcome]:
        """Count and answer ``items`` in one transaction; the answers are durable on return.

        Idempotent per report id: a repeat (in the batch or from any earlier call, by any
        process) gets the stored answer and adds no hit. Outcomes are in the order of ``items``.
        Raises ``InvalidArgumentError`` for an item that is not valid (report id not a UUID);
        raises ``StoreError`` when nothing was written.
        """
        ...

    def record_bundle(self, upload: BundleUpload) -> BundleResult:
        """Record that a report's bundle is stored under ``upload.blob_key``; idempotent."""
        ...

    def record_bundles(self, uploads: Sequence[BundleUpload]) -> list[BundleResult]:
        """:meth:`record_bundle` for many uploads in one transaction; results in order.

        Raises ``InvalidArgumentError`` (nothing recorded) when an upload is not valid.
        """
        ...

    def verify_ingest_key(self, secret: str) -> ProductRow | None:
        """The product of a live (not revoked) ingest key, or ``None``."""
        ...

    def close(self) -> None:
        """Release connections; idempotent."""
        ...


class QueryRepository(Protocol):
    """Reads for the query API and the dashboard; every read is limited to a :class:`Scope`."""

    def list_products(self, scope: Scope) -> list[ProductRow]:
        """Products in ``scope``, by name."""
        ...

    def list_buckets(self, scope: Scope, query: BucketQuery) -> BucketPage:
        """One page of buckets matching ``query`` and the number matching in all pages."""
        ...

    def find_buckets(self, scope: Scope, bucket_id: str) -> list[BucketRow]:
        """Every bucket in ``scope`` with GUID ``bucket_id`` (one per product at most)."""
        ...

    def get_bucket(
        self,
        scope: Scope,
        ref: BucketRef,
        since: date | None = None,
        until: date | None = None,
        samples: int = 10,
    ) -> BucketDetail:
        """A bucket with hits per day (``since``..``until``, default the last 30 days),
        versions, OS, the newest ``samples`` reports and its solution."""
        ...

    def get_report(self, scope: Scope, report_id: str) -> ReportRow:
        """One report with its bundle's files."""
        ...

    def reports_wanting_bundle(self, scope: Scope, limit: int = 100) -> list[str]:
        """Ids of reports whose bundle was asked for and not received yet, oldest first."""
        ...

    def list_solutions(self, scope: Scope, product_id: int | None = None) -> list[SolutionRow]:
        """Solutions in ``scope`` (of one product when given), oldest first."""
        ...


class AdminRepository(Protocol):
    """Changes made by admins (tokens) and by the dashboard; bucket changes take a scope."""

    def create_product(self, name: str, policy: DataPolicy | None = None) -> ProductRow:
        """A new product; ``InvalidArgumentError`` when the name is taken or empty."""
        ...

    def get_product(self, name: str) -> ProductRow:
        """The product named ``name``."""
        ...

    def set_policy(self, product_id: int, policy: DataPolicy) -> ProductRow:
        """Replace a product's data-request policy."""
        ...

    def create_ingest_key(self, product_id: int) -> IssuedSecret:
        """A new ingest key for the product (older keys stay valid)."""
        ...

    def rotate_ingest_key(self, product_id: int) -> IssuedSecret:
        """A new ingest key; every older key of the product is revoked in the same step."""
        ...

    def revoke_ingest_key(self, key_id: int) -> None:
        """Revoke one ingest key; idempotent."""
        ...

    def list_ingest_keys(self, product_id: int) -> list[IngestKeyRow]:
        """The product's keys, revoked ones included, oldest first."""
        ...

    def create_admin_token(self, label: str) -> IssuedSecret:
        """A new admin token."""
        ...

    def verify_admin_token(self, secret: str) -> AdminTokenRow | None:
        """The live admin token with this secret, or ``None``."""
        ...

    def revoke_admin_token(self, token_id: int) -> None:
        """Revoke an admin token; idempotent."""
        ...

    def set_bucket_status(
        self,
        scope: Scope,
        ref: BucketRef,
        status: BucketStatus,
        fixed_in_version: str | None = None,
    ) -> BucketRow:
        """Resolve (optionally fixed in a version), ignore, or reopen (``NEW``) a bucket.

        ``fixed_in_version`` is only allowed with ``RESOLVED``.
        """
        ...

    def merge_buckets(self, scope: Scope, source: BucketRef, target: BucketRef) -> BucketRow:
        """Merge ``source`` into ``target`` (same product); return the target.

        The target takes over the source's hits (total and per day), reports and data requests;
        later hits of the source's signature count on the target. Buckets already merged into
        the source follow it. Merging into a merged bucket merges into its target.
        """
        ...

    def request_data(
        self, scope: Scope, ref: BucketRef, count: int, dump_type: DumpType = DumpType.MINI_DUMP
    ) -> BucketRow:
        """Ask for the bundles of the bucket's next ``count`` hits (0 clears the request)."""
        ...

    def add_solution(
        self,
        scope: Scope,
        product_id: int,
        message: str,
        url: str | None = None,
        bucket_id: str | None = None,
        pattern: str | None = None,
    ) -> SolutionRow:
        """A solution for one bucket or for every bucket whose signature text matches
        ``pattern`` (exactly one of the two)."""
        ...

    def update_solution(
        self, scope: Scope, solution_id: int, message: str, url: str | None = None
    ) -> SolutionRow:
        """Change a solution's message and URL."""
        ...

    def delete_solution(self, scope: Scope, solution_id: int) -> None:
        """Delete a solution."""
        ...

    def prune_bundles(
        self,
        older_than: datetime | None = None,
        max_total_bytes: int | None = None,
        limit: int = 1000,
    ) -> list[PrunedBundle]:
        """Mark bundles received before ``older_than``, then the oldest beyond
        ``max_total_bytes`` in total, as pruned (at most ``limit``, oldest first).

        The caller deletes the returned blobs afterwards: a crash in between leaves orphan
        blobs, never a report pointing at a missing blob. Hit counts are kept.
        """
        ...


class Repository(IngestRepository, QueryRepository, AdminRepository, Protocol):
    """The whole storage of one server."""
