"""Bundle retention: old bundles, then the oldest beyond a quota, pruned on a schedule.

A pass (:meth:`BundlePruner.run_pass`) asks the storage to mark bundles as pruned
(:meth:`~openwer.server.storage.protocols.AdminRepository.prune_bundles`, in batches, oldest
first: received before ``now - max_age``, then beyond ``quota_bytes`` in total) and then deletes
their blobs. The row goes first, so a report never points at a missing blob and its hit counts
stay; the price is that a blob whose deletion fails is no longer named by any row.

Failed deletions are remembered and retried at the start of this pruner's next pass. Once one
fails, the rest of its batch is remembered without being tried and the pass ends, and a pass
whose retries still fail prunes nothing new: while the blob store is down, no more rows are
marked, so the backlog grows by at most one batch.

What can leak, as orphan blobs no report names (the bound the issue asks for): the keys still
pending when the process stops (logged at ERROR by :meth:`RetentionSchedule.stop`, named by
``openwer prune-bundles``, which exits 1), keys beyond the ``max_pending`` (10,000) one pruner
holds (each logged at ERROR), and, when the process dies between a batch's commit and its
deletions, that batch (at most ``batch_size``, 100, blobs). Nothing finds them later: the
storage keeps no key once a row is pruned. Reports are never affected, only disk space.

Quota: ``quota_bytes`` counts the bundle sizes the storage recorded, not what the blob store
holds (orphans and other objects in the bucket are not counted).

Several servers on one database may prune at once: each batch is one transaction, SQLite runs
them one after the other, and when PostgreSQL lets two servers pick the same rows both delete
the same blobs, which is harmless (deleting a missing blob is not an error).

:class:`RetentionSchedule` runs passes from the app's lifespan: once at start-up, then every
``interval`` seconds, each pass in a worker thread so the event loop never waits for storage.

Thread safety: a :class:`BundlePruner` runs one pass at a time (a second caller waits for the
first); :class:`RetentionSchedule` belongs to one event loop, except
:meth:`RetentionSchedule.request_stop`, which any thread may call.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from openwer.errors import InvalidArgumentError, OpenwerError
from openwer.server.blobs import BlobStore
from openwer.server.config import ServerConfig
from openwer.server.storage import AdminRepository, Clock, PrunedBundle, utc_now

__all__ = [
    "BlobCleanup",
    "BundlePruner",
    "PruneSummary",
    "PrunedBlob",
    "RetentionPolicy",
    "RetentionSchedule",
]

log = logging.getLogger("openwer.server.retention")


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Which bundles go: older than ``max_age``, then the oldest beyond ``quota_bytes``.

    ``None`` turns a rule off; with both off nothing is ever pruned.
    """

    max_age: timedelta | None = None
    quota_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.max_age is not None and self.max_age <= timedelta(0):
            raise InvalidArgumentError(f"a retention age must be positive, not {self.max_age}")
        if self.quota_bytes is not None and self.quota_bytes < 0:
            raise InvalidArgumentError(f"a bundle quota cannot be negative: {self.quota_bytes}")

    @classmethod
    def from_config(cls, config: ServerConfig) -> RetentionPolicy:
        """``bundle_max_age_days`` and ``bundle_quota_bytes``, where 0 means off."""
        days, quota = config.bundle_max_age_days, config.bundle_quota_bytes
        return cls(timedelta(days=days) if days else None, quota or None)

    @property
    def enabled(self) -> bool:
        """Whether any rule is on."""
        return self.max_age is not None or self.quota_bytes is not None


class BlobCleanup(enum.StrEnum):
    """What became of a pruned bundle's blob."""

    DELETED = "deleted"  # gone (or already gone)
    PENDING = "pending"  # deletion failed; retried on this pruner's next pass
    ABANDONED = "abandoned"  # deletion failed and will not be retried (logged at ERROR)


@dataclass(frozen=True, slots=True)
class PrunedBlob:
    """One bundle a pass pruned: its report keeps its hit, its blob is ``cleanup``."""

    report_id: str
    blob_key: str
    size: int
    cleanup: BlobCleanup


