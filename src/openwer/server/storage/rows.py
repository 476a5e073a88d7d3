"""Rows the storage returns: frozen snapshots, detached from any connection or lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from openwer.formats.protocol import SignatureParameter
from openwer.server.storage.model import (
    BucketStatus,
    BundleState,
    DataPolicy,
    ReportFile,
)
from openwer.types import ConsentLevel, DumpType

__all__ = [
    "AdminTokenRow",
    "BucketDetail",
    "BucketPage",
    "BucketRow",
    "BucketSummary",
    "DayCount",
    "IngestKeyRow",
    "ProductRow",
    "ReportRow",
    "SolutionRow",
    "ValueCount",
]


@dataclass(frozen=True, slots=True)
class ProductRow:
    """A product: the unit of ingest keys, buckets and data-request policy."""

    id: int
    name: str
    created_at: datetime
    policy: DataPolicy


@dataclass(frozen=True, slots=True)
class IngestKeyRow:
    """An ingest key's metadata (never the secret)."""

    id: int
    product_id: int
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class AdminTokenRow:
    """An admin token's metadata (never the secret)."""

    id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class BucketRow:
    """A bucket: one signature of one product, with its counters and lifecycle.

    ``merged_into`` is the GUID of the bucket (same product) that counts this one's hits now.
    ``explicit_remaining`` is what is left of an explicit "next N hits" data request.
    """

    product_id: int
    bucket_id: str
    legacy_bucket_id: int
    event_type: str
    signature: tuple[SignatureParameter, ...]
    hits: int
    first_seen: datetime
    last_seen: datetime
    status: BucketStatus
    fixed_in_version: str | None
    merged_into: str | None
    bundles_collected: int
    explicit_remaining: int
    explicit_dump_type: DumpType | None


@dataclass(frozen=True, slots=True)
class BucketSummary:
    """A bucket in a listing, with its hits within the query's days (and version)."""

    bucket: BucketRow
    range_hits: int


@dataclass(frozen=True, slots=True)
class BucketPage:
    """One page of a bucket listing and the number of buckets matching in all pages."""

    rows: tuple[BucketSummary, ...]
    total: int


@dataclass(frozen=True, slots=True)
class DayCount:
    """Hits of one UTC day."""

    day: date
    hits: int


@dataclass(frozen=True, slots=True)
class ValueCount:
    """How many reports carry one value (an app version, an OS); ``None`` means unknown."""

    value: str | None
    count: int


@dataclass(frozen=True, slots=True)
class SolutionRow:
    """A known answer: for one bucket (``bucket_id``) or by regex (``pattern``) over
    ``"<event type>|P0|P1|…"`` of every bucket of the product."""

    id: int
    product_id: int
    bucket_id: str | None
    pattern: str | None
    message: str
    url: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One report as ingested: ``bucket_id`` is the bucket that counts it (a merge target)."""

    report_id: str
    product_id: int
    bucket_id: str
    received_at: datetime
    event_type: str
    report_type: int
    app_version: str | None
    os: str | None
    client: tuple[tuple[str, str], ...]
    consent: ConsentLevel
    hit_ordinal: int
    bundle_wanted: bool
    bundle_state: BundleState
    bundle_key: str | None
    bundle_size: int | None
    bundle_received_at: datetime | None
    files: tuple[ReportFile, ...] = ()


@dataclass(frozen=True, slots=True)
class BucketDetail:
    """A bucket with what its page shows.

    ``hits_per_day`` covers the days asked for (the last 30 by default), oldest first;
    ``versions`` and ``os`` count its reports by value, most frequent first;
    ``sample_reports`` are the newest reports; ``solution`` is what stage 1 answers;
    ``merged_from`` lists the buckets merged into this one.
    """

    bucket: BucketRow
    hits_per_day: tuple[DayCount, ...]
    versions: tuple[ValueCount, ...]
    os: tuple[ValueCount, ...]
    sample_reports: tuple[ReportRow, ...]
    solution: SolutionRow | None
    merged_from: tuple[str, ...]
