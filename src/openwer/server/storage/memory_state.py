"""The tables of :class:`~openwer.server.storage.memory.MemoryRepository`, as plain objects.

Mutable records guarded by the repository's lock; they leave it only as the frozen rows of
:mod:`openwer.server.storage.rows`. Not thread-safe on its own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.formats.protocol import SignatureParameter, Stage1Response
from openwer.server.storage.model import (
    BucketRef,
    BucketStatus,
    BundleState,
    ReportFile,
    Scope,
)
from openwer.server.storage.rows import BucketRow, ProductRow, ReportRow, SolutionRow
from openwer.types import ConsentLevel, DumpType

__all__ = ["MemBucket", "MemReport", "MemSecret", "MemSolution", "MemoryState"]


@dataclass
class MemBucket:
    """A bucket record."""

    pk: int
    product_id: int
    bucket_id: str
    legacy_id: int
    event_type: str
    signature: tuple[SignatureParameter, ...]
    first_seen: datetime
    last_seen: datetime
    hits: int = 0
    status: BucketStatus = BucketStatus.NEW
    fixed_in_version: str | None = None
    merged_into: int | None = None
    bundles_collected: int = 0
    explicit_remaining: int = 0
    explicit_dump_type: DumpType | None = None


@dataclass
class MemReport:
    """A report record."""

    report_id: str
    product_id: int
    bucket_pk: int
    origin_bucket_pk: int
    received_at: datetime
    event_type: str
    report_type: int
    app_version: str | None
    os: str | None
    client: tuple[tuple[str, str], ...]
    consent: ConsentLevel
    hit_ordinal: int
    answer: Stage1Response
    bundle_state: BundleState
    bundle_key: str | None = None
    bundle_size: int | None = None
    bundle_received_at: datetime | None = None
    files: tuple[ReportFile, ...] = ()


@dataclass
class MemSolution:
    """A solution record."""

    id: int
    product_id: int
    bucket_pk: int | None
    pattern: str | None
    message: str
    url: str | None
    created_at: datetime


@dataclass
class MemSecret:
    """An ingest key (``owner`` = product id) or admin token (``label``) record."""

    id: int
    digest: str
    created_at: datetime
    owner: int = 0
    label: str = ""
    revoked_at: datetime | None = None


@dataclass
class MemoryState:
    """Every table."""

    products: dict[int, ProductRow] = field(default_factory=dict)
    solutions_version: dict[int, int] = field(default_factory=dict)
    ingest_keys: dict[int, MemSecret] = field(default_factory=dict)
    admin_tokens: dict[int, MemSecret] = field(default_factory=dict)
    buckets: dict[int, MemBucket] = field(default_factory=dict)
    bucket_keys: dict[tuple[int, str], int] = field(default_factory=dict)
    daily: dict[tuple[int, date], list[int]] = field(default_factory=dict)  # [hits, bundles]
    reports: dict[str, MemReport] = field(default_factory=dict)
    solutions: dict[int, MemSolution] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def product(self, product_id: int) -> ProductRow:
        """The product, or ``NotFoundError``."""
        found = self.products.get(product_id)
        if found is None:
            raise NotFoundError(f"no product with id {product_id}")
        return found

    def bucket(self, scope: Scope, ref: BucketRef) -> MemBucket:
        """The bucket, or ``NotFoundError`` (also outside ``scope``)."""
        pk = self.bucket_keys.get((ref.product_id, ref.bucket_id))
        if pk is None or not scope.allows(ref.product_id):
            raise NotFoundError(f"no bucket {ref.bucket_id}")
        return self.buckets[pk]

    def live_bucket(self, scope: Scope, ref: BucketRef) -> MemBucket:
        """The bucket, refused (``InvalidArgumentError``) when merged into another."""
        bucket = self.bucket(scope, ref)
        if bucket.merged_into is not None:
            target = self.buckets[bucket.merged_into].bucket_id
            raise InvalidArgumentError(
                f"bucket {ref.bucket_id} is merged into {target}: change that one"
            )
        return bucket

    def solution(self, scope: Scope, solution_id: int) -> MemSolution:
        """The solution, or ``NotFoundError`` (also outside ``scope``)."""
        found = self.solutions.get(solution_id)
        if found is None or not scope.allows(found.product_id):
            raise NotFoundError(f"no solution with id {solution_id}")
        return found

    def bucket_row(self, bucket: MemBucket) -> BucketRow:
        """The frozen row of a bucket."""
        target = None if bucket.merged_into is None else self.buckets[bucket.merged_into]
        return BucketRow(
            product_id=bucket.product_id,
            bucket_id=bucket.bucket_id,
            legacy_bucket_id=bucket.legacy_id,
            event_type=bucket.event_type,
            signature=bucket.signature,
            hits=bucket.hits,
            first_seen=bucket.first_seen,
            last_seen=bucket.last_seen,
            status=bucket.status,
            fixed_in_version=bucket.fixed_in_version,
            merged_into=None if target is None else target.bucket_id,
            bundles_collected=bucket.bundles_collected,
            explicit_remaining=bucket.explicit_remaining,
            explicit_dump_type=bucket.explicit_dump_type,
        )

    def report_row(self, report: MemReport, with_files: bool = True) -> ReportRow:
        """The frozen row of a report."""
        return ReportRow(
            report_id=report.report_id,
            product_id=report.product_id,
            bucket_id=self.buckets[report.bucket_pk].bucket_id,
            received_at=report.received_at,
            event_type=report.event_type,
            report_type=report.report_type,
            app_version=report.app_version,
            os=report.os,
            client=report.client,
            consent=report.consent,
            hit_ordinal=report.hit_ordinal,
            bundle_wanted=report.answer.data_request is not None,
            bundle_state=report.bundle_state,
            bundle_key=report.bundle_key,
            bundle_size=report.bundle_size,
            bundle_received_at=report.bundle_received_at,
            files=tuple(sorted(report.files, key=lambda f: f.name)) if with_files else (),
        )

    def solution_row(self, solution: MemSolution) -> SolutionRow:
        """The frozen row of a solution."""
        bucket = None if solution.bucket_pk is None else self.buckets[solution.bucket_pk]
        return SolutionRow(
            id=solution.id,
            product_id=solution.product_id,
            bucket_id=None if bucket is None else bucket.bucket_id,
            pattern=solution.pattern,
            message=solution.message,
            url=solution.url,
            created_at=solution.created_at,
        )

    def bump_solutions(self, product_id: int) -> None:
        """Note that the product's solutions changed."""
        self.solutions_version[product_id] = self.solutions_version.get(product_id, 0) + 1

    def merge(self, src: MemBucket, dst: MemBucket) -> None:
        """Move ``src``'s hits, days, reports, solutions and merged buckets to ``dst``."""
        dst.hits += src.hits
        dst.bundles_collected += src.bundles_collected
        dst.explicit_remaining += src.explicit_remaining
        dst.explicit_dump_type = dst.explicit_dump_type or src.explicit_dump_type
        dst.first_seen = min(dst.first_seen, src.first_seen)
        dst.last_seen = max(dst.last_seen, src.last_seen)
        for (pk, day), (hits, bundles) in list(self.daily.items()):
            if pk == src.pk:
                row = self.daily.setdefault((dst.pk, day), [0, 0])
                row[0] += hits
                row[1] += bundles
                del self.daily[(pk, day)]
        for report in self.reports.values():
            if report.bucket_pk == src.pk:
                report.bucket_pk = dst.pk
        for solution in self.solutions.values():
            if solution.bucket_pk == src.pk:
                solution.bucket_pk = dst.pk
        for other in self.buckets.values():
            if other.merged_into == src.pk:
                other.merged_into = dst.pk
        src.merged_into, src.explicit_remaining = dst.pk, 0
