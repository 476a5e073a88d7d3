"""Bundle retention: passes by age and quota, failed deletions, stop requests, two pruners on
one SQLite (and PostgreSQL) database, and the schedule in the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from server_storage_support import BASE_TIME, FakeClock, migrated_postgres_url, report_id, stage1

from openwer.errors import InvalidArgumentError, SettingsError, StoreError
from openwer.server.app import create_app
from openwer.server.blobs import BlobStore, LocalBlobStore, MemoryBlobStore
from openwer.server.config import ServerConfig, load_server_config
from openwer.server.retention import (
    BlobCleanup,
    BundlePruner,
    PruneSummary,
    RetentionPolicy,
    RetentionSchedule,
)
from openwer.server.services import Services
from openwer.server.storage import (
    BundleOutcome,
    BundleState,
    BundleUpload,
    DataPolicy,
    MemoryRepository,
    ProductRow,
    PrunedBundle,
    Repository,
    Scope,
    Stage1Item,
    open_repository,
)

ADMIN = Scope.everything()
NOW = BASE_TIME
OLD = NOW - timedelta(days=200)
AGE = RetentionPolicy(max_age=timedelta(days=90))


class FlakyBlobStore(MemoryBlobStore):
    """A memory store whose ``delete`` fails while ``failing`` is set (and counts calls)."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False
        self.deletes = 0
        self.on_delete: list[object] = []

    def delete(self, key: str) -> None:
        self.deletes += 1
        for hook in self.on_delete:
            assert callable(hook)
            hook()
        if self.failing:
            raise StoreError(f"blob store unreachable deleting {key}")
        super().delete(key)


def wanting_product(repo: Repository) -> ProductRow:
    """A product whose every report's bundle is wanted."""
    return repo.create_product("app", DataPolicy(first_n=100_000, max_bundles_per_day=100_000))


def seed(
    repo: Repository,
    blobs: BlobStore,
    product: ProductRow,
    number: int,
    received_at: datetime,
    size: int = 100,
) -> str:
    """A report with a stored bundle received at ``received_at``; returns its blob key."""
    repo.ingest_stage1([Stage1Item(product.id, stage1(number), received_at=received_at)])
    key = f"bundles/{product.id}/{report_id(number)}-{number:016x}.cab"
    blobs.put(key, b"x" * size)
    upload = BundleUpload(product.id, report_id(number), key, size, received_at=received_at)
    assert repo.record_bundle(upload).outcome is BundleOutcome.STORED
    return key


def state(repo: Repository, number: int) -> BundleState:
    return repo.get_report(ADMIN, report_id(number)).bundle_state


def hits(repo: Repository, number: int) -> int:
    bucket_id = repo.get_report(ADMIN, report_id(number)).bucket_id
    return sum(bucket.hits for bucket in repo.find_buckets(ADMIN, bucket_id))


@pytest.fixture
def repo() -> MemoryRepository:
    return MemoryRepository(clock=FakeClock())


@pytest.fixture
def blobs() -> FlakyBlobStore:
    return FlakyBlobStore()


# --- the policy ---------------------------------------------------------------------------


def test_policy_from_configuration(tmp_path: Path) -> None:
    """90 days and no quota by default; 0 turns a rule off; [server] and the environment set
    them; negative values are refused."""
    default = RetentionPolicy.from_config(ServerConfig(data_dir=tmp_path))
    assert default == RetentionPolicy(max_age=timedelta(days=90))
    assert ServerConfig(data_dir=tmp_path).retention_interval_seconds == 3600
    off = ServerConfig(data_dir=tmp_path, bundle_max_age_days=0)
    assert not RetentionPolicy.from_config(off).enabled
    path = tmp_path / "server.toml"
    path.write_text("[server]\nbundle_max_age_days = 7\nretention_interval_seconds = 60\n")
    env = {"OPENWER_HOME": str(tmp_path), "OPENWER_SERVER_BUNDLE_QUOTA_BYTES": "1000"}
    config = load_server_config(path, env)
    assert (config.bundle_max_age_days, config.retention_interval_seconds) == (7, 60)
    assert RetentionPolicy.from_config(config) == RetentionPolicy(timedelta(days=7), 1000)
    with pytest.raises(SettingsError, match="bundle_max_age_days"):
        ServerConfig(data_dir=tmp_path, bundle_max_age_days=-1)
    with pytest.raises(SettingsError, match="bundle_quota_bytes"):
        ServerConfig(data_dir=tmp_path, bundle_quota_bytes=-5)
    with pytest.raises(SettingsError, match="retention_interval_seconds"):
        load_server_config(None, {**env, "OPENWER_SERVER_RETENTION_INTERVAL_SECONDS": "-1"})
    with pytest.raises(InvalidArgumentError):
        RetentionPolicy(max_age=timedelta(0))
    with pytest.raises(InvalidArgumentError):
        BundlePruner(MemoryRepository(), MemoryBlobStore(), AGE, batch_size=0)


