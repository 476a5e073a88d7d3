"""DirectoryReportStore: a WER report store kept as folders on a local file system.

Layout and temp-entry naming: :mod:`openwer.store.layout`. How the guarantees of
:class:`~openwer.store.base.ReportStore` are kept:

* ``add`` builds the whole folder in ``Temp`` (every file and the folder fsynced), publishes it
  with one ``rename`` into the area and fsyncs the area. It takes no lock, so adding (the crash
  path) never waits for maintenance.
* ``update_document``, ``archive``, ``delete``, ``purge``, ``prune`` and ``recover`` hold
  ``store.lock`` (``flock``; dropped by the kernel if the holder dies) and move folders only by
  rename through ``Temp`` (:mod:`openwer.store.folder_moves`). Each starts by finishing moves a
  dead holder left behind.
* Readers take no lock and never follow symlinks (:mod:`openwer.store.folder_reader`).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from openwer.errors import (
    FileNotFoundForReportError,
    InvalidArgumentError,
    InvalidStateError,
    ReportNotFoundError,
)
from openwer.formats.report_manifest import ReportManifest
from openwer.formats.report_wer import WerDocument, serialize_report_wer
from openwer.platform.atomic_file import rename_durably, replace_file
from openwer.platform.disk_space import free_bytes
from openwer.platform.file_lock import FileLock, LockMode
from openwer.platform.process_identity import current_process_identity
from openwer.platform.tree_removal import remove_entry
from openwer.store.directory_recovery import finish_pending_moves, recover_temp
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
from openwer.store.folder_moves import finish_archive, remove_through_temp
from openwer.store.folder_reader import read_report_entry
from openwer.store.folder_writer import write_report_folder
from openwer.store.layout import StoreLayout
from openwer.store.location import StoreArea, StoreScope
from openwer.store.metadata import ReportMetadata, build_report_metadata
from openwer.store.naming import (
    REPORT_WER_NAME,
    name_report_folder,
    validate_file_name,
    validate_key,
)
from openwer.store.recovery import RecoveryResult
from openwer.store.retention import PruneCandidate, PruneResult, RetentionPolicy, plan_prune
from openwer.store.stats import StoreStats, summarize_area
from openwer.store.throttle import DirectoryDataThrottle

__all__ = ["DirectoryReportStore"]

_MODES = {StoreScope.USER: (0o700, 0o600), StoreScope.MACHINE: (0o750, 0o640)}


class DirectoryReportStore:
    """A :class:`~openwer.store.base.ReportStore` on disk under ``root``.

    Lifecycle: construct (no I/O); the root and its folders are created on the first write, with
    mode 0700 for a user store (0750 for a machine store). Reading a store that does not exist
    yet gives empty listings. Nothing needs closing.

    ``free_space`` returns the bytes free on the file system of a path (for the queue's disk
    share); ``stale_after`` is how old a leftover of a writer in another pid namespace (which
    cannot be checked for life) must be before :meth:`recover` removes it.

    Safe to share between threads and to use from many processes at once.
    """

    def __init__(
        self,
        root: Path,
        *,
        scope: StoreScope = StoreScope.USER,
        free_space: Callable[[Path], int] = free_bytes,
        stale_after: timedelta = timedelta(days=1),
    ) -> None:
        self._layout = StoreLayout(Path(root))
        self._scope = scope
        self._folder_mode, self._file_mode = _MODES[scope]
        self._free_space = free_space
        self._stale_after = stale_after
        self._is_ready = False
        self._throttle = DirectoryDataThrottle(
            self._layout.throttle, file_mode=self._file_mode, prepare=self._ensure_root
        )

    @property
    def root(self) -> Path:
        """The store root."""
        return self._layout.root

    @property
    def scope(self) -> StoreScope:
        """Whether this is the user's store or the machine's."""
        return self._scope

    @property
    def throttle(self) -> DirectoryDataThrottle:
        """The store's data throttling state (``ERC/Throttle``)."""
        return self._throttle

    # -- writing -------------------------------------------------------------------------------

    def add(self, report: NewReport, area: StoreArea = StoreArea.QUEUE) -> StoredReport:
        """Store a new report atomically; see :meth:`ReportStore.add`."""
        key, document = name_report_folder(report.document, has_files=bool(report.files))
        data = serialize_report_wer(document)
        destination = self._layout.area(area) / key
        for attempt in range(2):
            try:
                size = self._publish(key, destination, data, report)
            except FileNotFoundError as exc:
                if attempt:
                    raise translate_os_error(exc, f"add report {key}") from exc
                # Someone removed the store's folders under us: recreate them once and retry.
                self._is_ready = False
                continue
            break
        manifest = ReportManifest.from_document(document)
        return StoredReport(
            key=key,
            area=area,
            scope=self._scope,
            folder=destination,
            manifest=manifest,
            created_at=manifest.event_time or _modified_at(destination),
            size_bytes=size,
            file_names=tuple(sorted(staged.name for staged in report.files)),
        )

    def _publish(self, key: str, destination: Path, data: bytes, report: NewReport) -> int:
        self._ensure_root()
        if self._holds_entry(key):
            raise InvalidArgumentError(f"a report with the key {key} is already in the store")
        staging = self._layout.new_report_path(current_process_identity())
        try:
            size = write_report_folder(
                staging,
                data,
                report.files,
                folder_mode=self._folder_mode,
                file_mode=self._file_mode,
            )
            rename_durably(staging, destination)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                remove_entry(staging)
            if isinstance(exc, FileNotFoundError) or not isinstance(exc, OSError):
                raise
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST) and destination.exists():
                message = f"a report with the key {key} is already in the store"
                raise InvalidArgumentError(message) from exc
            raise translate_os_error(exc, f"add report {key}") from exc
        return size

    def update_document(self, key: str, document: WerDocument) -> StoredReport:
        """Atomically replace the Report.wer of ``key``; see :meth:`ReportStore.update_document`."""
        validate_key(key)
        data = serialize_report_wer(document)
        with self._maintenance():
            report = self._get_now(key)
            check_document_matches_key(report, document)
            temp = self._layout.document_path(current_process_identity())
            target = report.folder / REPORT_WER_NAME
            try:
                replace_file(target, data, temp_path=temp, mode=self._file_mode)
            except OSError as exc:
                raise translate_os_error(exc, f"update the Report.wer of {key}") from exc
            return self._get_now(key)

    def attach_files(
        self, key: str, document: WerDocument, files: tuple[StagedFile, ...]
    ) -> StoredReport:
        """Add files and a new Report.wer to ``key``; see :meth:`ReportStore.attach_files`."""
        validate_key(key)
        data = serialize_report_wer(document)
        with self._maintenance():
            report = self._get_now(key)
            check_document_matches_key(report, document)
            check_attachable(report, document, files)
            try:
                for staged in files:
                    content = (
                        staged.source
                        if isinstance(staged.source, bytes)
                        else staged.source.read_bytes()
                    )
                    temp = self._layout.document_path(current_process_identity())
                    replace_file(
                        report.folder / staged.name, content, temp_path=temp, mode=self._file_mode
                    )
                temp = self._layout.document_path(current_process_identity())
                replace_file(
                    report.folder / REPORT_WER_NAME, data, temp_path=temp, mode=self._file_mode
                )
            except OSError as exc:
                raise translate_os_error(exc, f"add files to report {key}") from exc
            return self._get_now(key)

    def archive(self, key: str, *, parameters_only: bool) -> StoredReport:
        """Move a queued report to the archive; see :meth:`ReportStore.archive`."""
        validate_key(key)
        with self._maintenance():
            report = self._get_now(key)
            if report.area is StoreArea.ARCHIVE:
                raise InvalidStateError(f"report {key} is already in the archive")
            staging = self._layout.archive_path(key, parameters_only=parameters_only)
            action = f"archive report {key}"
            try:
                rename_durably(report.folder, staging)
            except OSError as exc:
                if not os.path.lexists(staging):
                    raise translate_os_error(exc, action) from exc
            try:
                finish_archive(staging, self._layout.archive / key, parameters_only=parameters_only)
            except OSError as exc:
                # The report is safe in Temp under a name that says where it goes.
                raise translate_os_error(exc, action + " (recover() will finish the move)") from exc
            return self._get_now(key)

    def delete(self, key: str) -> None:
        """Remove the entry ``key``; see :meth:`ReportStore.delete`."""
        validate_key(key)
        with self._maintenance():
            for area in StoreArea:
                entry = self._layout.area(area) / key
                if os.path.lexists(entry):
                    self._remove(entry)
                    return
        raise ReportNotFoundError(f"no report {key} in the {self._scope.value} store")

    def purge(self, area: StoreArea | None = None) -> int:
        """Remove every entry of ``area`` (both when None); return how many."""
        removed = 0
        with self._maintenance():
            for each in StoreArea if area is None else (area,):
                folder = self._layout.area(each)
                for name in self._list(folder):
                    removed += self._remove(folder / name)
        return removed

    def prune(self, policy: RetentionPolicy, *, now: datetime | None = None) -> PruneResult:
        """Remove reports beyond ``policy``'s limits; see :meth:`ReportStore.prune`."""
        moment = now or datetime.now(UTC)
        with self._maintenance():
            candidates: list[PruneCandidate] = []
            for area in StoreArea:
                reports, damaged = self._scan(area)
                candidates += [
                    PruneCandidate(r.key, area, r.created_at, r.size_bytes) for r in reports
                ]
                candidates += [
                    PruneCandidate(d.name, area, d.modified_at, 0, is_damaged=True) for d in damaged
                ]
            try:
                free = self._free_space(self._layout.queue)
            except OSError as exc:
                raise translate_os_error(exc, "measure the free disk space") from exc
            plan = plan_prune(candidates, policy, now=moment, free_bytes=free)
            removed = tuple(
                item for item in plan if self._remove(self._layout.area(item.area) / item.key)
            )
        return PruneResult(removed)

    def recover(self) -> RecoveryResult:
        """Clean up after dead processes; see :meth:`ReportStore.recover`."""
        with self._maintenance(finish_moves=False):
            actions = recover_temp(self._layout, stale_after=self._stale_after)
        return RecoveryResult(tuple(actions))

    def _remove(self, entry: Path) -> int:
        try:
            remove_through_temp(entry, self._layout.delete_path())
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise translate_os_error(exc, f"remove {entry.name}") from exc
        return 1

    # -- reading -------------------------------------------------------------------------------

    def keys(self, area: StoreArea) -> list[str]:
        """Return the keys of the readable reports of ``area``, oldest first."""
        return [report.key for report in oldest_first(self._scan(area)[0])]

    def get(self, key: str) -> StoredReport:
        """Return the report ``key``; see :meth:`ReportStore.get`."""
        validate_key(key)
        try:
            return self._get_now(key)
        except ReportNotFoundError:
            if not self._is_moving(key):
                raise
        # It is between the queue and the archive: wait for the mover, then look again.
        self._wait_for_maintenance()
        return self._get_now(key)

    def open_file(self, key: str, name: str) -> BinaryIO:
        """Open a file of report ``key`` for reading; see :meth:`ReportStore.open_file`."""
        validate_file_name(name)
        report = self.get(key)
        try:
            descriptor = os.open(report.folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise FileNotFoundForReportError(f"report {key} has no file {name!r}") from exc
        except OSError as exc:
            raise translate_os_error(exc, f"open {name!r} of report {key}") from exc
        return os.fdopen(descriptor, "rb")

    def count(self, area: StoreArea) -> int:
        """Return how many readable reports ``area`` holds."""
        return len(self._scan(area)[0])

    def size_on_disk(self, area: StoreArea) -> int:
        """Return the bytes of the readable reports of ``area``."""
        return sum(report.size_bytes for report in self._scan(area)[0])

    def stats(self) -> StoreStats:
        """Return counts, sizes and ages of both areas and the number of damaged entries."""
        return StoreStats(
            scope=self._scope,
            root=self.root,
            queue=summarize_area(StoreArea.QUEUE, *self._scan(StoreArea.QUEUE)),
            archive=summarize_area(StoreArea.ARCHIVE, *self._scan(StoreArea.ARCHIVE)),
        )

    def damaged(self, area: StoreArea | None = None) -> list[DamagedEntry]:
        """Return the entries listings skipped, by area then name."""
        areas = list(StoreArea) if area is None else [area]
        return [entry for each in areas for entry in sorted(self._scan(each)[1], key=_name)]

    def query_metadata(self, key: str) -> ReportMetadata:
        """Return ``WER_REPORT_METADATA_V3`` of report ``key``."""
        return build_report_metadata(self.get(key))

    # -- internals -----------------------------------------------------------------------------

    def _ensure_root(self) -> None:
        if self._is_ready:
            return
        try:
            self._layout.ensure(self._folder_mode)
        except OSError as exc:
            action = f"create the {self._scope.value} report store at {self.root}"
            raise translate_os_error(exc, action) from exc
        self._is_ready = True

    @contextlib.contextmanager
    def _maintenance(self, *, finish_moves: bool = True) -> Iterator[None]:
        self._ensure_root()
        lock = FileLock(self._layout.lock, file_mode=self._file_mode)
        try:
            lock.acquire()
        except OSError as exc:
            raise translate_os_error(exc, f"lock the report store at {self.root}") from exc
        try:
            if finish_moves:
                finish_pending_moves(self._layout)
            yield
        finally:
            lock.release()

    def _wait_for_maintenance(self) -> None:
        lock = FileLock(self._layout.lock, mode=LockMode.SHARED, file_mode=self._file_mode)
        # A reader that cannot open the lock file (a read-only store) just looks again.
        with contextlib.suppress(OSError), lock:
            pass

    def _is_moving(self, key: str) -> bool:
        return any(
            os.path.lexists(self._layout.archive_path(key, parameters_only=flag))
            for flag in (True, False)
        )

    def _holds_entry(self, key: str) -> bool:
        return any(os.path.lexists(self._layout.area(area) / key) for area in StoreArea)

    def _get_now(self, key: str) -> StoredReport:
        for area in StoreArea:
            entry = read_report_entry(self._layout.area(area) / key, area, self._scope)
            if isinstance(entry, StoredReport):
                return entry
            if isinstance(entry, DamagedEntry):
                raise ReportNotFoundError(
                    f"{key} in the {area.value} is not a readable report ({entry.reason.value}"
                    + (f": {entry.detail})" if entry.detail else ")")
                )
        raise ReportNotFoundError(f"no report {key} in the {self._scope.value} store")

    def _list(self, folder: Path) -> list[str]:
        try:
            return os.listdir(folder)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise translate_os_error(exc, f"list {folder}") from exc

    def _scan(self, area: StoreArea) -> tuple[list[StoredReport], list[DamagedEntry]]:
        folder = self._layout.area(area)
        reports: list[StoredReport] = []
        damaged: list[DamagedEntry] = []
        for name in self._list(folder):
            entry = read_report_entry(folder / name, area, self._scope)
            if isinstance(entry, StoredReport):
                reports.append(entry)
            elif entry is not None:
                damaged.append(entry)
        return reports, damaged


def _modified_at(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
    except OSError:
        return datetime.now(UTC)


def _name(entry: DamagedEntry) -> str:
    return entry.name
