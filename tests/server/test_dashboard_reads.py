"""The dashboard's SQL reads (bucket list, trends, facets, packages) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dashboard_support import python_request
from server_storage_support import BASE_TIME, FakeClock, migrated_postgres_url, open_sql_backend

from openwer.errors import NotFoundError
from openwer.formats.modules_manifest import PackageVersion
from openwer.formats.protocol import Stage1Request
from openwer.server.storage import (
    BucketRef,
    BucketStatus,
    BundleUpload,
    ProductRow,
    Scope,
    SqlRepository,
    Stage1Item,
)
from openwer.server.storage.dashboard_model import BucketListQuery, BucketListSort
from openwer.server.storage.sql_dashboard import SqlDashboardReads

DAY0 = BASE_TIME.date()
DAY2 = DAY0 + timedelta(days=2)
ADMIN = Scope.everything()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh migrated PostgreSQL database for this module."""
    yield from migrated_postgres_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlRepository]:
    """An empty SQL repository whose clock stands at DAY2, noon."""
    clock = FakeClock(BASE_TIME + timedelta(days=2))
    repository = open_sql_backend(
        request.param, tmp_path, clock, lambda: request.getfixturevalue("pg_url")
    )
    yield repository
    repository.close()


def _ingest(
    repo: SqlRepository, product: ProductRow, requests: list[Stage1Request], day: int
) -> list[str]:
    at = BASE_TIME + timedelta(days=day)
    outcomes = repo.ingest_stage1([Stage1Item(product.id, r, received_at=at) for r in requests])
    return [o.report_id for o in outcomes]


def _bucket_of(repo: SqlRepository, request: Stage1Request, product: ProductRow) -> BucketRef:
    outcome = repo.ingest_stage1([Stage1Item(product.id, request, received_at=BASE_TIME)])[0]
    assert outcome.response is not None
    return BucketRef(product.id, outcome.response.bucket_id)


def _seed(repo: SqlRepository) -> tuple[ProductRow, ProductRow]:
    """Product a: bucket X (parse) 5 hits on day 0 on 1.0/Linux, 3 on day 2 on 2.0/Windows;
    bucket Y (load) 2 hits on day 1. Product b: bucket Z 10 hits on day 2."""
    a, b = repo.create_product("a"), repo.create_product("b")
    _ingest(repo, a, [python_request("parse") for _ in range(5)], 0)
    _ingest(repo, a, [python_request("load") for _ in range(2)], 1)
    windows = [python_request("parse", version="1.0.0", os_name="Windows 11") for _ in range(3)]
    _ingest(repo, a, windows, 2)
    _ingest(repo, b, [python_request("other") for _ in range(10)], 2)
    return a, b


def _functions(page: object) -> list[tuple[str, int]]:
    rows = page.rows  # type: ignore[attr-defined]
    return [(r.bucket.signature[6].value, r.range_hits) for r in rows]


def test_buckets_are_ranked_by_hits_in_the_range_with_trends(repo: SqlRepository) -> None:
    """Ranking, totals, trend days, product scope and the range all come from one read."""
    reads = SqlDashboardReads(repo.transactions)
    a, _ = _seed(repo)
    page = reads.bucket_list(ADMIN, BucketListQuery(until=DAY2, since=DAY0))
    assert _functions(page) == [("other", 10), ("parse", 8), ("load", 2)]
    assert page.total == 3
    assert (page.trend_since, page.trend_until) == (DAY0, DAY2)
    assert [r.daily for r in page.rows] == [(0, 0, 10), (5, 0, 3), (0, 2, 0)]
    scoped = reads.bucket_list(Scope.products([a.id]), BucketListQuery(until=DAY2, since=DAY0))
    assert _functions(scoped) == [("parse", 8), ("load", 2)]
    today = reads.bucket_list(ADMIN, BucketListQuery(until=DAY2, since=DAY2))
    assert _functions(today) == [("other", 10), ("parse", 3)]
    everything = reads.bucket_list(ADMIN, BucketListQuery(until=DAY2, trend_since=DAY0))
    assert _functions(everything) == [("other", 10), ("parse", 8), ("load", 2)]
    nothing = reads.bucket_list(Scope.products([]), BucketListQuery(until=DAY2, since=DAY0))
    assert (nothing.rows, nothing.total) == ((), 0)