# --- passes -------------------------------------------------------------------------------


def test_old_bundles_go_reports_and_hits_stay(repo: Repository, blobs: FlakyBlobStore) -> None:
    """Bundles older than the age go (row first, then blob); newer ones and every hit stay."""
    product = wanting_product(repo)
    old_a = seed(repo, blobs, product, 1, OLD)
    old_b = seed(repo, blobs, product, 2, NOW - timedelta(days=91))
    young = seed(repo, blobs, product, 3, NOW - timedelta(days=89))
    summary = BundlePruner(repo, blobs, AGE, clock=lambda: NOW).run_pass()
    assert [(p.blob_key, p.cleanup) for p in summary.pruned] == [
        (old_a, BlobCleanup.DELETED),
        (old_b, BlobCleanup.DELETED),
    ]
    assert summary.bytes_pruned == 200
    assert (summary.pending, summary.retried, summary.stopped) == ((), (), False)
    assert [blobs.exists(k) for k in (old_a, old_b, young)] == [False, False, True]
    assert [state(repo, n) for n in (1, 2, 3)] == [
        BundleState.PRUNED,
        BundleState.PRUNED,
        BundleState.STORED,
    ]
    assert repo.get_report(ADMIN, report_id(1)).bundle_key is None
    assert hits(repo, 1) == 3
    assert BundlePruner(repo, blobs, AGE, clock=lambda: NOW).run_pass() == PruneSummary()


def test_quota_prunes_oldest_first(repo: Repository, blobs: FlakyBlobStore) -> None:
    """Over the quota the oldest bundles go until the rest fit."""
    product = wanting_product(repo)
    keys = [seed(repo, blobs, product, n, NOW - timedelta(hours=10 - n)) for n in range(1, 6)]
    policy = RetentionPolicy(quota_bytes=250)
    summary = BundlePruner(repo, blobs, policy, clock=lambda: NOW).run_pass()
    assert [p.blob_key for p in summary.pruned] == keys[:3]
    assert [blobs.exists(k) for k in keys] == [False, False, False, True, True]
    assert hits(repo, 5) == 5


def test_age_and_quota_together_in_small_batches(repo: Repository, blobs: FlakyBlobStore) -> None:
    """One pass works through every batch: first by age, then by quota."""
    product = wanting_product(repo)
    for n in range(1, 8):
        seed(repo, blobs, product, n, OLD + timedelta(minutes=n))
    for n in range(8, 14):
        seed(repo, blobs, product, n, NOW - timedelta(minutes=20 - n))
    policy = RetentionPolicy(timedelta(days=90), quota_bytes=300)
    summary = BundlePruner(repo, blobs, policy, clock=lambda: NOW, batch_size=2).run_pass()
    assert [p.report_id for p in summary.pruned] == [report_id(n) for n in range(1, 11)]
    assert sorted(info.key for info in blobs.list()) == sorted(
        f"bundles/{product.id}/{report_id(n)}-{n:016x}.cab" for n in (11, 12, 13)
    )


def test_a_pass_is_bounded_and_the_next_goes_on(repo: Repository, blobs: FlakyBlobStore) -> None:
    """max_per_pass caps one pass; the next pass takes the rest."""
    product = wanting_product(repo)
    for n in range(1, 8):
        seed(repo, blobs, product, n, OLD)
    pruner = BundlePruner(repo, blobs, AGE, clock=lambda: NOW, batch_size=2, max_per_pass=3)
    assert len(pruner.run_pass().pruned) == 3
    assert len(pruner.run_pass().pruned) == 3
    assert len(pruner.run_pass().pruned) == 1
    assert list(blobs.list()) == []


