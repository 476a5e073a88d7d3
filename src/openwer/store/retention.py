"""Retention: which reports a store removes to stay within its limits (WER's queue pruning).

:class:`RetentionPolicy` carries WER's limits (wer-spec.md §4): ``MaxQueueCount`` (default 50),
``MaxArchiveCount`` (default 1000), the troubleshooter's one-month age rule and
``MaxQueueSizePercentage`` (the share of the disk the queue may use, default 100 %).
:func:`plan_prune` decides, oldest first, what goes; stores carry the plan out and return a
:class:`PruneResult`. Both implementations share this one planner, so they prune alike.

Pure; thread-safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from openwer.errors import InvalidArgumentError
from openwer.settings import Settings
from openwer.store.location import StoreArea

__all__ = [
    "PruneCandidate",
    "PruneReason",
    "PruneResult",
    "PrunedReport",
    "RetentionPolicy",
    "plan_prune",
]


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Limits a store is pruned to.

    ``max_age`` None keeps reports of any age; ``max_queue_disk_share`` is the fraction (0–1) of
    the file system (free space plus the queue's own bytes) the queue may occupy.

    Raises:
        InvalidArgumentError: a negative count, a non-positive age, or a share outside 0–1.
    """

    max_queue_count: int = 50
    max_archive_count: int = 1000
    max_age: timedelta | None = timedelta(days=30)
    max_queue_disk_share: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        """The policy WER's settings ask for: ``MaxQueueCount``, ``MaxArchiveCount``,
        ``MaxReportAgeDays`` and ``MaxQueueSizePercentage``."""
        return cls(
            max_queue_count=settings.max_queue_count,
            max_archive_count=settings.max_archive_count,
            max_age=timedelta(days=settings.max_report_age_days),
            max_queue_disk_share=settings.max_queue_size_percentage / 100,
        )

    def __post_init__(self) -> None:
        if self.max_queue_count < 0 or self.max_archive_count < 0:
            raise InvalidArgumentError("report counts of a retention policy cannot be negative")
        if self.max_age is not None and self.max_age <= timedelta(0):
            raise InvalidArgumentError("the maximum report age must be positive")
        if not 0.0 <= self.max_queue_disk_share <= 1.0:
            raise InvalidArgumentError("the queue's disk share must be between 0 and 1")

    def count_limit(self, area: StoreArea) -> int:
        """The most reports ``area`` may keep."""
        return self.max_queue_count if area is StoreArea.QUEUE else self.max_archive_count


class PruneReason(Enum):
    """Why a report was pruned."""

    AGE = "age"
    """Older than the policy's ``max_age`` (damaged entries are pruned by age only)."""
    COUNT = "count"
    """One of the oldest reports beyond the area's count limit."""
    DISK_SHARE = "disk-share"
    """One of the oldest queued reports beyond the queue's share of the disk."""


@dataclass(frozen=True, slots=True)
class PruneCandidate:
    """A store entry as the planner sees it; ``is_damaged`` for an unreadable entry."""

    key: str
    area: StoreArea
    created_at: datetime
    size_bytes: int
    is_damaged: bool = False


@dataclass(frozen=True, slots=True)
class PrunedReport:
    """One entry pruning removed, and why."""

    key: str
    area: StoreArea
    reason: PruneReason
    size_bytes: int


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What :meth:`ReportStore.prune` removed (empty when every limit was met)."""

    removed: tuple[PrunedReport, ...] = ()

    @property
    def removed_count(self) -> int:
        """How many entries were removed."""
        return len(self.removed)

    @property
    def removed_bytes(self) -> int:
        """The bytes the removed entries held."""
        return sum(report.size_bytes for report in self.removed)

    def keys(self, reason: PruneReason | None = None) -> tuple[str, ...]:
        """Return the removed keys, optionally only those removed for ``reason``."""
        return tuple(r.key for r in self.removed if reason is None or r.reason is reason)


def plan_prune(
    candidates: Iterable[PruneCandidate],
    policy: RetentionPolicy,
    *,
    now: datetime,
    free_bytes: int,
) -> tuple[PrunedReport, ...]:
    """Return the entries to remove, oldest first within each area and rule.

    Rules, applied in order per area: age (everything older than ``now - max_age``), count (the
    oldest beyond the area's limit), and for the queue the disk share (the oldest until the
    queue's bytes are at most ``share × (free_bytes + queue bytes)``).
    """
    everything = list(candidates)
    cutoff = None if policy.max_age is None else now - policy.max_age
    removed: list[PrunedReport] = []
    for area in StoreArea:
        entries = sorted(
            (c for c in everything if c.area is area), key=lambda c: (c.created_at, c.key)
        )
        kept: list[PruneCandidate] = []
        for entry in entries:
            if cutoff is not None and entry.created_at < cutoff:
                removed.append(_pruned(entry, PruneReason.AGE))
            elif not entry.is_damaged:
                kept.append(entry)
        excess = len(kept) - policy.count_limit(area)
        if excess > 0:
            removed.extend(_pruned(entry, PruneReason.COUNT) for entry in kept[:excess])
            kept = kept[excess:]
        if area is StoreArea.QUEUE:
            removed.extend(_over_disk_share(kept, entries, policy, free_bytes))
    return tuple(removed)


def _over_disk_share(
    kept: Sequence[PruneCandidate],
    everything: Sequence[PruneCandidate],
    policy: RetentionPolicy,
    free_bytes: int,
) -> list[PrunedReport]:
    # Removing a report turns its bytes into free space, so free + queue bytes stays constant.
    budget = policy.max_queue_disk_share * (
        max(0, free_bytes) + sum(c.size_bytes for c in everything)
    )
    used = sum(c.size_bytes for c in kept)
    removed: list[PrunedReport] = []
    for entry in kept:
        if used <= budget:
            break
        removed.append(_pruned(entry, PruneReason.DISK_SHARE))
        used -= entry.size_bytes
    return removed


def _pruned(entry: PruneCandidate, reason: PruneReason) -> PrunedReport:
    return PrunedReport(entry.key, entry.area, reason, entry.size_bytes)
