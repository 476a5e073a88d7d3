"""What :meth:`ReportStore.recover` did: each leftover it looked at, and what became of it.

Frozen data; thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["RecoveryAction", "RecoveryOutcome", "RecoveryResult"]


class RecoveryOutcome(Enum):
    """What recovery did with one entry of the store's ``Temp`` area."""

    REMOVED_ABANDONED_WRITE = "removed-abandoned-write"
    """A report or Report.wer being written by a process that died: removed (never visible)."""
    COMPLETED_ARCHIVE = "completed-archive"
    """An interrupted move to the archive: finished, the report is in the archive."""
    COMPLETED_DELETE = "completed-delete"
    """An interrupted delete or prune: finished."""
    KEPT_LIVE_WRITER = "kept-live-writer"
    """A write still in progress in a live process: left alone."""
    KEPT_UNRECOGNIZED = "kept-unrecognized"
    """Something the store did not create: left alone."""
    FAILED = "failed"
    """Could not be finished now (see ``detail``); the next recovery tries again."""


@dataclass(frozen=True, slots=True)
class RecoveryAction:
    """One ``Temp`` entry and what recovery did with it."""

    name: str
    outcome: RecoveryOutcome
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RecoveryResult:
    """Everything one recovery pass looked at (empty for a clean store)."""

    actions: tuple[RecoveryAction, ...] = ()

    def count(self, outcome: RecoveryOutcome) -> int:
        """Return how many entries ended with ``outcome``."""
        return sum(1 for action in self.actions if action.outcome is outcome)

    def names(self, outcome: RecoveryOutcome) -> tuple[str, ...]:
        """Return the ``Temp`` entry names that ended with ``outcome``."""
        return tuple(action.name for action in self.actions if action.outcome is outcome)
