"""What the dashboard reads beyond the query API: its queries, rows and the read Protocol.

* :class:`BucketListQuery` → :class:`BucketListPage`: buckets ranked within a range of days,
  filtered by product, event type, application version, OS and status, each row with its hits
  per day (the trend line), the page read in one query plus one for every row's days;
* :class:`BucketFacets`: a bucket's application versions, OS and Python packages, each value
  beside its share of the baseline, the product's other recent reports
  (:class:`FacetValue.over_represented` marks the values that stand out, the way a triage
  engineer spots "only on 3.12");
* a bucket's reports page by page, its newest stored bundle, a report's stored stage 1 answer.

Rows are frozen snapshots. :class:`DashboardReads` is implemented by ``SqlDashboardReads``
(:mod:`.sql_dashboard`) only: the dashboard needs SQL storage (the in-memory repository is for
the API's unit tests). Failure contract and thread safety as the storage Protocols: every read
sees one snapshot, raises ``StoreError`` when storage fails and ``NotFoundError`` for a bucket
or report outside the caller's :class:`~openwer.server.storage.model.Scope`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from openwer.errors import InvalidArgumentError
from openwer.formats.protocol import Stage1Response
from openwer.server.storage.model import BucketRef, BucketStatus, Scope
from openwer.server.storage.rows import BucketDetail, BucketRow, ReportRow

__all__ = [
    "BASELINE_PACKAGE_ROWS",
    "BASELINE_REPORTS",
    "BucketFacets",
    "BucketListPage",
    "BucketListQuery",
    "BucketListRow",
    "BucketListSort",
    "BucketOverview",
    "DashboardReads",
    "Facet",
    "FacetValue",
]

BASELINE_REPORTS = 20_000  # the newest reports of the rest of the product are its baseline
BASELINE_PACKAGE_ROWS = 100_000  # about 1,000–2,000 bundles' packages
_MIN_OVER_COUNT = 3
_MIN_OVER_SHARE = 0.2
_OVER_RATIO = 1.5
_OVER_MARGIN = 0.15


class BucketListSort(enum.StrEnum):
    """Orders of the bucket list; every one descending."""

    HITS = "hits"  # hits within the range (and version/OS filter)
    LAST_SEEN = "last_seen"
    FIRST_SEEN = "first_seen"  # the newest buckets first


@dataclass(frozen=True, slots=True)
class BucketListQuery:
    """One page of the bucket list.

    ``since``/``until`` are inclusive UTC days; ``since`` of ``None`` means all time (ranked by
    total hits). ``product_ids`` narrows the caller's scope (``None``: every product in it).
    ``trend_since``..``until`` are the days of each row's trend line.
    """

    until: date
    since: date | None = None
    trend_since: date | None = None
    product_ids: frozenset[int] | None = None
    event_type: str | None = None
    app_version: str | None = None
    os: str | None = None
    statuses: frozenset[BucketStatus] | None = None
    sort: BucketListSort = BucketListSort.HITS
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= 500:
            raise InvalidArgumentError(f"limit must be in 1..500, not {self.limit}")
        if not 0 <= self.offset <= 10_000_000:
            raise InvalidArgumentError(f"offset must be in 0..1e7, not {self.offset}")
        if self.since is not None and self.since > self.until:
            raise InvalidArgumentError("since must not be after until")

    @property
    def trend_start(self) -> date:
        """The first day of the trend lines."""
        return self.trend_since or self.since or self.until


@dataclass(frozen=True, slots=True)
class BucketListRow:
    """A bucket in the list: hits in range and hits per day (oldest first) for its trend."""

    bucket: BucketRow
    range_hits: int
    daily: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BucketListPage:
    """A page of the bucket list and how many buckets match in all pages."""

    rows: tuple[BucketListRow, ...]
    total: int
    trend_since: date
    trend_until: date


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One value of a facet: reports of the bucket with it, and of the baseline (the rest of
    the product) with it; ``baseline_total`` is the baseline's size (0: nothing to compare)."""

    value: str | None
    count: int
    share: float
    baseline_count: int
    baseline_share: float
    baseline_total: int = 0

    @property
    def over_represented(self) -> bool:
        """True when the value is much more common in the bucket than in the baseline.

        At least 3 reports and 20 % of the bucket, and at least 1.5 times the baseline's share
        and 15 points above it, against a baseline that exists: enough evidence not to flag
        noise in a small bucket, nor everything in a product's only bucket.
        """
        return (
            self.baseline_total > 0
            and self.count >= _MIN_OVER_COUNT
            and self.share >= _MIN_OVER_SHARE
            and self.share >= self.baseline_share * _OVER_RATIO
            and self.share - self.baseline_share >= _OVER_MARGIN
        )


@dataclass(frozen=True, slots=True)
class Facet:
    """A distribution: ``total`` reports of the bucket against ``baseline_total`` of the
    product's baseline; values most frequent first."""

    name: str
    total: int
    baseline_total: int
    values: tuple[FacetValue, ...]

    @property
    def highlighted(self) -> tuple[FacetValue, ...]:
        """The over-represented values."""
        return tuple(v for v in self.values if v.over_represented)


@dataclass(frozen=True, slots=True)
class BucketFacets:
    """Application versions, OS and Python packages (``name==version``) of a bucket."""

    versions: Facet
    os: Facet
    packages: Facet


@dataclass(frozen=True, slots=True)
class BucketOverview:
    """What the bucket page shows, read in one snapshot.

    ``detail`` is the query API's bucket (hits per day over the range, solution, merges);
    ``reports`` is one page of its reports, newest first; ``sample`` is its newest report whose
    bundle is stored (for the stacks), if any.
    """

    detail: BucketDetail
    facets: BucketFacets
    reports: tuple[ReportRow, ...]
    sample: ReportRow | None


class DashboardReads(Protocol):
    """The dashboard's reads (see the module docstring)."""

    def bucket_list(self, scope: Scope, query: BucketListQuery) -> BucketListPage:
        """One page of buckets in ``scope`` matching ``query``."""
        ...

    def event_types(self, scope: Scope) -> list[str]:
        """The event types of the buckets in ``scope``, sorted."""
        ...

    def bucket_overview(
        self,
        scope: Scope,
        ref: BucketRef,
        since: date,
        until: date,
        reports_limit: int = 25,
        reports_offset: int = 0,
    ) -> BucketOverview:
        """A bucket's page over the days ``since``..``until``."""
        ...

    def report_answer(self, scope: Scope, report_id: str) -> Stage1Response:
        """The stage 1 answer the server gave (and replays) for a report."""
        ...
