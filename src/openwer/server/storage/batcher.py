"""Group commit for ingest: many concurrent reports, one transaction, one fsync.

:class:`IngestBatcher` owns one writer thread. Submitters (asyncio tasks, or threads) queue
stage 1 items and stage 2 bundle records; the writer takes every queued one (up to
``max_batch``), writes the stage 1 items with
:meth:`~openwer.server.storage.protocols.IngestRepository.ingest_stage1` in one transaction and
the bundle records with ``record_bundles`` in another, and resolves each submitter's future only
after its call returned, i.e. after COMMIT: an acknowledged report is durable. Work that
arrives while a batch is being committed forms the next batch, so batches grow with load by
themselves; when the writer was idle it lingers up to ``max_delay`` for company before writing
a lone item (a cheap bet at moderate load, ended early when ``max_batch`` items are waiting).

Failure contract: work refused on its own (``InvalidArgumentError``: not a UUID…) fails at
submit, before it is queued. If a batch's transaction fails, its items are retried one by one,
so one poisoned item cannot fail its neighbours; each submitter gets its own outcome or its own
``StoreError``. A submitter cancelled before its batch started is dropped (never acknowledged,
so the client retries; stage 1 is idempotent). The writer thread never dies of an exception.

Lifecycle: running from construction; :meth:`close` (or ``async with``) stops taking new items,
writes everything queued, and joins the thread. It does not close the repository.

Thread safety: the ``submit_*`` coroutines may be awaited from any event loop, and the
``submit_*_blocking`` methods called from any thread, concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from openwer.errors import OpenwerError, StoreError
from openwer.server.storage.model import BundleResult, BundleUpload, Stage1Item, Stage1Outcome
from openwer.server.storage.prepared import check_item, check_upload
from openwer.server.storage.protocols import IngestRepository

__all__ = ["BatcherStats", "IngestBatcher"]


@dataclass(frozen=True, slots=True)
class BatcherStats:
    """Counters since the batcher started."""

    batches: int
    items: int
    largest_batch: int
    failed_batches: int

    @property
    def mean_batch(self) -> float:
        """Items per batch, on average."""
        return self.items / self.batches if self.batches else 0.0


@dataclass(frozen=True, slots=True)
class _Pending:
    """One queued item and where its outcome goes: a thread's ``Future``, or an asyncio future
    of ``loop`` (resolved in the loop, one wake-up per batch rather than one per item)."""

    work: Stage1Item | BundleUpload
    future: Future[Any] | asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> bool:
        """Claim the item for writing; ``False`` when its submitter gave up already."""
        if self.loop is None:
            assert isinstance(self.future, Future)
            return self.future.set_running_or_notify_cancel()
        # read from the writer thread: a late cancel is handled when the result is delivered
        return not self.future.cancelled()


class IngestBatcher:
    """Group-commit front of an :class:`IngestRepository` (see the module docstring)."""

    def __init__(
        self,
        repository: IngestRepository,
        *,
        max_batch: int = 256,
        max_delay: float = 0.002,
        name: str = "openwer-ingest-writer",
    ) -> None:
        if max_batch < 1 or not 0 <= max_delay <= 1:
            raise ValueError("max_batch must be >= 1 and max_delay within 0..1 s")
        self._repository = repository
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._queue: deque[_Pending] = deque()
        self._condition = threading.Condition()
        self._closing = False
        self._batches = self._items = self._largest = self._failed = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    async def submit_stage1(self, item: Stage1Item) -> Stage1Outcome:
        """Ingest ``item``; return once its outcome is committed.

        Raises ``InvalidArgumentError`` for an invalid item and ``StoreError`` when storage
        failed or the batcher is closed.
        """
        outcome: Stage1Outcome = await self._enqueue_async(item)
        return outcome

    def submit_stage1_blocking(
        self, item: Stage1Item, timeout: float | None = None
    ) -> Stage1Outcome:
        """Like :meth:`submit_stage1`, for threads."""
        outcome: Stage1Outcome = self._enqueue(item).result(timeout)
        return outcome

    async def submit_bundle(self, upload: BundleUpload) -> BundleResult:
        """Record a stored bundle (group-committed like stage 1); return once committed."""
        result: BundleResult = await self._enqueue_async(upload)
        return result

    def submit_bundle_blocking(
        self, upload: BundleUpload, timeout: float | None = None
    ) -> BundleResult:
        """Like :meth:`submit_bundle`, for threads."""
        result: BundleResult = self._enqueue(upload).result(timeout)
        return result

    def stats(self) -> BatcherStats:
        """Counters so far."""
        with self._condition:
            return BatcherStats(self._batches, self._items, self._largest, self._failed)

    def close(self, timeout: float | None = None) -> None:
        """Stop taking items, write what is queued, join the writer. Idempotent."""
        with self._condition:
            self._closing = True
            self._condition.notify_all()
        self._thread.join(timeout)

    async def aclose(self) -> None:
        """:meth:`close` without blocking the event loop."""
        await asyncio.to_thread(self.close)

    def __enter__(self) -> IngestBatcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> IngestBatcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- the writer -----------------------------------------------------------------------

    def _enqueue(self, work: Stage1Item | BundleUpload) -> Future[Any]:
        future: Future[Any] = Future()
        self._append(_Pending(work, future))
        return future

    def _enqueue_async(self, work: Stage1Item | BundleUpload) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._append(_Pending(work, future, loop))
        return future

    def _append(self, pending: _Pending) -> None:
        # refuse bad work alone, before it joins a batch
        if isinstance(pending.work, BundleUpload):
            check_upload(pending.work)
        else:
            check_item(pending.work)
        with self._condition:
            if self._closing:
                raise StoreError("the ingest batcher is closed")
            self._queue.append(pending)
            if len(self._queue) == 1 or len(self._queue) >= self._max_batch:
                self._condition.notify()

    def _run(self) -> None:
        idle = True
        while True:
            with self._condition:
                while not self._queue and not self._closing:
                    idle = True
                    self._condition.wait()
                if not self._queue:
                    return
                if idle and self._max_delay > 0:
                    deadline = time.monotonic() + self._max_delay
                    while len(self._queue) < self._max_batch and not self._closing:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        self._condition.wait(remaining)
                count = min(len(self._queue), self._max_batch)
                batch = [self._queue.popleft() for _ in range(count)]
            idle = False
            live = [p for p in batch if p.start()]
            if live:
                self._write(live)

    def _write(self, batch: Sequence[_Pending]) -> None:
        stage1 = [p for p in batch if isinstance(p.work, Stage1Item)]
        bundles = [p for p in batch if isinstance(p.work, BundleUpload)]
        if stage1:
            self._commit(stage1, self._repository.ingest_stage1)
        if bundles:
            self._commit(bundles, self._repository.record_bundles)

    def _commit(self, batch: Sequence[_Pending], write: Callable[[list[Any]], list[Any]]) -> None:
        try:
            results = write([p.work for p in batch])
        except BaseException as exc:
            self._count(len(batch), failed=True)
            if len(batch) == 1:
                _deliver([(batch[0], _as_openwer_error(exc))])
            else:
                for pending in batch:
                    self._commit([pending], write)
            return
        self._count(len(batch), failed=False)
        _deliver(list(zip(batch, results, strict=True)))

    def _count(self, size: int, failed: bool) -> None:
        with self._condition:
            if failed:
                self._failed += 1
            else:
                self._batches += 1
                self._items += size
                self._largest = max(self._largest, size)


def _deliver(outcomes: list[tuple[_Pending, Any]]) -> None:
    """Hand each outcome (a result, or an ``OpenwerError`` to raise) to its submitter."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending, Any]]] = {}
    for pending, outcome in outcomes:
        if pending.loop is None:
            assert isinstance(pending.future, Future)
            if isinstance(outcome, OpenwerError):
                pending.future.set_exception(outcome)
            else:
                pending.future.set_result(outcome)
        else:
            by_loop.setdefault(pending.loop, []).append((pending, outcome))
    for loop, share in by_loop.items():
        # a closed loop raises RuntimeError: nobody is waiting there any more
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve_in_loop, share)


def _resolve_in_loop(outcomes: list[tuple[_Pending, Any]]) -> None:
    for pending, outcome in outcomes:
        future = pending.future
        if future.done():  # cancelled while its batch was written
            continue
        if isinstance(outcome, OpenwerError):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _as_openwer_error(exc: BaseException) -> OpenwerError:
    if isinstance(exc, OpenwerError):
        return exc
    error = StoreError(f"ingest failed: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error
