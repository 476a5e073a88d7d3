"""WER's report stores: a user and a machine store, each with a queue, an archive and a temp area.

Start with :func:`open_store` (or construct :class:`DirectoryReportStore` on a root); use
:class:`MemoryReportStore` in tests. :class:`ReportStore` (``openwer.store.base``) states the
lifecycle, the crash-safety guarantees, the failure contract and thread safety; the on-disk layout
is described in :mod:`openwer.store.layout`.
"""

from __future__ import annotations

from openwer.store.base import ReportStore
from openwer.store.directory import DirectoryReportStore
from openwer.store.entry import DamagedEntry, DamageReason, NewReport, StagedFile, StoredReport
from openwer.store.location import StoreArea, StoreScope, store_location, store_type
from openwer.store.memory import MemoryReportStore
from openwer.store.metadata import ReportMetadata, ReportParameter, ReportSignature
from openwer.store.opening import open_store
from openwer.store.recovery import RecoveryAction, RecoveryOutcome, RecoveryResult
from openwer.store.retention import PrunedReport, PruneReason, PruneResult, RetentionPolicy
from openwer.store.stats import AreaStats, StoreStats
from openwer.store.throttle import (
    DataThrottle,
    DirectoryDataThrottle,
    MemoryDataThrottle,
    ThrottleRecord,
)

__all__ = [
    "AreaStats",
    "DamageReason",
    "DamagedEntry",
    "DataThrottle",
    "DirectoryDataThrottle",
    "DirectoryReportStore",
    "MemoryDataThrottle",
    "MemoryReportStore",
    "NewReport",
    "PruneReason",
    "PruneResult",
    "PrunedReport",
    "RecoveryAction",
    "RecoveryOutcome",
    "RecoveryResult",
    "ReportMetadata",
    "ReportParameter",
    "ReportSignature",
    "ReportStore",
    "RetentionPolicy",
    "StagedFile",
    "StoreArea",
    "StoreScope",
    "StoreStats",
    "StoredReport",
    "ThrottleRecord",
    "open_store",
    "store_location",
    "store_type",
]
