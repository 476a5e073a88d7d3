"""View models of the bucket list and the bucket page, built from storage rows.

Each builder is a plain function of rows (no I/O): the pages call storage in a worker thread,
then these, then a template. Frozen results; thread-safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from openwer.server.dashboard.charts import BarChart, Sparkline, day_bars, sparkline
from openwer.server.dashboard.signature_text import Headline, headline
from openwer.server.dashboard.stacks import ReportStacks
from openwer.server.storage import (
    BucketRow,
    BucketStatus,
    ProductRow,
    ReportRow,
    SolutionRow,
)
from openwer.server.storage.dashboard_model import BucketListPage, BucketOverview, Facet

__all__ = [
    "BUCKET_RANGES",
    "REPORTS_PER_PAGE",
    "BucketListItem",
    "BucketPageView",
    "bucket_href",
    "bucket_page_view",
    "list_items",
]

REPORTS_PER_PAGE = 25
BUCKET_RANGES: Mapping[str, tuple[str, int]] = {
    "30d": ("30 days", 30),
    "90d": ("90 days", 90),
    "365d": ("1 year", 365),
}
_NEW_FOR_DAYS = 7  # "new": first seen within the last week (or the range, when shorter)


def bucket_href(product_id: int, bucket_id: str) -> str:
    """The page of a bucket."""
    return f"/buckets/{product_id}/{bucket_id}"


@dataclass(frozen=True, slots=True)
class BucketListItem:
    """One row of the bucket list."""

    href: str
    product: str
    headline: Headline
    bucket: BucketRow
    range_hits: int
    trend: Sparkline
    is_new: bool

    @property
    def regressed(self) -> bool:
        """True when a resolved bucket was hit again."""
        return self.bucket.status is BucketStatus.REGRESSED


def list_items(
    page: BucketListPage,
    product_names: Mapping[int, str],
    since: date | None,
    today: date,
) -> tuple[BucketListItem, ...]:
    """The rows of a bucket list page; ``since`` is the first day of its range. A bucket is
    marked new when first seen in the last 7 days (or in the range, when it is shorter)."""
    new_since = today - timedelta(days=_NEW_FOR_DAYS - 1)
    if since is not None and since > new_since:
        new_since = since
    return tuple(
        BucketListItem(
            href=bucket_href(row.bucket.product_id, row.bucket.bucket_id),
            product=product_names.get(row.bucket.product_id, "?"),
            headline=headline(row.bucket.event_type, row.bucket.signature),
            bucket=row.bucket,
            range_hits=row.range_hits,
            trend=sparkline(row.daily),
            is_new=row.bucket.first_seen.date() >= new_since
            and row.bucket.status is not BucketStatus.REGRESSED,
        )
        for row in page.rows
    )


@dataclass(frozen=True, slots=True)
class BucketPageView:
    """Everything the bucket page shows."""

    overview: BucketOverview
    product: ProductRow
    headline: Headline
    chart: BarChart
    since: date
    until: date
    range_key: str
    facets: tuple[Facet, ...]
    stacks: ReportStacks | None
    reports_page: int
    now: datetime

    @property
    def bucket(self) -> BucketRow:
        """The bucket."""
        return self.overview.detail.bucket

    @property
    def solution(self) -> SolutionRow | None:
        """The solution stage 1 answers for this bucket (its own, or a pattern's)."""
        return self.overview.detail.solution

    @property
    def own_solution(self) -> bool:
        """True when the solution belongs to this bucket (not to a pattern)."""
        return self.solution is not None and self.solution.pattern is None

    @property
    def reports(self) -> tuple[ReportRow, ...]:
        """This page of the bucket's reports, newest first."""
        return self.overview.reports

    @property
    def more_reports(self) -> bool:
        """True when an older page of reports exists."""
        return len(self.overview.reports) == REPORTS_PER_PAGE

    @property
    def sample(self) -> ReportRow | None:
        """The report whose stacks are shown."""
        return self.overview.sample

    @property
    def merged_from(self) -> tuple[str, ...]:
        """The buckets merged into this one."""
        return self.overview.detail.merged_from


def bucket_page_view(
    overview: BucketOverview,
    product: ProductRow,
    since: date,
    until: date,
    range_key: str,
    stacks: ReportStacks | None,
    reports_page: int,
    now: datetime,
) -> BucketPageView:
    """The bucket page's view model."""
    bucket = overview.detail.bucket
    facets = overview.facets
    return BucketPageView(
        overview=overview,
        product=product,
        headline=headline(bucket.event_type, bucket.signature),
        chart=day_bars(overview.detail.hits_per_day, since, until),
        since=since,
        until=until,
        range_key=range_key,
        facets=(facets.versions, facets.os, facets.packages),
        stacks=stacks,
        reports_page=reports_page,
        now=now,
    )
