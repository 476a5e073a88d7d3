"""IngestBatcher: group commit, acknowledgement after commit, failure isolation, lifecycle."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest
from server_storage_support import FakeClock, report_id, stage1

from openwer.errors import InvalidArgumentError, StoreError
from openwer.server.storage import (
    BundleOutcome,
    BundleUpload,
    IngestBatcher,
    MemoryRepository,
    Scope,
    Stage1Item,
    Stage1Outcome,
    Stage1Status,
)


class RecordingRepository(MemoryRepository):
    """A memory repository that records batches, can fail, and can hold a batch back."""

    def __init__(self) -> None:
        super().__init__(clock=FakeClock())
        self.batches: list[list[str]] = []
        self.committed: set[str] = set()
        self.poison: set[str] = set()
        self.crash_with: BaseException | None = None
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()

    def ingest_stage1(self, items: Sequence[Stage1Item]) -> list[Stage1Outcome]:
        """Record, maybe wait or fail, then ingest and mark committed."""
        ids = [item.request.report_id for item in items]
        self.entered.set()
        self.hold.wait(10)
        if self.crash_with is not None:
            raise self.crash_with
        if self.poison & set(ids):
            raise StoreError("poisoned batch")
        outcomes = super().ingest_stage1(items)
        self.batches.append(ids)
        self.committed.update(ids)
        return outcomes


def test_concurrent_submitters_share_batches_and_are_acked_after_commit() -> None:
    """200 concurrent submits take far fewer transactions; each ack follows its commit."""
    repo = RecordingRepository()
    product = repo.create_product("p")

    async def main() -> None:
        async with IngestBatcher(repo, max_batch=64) as batcher:

            async def one(n: int) -> None:
                outcome = await batcher.submit_stage1(Stage1Item(product.id, stage1(n)))
                assert outcome.status is Stage1Status.NEW
                assert outcome.report_id in repo.committed

            await asyncio.gather(*(one(n) for n in range(200)))
            stats = batcher.stats()
        assert stats.items == 200
        assert stats.batches == len(repo.batches) <= 20
        assert stats.largest_batch <= 64
        assert stats.mean_batch == pytest.approx(200 / stats.batches)

    asyncio.run(main())


def test_bundle_records_are_group_committed_beside_stage1() -> None:
    """Bundle records go through the same writer; each is answered after its commit."""
    repo = RecordingRepository()
    product = repo.create_product("p")

    async def main() -> None:
        async with IngestBatcher(repo) as batcher:
            firsts = await asyncio.gather(
                *(batcher.submit_stage1(Stage1Item(product.id, stage1(n))) for n in range(10))
            )
            assert all(o.status is Stage1Status.NEW for o in firsts)
            uploads = [BundleUpload(product.id, report_id(n), f"b/{n}", 9) for n in range(5)]
            results = await asyncio.gather(*(batcher.submit_bundle(u) for u in uploads))
            assert [r.outcome for r in results] == [BundleOutcome.STORED] * 5
            again = batcher.submit_bundle_blocking(uploads[0], timeout=5)
            assert again.outcome is BundleOutcome.ALREADY_STORED
            with pytest.raises(InvalidArgumentError):
                await batcher.submit_bundle(BundleUpload(product.id, "nope", "k", 1))

    asyncio.run(main())
    assert repo.reports_wanting_bundle(Scope.everything()) == []


def test_invalid_item_fails_alone_at_submit() -> None:
    """A report id that is not a UUID raises to its submitter and never joins a batch."""
    repo = RecordingRepository()
    with IngestBatcher(repo) as batcher, pytest.raises(InvalidArgumentError):
        batcher.submit_stage1_blocking(Stage1Item(1, stage1("nope")))
    assert repo.batches == []


def test_failed_batch_is_retried_item_by_item() -> None:
    """One poisoned item fails alone; its batch neighbours are written one by one."""
    repo = RecordingRepository()
    product = repo.create_product("p")
    repo.poison = {report_id(3)}
    repo.hold.clear()
    with IngestBatcher(repo, max_delay=0) as batcher:
        first = threading.Thread(
            target=batcher.submit_stage1_blocking, args=(Stage1Item(product.id, stage1(0)),)
        )
        first.start()
        assert repo.entered.wait(5)
        futures = [batcher._enqueue(Stage1Item(product.id, stage1(n))) for n in range(1, 6)]
        repo.hold.set()
        first.join(5)
        results = [f.exception(5) or f.result(5) for f in futures]
    assert isinstance(results[2], StoreError)
    assert [getattr(r, "status", None) for i, r in enumerate(results) if i != 2] == [
        Stage1Status.NEW
    ] * 4
    stats = batcher.stats()  # the batch failed, then the poisoned item alone
    assert (stats.failed_batches, stats.batches, stats.items) == (2, 5, 5)


def test_foreign_exception_becomes_store_error() -> None:
    """Anything the repository raises reaches the submitter as a StoreError."""
    repo = RecordingRepository()
    product = repo.create_product("p")
    repo.crash_with = RuntimeError("disk on fire")
    with IngestBatcher(repo) as batcher, pytest.raises(StoreError, match="disk on fire"):
        batcher.submit_stage1_blocking(Stage1Item(product.id, stage1(1)), timeout=5)


def test_close_drains_then_refuses() -> None:
    """Items queued before close are written; submitting afterwards raises StoreError."""
    repo = RecordingRepository()
    product = repo.create_product("p")
    repo.hold.clear()
    batcher = IngestBatcher(repo, max_delay=0)
    futures = [batcher._enqueue(Stage1Item(product.id, stage1(n))) for n in range(5)]
    closer = threading.Thread(target=batcher.close)
    closer.start()
    repo.hold.set()
    closer.join(5)
    assert all(f.result(1).status is Stage1Status.NEW for f in futures)
    with pytest.raises(StoreError):
        batcher.submit_stage1_blocking(Stage1Item(product.id, stage1(9)))
    batcher.close()
    with pytest.raises(ValueError, match="max_batch"):
        IngestBatcher(repo, max_batch=0)


def test_cancelled_submit_before_its_batch_is_dropped() -> None:
    """A submitter cancelled while waiting in the queue is never written (nor acknowledged)."""
    repo = RecordingRepository()
    product = repo.create_product("p")
    repo.hold.clear()

    async def main() -> None:
        with IngestBatcher(repo, max_delay=0) as batcher:
            first = asyncio.ensure_future(batcher.submit_stage1(Stage1Item(product.id, stage1(1))))
            await asyncio.to_thread(repo.entered.wait, 5)
            second = asyncio.ensure_future(batcher.submit_stage1(Stage1Item(product.id, stage1(2))))
            await asyncio.sleep(0.01)
            second.cancel()
            await asyncio.sleep(0.01)
            repo.hold.set()
            assert (await first).status is Stage1Status.NEW
            with pytest.raises(asyncio.CancelledError):
                await second

    asyncio.run(main())
    assert report_id(2) not in repo.committed


def test_submitter_cancelled_during_its_batch_does_not_disturb_the_others() -> None:
    """Cancelled after its batch started: written, but the others still get their answers."""
    repo = RecordingRepository()
    product = repo.create_product("p")
    repo.hold.clear()

    async def main() -> None:
        with IngestBatcher(repo, max_delay=0.05) as batcher:
            futures = [
                asyncio.ensure_future(batcher.submit_stage1(Stage1Item(product.id, stage1(n))))
                for n in range(3)
            ]
            await asyncio.to_thread(repo.entered.wait, 5)
            futures[1].cancel()
            repo.hold.set()
            assert (await futures[0]).status is Stage1Status.NEW
            assert (await futures[2]).status is Stage1Status.NEW
            with pytest.raises(asyncio.CancelledError):
                await futures[1]

    asyncio.run(main())
    assert {report_id(0), report_id(2)} <= repo.committed


def test_submitters_on_several_event_loops_each_get_their_own_outcomes() -> None:
    """Loops in different threads share the writer; each outcome returns to its own loop."""
    repo = RecordingRepository()
    product = repo.create_product("p")
    seen: dict[int, set[str]] = {}
    with IngestBatcher(repo, max_delay=0.01) as batcher:

        def loop_thread(offset: int) -> None:
            async def main() -> set[str]:
                outcomes = await asyncio.gather(
                    *(
                        batcher.submit_stage1(Stage1Item(product.id, stage1(offset + n)))
                        for n in range(20)
                    )
                )
                return {outcome.report_id for outcome in outcomes}

            seen[offset] = asyncio.run(main())

        threads = [threading.Thread(target=loop_thread, args=(o,)) for o in (0, 100, 200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    for offset, ids in seen.items():
        assert ids == {report_id(offset + n) for n in range(20)}