def test_filters_narrow_the_list(repo: SqlRepository) -> None:
    """Product, event type, version, OS and status filters; sorting; paging."""
    reads = SqlDashboardReads(repo.transactions)
    a, b = _seed(repo)
    query = BucketListQuery(until=DAY2, since=DAY0)

    def listed(**changes: Any) -> list[tuple[str, int]]:
        from dataclasses import replace

        return _functions(reads.bucket_list(ADMIN, replace(query, **changes)))

    assert listed(product_ids=frozenset({b.id})) == [("other", 10)]
    assert listed(event_type="APPCRASH") == []
    assert listed(os="Windows 11") == [("parse", 3)]
    assert listed(app_version="1.0.0", os="Linux 6.1") == [("other", 10), ("parse", 5), ("load", 2)]
    assert listed(since=None, os="Windows 11") == [("parse", 3)]
    assert listed(sort=BucketListSort.FIRST_SEEN)[0] == ("other", 10)
    x = BucketRef(a.id, reads.bucket_list(ADMIN, query).rows[1].bucket.bucket_id)
    repo.set_bucket_status(ADMIN, x, BucketStatus.RESOLVED)
    assert listed(statuses=frozenset({BucketStatus.NEW})) == [("other", 10), ("load", 2)]
    second = reads.bucket_list(ADMIN, BucketListQuery(until=DAY2, since=DAY0, limit=1, offset=1))
    assert (_functions(second), second.total) == ([("parse", 8)], 3)
    beyond = reads.bucket_list(ADMIN, BucketListQuery(until=DAY2, since=DAY0, offset=50))
    assert (beyond.rows, beyond.total) == ((), 3)
    assert reads.event_types(ADMIN) == ["PythonUnhandledException"]
    assert reads.event_types(Scope.products([])) == []


def test_merged_buckets_leave_the_list_and_count_on_the_target(repo: SqlRepository) -> None:
    """After a merge the target ranks with both buckets' hits."""
    reads = SqlDashboardReads(repo.transactions)
    a, _ = _seed(repo)
    rows = {
        r.bucket.signature[6].value: r.bucket
        for r in reads.bucket_list(ADMIN, BucketListQuery(until=DAY2, since=DAY0)).rows
    }
    repo.merge_buckets(
        ADMIN, BucketRef(a.id, rows["load"].bucket_id), BucketRef(a.id, rows["parse"].bucket_id)
    )
    page = reads.bucket_list(ADMIN, BucketListQuery(until=DAY2, since=DAY0))
    assert _functions(page) == [("parse", 10), ("other", 10)]  # a tie: the older bucket first
    assert page.rows[0].daily == (5, 2, 3)


def test_facets_compare_a_bucket_with_its_product(repo: SqlRepository) -> None:
    """A version that only this bucket has is over-represented; an evenly spread OS is not;
    packages come from the bundles' modules.json, merged buckets' included."""
    reads = SqlDashboardReads(repo.transactions)
    product = repo.create_product("p")
    new_version = [
        python_request("crash", version="2.0.0", os_name=("Linux" if i % 2 else "Windows"))
        for i in range(10)
    ]
    old = [
        python_request("other", version="1.0.0", os_name=("Linux" if i % 2 else "Windows"))
        for i in range(30)
    ]
    crash_ids = _ingest(repo, product, new_version, 1)
    other_ids = _ingest(repo, product, old, 1)
    for report_id, numpy in [(r, "2.0.0") for r in crash_ids[:5]] + [
        (r, "1.26.4") for r in other_ids[:5]
    ]:
        upload = BundleUpload(
            product_id=product.id,
            report_id=report_id,
            blob_key=f"k/{report_id}",
            size=10,
            packages=(PackageVersion("numpy", numpy), PackageVersion("requests", "2.31.0")),
        )
        assert repo.record_bundle(upload).blob_key == upload.blob_key
    crash = _bucket_of(repo, python_request("crash", version="2.0.0"), product)
    overview = reads.bucket_overview(ADMIN, crash, DAY0, DAY2)
    versions = {v.value: v for v in overview.facets.versions.values}
    assert versions["2.0.0"].count == 11
    assert versions["2.0.0"].over_represented
    assert overview.facets.versions.highlighted == (versions["2.0.0"],)
    assert overview.facets.os.highlighted == ()
    packages = {v.value: v for v in overview.facets.packages.values}
    assert packages["numpy==2.0.0"].over_represented
    assert packages["numpy==2.0.0"].baseline_share == 0  # the rest of the product: 1.26.4
    assert not packages["requests==2.31.0"].over_represented
    assert overview.facets.packages.total == 5
    assert overview.sample is not None
    assert overview.sample.report_id in crash_ids[:5]
    assert len(overview.reports) == 11
    assert overview.detail.bucket.hits == 11
    other = _bucket_of(repo, python_request("other", version="1.0.0"), product)
    repo.merge_buckets(ADMIN, other, crash)
    merged = reads.bucket_overview(ADMIN, crash, DAY0, DAY2, reports_limit=5, reports_offset=5)
    assert merged.facets.packages.total == 10
    assert len(merged.reports) == 5


def test_reads_outside_the_scope_are_not_found(repo: SqlRepository) -> None:
    """A bucket or report of another product is "not found", never shown."""
    reads = SqlDashboardReads(repo.transactions)
    a, b = _seed(repo)
    report_id = _ingest(repo, b, [python_request("secret")], 2)[0]
    bucket = _bucket_of(repo, python_request("secret"), b)
    only_a = Scope.products([a.id])
    with pytest.raises(NotFoundError):
        reads.bucket_overview(only_a, bucket, DAY0, DAY2)
    with pytest.raises(NotFoundError):
        reads.report_answer(only_a, report_id)
    with pytest.raises(NotFoundError):
        reads.report_answer(ADMIN, "not-a-uuid")
    answer = reads.report_answer(ADMIN, report_id)
    assert answer.bucket_id == bucket.bucket_id
