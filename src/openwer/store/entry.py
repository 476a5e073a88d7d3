"""What goes into a report store and what comes out of it.

* :class:`NewReport` / :class:`StagedFile`: a report to add (its Report.wer document and files).
* :class:`StoredReport`: a report as the store holds it (key, area, folder, document, size).
* :class:`DamagedEntry`: something in a store area that is not a readable report; listings skip
  it and name it here instead of failing.

Frozen data; thread-safe.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path

from openwer.errors import InvalidArgumentError
from openwer.formats.report_manifest import ReportManifest, parse_uuid
from openwer.formats.report_wer import WerDocument
from openwer.store.location import StoreArea, StoreScope
from openwer.store.naming import report_id_from_key, validate_file_name

__all__ = [
    "DamageReason",
    "DamagedEntry",
    "NewReport",
    "StagedFile",
    "StoredReport",
    "check_attachable",
    "check_document_matches_key",
    "oldest_first",
]


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A file to store with a report: ``name`` (its ``File[n].Path``) and its content.

    ``source`` is either the bytes themselves or a path the store copies from (the caller keeps
    the original). Raises :class:`~openwer.errors.InvalidArgumentError` for a name with a path
    separator, ``..``, a control character, or the name ``Report.wer``.
    """

    name: str
    source: Path | bytes

    def __post_init__(self) -> None:
        validate_file_name(self.name)


@dataclass(frozen=True, slots=True)
class NewReport:
    """A report to add to a store: its Report.wer document and the files its folder holds.

    Every staged file must be named by a ``File[n].Path`` of the document, and no two files may
    share a name (compared case-insensitively, so a folder copies to any file system). A document
    may list files that are not staged (for example data kept elsewhere).

    Raises:
        InvalidArgumentError: a duplicate name or a file the document does not list.
    """

    document: WerDocument
    files: tuple[StagedFile, ...] = ()

    def __post_init__(self) -> None:
        listed = {
            entry.path for entry in ReportManifest.from_document(self.document).files if entry.path
        }
        seen: set[str] = set()
        for staged in self.files:
            folded = staged.name.casefold()
            if folded in seen:
                raise InvalidArgumentError(f"report file {staged.name!r} is staged twice")
            seen.add(folded)
            if staged.name not in listed:
                raise InvalidArgumentError(
                    f"report file {staged.name!r} is not listed as a File[n].Path in Report.wer"
                )


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report in a store, as read at one moment.

    ``key`` is the report's folder name, unique across the queue and archive of one store;
    ``folder`` its path (nominal for an in-memory store); ``manifest`` the typed view of its
    Report.wer (:attr:`document` is the document itself); ``created_at`` the document's
    ``EventTime``, or the folder's modification time when the document has none;
    ``size_bytes`` the bytes of Report.wer and the files; ``file_names`` the files present beside
    Report.wer (an archive kept as parameters only has none).
    """

    key: str
    area: StoreArea
    scope: StoreScope
    folder: Path
    manifest: ReportManifest
    created_at: datetime
    size_bytes: int
    file_names: tuple[str, ...]

    @property
    def document(self) -> WerDocument:
        """The report's Report.wer document."""
        return self.manifest.document

    @property
    def report_id(self) -> uuid.UUID:
        """The report GUID the key ends with (``ReportIdentifier``)."""
        parsed = report_id_from_key(self.key)
        if parsed is not None:
            return parsed
        # A folder not named by a store: fall back to the document, then to a stable hash.
        return self.manifest.report_uuid or uuid.uuid5(uuid.NAMESPACE_URL, self.key)


class DamageReason(Enum):
    """Why an entry of a store area is not a readable report."""

    NOT_A_DIRECTORY = "not-a-directory"
    """A stray file (or device, socket…) where report folders belong."""
    SYMLINK = "symlink"
    """A symlink: never followed, so a link planted in a store cannot point reads elsewhere."""
    INVALID_NAME = "invalid-name"
    """A folder whose name cannot be a store key."""
    MISSING_REPORT_WER = "missing-report-wer"
    """A folder without Report.wer (an empty folder, for example)."""
    CORRUPT_REPORT_WER = "corrupt-report-wer"
    """A Report.wer that does not parse."""
    UNEXPECTED_ENTRY = "unexpected-entry"
    """A report folder holding a symlink, a subfolder or another non-regular file."""
    UNREADABLE = "unreadable"
    """The entry could not be read (permissions, I/O error)."""


@dataclass(frozen=True, slots=True)
class DamagedEntry:
    """An entry of a store area that listings skip, and why."""

    area: StoreArea
    name: str
    path: Path
    reason: DamageReason
    detail: str
    modified_at: datetime


def oldest_first(reports: Iterable[StoredReport]) -> list[StoredReport]:
    """Return ``reports`` sorted by creation time, oldest first (ties by key)."""
    return sorted(reports, key=lambda report: (report.created_at, report.key))


def check_document_matches_key(report: StoredReport, document: WerDocument) -> None:
    """Check that ``document`` may replace the Report.wer of ``report``.

    Raises:
        InvalidArgumentError: its ``ReportIdentifier`` is not the report's GUID (a replacement
            may add ``Response.*`` and ``State[n]`` keys, but cannot make it another report).
    """
    stored_id = report.manifest.report_uuid
    new_id = parse_uuid(document.get("ReportIdentifier"))
    if new_id != stored_id:
        raise InvalidArgumentError(
            f"the new Report.wer of {report.key} has ReportIdentifier {new_id}, not {stored_id}"
        )


def check_attachable(
    report: StoredReport, document: WerDocument, files: tuple[StagedFile, ...]
) -> None:
    """Check that ``files`` may be added to ``report`` together with its new ``document``.

    Raises:
        InvalidArgumentError: a file the new Report.wer does not list, a name already in the
            folder, or the same name twice.
    """
    listed = {entry.path for entry in ReportManifest.from_document(document).files if entry.path}
    present = {name.casefold() for name in report.file_names}
    seen: set[str] = set()
    for staged in files:
        folded = staged.name.casefold()
        if staged.name not in listed:
            raise InvalidArgumentError(
                f"report file {staged.name!r} is not listed as a File[n].Path in Report.wer"
            )
        if folded in present or folded in seen:
            raise InvalidArgumentError(f"report {report.key} already has a file {staged.name!r}")
        seen.add(folded)
