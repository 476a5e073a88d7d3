"""A hang report in a store, and noting in it when the hang ended.

Both hang watchers file AppHang reports (``openwer.install()``'s watchdog for the program itself,
``openwer run``'s watch for a supervised program) and, when the program goes on again, add
``HangDurationMs`` and ``HangRecovered=1`` to the stored report: :func:`note_hang_end`.

Failure contract: :func:`note_hang_end` never raises (it runs on a watcher thread); it answers
False when the report is gone or could not be updated (logged). Thread-safe as the store is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from openwer.errors import ReportNotFoundError
from openwer.report.context import ReportContext
from openwer.store import StoreScope

__all__ = ["FiledHang", "note_hang_end"]

log = logging.getLogger("openwer")


@dataclass(frozen=True, slots=True)
class FiledHang:
    """Where a hang report went (store scope and key) and its hang signature."""

    key: str
    scope: StoreScope
    signature: str


def note_hang_end(
    filed: FiledHang, duration_s: float, *, context: ReportContext | None = None
) -> bool:
    """Record in the stored report that the hang ended after ``duration_s`` seconds."""
    try:
        store = (context or ReportContext.from_environment()).store(filed.scope)
        stored = store.get(filed.key)
        values = {"HangDurationMs": str(round(duration_s * 1000)), "HangRecovered": "1"}
        store.update_document(filed.key, stored.document.with_values(values))
        return True
    except ReportNotFoundError:
        return False  # deleted or purged meanwhile
    except Exception:
        log.exception("openwer: could not note the end of a hang")
        return False
