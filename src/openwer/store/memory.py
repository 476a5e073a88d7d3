"""MemoryReportStore: the in-memory :class:`~openwer.store.base.ReportStore` for tests.

It keeps the contract of :class:`~openwer.store.directory.DirectoryReportStore` (keys, order,
validation, errors, archive and retention rules, metadata) without touching a disk, so code above
the store can be tested fast. Documents go through Report.wer bytes and back, so what comes out
is what the directory store would give. It has no damaged entries and nothing to recover.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from openwer.errors import (
    FileNotFoundForReportError,
    InvalidArgumentError,
    InvalidStateError,
    ReportNotFoundError,
)
from openwer.formats.report_manifest import ReportManifest
from openwer.formats.report_wer import WerDocument, parse_report_wer, serialize_report_wer
from openwer.store.entry import (
    DamagedEntry,
    NewReport,
    StagedFile,
    StoredReport,
    check_attachable,
    check_document_matches_key,
    oldest_first,
)
from openwer.store.error_translation import translate_os_error
from openwer.store.location import StoreArea, StoreScope
from openwer.store.metadata import ReportMetadata, build_report_metadata
from openwer.store.naming import name_report_folder, validate_file_name, validate_key
from openwer.store.recovery import RecoveryResult
from openwer.store.retention import PruneCandidate, PruneResult, RetentionPolicy, plan_prune
from openwer.store.stats import StoreStats, summarize_area
from openwer.store.throttle import MemoryDataThrottle

__all__ = ["MemoryReportStore"]


@dataclass(frozen=True, slots=True)
class _Entry:
    area: StoreArea
    report_wer: bytes
    files: tuple[tuple[str, bytes], ...]
    added_at: datetime


class MemoryReportStore:
    """A :class:`~openwer.store.base.ReportStore` held in memory.

    Lifecycle: construct; lives as long as the object. ``root`` only names the nominal
    ``StoredReport.folder`` paths (nothing is written there). ``free_bytes`` is the free disk
    space :meth:`prune` assumes; ``clock`` gives the creation time of reports without
    ``EventTime`` (the directory store uses the folder's modification time). Thread-safe.
    """

    def __init__(
        self,
        *,
        scope: StoreScope = StoreScope.USER,
        root: Path = Path("/memory-store"),
        free_bytes: int = 1 << 40,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._scope = scope
        self._root = root
        self._free_bytes = free_bytes
        self._clock = clock
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        self._throttle = MemoryDataThrottle()

    @property
    def scope(self) -> StoreScope:
        """Whether this is the user's store or the machine's."""
        return self._scope

    @property
    def throttle(self) -> MemoryDataThrottle:
        """The store's data throttling state."""
        return self._throttle

    def add(self, report: NewReport, area: StoreArea = StoreArea.QUEUE) -> StoredReport:
        """Store a new report; see :meth:`ReportStore.add`."""
        key, document = name_report_folder(report.document, has_files=bool(report.files))
        data = serialize_report_wer(document)
        files = tuple(
            (staged.name, _content(staged.name, staged.source)) for staged in report.files
        )
        with self._lock:
            if key in self._entries:
                raise InvalidArgumentError(f"a report with the key {key} is already in the store")
            self._entries[key] = _Entry(area, data, files, self._clock())
            return self._stored(key)

    def keys(self, area: StoreArea) -> list[str]:
        """Return the keys of ``area``, oldest first."""
        return [report.key for report in oldest_first(self._reports(area))]

    def get(self, key: str) -> StoredReport:
        """Return the report ``key``; see :meth:`ReportStore.get`."""
        validate_key(key)
        with self._lock:
            if key not in self._entries:
                raise ReportNotFoundError(f"no report {key} in the {self._scope.value} store")
            return self._stored(key)

    def open_file(self, key: str, name: str) -> BinaryIO:
        """Open a file of report ``key`` for reading; see :meth:`ReportStore.open_file`."""
        validate_file_name(name)
        validate_key(key)
        with self._lock:
            self.get(key)
            content = dict(self._entries[key].files).get(name)
        if content is None:
            raise FileNotFoundForReportError(f"report {key} has no file {name!r}")
        return io.BytesIO(content)

    def update_document(self, key: str, document: WerDocument) -> StoredReport:
        """Replace the Report.wer of ``key``; see :meth:`ReportStore.update_document`."""
        data = serialize_report_wer(document)
        with self._lock:
            check_document_matches_key(self.get(key), document)
            self._entries[key] = replace(self._entries[key], report_wer=data)
            return self._stored(key)

    def attach_files(
        self, key: str, document: WerDocument, files: tuple[StagedFile, ...]
    ) -> StoredReport:
        """Add files and a new Report.wer to ``key``; see :meth:`ReportStore.attach_files`."""
        data = serialize_report_wer(document)
        with self._lock:
            report = self.get(key)
            check_document_matches_key(report, document)
            check_attachable(report, document, files)
            added = tuple(
                (f.name, f.source if isinstance(f.source, bytes) else f.source.read_bytes())
                for f in files
            )
            entry = self._entries[key]
            self._entries[key] = replace(entry, report_wer=data, files=entry.files + added)
            return self._stored(key)

    def archive(self, key: str, *, parameters_only: bool) -> StoredReport:
        """Move a queued report to the archive; see :meth:`ReportStore.archive`."""
        with self._lock:
            report = self.get(key)
            if report.area is StoreArea.ARCHIVE:
                raise InvalidStateError(f"report {key} is already in the archive")
            entry = self._entries[key]
            files = () if parameters_only else entry.files
            self._entries[key] = replace(entry, area=StoreArea.ARCHIVE, files=files)
            return self._stored(key)

    def delete(self, key: str) -> None:
        """Remove report ``key``; see :meth:`ReportStore.delete`."""
        validate_key(key)
        with self._lock:
            if self._entries.pop(key, None) is None:
                raise ReportNotFoundError(f"no report {key} in the {self._scope.value} store")

    def purge(self, area: StoreArea | None = None) -> int:
        """Remove every report of ``area`` (both when None); return how many."""
        with self._lock:
            doomed = [k for k, e in self._entries.items() if area is None or e.area is area]
            for key in doomed:
                del self._entries[key]
            return len(doomed)

    def count(self, area: StoreArea) -> int:
        """Return how many reports ``area`` holds."""
        return len(self._reports(area))

    def size_on_disk(self, area: StoreArea) -> int:
        """Return the bytes of the reports of ``area`` (as they would be on disk)."""
        return sum(report.size_bytes for report in self._reports(area))

    def stats(self) -> StoreStats:
        """Return counts, sizes and ages of both areas (never any damaged entry)."""
        return StoreStats(
            scope=self._scope,
            root=self._root,
            queue=summarize_area(StoreArea.QUEUE, self._reports(StoreArea.QUEUE)),
            archive=summarize_area(StoreArea.ARCHIVE, self._reports(StoreArea.ARCHIVE)),
        )

    def damaged(self, area: StoreArea | None = None) -> list[DamagedEntry]:
        """Return nothing: memory holds no damaged entries."""
        return []

    def query_metadata(self, key: str) -> ReportMetadata:
        """Return ``WER_REPORT_METADATA_V3`` of report ``key``."""
        return build_report_metadata(self.get(key))

    def prune(self, policy: RetentionPolicy, *, now: datetime | None = None) -> PruneResult:
        """Remove reports beyond ``policy``'s limits; see :meth:`ReportStore.prune`."""
        moment = now or datetime.now(UTC)
        with self._lock:
            candidates = [
                PruneCandidate(r.key, r.area, r.created_at, r.size_bytes)
                for area in StoreArea
                for r in self._reports(area)
            ]
            plan = plan_prune(candidates, policy, now=moment, free_bytes=self._free_bytes)
            for item in plan:
                del self._entries[item.key]
        return PruneResult(plan)

    def recover(self) -> RecoveryResult:
        """Return an empty result: nothing in memory survives a dead writer."""
        return RecoveryResult()

    def _reports(self, area: StoreArea) -> list[StoredReport]:
        with self._lock:
            return [self._stored(k) for k, e in self._entries.items() if e.area is area]

    def _stored(self, key: str) -> StoredReport:
        entry = self._entries[key]
        manifest = ReportManifest.from_document(parse_report_wer(entry.report_wer))
        return StoredReport(
            key=key,
            area=entry.area,
            scope=self._scope,
            folder=self._root / entry.area.folder_name / key,
            manifest=manifest,
            created_at=manifest.event_time or entry.added_at,
            size_bytes=len(entry.report_wer) + sum(len(content) for _, content in entry.files),
            file_names=tuple(sorted(name for name, _ in entry.files)),
        )


def _content(name: str, source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return source.read_bytes()
    except FileNotFoundError as exc:
        message = f"the file {name!r} of the report comes from {source}, which does not exist"
        raise FileNotFoundForReportError(message) from exc
    except OSError as exc:
        raise translate_os_error(exc, f"read the report file {name!r}") from exc