@dataclass(frozen=True, slots=True)
class PruneSummary:
    """What one pass did.

    ``retried``: keys of earlier passes deleted now; ``pending``: keys still to delete;
    ``stopped``: a stop request ended the pass before it was done.
    """

    pruned: tuple[PrunedBlob, ...] = ()
    retried: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    stopped: bool = False

    @property
    def bytes_pruned(self) -> int:
        """The recorded size of the bundles pruned in this pass."""
        return sum(item.size for item in self.pruned)


class BundlePruner:
    """Runs retention passes over one repository and blob store (see the module docstring).

    Args:
        repository: where reports and their bundles are recorded.
        blobs: where the bundles are.
        policy: what to prune.
        clock: the current time (aware UTC); the age is measured from it.
        batch_size: bundles per storage transaction, and at most this many blobs are deleted
            after a stop request.
        max_pending: failed deletions remembered at most.
        max_per_pass: bundles pruned at most in one pass (the next pass goes on).
    """

    def __init__(
        self,
        repository: AdminRepository,
        blobs: BlobStore,
        policy: RetentionPolicy,
        *,
        clock: Clock = utc_now,
        batch_size: int = 100,
        max_pending: int = 10_000,
        max_per_pass: int = 100_000,
    ) -> None:
        if batch_size < 1 or max_pending < 0 or max_per_pass < 1:
            raise InvalidArgumentError("batch_size and max_per_pass >= 1, max_pending >= 0")
        self.policy = policy
        self._repository = repository
        self._blobs = blobs
        self._clock = clock
        self._batch_size = batch_size
        self._max_pending = max_pending
        self._max_per_pass = max_per_pass
        self._pending: dict[str, None] = {}  # a set that keeps the order keys failed in
        self._lock = threading.Lock()

    @property
    def pending(self) -> tuple[str, ...]:
        """Keys whose deletion failed and waits for the next pass."""
        with self._lock:
            return tuple(self._pending)

    def run_pass(self, stop: threading.Event | None = None) -> PruneSummary:
        """Retry earlier failed deletions, then prune what the policy says; blocks.

        ``stop`` is checked before each batch: once set, the pass ends after the batch at hand
        (whose rows are committed, so its blobs are deleted first).

        Raises:
            StoreError: the storage failed; the batches before were pruned and their blobs
                deleted (or remembered).
        """
        with self._lock:
            retried, store_failed = self._retry_pending()
            pruned: list[PrunedBlob] = []
            stopped = False
            older_than = self._clock() - self.policy.max_age if self.policy.max_age else None
            # While the blob store still fails, marking more rows would only grow the backlog.
            while not store_failed and self.policy.enabled and len(pruned) < self._max_per_pass:
                if stop is not None and stop.is_set():
                    stopped = True
                    break
                limit = min(self._batch_size, self._max_per_pass - len(pruned))
                batch = self._repository.prune_bundles(older_than, self.policy.quota_bytes, limit)
                done, store_failed = self._delete_batch(batch)
                pruned.extend(done)
                if len(batch) < limit or store_failed:
                    break
            if pruned:
                log.info(
                    "retention: pruned %d bundles (%d bytes), %d blob deletions pending",
                    len(pruned),
                    sum(p.size for p in pruned),
                    len(self._pending),
                )
            return PruneSummary(tuple(pruned), retried, tuple(self._pending), stopped)

    def _retry_pending(self) -> tuple[tuple[str, ...], bool]:
        """Delete what earlier passes could not; also whether the blob store still fails."""
        deleted: list[str] = []
        for key in list(self._pending):
            try:
                self._blobs.delete(key)
            except InvalidArgumentError as exc:
                log.error("retention: dropping invalid blob key %r: %s", key, exc)
                del self._pending[key]
                continue
            except Exception as exc:  # any failure: the store is still unwell, try next pass
                log.warning(
                    "retention: still cannot delete blob %s (%d waiting): %s",
                    key,
                    len(self._pending),
                    exc,
                )
                return tuple(deleted), True
            del self._pending[key]
            deleted.append(key)
        return tuple(deleted), False

    def _delete_batch(self, batch: list[PrunedBundle]) -> tuple[list[PrunedBlob], bool]:
        """Delete the blobs of a committed batch; also whether the blob store failed."""
        done: list[PrunedBlob] = []
        store_failed = False
        for bundle in batch:
            key = bundle.blob_key
            if store_failed:
                # One deletion failed: the store is likely down, so remember the rest unasked.
                cleanup = self._remember(key, "after an earlier failure")
            else:
                try:
                    self._blobs.delete(key)
                    cleanup = BlobCleanup.DELETED
                except InvalidArgumentError as exc:
                    # No blob can have this key, so there is nothing to delete, now or later.
                    log.error("retention: pruned bundle has an invalid blob key %r: %s", key, exc)
                    cleanup = BlobCleanup.ABANDONED
                except Exception as exc:
                    # Broad on purpose: the row is committed as pruned, so whatever the backend
                    # raised, this key must be remembered or it leaks silently.
                    store_failed = True
                    detail = str(exc) if isinstance(exc, OpenwerError) else repr(exc)
                    cleanup = self._remember(key, detail)
            done.append(PrunedBlob(bundle.report_id, key, bundle.size, cleanup))
        return done, store_failed

    def _remember(self, key: str, why: str) -> BlobCleanup:
        if key in self._pending:
            return BlobCleanup.PENDING
        if len(self._pending) >= self._max_pending:
            log.error(
                "retention: cannot delete blob %s (%s) and %d deletions already wait: it stays "
                "as an orphan",
                key,
                why,
                len(self._pending),
            )
            return BlobCleanup.ABANDONED
        log.warning("retention: cannot delete blob %s now (%s); retried next pass", key, why)
        self._pending[key] = None
        return BlobCleanup.PENDING


