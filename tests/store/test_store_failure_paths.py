"""How the directory store, its throttle and its recovery fail: clearly, and without loss."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from store_report_factory import make_report

from openwer.errors import (
    AccessDeniedError,
    FileNotFoundForReportError,
    ReportNotFoundError,
    StoreError,
)
from openwer.store import (
    DirectoryDataThrottle,
    DirectoryReportStore,
    RecoveryOutcome,
    RetentionPolicy,
    StoreArea,
)
from openwer.store import directory as directory_module
from openwer.store.error_translation import translate_os_error
from openwer.store.layout import StoreLayout

QUEUE = StoreArea.QUEUE


def _store(tmp_path: Path) -> DirectoryReportStore:
    return DirectoryReportStore(tmp_path / "root", free_space=lambda _: 1 << 40)


def _eio(*args: object, **kwargs: object) -> None:
    raise OSError(errno.EIO, "Input/output error")


def _failing_for(
    fragment: str, real: Callable[..., Any], error: OSError | None = None
) -> Callable[..., Any]:
    """Wrap an os function (patched process-wide) to fail only for paths containing fragment."""

    def wrapper(path: Any, *args: Any, **kwargs: Any) -> Any:
        if fragment in str(path):
            raise error or OSError(errno.EIO, "Input/output error", str(path))
        return real(path, *args, **kwargs)

    return wrapper


def test_error_translation_names_action_path_and_cause() -> None:
    """Permission errors become AccessDeniedError, others StoreError, with a clear message."""
    denied = translate_os_error(PermissionError(errno.EACCES, "Permission denied", "/x"), "write")
    assert isinstance(denied, AccessDeniedError)
    assert str(denied) == "cannot write (/x): Permission denied"
    read_only = translate_os_error(OSError(errno.EROFS, "Read-only file system"), "write")
    assert isinstance(read_only, AccessDeniedError)
    full = translate_os_error(OSError(errno.ENOSPC, "No space left on device", "/y"), "add")
    assert type(full) is StoreError
    assert str(full) == "cannot add (/y): the disk is full"
    assert str(translate_os_error(OSError("odd"), "do")) == "cannot do: odd"


def test_add_gives_up_when_the_store_keeps_vanishing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the folders are gone even after recreating them, add fails with a StoreError."""
    store = _store(tmp_path)

    def vanished(folder: Path, *args: object, **kwargs: object) -> int:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(folder))

    monkeypatch.setattr("openwer.store.directory.write_report_folder", vanished)
    with pytest.raises(StoreError, match="add report"):
        store.add(make_report(1))


def test_archive_continues_when_only_the_sync_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename that happened but whose fsync failed still completes the move."""
    store = _store(tmp_path)
    stored = store.add(make_report(1))

    def renamed_then_failed(source: Path, destination: Path) -> None:
        os.rename(source, destination)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("openwer.store.directory.rename_durably", renamed_then_failed)
    archived = store.archive(stored.key, parameters_only=True)
    assert archived.area is StoreArea.ARCHIVE


def test_prune_reports_unmeasurable_disk(tmp_path: Path) -> None:
    """If free space cannot be measured, prune says so and removes nothing."""
    store = DirectoryReportStore(tmp_path / "root", free_space=_eio)  # type: ignore[arg-type]
    store.add(make_report(1))
    with pytest.raises(StoreError, match="free disk space"):
        store.prune(RetentionPolicy(max_queue_count=0))
    assert store.count(QUEUE) == 1


def test_removal_failures_are_store_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A delete that cannot move the entry raises StoreError; the report stays."""
    store = _store(tmp_path)
    stored = store.add(make_report(1))
    monkeypatch.setattr("openwer.store.directory.remove_through_temp", _eio)
    with pytest.raises(StoreError, match="remove"):
        store.delete(stored.key)
    monkeypatch.undo()
    assert store.keys(QUEUE) == [stored.key]


def test_entries_vanishing_during_maintenance_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry removed by someone else between listing and removal is not counted."""
    store = _store(tmp_path)
    store.add(make_report(1))

    def gone(entry: Path, staging: Path) -> None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(entry))

    monkeypatch.setattr("openwer.store.directory.remove_through_temp", gone)
    assert store.purge() == 0


def test_entries_vanishing_during_a_listing_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report deleted while a listing reads it is simply not listed."""
    store = _store(tmp_path)
    first = store.add(make_report(1))
    second = store.add(make_report(2))
    real_lstat = os.lstat

    def racing_lstat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path).endswith(first.key):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
        return real_lstat(path)  # type: ignore[arg-type]

    monkeypatch.setattr("openwer.store.folder_reader.os.lstat", racing_lstat)
    assert store.keys(QUEUE) == [second.key]


