"""The ReportStore seam: WER's report stores (``WerStore*``) as one small Protocol.

A store is one root (user or machine) with two areas, the queue (reports not yet sent) and the
archive (reports sent or refused). A report is a folder named as WER names them; its name is the
report's **key**, unique across both areas of one store.

Lifecycle of a report::

    add() ──► QUEUE ──update_document()──► QUEUE ──archive()──► ARCHIVE ──prune()/delete()──► gone
     │                 (Response.*, State[n])          (Report.wer kept; the data too unless
     └──► ARCHIVE (add(area=ARCHIVE): handled at once)  parameters_only)

Guarantees every implementation keeps:

* **Atomic add.** A report appears whole or not at all, even if the writer is killed at any
  instant; many processes may add to one store at once.
* **Atomic moves.** ``archive``, ``delete``, ``purge`` and ``prune`` never show a report twice or
  half, and never lose one: an interrupted move is finished by the next maintenance call or by
  :meth:`ReportStore.recover`.
* **Lenient reading.** Listings skip what is not a readable report (stray files, empty folders,
  corrupt Report.wer, symlinks, which are never followed) and name it in
  :meth:`ReportStore.damaged`; they never raise because of the store's content.

Failure contract (errors of :mod:`openwer.errors`): ``InvalidArgumentError`` for a bad key or
report (a key with a separator, ``.``/``..`` or NUL; a duplicate report id);
``ReportNotFoundError`` for a key in neither area; ``InvalidStateError`` for a move that makes no
sense (archiving an archived report); ``AccessDeniedError`` or ``StoreError`` when the files cannot
be used, with the path and the cause.

Thread and process safety: every method may be called from any thread; the directory
implementation is also safe across processes. Listings are snapshots: a report added or moved
meanwhile may or may not be in them.
"""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO, Protocol

from openwer.formats.report_wer import WerDocument
from openwer.store.entry import DamagedEntry, NewReport, StagedFile, StoredReport
from openwer.store.location import StoreArea, StoreScope
from openwer.store.metadata import ReportMetadata
from openwer.store.recovery import RecoveryResult
from openwer.store.retention import PruneResult, RetentionPolicy
from openwer.store.stats import StoreStats
from openwer.store.throttle import DataThrottle

__all__ = ["ReportStore"]


class ReportStore(Protocol):
    """A user or machine report store: queue, archive, and their maintenance.

    See the module docstring for lifecycle, failure contract and thread safety.
    """

    @property
    def scope(self) -> StoreScope:
        """Whether this is the user's store or the machine's."""
        ...

    @property
    def throttle(self) -> DataThrottle:
        """The store's data throttling state (one CAB per bucket)."""
        ...

    def add(self, report: NewReport, area: StoreArea = StoreArea.QUEUE) -> StoredReport:
        """Store a new report atomically and return it.

        The key is derived from the document (kind, application, signature hashes, ``_cab`` when
        there are files, report GUID). A document without a GUID ``ReportIdentifier`` gets a new
        one, written into the stored Report.wer.

        Raises:
            InvalidArgumentError: a report with the same id is already in the store.
            FormatError: the document cannot be written as Report.wer.
            FileNotFoundForReportError: a staged file's source path does not exist.
            AccessDeniedError, StoreError: the store cannot be written (nothing is left behind).
        """
        ...

    def keys(self, area: StoreArea) -> list[str]:
        """Return the keys of the readable reports of ``area``, oldest first.

        Age is the document's ``EventTime``, else the folder's modification time.
        """
        ...

    def get(self, key: str) -> StoredReport:
        """Return the report ``key`` from whichever area holds it.

        Raises:
            InvalidArgumentError: ``key`` cannot be a key.
            ReportNotFoundError: no readable report has that key.
        """
        ...

    def open_file(self, key: str, name: str) -> BinaryIO:
        """Open a file of report ``key`` (a ``File[n].Path`` name) for reading, as binary.

        Raises:
            InvalidArgumentError: a bad key or file name.
            ReportNotFoundError: no such report.
            FileNotFoundForReportError: the report has no such file (e.g. archived as parameters).
        """
        ...

    def update_document(self, key: str, document: WerDocument) -> StoredReport:
        """Atomically replace the Report.wer of ``key`` (the server's ``Response.*``, ``State``).

        Raises:
            InvalidArgumentError: the document's ``ReportIdentifier`` is not the report's.
            ReportNotFoundError: no such report.
        """
        ...

    def attach_files(
        self, key: str, document: WerDocument, files: tuple[StagedFile, ...]
    ) -> StoredReport:
        """Add ``files`` to report ``key`` and replace its Report.wer with ``document``.

        For details gathered after a report was made durable (the loaded modules of a crashing
        process). Each file is published by its own rename and Report.wer last, so a reader sees
        the old report or the new one; a crash in between leaves at most an unlisted file.

        Raises:
            InvalidArgumentError: a file ``document`` does not list, a name the report already
                has, or a ``ReportIdentifier`` that is not the report's.
            ReportNotFoundError: no such report.
            StoreError: the store cannot be written.
        """
        ...

    def archive(self, key: str, *, parameters_only: bool) -> StoredReport:
        """Move a queued report to the archive; drop its files when ``parameters_only``.

        ``parameters_only`` is ``ConfigureArchive`` 1 (keep Report.wer only); False is 2 (keep
        all data). The report is never lost nor visible twice, even if the process dies.

        Raises:
            ReportNotFoundError: no such report.
            InvalidStateError: the report is already in the archive.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove the entry ``key`` (a report or a damaged entry) from whichever area holds it.

        Raises:
            ReportNotFoundError: neither area has an entry of that name.
        """
        ...

    def purge(self, area: StoreArea | None = None) -> int:
        """Remove every entry of ``area`` (both areas when None); return how many."""
        ...

    def count(self, area: StoreArea) -> int:
        """Return how many readable reports ``area`` holds."""
        ...

    def size_on_disk(self, area: StoreArea) -> int:
        """Return the bytes of the readable reports of ``area`` (Report.wer and files)."""
        ...

    def stats(self) -> StoreStats:
        """Return counts, sizes and age ranges of both areas and the number of damaged entries."""
        ...

    def damaged(self, area: StoreArea | None = None) -> list[DamagedEntry]:
        """Return the entries listings skipped because they are not readable reports."""
        ...

    def query_metadata(self, key: str) -> ReportMetadata:
        """Return ``WER_REPORT_METADATA_V3`` of report ``key``.

        Raises:
            InvalidArgumentError, ReportNotFoundError: as :meth:`get`.
        """
        ...

    def prune(self, policy: RetentionPolicy, *, now: datetime | None = None) -> PruneResult:
        """Remove reports beyond ``policy``'s limits, oldest first; return what went.

        ``now`` (aware UTC, default the current time) is the reference for ``max_age``.
        Damaged entries are removed only by age.
        """
        ...

    def recover(self) -> RecoveryResult:
        """Clean up after processes that died while writing or moving reports.

        Removes the leftovers of writers that are gone (never those of a live writer) and
        finishes interrupted moves. Safe to run at any time, concurrently with writers.
        """
        ...