class RetentionSchedule:
    """Runs :meth:`BundlePruner.run_pass` at start-up and then every ``interval`` seconds.

    Lifecycle: :meth:`start` on the app's event loop (lifespan start-up), :meth:`stop` before
    the storage closes (lifespan shutdown). With ``interval <= 0`` or a policy that prunes
    nothing, :meth:`start` starts nothing. A failing pass is logged and the next one runs on
    time; the task never ends on its own.
    """

    def __init__(self, pruner: BundlePruner, interval: float) -> None:
        self.pruner = pruner
        self.interval = interval
        self.passes = 0
        self.last: PruneSummary | None = None
        self._stop = threading.Event()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the background task runs."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the background task on the running event loop (idempotent)."""
        if self._task is not None or self.interval <= 0 or not self.pruner.policy.enabled:
            return
        self._stop.clear()
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="openwer-retention")

    def request_stop(self) -> None:
        """Ask a pass in progress to end after its batch; from any thread, never blocks."""
        self._stop.set()

    async def stop(self) -> None:
        """Stop the task and wait for it (a pass in progress ends after its batch).

        Idempotent. Deletions still pending are logged at ERROR: those blobs stay as orphans.
        """
        self._stop.set()
        task, self._task = self._task, None
        if task is None:
            return
        assert self._wake is not None
        self._wake.set()
        await task
        pending = self.pruner.pending
        if pending:
            log.error(
                "retention: %d pruned bundles' blobs could not be deleted and stay as orphans: %s",
                len(pending),
                ", ".join(pending),
            )

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stop.is_set():
            try:
                self.last = await asyncio.to_thread(self.pruner.run_pass, self._stop)
            except OpenwerError as exc:
                log.warning("retention: pass failed, retried in %g s: %s", self.interval, exc)
            except Exception:
                log.exception("retention: pass failed, retried in %g s", self.interval)
            self.passes += 1
            with contextlib.suppress(TimeoutError):  # the interval passed: time for a pass
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