def test_unlistable_area_is_a_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An area that cannot be listed at all is an error, not an empty store."""
    store = _store(tmp_path)
    store.add(make_report(1))
    monkeypatch.setattr("openwer.store.directory.os.listdir", _failing_for("Queue", os.listdir))
    with pytest.raises(StoreError, match="list"):
        store.keys(QUEUE)


def test_lock_that_cannot_be_taken_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If store.lock cannot be opened, maintenance fails before touching anything."""
    store = _store(tmp_path)
    stored = store.add(make_report(1))
    monkeypatch.setattr("openwer.store.directory.FileLock.acquire", _eio)
    with pytest.raises(StoreError, match="lock the report store"):
        store.delete(stored.key)


def test_reader_without_lock_access_still_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader that cannot take the lock (read-only store) still gets its answer."""
    store = _store(tmp_path)
    stored = store.add(make_report(1))
    layout = StoreLayout(tmp_path / "root")
    staging = layout.archive_path(stored.key, parameters_only=False)
    os.rename(stored.folder, staging)
    monkeypatch.setattr("openwer.store.directory.FileLock.acquire", _eio)
    with pytest.raises(ReportNotFoundError):
        store.get(stored.key)


def test_open_file_other_errors_are_translated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error opening a report file becomes a StoreError."""
    store = _store(tmp_path)
    stored = store.add(make_report(1, files={"a": b"a"}))
    monkeypatch.setattr("openwer.store.directory.os.open", _failing_for("/a", os.open))
    with pytest.raises(StoreError, match="open 'a'"):
        store.open_file(stored.key, "a")


def test_open_file_of_a_vanished_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose report folder disappears meanwhile is reported missing."""
    store = _store(tmp_path)
    stored = store.add(make_report(1, files={"a": b"a"}))

    missing = FileNotFoundError(errno.ENOENT, "No such file or directory")
    monkeypatch.setattr("openwer.store.directory.os.open", _failing_for("/a", os.open, missing))
    with pytest.raises(FileNotFoundForReportError):
        store.open_file(stored.key, "a")


def test_creation_time_falls_back_to_now_when_stat_fails(tmp_path: Path) -> None:
    """A folder that cannot be stat'ed is dated now rather than failing an acknowledged add."""
    before = datetime.now(UTC)
    assert directory_module._modified_at(tmp_path / "missing") >= before


def test_recovery_failures_are_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leftovers that cannot be removed are FAILED outcomes, retried next time."""
    store = _store(tmp_path)
    store.add(make_report(0))
    layout = StoreLayout(tmp_path / "root")
    (layout.temp / "delete~abc").mkdir()
    dead = layout.temp / "new~1.1.00000000.1~x"
    dead.mkdir()
    monkeypatch.setattr("openwer.store.directory_recovery.remove_entry", _eio)
    monkeypatch.setattr("openwer.store.folder_moves.remove_entry", _eio)
    result = store.recover()
    assert {a.outcome for a in result.actions} == {RecoveryOutcome.FAILED}
    monkeypatch.undo()
    assert {a.outcome for a in store.recover().actions} == {
        RecoveryOutcome.REMOVED_ABANDONED_WRITE,
        RecoveryOutcome.COMPLETED_DELETE,
    }


def test_recovery_of_an_unstatable_foreign_leftover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A leftover of a writer in another pid namespace whose age cannot be read is kept."""
    store = _store(tmp_path)
    store.add(make_report(0))
    layout = StoreLayout(tmp_path / "root")
    (layout.temp / "doc~1.1.00000000.999~x").write_bytes(b"")
    monkeypatch.setattr(
        "openwer.store.directory_recovery.process_liveness",
        lambda identity: (
            __import__(
                "openwer.platform.process_identity"
            ).platform.process_identity.ProcessLiveness.UNKNOWN
        ),
    )
    monkeypatch.setattr("openwer.store.directory_recovery.os.lstat", _eio)
    assert [a.outcome for a in store.recover().actions] == [RecoveryOutcome.FAILED]


def test_recover_on_a_store_without_temp(tmp_path: Path) -> None:
    """A store whose Temp folder vanished recovers nothing and does not fail."""
    store = _store(tmp_path)
    store.add(make_report(0))
    os.rmdir(tmp_path / "root" / "Temp")
    assert store.recover().actions == ()


def test_throttle_failures_are_store_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A marker that cannot be synced or removed raises StoreError."""
    throttle = DirectoryDataThrottle(tmp_path / "Throttle")
    monkeypatch.setattr("openwer.store.throttle.fsync_directory", _eio)
    with pytest.raises(StoreError):
        throttle.record_cab_uploaded("a")
    monkeypatch.undo()
    assert throttle.has_uploaded_cab("a")
    monkeypatch.setattr("openwer.store.throttle.remove_entry", _eio)
    with pytest.raises(StoreError):
        throttle.reset()

    def gone(path: Path) -> None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))

    monkeypatch.setattr("openwer.store.throttle.remove_entry", gone)
    assert throttle.reset() == 0
