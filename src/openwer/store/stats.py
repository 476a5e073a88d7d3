"""Counts, sizes and age ranges of a store's areas (``openwer store stats``).

Frozen data; thread-safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openwer.store.entry import DamagedEntry, StoredReport
from openwer.store.location import StoreArea, StoreScope

__all__ = ["AreaStats", "StoreStats", "summarize_area"]


@dataclass(frozen=True, slots=True)
class AreaStats:
    """One area of a store: its readable reports and the damaged entries listings skipped.

    ``count``, ``size_bytes``, ``oldest`` and ``newest`` (creation times) cover readable reports.
    """

    area: StoreArea
    count: int
    size_bytes: int
    oldest: datetime | None
    newest: datetime | None
    damaged: int = 0


@dataclass(frozen=True, slots=True)
class StoreStats:
    """A whole store: where it is and both of its areas (``root`` is nominal in memory)."""

    scope: StoreScope
    root: Path
    queue: AreaStats
    archive: AreaStats

    @property
    def damaged(self) -> int:
        """Damaged entries in both areas."""
        return self.queue.damaged + self.archive.damaged

    def area(self, area: StoreArea) -> AreaStats:
        """Return the statistics of ``area``."""
        return self.queue if area is StoreArea.QUEUE else self.archive


def summarize_area(
    area: StoreArea, reports: Iterable[StoredReport], damaged: Iterable[DamagedEntry] = ()
) -> AreaStats:
    """Return the statistics of one area's ``reports`` and ``damaged`` entries."""
    listed = list(reports)
    times = [report.created_at for report in listed]
    return AreaStats(
        area=area,
        count=len(listed),
        size_bytes=sum(report.size_bytes for report in listed),
        oldest=min(times, default=None),
        newest=max(times, default=None),
        damaged=sum(1 for _ in damaged),
    )
