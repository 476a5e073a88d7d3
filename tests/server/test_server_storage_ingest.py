"""Ingest contract (stage 1 and stage 2), run against memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from server_storage_support import (
    BACKENDS,
    FakeClock,
    backend_repository,
    migrated_postgres_url,
    report_id,
    stage1,
)

from openwer.errors import InvalidArgumentError, StoreError
from openwer.formats.bucket_id import compute_bucket_ids
from openwer.formats.protocol import Stage1Response
from openwer.server.storage import (
    BucketRef,
    BucketStatus,
    BundleOutcome,
    BundleState,
    BundleUpload,
    DataPolicy,
    ProductRow,
    ReportFile,
    Repository,
    Scope,
    Stage1Item,
    Stage1Outcome,
    Stage1Status,
)
from openwer.types import ConsentLevel, DumpType

ADMIN = Scope.everything()


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
def product(repo: Repository) -> ProductRow:
    """A product with a small policy: first 2 hits, then 1 in 3, at most 4 a day."""
    return repo.create_product("demo", DataPolicy(first_n=2, one_in_k=3, max_bundles_per_day=4))


def ingest_one(repo: Repository, product: ProductRow, number: int, **kwargs: Any) -> Stage1Outcome:
    """Ingest one stage 1 and return its outcome."""
    (outcome,) = repo.ingest_stage1([Stage1Item(product.id, stage1(number, **kwargs))])
    return outcome


def answer(repo: Repository, product: ProductRow, number: int, **kwargs: Any) -> Stage1Response:
    """Ingest one new stage 1 and return its answer."""
    outcome = ingest_one(repo, product, number, **kwargs)
    assert outcome.response is not None
    return outcome.response


def test_new_report_gets_the_client_bucket_ids(repo: Repository, product: ProductRow) -> None:
    """The answer names the bucket the client computes itself, and asks for the bundle."""
    outcome = ingest_one(repo, product, 1)
    ids = compute_bucket_ids("APPCRASH", ["demo", "1.0", "mod.py"])
    assert outcome.status is Stage1Status.NEW
    assert outcome.hit_ordinal == 1
    assert outcome.response is not None
    assert outcome.response.bucket_id == ids.bucket_id_string
    assert outcome.response.legacy_bucket_id == ids.legacy_bucket_id
    assert outcome.response.bucket_table == 1
    assert outcome.response.upload_url == f"/api/v1/reports/{report_id(1)}/bundle"
    assert outcome.response.data_request is not None
    assert outcome.response.data_request.dump_type is DumpType.MINI_DUMP
    assert not outcome.response.data_request.explicit


def test_repeat_is_one_hit_with_the_same_answer(repo: Repository, product: ProductRow) -> None:
    """A report id seen before, in the batch or earlier, adds no hit and gets the same answer."""
    first = repo.ingest_stage1([Stage1Item(product.id, stage1(n)) for n in (1, 2, 1)])
    assert [o.status for o in first] == [Stage1Status.NEW, Stage1Status.NEW, Stage1Status.REPEAT]
    assert first[2].response == first[0].response
    again = ingest_one(repo, product, 2)
    assert again.status is Stage1Status.REPEAT
    assert again.response == first[1].response
    assert again.hit_ordinal == 2
    assert first[0].response is not None
    (bucket,) = repo.find_buckets(ADMIN, first[0].response.bucket_id)
    assert bucket.hits == 2


def test_other_products_report_id_and_wrong_product_are_refused(repo: Repository) -> None:
    """A report id of another product, an unknown product or a misnamed one count nothing."""
    one = repo.create_product("one")
    two = repo.create_product("two")
    ingest_one(repo, one, 1)
    outcomes = repo.ingest_stage1(
        [
            Stage1Item(two.id, stage1(1)),
            Stage1Item(9999, stage1(2)),
            Stage1Item(two.id, stage1(3, product="one")),
            Stage1Item(two.id, stage1(4, product="two")),
        ]
    )
    assert [o.status for o in outcomes] == [
        Stage1Status.ID_CONFLICT,
        Stage1Status.WRONG_PRODUCT,
        Stage1Status.WRONG_PRODUCT,
        Stage1Status.NEW,
    ]
    assert outcomes[0].response is None
    assert repo.get_report(ADMIN, report_id(1)).product_id == one.id


def test_policy_first_n_then_one_in_k_bounded_per_day(
    repo: Repository, product: ProductRow, clock: FakeClock
) -> None:
    """Hits 1-2 and every 3rd are wanted, at most 4 a day; a new day has a new budget."""
    wanted = [answer(repo, product, n).wants_bundle for n in range(1, 16)]
    assert [i + 1 for i, w in enumerate(wanted) if w] == [1, 2, 3, 6]
    clock.advance(days=1)
    assert answer(repo, product, 16).wants_bundle is False
    assert answer(repo, product, 17).wants_bundle is False
    assert answer(repo, product, 18).wants_bundle is True


def test_consent_limits_what_is_asked(repo: Repository, product: ProductRow) -> None:
    """Parameters-only consent gets no data request; a heap dump needs all data."""
    low = answer(repo, product, 1, consent=ConsentLevel.PARAMETERS_ONLY)
    assert low.data_request is None
    assert low.upload_url is None
    bucket = BucketRef(product.id, low.bucket_id)
    repo.request_data(ADMIN, bucket, 1, DumpType.HEAP_DUMP)
    safe = answer(repo, product, 2, consent=ConsentLevel.PARAMETERS_AND_SAFE_DATA)
    assert safe.data_request is not None
    assert not safe.data_request.explicit
    full = answer(repo, product, 3, consent=ConsentLevel.ALL_DATA)
    assert full.data_request is not None
    assert full.data_request.explicit
    assert full.data_request.dump_type is DumpType.HEAP_DUMP
    asked = answer(repo, product, 4, module="b.py", consent=ConsentLevel.ALWAYS_ASK)
    assert asked.wants_bundle  # the client asks the user; the policy still wants it


def test_explicit_request_is_honoured_exactly_n_times(
    repo: Repository, product: ProductRow
) -> None:
    """ "The next 3 hits with a full dump": 3 explicit requests, even on an ignored bucket."""
    bucket = BucketRef(product.id, answer(repo, product, 1).bucket_id)
    repo.set_bucket_status(ADMIN, bucket, BucketStatus.IGNORED)
    row = repo.request_data(ADMIN, bucket, 3, DumpType.HEAP_DUMP)
    assert (row.explicit_remaining, row.explicit_dump_type) == (3, DumpType.HEAP_DUMP)
    outcomes = repo.ingest_stage1([Stage1Item(product.id, stage1(n)) for n in range(2, 7)])
    requests = [o.response.data_request if o.response else None for o in outcomes]
    assert [r is not None and r.explicit for r in requests] == [True, True, True, False, False]
    assert repo.find_buckets(ADMIN, bucket.bucket_id)[0].explicit_remaining == 0
    repo.request_data(ADMIN, bucket, 2)
    cleared = repo.request_data(ADMIN, bucket, 0)
    assert (cleared.explicit_remaining, cleared.explicit_dump_type) == (0, None)


def test_fixed_in_version_regresses_only_from_that_version(
    repo: Repository, product: ProductRow, clock: FakeClock
) -> None:
    """Resolved "fixed in 2.0": a 1.9 hit keeps it resolved, a 2.10 hit regresses it."""
    for n in range(1, 4):
        ingest_one(repo, product, n, app_version="1.9")
    bucket = BucketRef(product.id, answer(repo, product, 4, app_version="1.9").bucket_id)
    resolved = repo.set_bucket_status(ADMIN, bucket, BucketStatus.RESOLVED, "2.0")
    assert (resolved.status, resolved.fixed_in_version) == (BucketStatus.RESOLVED, "2.0")
    clock.advance(days=1)
    old = answer(repo, product, 5, app_version="1.9")  # ordinal 5: the policy skips it
    assert repo.find_buckets(ADMIN, bucket.bucket_id)[0].status is BucketStatus.RESOLVED
    assert not old.wants_bundle
    new = answer(repo, product, 7, app_version="2.10")  # ordinal 7: wanted as a regression
    assert repo.find_buckets(ADMIN, bucket.bucket_id)[0].status is BucketStatus.REGRESSED
    assert new.wants_bundle


def test_resolved_without_version_regresses_on_any_hit(
    repo: Repository, product: ProductRow
) -> None:
    """Resolved with no version: the next hit regresses it; reopen sets it new."""
    bucket = BucketRef(product.id, answer(repo, product, 1).bucket_id.upper())
    repo.set_bucket_status(ADMIN, bucket, BucketStatus.RESOLVED)
    ingest_one(repo, product, 2, app_version="0.1")
    assert repo.find_buckets(ADMIN, bucket.bucket_id)[0].status is BucketStatus.REGRESSED
    assert repo.set_bucket_status(ADMIN, bucket, BucketStatus.NEW).status is BucketStatus.NEW


def test_ignored_bucket_counts_but_asks_nothing(repo: Repository, product: ProductRow) -> None:
    """Ignored buckets still count hits; the policy asks no data for them."""
    bucket = BucketRef(product.id, answer(repo, product, 1).bucket_id)
    repo.set_bucket_status(ADMIN, bucket, BucketStatus.IGNORED)
    outcome = ingest_one(repo, product, 2)
    assert outcome.response is not None
    assert not outcome.response.wants_bundle
    assert outcome.hit_ordinal == 2


def test_lifecycle_arguments_are_checked(repo: Repository, product: ProductRow) -> None:
    """Regressed is not set by hand; a fixed-in version needs resolved; counts are bounded."""
    bucket = BucketRef(product.id, answer(repo, product, 1).bucket_id)
    with pytest.raises(InvalidArgumentError):
        repo.set_bucket_status(ADMIN, bucket, BucketStatus.REGRESSED)
    with pytest.raises(InvalidArgumentError):
        repo.set_bucket_status(ADMIN, bucket, BucketStatus.IGNORED, "2.0")
    with pytest.raises(InvalidArgumentError):
        repo.request_data(ADMIN, bucket, -1)
    with pytest.raises(InvalidArgumentError):
        repo.request_data(ADMIN, bucket, 1, DumpType.NONE)
    with pytest.raises(InvalidArgumentError):
        BucketRef(product.id, "not-a-guid")


def test_invalid_items_are_refused(repo: Repository, product: ProductRow) -> None:
    """A report id that is not a UUID or an empty event type is an InvalidArgumentError."""
    with pytest.raises(InvalidArgumentError):
        repo.ingest_stage1([Stage1Item(product.id, stage1("not-a-uuid"))])
    with pytest.raises(InvalidArgumentError):
        repo.ingest_stage1([Stage1Item(product.id, stage1(1, event_type=""))])
    assert repo.ingest_stage1([]) == []


def test_bundle_is_recorded_once(repo: Repository, product: ProductRow) -> None:
    """Stage 2 is idempotent; unasked, unknown and foreign reports are named outcomes."""
    wanted = answer(repo, product, 1)
    files = (ReportFile("Report.wer", 10), ReportFile("memory.hdmp", 90))
    upload = BundleUpload(product.id, report_id(1), "blob/1", 100, files)
    assert repo.reports_wanting_bundle(ADMIN) == [report_id(1)]
    result = repo.record_bundle(upload)
    assert (result.outcome, result.blob_key) == (BundleOutcome.STORED, "blob/1")
    again = repo.record_bundle(BundleUpload(product.id, report_id(1), "blob/other", 100))
    assert (again.outcome, again.blob_key) == (BundleOutcome.ALREADY_STORED, "blob/1")
    stored = repo.get_report(ADMIN, report_id(1))
    assert stored.bundle_state is BundleState.STORED
    assert (stored.bundle_key, stored.bundle_size, stored.files) == ("blob/1", 100, files)
    assert repo.find_buckets(ADMIN, wanted.bucket_id)[0].bundles_collected == 1
    assert repo.reports_wanting_bundle(ADMIN) == []
    ingest_one(repo, product, 2, consent=ConsentLevel.PARAMETERS_ONLY)
    unasked = repo.record_bundle(BundleUpload(product.id, report_id(2), "b", 1))
    assert unasked.outcome is BundleOutcome.NOT_REQUESTED
    unknown = repo.record_bundle(BundleUpload(product.id, report_id(99), "b", 1))
    assert unknown.outcome is BundleOutcome.UNKNOWN_REPORT
    other = repo.create_product("other")
    foreign = repo.record_bundle(BundleUpload(other.id, report_id(1), "b", 1))
    assert foreign.outcome is BundleOutcome.UNKNOWN_REPORT
    with pytest.raises(InvalidArgumentError):
        repo.record_bundle(BundleUpload(product.id, report_id(1), "", 1))


def test_bundles_recorded_as_one_batch(repo: Repository, product: ProductRow) -> None:
    """record_bundles answers in order; a report listed twice is stored by its first upload."""
    for number in (1, 2):
        ingest_one(repo, product, number)
    files = (ReportFile("Report.wer", 3),)
    results = repo.record_bundles(
        [
            BundleUpload(product.id, report_id(2), "b/2", 5),
            BundleUpload(product.id, report_id(1), "b/1", 3, files),
            BundleUpload(product.id, report_id(2), "b/2-again", 5),
            BundleUpload(product.id, report_id(77), "b/77", 1),
        ]
    )
    assert [(r.outcome, r.blob_key) for r in results] == [
        (BundleOutcome.STORED, "b/2"),
        (BundleOutcome.STORED, "b/1"),
        (BundleOutcome.ALREADY_STORED, "b/2"),
        (BundleOutcome.UNKNOWN_REPORT, None),
    ]
    bucket_id = repo.get_report(ADMIN, report_id(1)).bucket_id
    assert repo.find_buckets(ADMIN, bucket_id)[0].bundles_collected == 2
    assert repo.get_report(ADMIN, report_id(1)).files == files
    assert repo.record_bundles([]) == []


@pytest.mark.parametrize(
    "upload",
    [
        BundleUpload(1, report_id(1), "k", -1),
        BundleUpload(1, report_id(1), "k", 1, (ReportFile("a", 1), ReportFile("a", 2))),
        BundleUpload(1, report_id(1), "k", 1, (ReportFile("x" * 261, 1),)),
        BundleUpload(1, report_id(1), "k", 1, received_at=datetime(2026, 1, 1)),
        BundleUpload(1, "nope", "k", 1),
    ],
)
def test_invalid_uploads_record_nothing(
    repo: Repository, product: ProductRow, upload: BundleUpload
) -> None:
    """An upload storage cannot hold is refused, and its batch records nothing."""
    ingest_one(repo, product, 1)
    good = BundleUpload(product.id, report_id(1), "k", 1)
    with pytest.raises(InvalidArgumentError):
        repo.record_bundles([good, upload])
    assert repo.get_report(ADMIN, report_id(1)).bundle_state is BundleState.WANTED


def test_prune_by_age_then_quota_oldest_first(
    repo: Repository, product: ProductRow, clock: FakeClock
) -> None:
    """Old bundles go first, then the oldest beyond the quota; hit counts stay."""
    repo.set_policy(product.id, DataPolicy(first_n=100, max_bundles_per_day=100))
    for n in range(1, 6):
        ingest_one(repo, product, n)
        repo.record_bundle(BundleUpload(product.id, report_id(n), f"blob/{n}", 100))
        clock.advance(hours=1)
    by_age = repo.prune_bundles(older_than=clock.now - timedelta(hours=4, minutes=30))
    assert [p.blob_key for p in by_age] == ["blob/1"]
    by_quota = repo.prune_bundles(max_total_bytes=250)
    assert [p.blob_key for p in by_quota] == ["blob/2", "blob/3"]
    assert repo.prune_bundles(older_than=clock.now - timedelta(days=9), max_total_bytes=250) == []
    limited = repo.prune_bundles(max_total_bytes=0, limit=1)
    assert [(p.report_id, p.size) for p in limited] == [(report_id(4), 100)]
    pruned = repo.get_report(ADMIN, report_id(1))
    assert (pruned.bundle_state, pruned.bundle_key) == (BundleState.PRUNED, None)
    late = repo.record_bundle(BundleUpload(product.id, report_id(1), "blob/again", 100))
    assert (late.outcome, late.blob_key) == (BundleOutcome.ALREADY_STORED, None)
    assert repo.find_buckets(ADMIN, repo.get_report(ADMIN, report_id(5)).bucket_id)[0].hits == 5
    with pytest.raises(InvalidArgumentError):
        repo.prune_bundles(limit=0)


def test_closed_repository_refuses_work(repo: Repository, product: ProductRow) -> None:
    """After close every call raises StoreError; close is idempotent."""
    repo.close()
    repo.close()
    with pytest.raises(StoreError):
        ingest_one(repo, product, 1)
    with pytest.raises(StoreError):
        repo.list_products(ADMIN)
