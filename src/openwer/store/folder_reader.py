"""Reading one entry of a store area: a :class:`StoredReport`, or why it is not one.

Lenient by design (house rule "partial beats nothing"): a stray file, an empty folder, a corrupt
Report.wer or a planted symlink yields a :class:`DamagedEntry`, never an exception, so one bad
entry cannot break a listing. Symlinks are never followed: not for the entry, not for Report.wer,
not for the files inside (a report folder holding a link is damaged, so an upload can never be
pointed at a file outside the store).

Reads only; safe from any thread and concurrently with writers (an entry that vanishes while it
is read comes back as None).
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from openwer.errors import FormatError, InvalidArgumentError
from openwer.formats.report_manifest import ReportManifest
from openwer.formats.report_wer import MAX_REPORT_WER_BYTES, parse_report_wer
from openwer.store.entry import DamagedEntry, DamageReason, StoredReport
from openwer.store.location import StoreArea, StoreScope
from openwer.store.naming import REPORT_WER_NAME, validate_key

__all__ = ["read_report_entry", "read_report_wer_bytes"]


def read_report_entry(
    path: Path, area: StoreArea, scope: StoreScope
) -> StoredReport | DamagedEntry | None:
    """Read the area entry at ``path``; None when it no longer exists."""
    try:
        entry_stat = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _damaged(path, area, DamageReason.UNREADABLE, str(exc), None)
    try:
        validate_key(path.name)
    except InvalidArgumentError as exc:
        return _damaged(path, area, DamageReason.INVALID_NAME, str(exc), entry_stat)
    if stat.S_ISLNK(entry_stat.st_mode):
        return _damaged(path, area, DamageReason.SYMLINK, "not followed", entry_stat)
    if not stat.S_ISDIR(entry_stat.st_mode):
        return _damaged(path, area, DamageReason.NOT_A_DIRECTORY, "", entry_stat)
    try:
        return _read_folder(path, area, scope, entry_stat)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _damaged(path, area, DamageReason.UNREADABLE, str(exc), entry_stat)


def _read_folder(
    path: Path, area: StoreArea, scope: StoreScope, folder_stat: os.stat_result
) -> StoredReport | DamagedEntry:
    size = 0
    files: list[str] = []
    has_report_wer = False
    with os.scandir(path) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                detail = f"{entry.name!r} is not a regular file"
                return _damaged(path, area, DamageReason.UNEXPECTED_ENTRY, detail, folder_stat)
            size += entry.stat(follow_symlinks=False).st_size
            if entry.name == REPORT_WER_NAME:
                has_report_wer = True
            else:
                files.append(entry.name)
    if not has_report_wer:
        return _damaged(path, area, DamageReason.MISSING_REPORT_WER, "", folder_stat)
    try:
        document = parse_report_wer(read_report_wer_bytes(path / REPORT_WER_NAME))
    except FormatError as exc:
        return _damaged(path, area, DamageReason.CORRUPT_REPORT_WER, str(exc), folder_stat)
    manifest = ReportManifest.from_document(document)
    return StoredReport(
        key=path.name,
        area=area,
        scope=scope,
        folder=path,
        manifest=manifest,
        created_at=manifest.event_time or _mtime(folder_stat),
        size_bytes=size,
        file_names=tuple(sorted(files)),
    )


def read_report_wer_bytes(path: Path) -> bytes:
    """Read a Report.wer without following a symlink, bounded by the codec's size limit.

    Raises:
        OSError: it cannot be opened (``ELOOP`` for a symlink) or read.
        FormatError: it is larger than :data:`~openwer.formats.report_wer.MAX_REPORT_WER_BYTES`.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(MAX_REPORT_WER_BYTES + 1)
    if len(data) > MAX_REPORT_WER_BYTES:
        raise FormatError(f"Report.wer is larger than {MAX_REPORT_WER_BYTES} bytes")
    return data


def _mtime(result: os.stat_result | None) -> datetime:
    if result is None:
        return datetime.fromtimestamp(0, UTC)
    return datetime.fromtimestamp(result.st_mtime_ns / 1e9, UTC)


def _damaged(
    path: Path,
    area: StoreArea,
    reason: DamageReason,
    detail: str,
    result: os.stat_result | None,
) -> DamagedEntry:
    return DamagedEntry(area, path.name, path, reason, detail, _mtime(result))