def test_a_blob_already_deleted_is_fine(repo: Repository, blobs: FlakyBlobStore) -> None:
    """Another server (or an operator) deleted the blob first: the pass still succeeds."""
    product = wanting_product(repo)
    key = seed(repo, blobs, product, 1, OLD)
    blobs.delete(key)
    summary = BundlePruner(repo, blobs, AGE, clock=lambda: NOW).run_pass()
    assert [p.cleanup for p in summary.pruned] == [BlobCleanup.DELETED]
    assert state(repo, 1) is BundleState.PRUNED


def test_failed_deletions_are_retried_next_pass(
    repo: Repository, blobs: FlakyBlobStore, caplog: pytest.LogCaptureFixture
) -> None:
    """The first failure ends the pass (the rest of the batch is remembered without being
    tried, no further rows are marked); the next pass deletes them, then goes on."""
    product = wanting_product(repo)
    keys = [seed(repo, blobs, product, n, OLD + timedelta(minutes=n)) for n in range(1, 6)]
    pruner = BundlePruner(repo, blobs, AGE, clock=lambda: NOW, batch_size=2)
    blobs.failing = True
    with caplog.at_level(logging.WARNING, "openwer.server.retention"):
        first = pruner.run_pass()
    assert [p.cleanup for p in first.pruned] == [BlobCleanup.PENDING, BlobCleanup.PENDING]
    assert blobs.deletes == 1
    assert first.pending == tuple(keys[:2]) == pruner.pending
    assert [state(repo, n) for n in range(1, 6)] == [BundleState.PRUNED] * 2 + [
        BundleState.STORED
    ] * 3
    assert keys[0] in caplog.text
    assert pruner.run_pass().retried == ()  # still failing: one try, then wait
    assert blobs.deletes == 2
    blobs.failing = False
    second = pruner.run_pass()
    assert second.retried == tuple(keys[:2])
    assert [p.blob_key for p in second.pruned] == keys[2:]
    assert second.pending == ()
    assert list(blobs.list()) == []


