"""Query contract (bucket listings, bucket pages, reports) on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from server_storage_support import (
    BACKENDS,
    BASE_TIME,
    FakeClock,
    backend_repository,
    migrated_postgres_url,
    report_id,
    stage1,
)

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.server.storage import (
    BucketQuery,
    BucketRef,
    BucketSort,
    BucketStatus,
    DayCount,
    ProductRow,
    Repository,
    Scope,
    Stage1Item,
    ValueCount,
)
from openwer.types import ConsentLevel

ADMIN = Scope.everything()
DAY0 = BASE_TIME.date()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh migrated PostgreSQL database for this module."""
    yield from migrated_postgres_url()


@pytest.fixture
def clock() -> FakeClock:
    """A clock at BASE_TIME."""
    return FakeClock()


@pytest.fixture(params=BACKENDS)
def repo(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Repository]:
    """Every backend, empty."""
    yield from backend_repository(request, tmp_path, clock)


@pytest.fixture
def product(repo: Repository, clock: FakeClock) -> ProductRow:
    """Three buckets over three days: a.py 1+2+0 hits, b.py 0+0+4, c.py (HANG) 1+0+0."""
    made = repo.create_product("demo")
    plan = {0: [("a.py", "1.0"), ("c.py", "1.0")], 1: [("a.py", "1.1"), ("a.py", "1.0")]}
    plan[2] = [("b.py", "2.0")] * 4
    number = 0
    for day in (0, 1, 2):
        clock.now = BASE_TIME + timedelta(days=day)
        for module, version in plan[day]:
            number += 1
            request = stage1(
                number,
                module=module,
                app_version=version,
                os_name="Linux 6.1" if number % 2 else "Windows 11",
                event_type="AppHangB1" if module == "c.py" else "APPCRASH",
                consent=ConsentLevel.PARAMETERS_ONLY,
            )
            repo.ingest_stage1([Stage1Item(made.id, request)])
    return made


def modules(repo: Repository, query: BucketQuery) -> list[tuple[str, int]]:
    """(P2, hits in range) of each listed bucket, in order."""
    page = repo.list_buckets(ADMIN, query)
    return [(row.bucket.signature[2].value, row.range_hits) for row in page.rows]


def test_listing_sorts_by_hits_and_filters(repo: Repository, product: ProductRow) -> None:
    """Hits (all days), event type, status and days filter and order the listing."""
    assert modules(repo, BucketQuery()) == [("b.py", 4), ("a.py", 3), ("c.py", 1)]
    assert modules(repo, BucketQuery(event_type="AppHangB1")) == [("c.py", 1)]
    assert modules(repo, BucketQuery(since=DAY0 + timedelta(days=1))) == [("b.py", 4), ("a.py", 2)]
    assert modules(repo, BucketQuery(until=DAY0)) == [("a.py", 1), ("c.py", 1)]
    one_day = BucketQuery(since=DAY0 + timedelta(days=1), until=DAY0 + timedelta(days=1))
    assert modules(repo, one_day) == [("a.py", 2)]
    a_ref = BucketRef(product.id, repo.get_report(ADMIN, report_id(1)).bucket_id)
    repo.set_bucket_status(ADMIN, a_ref, BucketStatus.IGNORED)
    assert modules(repo, BucketQuery(status=BucketStatus.IGNORED)) == [("a.py", 3)]


def test_listing_by_version_and_other_orders(repo: Repository, product: ProductRow) -> None:
    """A version counts only its reports; last/first seen order; pages carry the total."""
    assert modules(repo, BucketQuery(version="1.0")) == [("a.py", 2), ("c.py", 1)]
    assert modules(repo, BucketQuery(version="1.0", since=DAY0 + timedelta(days=1))) == [
        ("a.py", 1)
    ]
    assert modules(repo, BucketQuery(version="9.9")) == []
    assert [m for m, _ in modules(repo, BucketQuery(sort=BucketSort.LAST_SEEN))] == [
        "b.py",
        "a.py",
        "c.py",
    ]
    assert modules(repo, BucketQuery(sort=BucketSort.FIRST_SEEN))[0][0] == "b.py"
    page = repo.list_buckets(ADMIN, BucketQuery(limit=1, offset=1))
    assert page.total == 3
    assert [row.bucket.signature[2].value for row in page.rows] == ["a.py"]
    with pytest.raises(InvalidArgumentError):
        BucketQuery(limit=0)
    with pytest.raises(InvalidArgumentError):
        BucketQuery(offset=-1)


def test_bucket_page_shows_days_versions_os_and_samples(
    repo: Repository, product: ProductRow, clock: FakeClock
) -> None:
    """A bucket page has hits per day, version and OS counts, and the newest reports."""
    ref = BucketRef(product.id, repo.get_report(ADMIN, report_id(1)).bucket_id)
    detail = repo.get_bucket(ADMIN, ref, samples=2)
    assert detail.bucket.hits == 3
    assert detail.hits_per_day == (DayCount(DAY0, 1), DayCount(DAY0 + timedelta(days=1), 2))
    assert detail.versions == (ValueCount("1.0", 2), ValueCount("1.1", 1))
    assert detail.os == (ValueCount("Linux 6.1", 2), ValueCount("Windows 11", 1))
    # newest first; reports 3 and 4 came at the same instant, so by id
    assert [r.report_id for r in detail.sample_reports] == [report_id(3), report_id(4)]
    assert detail.solution is None
    assert detail.merged_from == ()
    narrow = repo.get_bucket(ADMIN, ref, since=DAY0, until=DAY0)
    assert narrow.hits_per_day == (DayCount(DAY0, 1),)
    clock.advance(days=60)
    assert repo.get_bucket(ADMIN, ref).hits_per_day == ()
    with pytest.raises(NotFoundError):
        repo.get_bucket(ADMIN, BucketRef(product.id, "00000000-0000-8000-8000-000000000000"))
    with pytest.raises(InvalidArgumentError):
        repo.get_bucket(ADMIN, ref, samples=-1)


def test_report_has_its_facts(repo: Repository, product: ProductRow) -> None:
    """A report keeps what stage 1 said and what the server answered."""
    report = repo.get_report(ADMIN, report_id(2).upper())
    assert report.report_id == report_id(2)
    assert (report.event_type, report.report_type) == ("AppHangB1", 2)
    assert (report.app_version, report.os, report.consent) == (
        "1.0",
        "Windows 11",
        ConsentLevel.PARAMETERS_ONLY,
    )
    assert report.received_at == BASE_TIME
    assert (report.hit_ordinal, report.bundle_wanted, report.files) == (1, False, ())
    with pytest.raises(NotFoundError):
        repo.get_report(ADMIN, report_id(999))
