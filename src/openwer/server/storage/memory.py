"""``MemoryRepository``: the in-memory :class:`~openwer.server.storage.protocols.Repository`.

The fake other engineers' unit tests use, held to the same contract tests as ``SqlRepository``
(same outcomes, same errors). Nothing persists; one lock serializes every call, so it is
thread-safe and each call is atomic (arguments are checked before anything changes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TypeVar

from openwer.errors import InvalidArgumentError, NotFoundError, StoreError
from openwer.server.storage import admin_rules, memory_ingest, memory_queries
from openwer.server.storage.clock import Clock, default_days, utc_now
from openwer.server.storage.credentials import (
    ADMIN_TOKEN_PREFIX,
    INGEST_KEY_PREFIX,
    hash_secret,
    new_secret,
)
from openwer.server.storage.memory_state import MemoryState, MemSecret, MemSolution
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
from openwer.types import DumpType

__all__ = ["MemoryRepository"]

T = TypeVar("T")


class MemoryRepository:
    """Every table in dictionaries, behind one lock."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._state = MemoryState()
        self._closed = False

    def _locked(self, work: Callable[[MemoryState], T]) -> T:
        with self._lock:
            if self._closed:
                raise StoreError("the repository is closed")
            return work(self._state)

    # -- ingest ---------------------------------------------------------------------------

    def ingest_stage1(self, items: Sequence[Stage1Item]) -> list[Stage1Outcome]:
        """See :meth:`IngestRepository.ingest_stage1`."""
        prepared = prepare_items(items, self._clock())
        return self._locked(lambda state: memory_ingest.ingest(state, prepared))

    def record_bundle(self, upload: BundleUpload) -> BundleResult:
        """See :meth:`IngestRepository.record_bundle`."""
        return self.record_bundles([upload])[0]

    def record_bundles(self, uploads: Sequence[BundleUpload]) -> list[BundleResult]:
        """See :meth:`IngestRepository.record_bundles`."""
        for upload in uploads:
            check_upload(upload)
        now = self._clock()
        return self._locked(lambda state: [memory_ingest.record(state, u, now) for u in uploads])

    def verify_ingest_key(self, secret: str) -> ProductRow | None:
        """See :meth:`IngestRepository.verify_ingest_key`."""
        digest = hash_secret(secret)

        def work(state: MemoryState) -> ProductRow | None:
            for key in state.ingest_keys.values():
                if key.digest == digest and key.revoked_at is None:
                    return state.products[key.owner]
            return None

        return self._locked(work)

    def close(self) -> None:
        """See :meth:`IngestRepository.close`."""
        with self._lock:
            self._closed = True

    # -- queries --------------------------------------------------------------------------

    def list_products(self, scope: Scope) -> list[ProductRow]:
        """See :meth:`QueryRepository.list_products`."""
        return self._locked(
            lambda state: sorted(
                (p for p in state.products.values() if scope.allows(p.id)), key=lambda p: p.name
            )
        )

    def list_buckets(self, scope: Scope, query: BucketQuery) -> BucketPage:
        """See :meth:`QueryRepository.list_buckets`."""
        return self._locked(lambda state: memory_queries.bucket_page(state, scope, query))

    def find_buckets(self, scope: Scope, bucket_id: str) -> list[BucketRow]:
        """See :meth:`QueryRepository.find_buckets`."""
        guid = bucket_id.lower()
        return self._locked(
            lambda state: [
                state.bucket_row(b)
                for b in sorted(state.buckets.values(), key=lambda b: b.product_id)
                if b.bucket_id == guid and scope.allows(b.product_id)
            ]
        )

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
        return self._locked(
            lambda state: memory_queries.bucket_detail(state, scope, ref, days, samples)
        )

    def get_report(self, scope: Scope, report_id: str) -> ReportRow:
        """See :meth:`QueryRepository.get_report`."""
        return self._locked(lambda state: memory_queries.report(state, scope, report_id))

    def reports_wanting_bundle(self, scope: Scope, limit: int = 100) -> list[str]:
        """See :meth:`QueryRepository.reports_wanting_bundle`."""
        return self._locked(lambda state: memory_queries.wanting_bundle(state, scope, limit))

    def list_solutions(self, scope: Scope, product_id: int | None = None) -> list[SolutionRow]:
        """See :meth:`QueryRepository.list_solutions`."""
        return self._locked(
            lambda state: [
                state.solution_row(s)
                for s in sorted(state.solutions.values(), key=lambda s: s.id)
                if scope.allows(s.product_id) and product_id in (None, s.product_id)
            ]
        )

    # -- admin ----------------------------------------------------------------------------

    def create_product(self, name: str, policy: DataPolicy | None = None) -> ProductRow:
        """See :meth:`AdminRepository.create_product`."""
        name = admin_rules.product_name(name)
        now = self._clock()

        def work(state: MemoryState) -> ProductRow:
            if any(p.name == name for p in state.products.values()):
                raise InvalidArgumentError(f"a product named {name!r} exists already")
            product = ProductRow(next(state.ids), name, now, policy or DataPolicy())
            state.products[product.id] = product
            return product

        return self._locked(work)

    def get_product(self, name: str) -> ProductRow:
        """See :meth:`AdminRepository.get_product`."""

        def work(state: MemoryState) -> ProductRow:
            for product in state.products.values():
                if product.name == name:
                    return product
            raise NotFoundError(f"no product named {name!r}")

        return self._locked(work)

    def set_policy(self, product_id: int, policy: DataPolicy) -> ProductRow:
        """See :meth:`AdminRepository.set_policy`."""

        def work(state: MemoryState) -> ProductRow:
            old = state.product(product_id)
            state.products[product_id] = ProductRow(old.id, old.name, old.created_at, policy)
            return state.products[product_id]

        return self._locked(work)

    def _issue_key(self, product_id: int, rotate: bool) -> IssuedSecret:
        now = self._clock()

        def work(state: MemoryState) -> IssuedSecret:
            state.product(product_id)
            for key in state.ingest_keys.values():
                if rotate and key.owner == product_id and key.revoked_at is None:
                    key.revoked_at = now
            secret = new_secret(INGEST_KEY_PREFIX)
            key = MemSecret(next(state.ids), hash_secret(secret), now, owner=product_id)
            state.ingest_keys[key.id] = key
            return IssuedSecret(key.id, secret, product_id)

        return self._locked(work)

    def create_ingest_key(self, product_id: int) -> IssuedSecret:
        """See :meth:`AdminRepository.create_ingest_key`."""
        return self._issue_key(product_id, rotate=False)

    def rotate_ingest_key(self, product_id: int) -> IssuedSecret:
        """See :meth:`AdminRepository.rotate_ingest_key`."""
        return self._issue_key(product_id, rotate=True)

    def _revoke(self, table: str, row_id: int) -> None:
        now = self._clock()

        def work(state: MemoryState) -> None:
            rows = state.ingest_keys if table == "ingest_keys" else state.admin_tokens
            if row_id not in rows:
                raise NotFoundError(f"no {table.replace('_', ' ')[:-1]} with id {row_id}")
            rows[row_id].revoked_at = rows[row_id].revoked_at or now

        self._locked(work)

    def revoke_ingest_key(self, key_id: int) -> None:
        """See :meth:`AdminRepository.revoke_ingest_key`."""
        self._revoke("ingest_keys", key_id)

    def list_ingest_keys(self, product_id: int) -> list[IngestKeyRow]:
        """See :meth:`AdminRepository.list_ingest_keys`."""

        def work(state: MemoryState) -> list[IngestKeyRow]:
            state.product(product_id)
            return [
                IngestKeyRow(k.id, k.owner, k.created_at, k.revoked_at)
                for k in sorted(state.ingest_keys.values(), key=lambda k: k.id)
                if k.owner == product_id
            ]

        return self._locked(work)

    def create_admin_token(self, label: str) -> IssuedSecret:
        """See :meth:`AdminRepository.create_admin_token`."""
        label = admin_rules.token_label(label)
        now = self._clock()
        secret = new_secret(ADMIN_TOKEN_PREFIX)

        def work(state: MemoryState) -> IssuedSecret:
            token = MemSecret(next(state.ids), hash_secret(secret), now, label=label)
            state.admin_tokens[token.id] = token
            return IssuedSecret(token.id, secret)

        return self._locked(work)

    def verify_admin_token(self, secret: str) -> AdminTokenRow | None:
        """See :meth:`AdminRepository.verify_admin_token`."""
        digest = hash_secret(secret)

        def work(state: MemoryState) -> AdminTokenRow | None:
            for t in state.admin_tokens.values():
                if t.digest == digest and t.revoked_at is None:
                    return AdminTokenRow(t.id, t.label, t.created_at, t.revoked_at)
            return None

        return self._locked(work)

    def revoke_admin_token(self, token_id: int) -> None:
        """See :meth:`AdminRepository.revoke_admin_token`."""
        self._revoke("admin_tokens", token_id)

    def set_bucket_status(
        self,
        scope: Scope,
        ref: BucketRef,
        status: BucketStatus,
        fixed_in_version: str | None = None,
    ) -> BucketRow:
        """See :meth:`AdminRepository.set_bucket_status`."""
        fixed = admin_rules.status_change(status, fixed_in_version)

        def work(state: MemoryState) -> BucketRow:
            bucket = state.live_bucket(scope, ref)
            bucket.status, bucket.fixed_in_version = status, fixed
            return state.bucket_row(bucket)

        return self._locked(work)

    def merge_buckets(self, scope: Scope, source: BucketRef, target: BucketRef) -> BucketRow:
        """See :meth:`AdminRepository.merge_buckets`."""
        admin_rules.merge_refs(source, target)

        def work(state: MemoryState) -> BucketRow:
            src, dst = state.bucket(scope, source), state.bucket(scope, target)
            if dst.merged_into is not None:
                dst = state.buckets[dst.merged_into]
            if src.merged_into is not None:
                if src.merged_into == dst.pk:
                    return state.bucket_row(dst)
                raise InvalidArgumentError(f"bucket {source.bucket_id} is merged already")
            if src.pk == dst.pk:
                raise InvalidArgumentError("a bucket cannot be merged into itself")
            state.merge(src, dst)
            return state.bucket_row(dst)

        return self._locked(work)

    def request_data(
        self, scope: Scope, ref: BucketRef, count: int, dump_type: DumpType = DumpType.MINI_DUMP
    ) -> BucketRow:
        """See :meth:`AdminRepository.request_data`."""
        admin_rules.data_request(count, dump_type)

        def work(state: MemoryState) -> BucketRow:
            bucket = state.live_bucket(scope, ref)
            bucket.explicit_remaining = count
            bucket.explicit_dump_type = dump_type if count else None
            return state.bucket_row(bucket)

        return self._locked(work)

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

        def work(state: MemoryState) -> SolutionRow:
            if not scope.allows(product_id):
                raise NotFoundError(f"no product with id {product_id}")
            state.product(product_id)
            pk = None
            if fields.bucket_id is not None:
                pk = state.bucket(scope, BucketRef(product_id, fields.bucket_id)).pk
            solution = MemSolution(
                next(state.ids), product_id, pk, fields.pattern, fields.message, fields.url, now
            )
            state.solutions[solution.id] = solution
            state.bump_solutions(product_id)
            return state.solution_row(solution)

        return self._locked(work)

    def update_solution(
        self, scope: Scope, solution_id: int, message: str, url: str | None = None
    ) -> SolutionRow:
        """See :meth:`AdminRepository.update_solution`."""
        message, url = admin_rules.solution_text(message, url)

        def work(state: MemoryState) -> SolutionRow:
            solution = state.solution(scope, solution_id)
            solution.message, solution.url = message, url
            state.bump_solutions(solution.product_id)
            return state.solution_row(solution)

        return self._locked(work)

    def delete_solution(self, scope: Scope, solution_id: int) -> None:
        """See :meth:`AdminRepository.delete_solution`."""

        def work(state: MemoryState) -> None:
            solution = state.solution(scope, solution_id)
            del state.solutions[solution_id]
            state.bump_solutions(solution.product_id)

        self._locked(work)

    def prune_bundles(
        self,
        older_than: datetime | None = None,
        max_total_bytes: int | None = None,
        limit: int = 1000,
    ) -> list[PrunedBundle]:
        """See :meth:`AdminRepository.prune_bundles`."""
        if limit < 1 or (max_total_bytes is not None and max_total_bytes < 0):
            raise InvalidArgumentError("limit must be >= 1 and max_total_bytes >= 0")
        if older_than is not None and older_than.tzinfo is None:
            raise InvalidArgumentError("older_than must be timezone-aware")
        return self._locked(
            lambda state: memory_ingest.prune(state, older_than, max_total_bytes, limit)
        )