def test_pending_deletions_are_bounded(
    repo: Repository, blobs: FlakyBlobStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Beyond max_pending a failed key is abandoned, and logged at ERROR as an orphan."""
    product = wanting_product(repo)
    keys = [seed(repo, blobs, product, n, OLD + timedelta(minutes=n)) for n in range(1, 4)]
    pruner = BundlePruner(repo, blobs, AGE, clock=lambda: NOW, max_pending=1)
    blobs.failing = True
    with caplog.at_level(logging.ERROR, "openwer.server.retention"):
        summary = pruner.run_pass()
    assert [p.cleanup for p in summary.pruned] == [
        BlobCleanup.PENDING,
        BlobCleanup.ABANDONED,
        BlobCleanup.ABANDONED,
    ]
    assert summary.pending == (keys[0],)
    assert "stays as an orphan" in caplog.text
    assert keys[2] in caplog.text


def test_an_invalid_blob_key_is_abandoned_and_the_pass_goes_on(
    repo: Repository, blobs: FlakyBlobStore
) -> None:
    """A row naming a key no blob can have cannot be cleaned up; the others still are."""
    product = wanting_product(repo)
    repo.ingest_stage1([Stage1Item(product.id, stage1(1), received_at=OLD)])
    repo.record_bundle(BundleUpload(product.id, report_id(1), "../evil", 5, received_at=OLD))
    good = seed(repo, blobs, product, 2, OLD + timedelta(minutes=1))
    summary = BundlePruner(repo, blobs, AGE, clock=lambda: NOW).run_pass()
    assert [p.cleanup for p in summary.pruned] == [BlobCleanup.ABANDONED, BlobCleanup.DELETED]
    assert not blobs.exists(good)
    assert summary.pending == ()


def test_stop_ends_the_pass_after_its_batch(repo: Repository, blobs: FlakyBlobStore) -> None:
    """A stop request lets the batch at hand finish (its rows are committed) and no more."""
    product = wanting_product(repo)
    for n in range(1, 7):
        seed(repo, blobs, product, n, OLD + timedelta(minutes=n))
    stop = threading.Event()
    blobs.on_delete.append(stop.set)
    summary = BundlePruner(repo, blobs, AGE, clock=lambda: NOW, batch_size=2).run_pass(stop)
    assert summary.stopped
    assert [p.cleanup for p in summary.pruned] == [BlobCleanup.DELETED] * 2
    assert [state(repo, n) for n in range(1, 7)] == [BundleState.PRUNED] * 2 + [
        BundleState.STORED
    ] * 4


def test_retention_off_prunes_nothing(repo: Repository, blobs: FlakyBlobStore) -> None:
    """With neither an age nor a quota nothing is touched, however old."""
    product = wanting_product(repo)
    seed(repo, blobs, product, 1, datetime(2000, 1, 1, tzinfo=UTC))
    assert BundlePruner(repo, blobs, RetentionPolicy(), clock=lambda: NOW).run_pass() == (
        PruneSummary()
    )
    assert state(repo, 1) is BundleState.STORED


class FailingSecondBatch:
    """A repository whose second ``prune_bundles`` raises StoreError."""

    def __init__(self, inner: Repository) -> None:
        self.inner = inner
        self.calls = 0

    def prune_bundles(
        self, older_than: datetime | None, max_total_bytes: int | None, limit: int
    ) -> list[PrunedBundle]:
        self.calls += 1
        if self.calls == 2:
            raise StoreError("database went away")
        return self.inner.prune_bundles(older_than, max_total_bytes, limit)


def test_a_storage_failure_ends_the_pass_after_cleaning_up(
    repo: Repository, blobs: FlakyBlobStore
) -> None:
    """StoreError leaves the pass; the batch committed before it had its blobs deleted."""
    product = wanting_product(repo)
    keys = [seed(repo, blobs, product, n, OLD + timedelta(minutes=n)) for n in range(1, 5)]
    failing = FailingSecondBatch(repo)
    pruner = BundlePruner(failing, blobs, AGE, clock=lambda: NOW, batch_size=2)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        pruner.run_pass()
    assert [blobs.exists(k) for k in keys] == [False, False, True, True]
    assert len(pruner.run_pass().pruned) == 2


# --- several servers on one database ------------------------------------------------------


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh migrated PostgreSQL database for this module."""
    yield from migrated_postgres_url()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_pruners_at_once_on_one_database(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Two servers pruning the same database and blob folder at the same moment: neither
    fails, every old bundle is pruned and deleted once or (harmlessly) twice, hits stay.
    SQLite runs the batches one after the other, so no bundle is pruned twice there."""
    sqlite = "sqlite:///shared.sqlite3"
    url = sqlite if backend == "sqlite" else request.getfixturevalue("pg_url")
    first = open_repository(url, tmp_path, run_migrations=backend == "sqlite")
    second = open_repository(url, tmp_path, run_migrations=False)
    stores = [LocalBlobStore(tmp_path / "blobs"), LocalBlobStore(tmp_path / "blobs")]
    try:
        product = wanting_product(first)
        count = 120
        for n in range(1, count + 1):
            seed(first, stores[0], product, n, OLD + timedelta(seconds=n))
        young = seed(first, stores[0], product, count + 1, datetime.now(UTC))
        pruners = [
            BundlePruner(repo, store, AGE, batch_size=7)
            for repo, store in zip((first, second), stores, strict=True)
        ]
        summaries: list[PruneSummary] = []
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def run(pruner: BundlePruner) -> None:
            start.wait()
            try:
                summaries.append(pruner.run_pass())
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(p,)) for p in pruners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        pruned = [p.report_id for summary in summaries for p in summary.pruned]
        assert set(pruned) == {report_id(n) for n in range(1, count + 1)}
        if backend == "sqlite":
            assert len(pruned) == count
        assert all(p.cleanup is BlobCleanup.DELETED for s in summaries for p in s.pruned)
        assert [info.key for info in stores[0].list()] == [young]
        assert all(state(first, n) is BundleState.PRUNED for n in range(1, count + 1))
        assert hits(first, 1) == count + 1
    finally:
        first.close()
        second.close()
        for store in stores:
            store.close()


# --- the schedule and the app's lifespan --------------------------------------------------


def test_schedule_runs_passes_survives_failures_and_stops_at_once(
    repo: Repository, blobs: FlakyBlobStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Passes run at start and every interval; a failing pass is logged, the next runs; stop
    wakes the task from its wait; pending deletions are logged as orphans at stop."""
    product = wanting_product(repo)
    key = seed(repo, blobs, product, 1, OLD)
    failing = FailingSecondBatch(repo)
    failing.calls = 1  # the first call is the one that fails
    schedule = RetentionSchedule(
        BundlePruner(failing, blobs, AGE, clock=lambda: NOW),  # type: ignore[arg-type]
        interval=0.01,
    )

    async def scenario() -> None:
        schedule.start()
        schedule.start()  # idempotent
        assert schedule.running
        while schedule.passes < 2:
            await asyncio.sleep(0.005)
        blobs.failing = True
        seed(repo, blobs, product, 2, OLD)
        while not schedule.pruner.pending:
            await asyncio.sleep(0.005)
        schedule.interval = 3600  # the next wait is long: stop must cut it short
        await asyncio.sleep(0.05)
        began = time.monotonic()
        await schedule.stop()
        assert time.monotonic() - began < 2
        await schedule.stop()  # idempotent

    with caplog.at_level(logging.WARNING, "openwer.server.retention"):
        asyncio.run(scenario())
    assert not schedule.running
    assert "database went away" in caplog.text
    assert not blobs.exists(key)
    assert "stay as orphans" in caplog.text


def test_schedule_does_nothing_when_off(repo: Repository, blobs: FlakyBlobStore) -> None:
    """An interval of 0 or a policy that prunes nothing starts no task."""

    async def scenario() -> None:
        for schedule in (
            RetentionSchedule(BundlePruner(repo, blobs, AGE), interval=0),
            RetentionSchedule(BundlePruner(repo, blobs, RetentionPolicy()), interval=60),
        ):
            schedule.start()
            assert not schedule.running
            await schedule.stop()

    asyncio.run(scenario())


def test_stop_waits_for_a_pass_in_progress(repo: Repository, blobs: FlakyBlobStore) -> None:
    """Stopping mid-pass returns once the batch at hand is done; the rest stays for later."""
    product = wanting_product(repo)
    for n in range(1, 41):
        seed(repo, blobs, product, n, OLD + timedelta(minutes=n))
    deleting = threading.Event()

    def slow() -> None:
        deleting.set()
        time.sleep(0.01)

    blobs.on_delete.append(slow)
    schedule = RetentionSchedule(
        BundlePruner(repo, blobs, AGE, clock=lambda: NOW, batch_size=4), interval=3600
    )

    async def scenario() -> None:
        schedule.start()
        while not deleting.is_set():
            await asyncio.sleep(0.001)
        await schedule.stop()

    asyncio.run(scenario())
    states = [state(repo, n) for n in range(1, 41)]
    assert states.count(BundleState.STORED) > 0
    pruned = states.count(BundleState.PRUNED)
    assert pruned % 4 == 0
    assert len(list(blobs.list())) == 40 - pruned  # no pruned row left a blob behind


def test_lifespan_starts_and_stops_retention(tmp_path: Path) -> None:
    """Under a lifespan the app prunes at start-up (real SQLite, real blob folder) and stops
    the schedule before closing the storage."""
    app = create_app(ServerConfig(data_dir=tmp_path))
    services: Services = app.state.services
    product = wanting_product(services.repository)
    old = seed(
        services.repository, services.blobs, product, 1, datetime.now(UTC) - timedelta(days=91)
    )
    young = seed(services.repository, services.blobs, product, 2, datetime.now(UTC))

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            assert services.retention.running
            deadline = time.monotonic() + 10
            while services.retention.last is None and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert services.retention.last is not None
            assert [p.blob_key for p in services.retention.last.pruned] == [old]
            assert state(services.repository, 1) is BundleState.PRUNED
            assert not services.blobs.exists(old)
            assert services.blobs.exists(young)
        assert not services.retention.running

    began = time.monotonic()
    asyncio.run(scenario())
    assert time.monotonic() - began < 10
    with pytest.raises(StoreError):
        services.repository.list_products(ADMIN)  # closed by the lifespan
