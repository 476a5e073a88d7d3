"""DirectoryReportStore on disk: layout, modes, atomicity, hostile content and error paths."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import threading
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from store_report_factory import BASE_TIME, make_document, make_report

from openwer.errors import AccessDeniedError, InvalidArgumentError, ReportNotFoundError, StoreError
from openwer.formats.report_wer import parse_report_wer
from openwer.platform.file_lock import FileLock
from openwer.platform.process_identity import current_process_identity
from openwer.store import (
    DamageReason,
    DirectoryReportStore,
    NewReport,
    PruneReason,
    RecoveryOutcome,
    RetentionPolicy,
    StoreArea,
    StoreScope,
    folder_reader,
)
from openwer.store import directory as directory_module
from openwer.store.layout import StoreLayout

QUEUE = StoreArea.QUEUE
ARCHIVE = StoreArea.ARCHIVE


def _store(tmp_path: Path, scope: StoreScope = StoreScope.USER) -> DirectoryReportStore:
    return DirectoryReportStore(tmp_path / "root", scope=scope, free_space=lambda _: 1 << 40)


def test_reading_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    """Listings of a store never written are empty and leave the disk alone."""
    store = _store(tmp_path)
    assert store.keys(QUEUE) == []
    assert store.count(ARCHIVE) == 0
    assert store.stats().queue.count == 0
    assert store.damaged() == []
    assert store.throttle.has_uploaded_cab("b") is False
    assert store.throttle.reset() == 0
    assert not (tmp_path / "root").exists()


@pytest.mark.parametrize(
    ("scope", "folder_mode", "file_mode"),
    [(StoreScope.USER, 0o700, 0o600), (StoreScope.MACHINE, 0o750, 0o640)],
)
def test_first_write_creates_layout_with_private_modes(
    tmp_path: Path, scope: StoreScope, folder_mode: int, file_mode: int
) -> None:
    """The root and its folders appear on the first add, with the scope's modes."""
    old_umask = os.umask(0)
    try:
        store = _store(tmp_path, scope)
        stored = store.add(make_report(1, files={"a.txt": b"a"}))
    finally:
        os.umask(old_umask)
    root = tmp_path / "root"
    assert stat.S_IMODE(root.stat().st_mode) == folder_mode
    assert {p.name for p in root.iterdir()} == {"ReportQueue", "ReportArchive", "Temp"}
    assert stat.S_IMODE(stored.folder.stat().st_mode) == folder_mode
    for name in ("Report.wer", "a.txt"):
        assert stat.S_IMODE((stored.folder / name).stat().st_mode) == file_mode
    assert store.root == root
    assert store.scope is scope
    assert list((root / "Temp").iterdir()) == []


def test_report_wer_is_windows_encoded(tmp_path: Path) -> None:
    """The stored Report.wer is UTF-16LE with a BOM and CRLF, and parses back."""
    stored = _store(tmp_path).add(make_report(1))
    data = (stored.folder / "Report.wer").read_bytes()
    assert data.startswith(b"\xff\xfe")
    assert "\r\n".encode("utf-16-le") in data
    assert parse_report_wer(data) == stored.document


def test_unusable_root_is_a_clear_store_error(tmp_path: Path) -> None:
    """A root that cannot be created names the root and the cause."""
    (tmp_path / "file").write_bytes(b"")
    store = DirectoryReportStore(tmp_path / "file" / "root")
    with pytest.raises(StoreError, match="cannot create the user report store"):
        store.add(make_report(1))


def test_permission_problems_become_access_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EACCES while creating the root becomes AccessDeniedError (a PermissionError too)."""
    store = _store(tmp_path, StoreScope.MACHINE)

    def deny(self: StoreLayout, mode: int) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(self.root))

    monkeypatch.setattr(StoreLayout, "ensure", deny)
    with pytest.raises(AccessDeniedError, match="machine report store") as raised:
        store.add(make_report(1))
    assert isinstance(raised.value, PermissionError)


def test_full_disk_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write failing mid-folder leaves nothing visible and nothing in Temp."""
    store = _store(tmp_path)
    store.add(make_report(0))
    calls = {"n": 0}

    def failing(folder: Path, *args: object, **kwargs: object) -> int:
        calls["n"] += 1
        os.mkdir(folder)
        (folder / "half").write_bytes(b"x")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(directory_module, "write_report_folder", failing)
    with pytest.raises(StoreError, match="disk is full"):
        store.add(make_report(1, files={"a": b"a"}))
    monkeypatch.undo()
    assert calls["n"] == 1
    assert store.count(QUEUE) == 1
    assert list((tmp_path / "root" / "Temp").iterdir()) == []


def test_interrupt_during_add_cleans_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even a KeyboardInterrupt mid-add leaves Temp clean and propagates unchanged."""
    store = _store(tmp_path)
    store.add(make_report(0))

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(directory_module, "rename_durably", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.add(make_report(1))
    assert list((tmp_path / "root" / "Temp").iterdir()) == []


def test_store_folders_removed_under_a_running_store(tmp_path: Path) -> None:
    """If someone deletes the store while it is open, the next add recreates it."""
    store = _store(tmp_path)
    store.add(make_report(0))
    shutil.rmtree(tmp_path / "root")
    stored = store.add(make_report(1))
    assert store.keys(QUEUE) == [stored.key]


def test_duplicate_detected_by_the_rename_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers racing with one report id: the second rename fails, no double report."""
    store = _store(tmp_path)
    store.add(make_report(1, files={"a": b"a"}))
    monkeypatch.setattr(DirectoryReportStore, "_holds_entry", lambda self, key: False)
    with pytest.raises(InvalidArgumentError, match="already in the store"):
        store.add(make_report(1, files={"a": b"b"}))
    assert store.count(QUEUE) == 1
    assert list((tmp_path / "root" / "Temp").iterdir()) == []


def test_rename_onto_a_stray_file_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stray file with the report's name makes the add fail, not overwrite it."""
    store = _store(tmp_path)
    report = make_report(1)
    first = store.add(report)
    store.delete(first.key)
    (tmp_path / "root" / "ReportQueue" / first.key).write_bytes(b"stray")
    monkeypatch.setattr(DirectoryReportStore, "_holds_entry", lambda self, key: False)
    with pytest.raises(StoreError, match="add report"):
        store.add(report)
    assert (tmp_path / "root" / "ReportQueue" / first.key).read_bytes() == b"stray"


def _plant_damage(store: DirectoryReportStore, outside: Path) -> dict[str, DamageReason]:
    queue = store.root / "ReportQueue"
    good = store.add(make_report(1, files={"a.txt": b"a"}))
    outside.mkdir()
    (outside / "Report.wer").write_bytes(good.folder.joinpath("Report.wer").read_bytes())
    (outside / "secret").write_bytes(b"keep me")
    (queue / "stray.txt").write_bytes(b"not a report")
    (queue / "empty").mkdir()
    (queue / "corrupt").mkdir()
    (queue / "corrupt" / "Report.wer").write_bytes(b"\x00\x01\x02garbage\xff" * 10)
    (queue / "link").symlink_to(outside)
    (queue / "inner-link").mkdir()
    (queue / "inner-link" / "Report.wer").write_bytes(b"\xff\xfeV\x00=\x001\x00")
    (queue / "inner-link" / "secret").symlink_to(outside / "secret")
    (queue / "wer-link").mkdir()
    (queue / "wer-link" / "Report.wer").symlink_to(outside / "Report.wer")
    (queue / "subdir").mkdir()
    (queue / "subdir" / "Report.wer").write_bytes(b"Version=1")
    (queue / "subdir" / "nested").mkdir()
    (queue / "back\\slash").mkdir()
    return {
        "stray.txt": DamageReason.NOT_A_DIRECTORY,
        "empty": DamageReason.MISSING_REPORT_WER,
        "corrupt": DamageReason.CORRUPT_REPORT_WER,
        "link": DamageReason.SYMLINK,
        "inner-link": DamageReason.UNEXPECTED_ENTRY,
        "wer-link": DamageReason.UNEXPECTED_ENTRY,
        "subdir": DamageReason.UNEXPECTED_ENTRY,
        "back\\slash": DamageReason.INVALID_NAME,
    }


def test_hostile_queue_content_is_skipped_and_listed(tmp_path: Path) -> None:
    """Stray files, empty folders, garbage and symlinks never break listings."""
    store = _store(tmp_path)
    expected = _plant_damage(store, tmp_path / "outside")
    assert store.count(QUEUE) == 1
    assert len(store.keys(QUEUE)) == 1
    stats = store.stats()
    assert stats.queue.count == 1
    assert stats.queue.damaged == len(expected)
    assert stats.damaged == len(expected)
    damaged = store.damaged(QUEUE)
    assert {entry.name: entry.reason for entry in damaged} == expected
    assert [entry.name for entry in damaged] == sorted(expected)
    assert store.damaged(ARCHIVE) == []
    for name in ("empty", "corrupt", "link", "inner-link"):
        with pytest.raises(ReportNotFoundError, match="not a readable report"):
            store.get(name)


def test_deleting_symlinks_never_touches_their_targets(tmp_path: Path) -> None:
    """delete and purge remove planted links, not what they point at."""
    store = _store(tmp_path)
    outside = tmp_path / "outside"
    _plant_damage(store, outside)
    store.delete("link")
    store.delete("inner-link")
    assert outside.is_dir()
    assert (outside / "secret").read_bytes() == b"keep me"
    assert store.purge() == 7
    assert (outside / "secret").read_bytes() == b"keep me"
    assert (outside / "Report.wer").exists()
    assert store.damaged() == []


def test_prune_removes_old_damaged_entries_only(tmp_path: Path) -> None:
    """Damaged entries go by age, never by count."""
    store = _store(tmp_path)
    store.add(make_report(1))
    queue = tmp_path / "root" / "ReportQueue"
    (queue / "old-junk").mkdir()
    (queue / "new-junk").write_bytes(b"x")
    old = (BASE_TIME - timedelta(days=60)).timestamp()
    os.utime(queue / "old-junk", (old, old))
    result = store.prune(RetentionPolicy(max_queue_count=0), now=BASE_TIME)
    assert "old-junk" in result.keys(PruneReason.AGE)
    assert len(result.keys(PruneReason.COUNT)) == 1
    assert [e.name for e in store.damaged()] == ["new-junk"]
    assert store.count(QUEUE) == 0


def test_oversized_report_wer_is_damaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Report.wer beyond the codec's size limit is refused without reading it all."""
    store = _store(tmp_path)
    stored = store.add(make_report(1))
    monkeypatch.setattr(folder_reader, "MAX_REPORT_WER_BYTES", 100)
    assert [e.reason for e in store.damaged()] == [DamageReason.CORRUPT_REPORT_WER]
    with pytest.raises(ReportNotFoundError):
        store.get(stored.key)


def test_unreadable_entry_is_damaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An I/O error reading a folder marks it unreadable instead of failing the listing."""
    store = _store(tmp_path)
    store.add(make_report(1))
    real_scandir = os.scandir

    def failing_scandir(path: object) -> object:
        if "ReportQueue/" in str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr("openwer.store.folder_reader.os.scandir", failing_scandir)
    assert [e.reason for e in store.damaged(QUEUE)] == [DamageReason.UNREADABLE]


def test_wer_reports_from_windows_are_readable(tmp_path: Path, corpus_dir: Path) -> None:
    """Real Report.wer files copied into a queue folder list and parse."""
    store = _store(tmp_path)
    store.add(make_report(0))
    queue = tmp_path / "root" / "ReportQueue"
    names = []
    for index, sample in enumerate(sorted((corpus_dir / "wer").glob("*.wer"))):
        name = f"AppCrash_sample{index}_{'0' * 40}_00000000_cab_{index:08x}"
        (queue / name).mkdir()
        shutil.copyfile(sample, queue / name / "Report.wer")
        names.append(name)
    listed = store.keys(QUEUE)
    assert set(names) <= set(listed)
    for name in names:
        metadata = store.query_metadata(name)
        assert metadata.signature.event_name
        assert store.get(name).report_id


def test_get_waits_for_an_archive_move_in_flight(tmp_path: Path) -> None:
    """A reader asking for a report while it moves to the archive gets it from the archive."""
    store = _store(tmp_path)
    stored = store.add(make_report(1))
    layout = StoreLayout(tmp_path / "root")
    lock = FileLock(layout.lock)
    lock.acquire()
    staging = layout.archive_path(stored.key, parameters_only=False)
    os.rename(stored.folder, staging)
    found: list[StoreArea] = []
    reader = threading.Thread(target=lambda: found.append(store.get(stored.key).area))
    reader.start()
    time.sleep(0.2)
    assert found == []
    os.rename(staging, layout.archive / stored.key)
    lock.release()
    reader.join(10)
    assert found == [ARCHIVE]


def test_interrupted_archive_is_finished_by_the_next_maintainer(tmp_path: Path) -> None:
    """An archive move left in Temp is completed by any later maintenance call."""
    store = _store(tmp_path)
    moving = store.add(make_report(1, files={"dump": b"d" * 10}))
    other = store.add(make_report(2))
    layout = StoreLayout(tmp_path / "root")
    os.rename(moving.folder, layout.archive_path(moving.key, parameters_only=True))
    assert store.keys(QUEUE) == [other.key]
    assert store.keys(ARCHIVE) == []
    store.delete(other.key)
    assert store.keys(ARCHIVE) == [moving.key]
    assert store.get(moving.key).file_names == ()


def test_failed_archive_is_left_for_recovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the move cannot finish, the error says so and recover() completes it later."""
    store = _store(tmp_path)
    stored = store.add(make_report(1, files={"dump": b"d"}))

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(directory_module, "finish_archive", broken)
    with pytest.raises(StoreError, match="recover"):
        store.archive(stored.key, parameters_only=False)
    monkeypatch.undo()
    assert store.count(QUEUE) == 0
    assert store.count(ARCHIVE) == 0
    result = store.recover()
    assert [a.outcome.value for a in result.actions] == ["completed-archive"]
    assert store.get(stored.key).file_names == ("dump",)


def test_failed_first_archive_rename_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the report cannot leave the queue the error is raised and it stays queued."""
    store = _store(tmp_path)
    stored = store.add(make_report(1))

    def broken(source: Path, destination: Path) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(directory_module, "rename_durably", broken)
    with pytest.raises(StoreError, match="archive report"):
        store.archive(stored.key, parameters_only=False)
    monkeypatch.undo()
    assert store.keys(QUEUE) == [stored.key]


def test_update_document_is_atomic_for_readers(tmp_path: Path) -> None:
    """Readers polling during repeated updates always see a whole Report.wer."""
    store = _store(tmp_path)
    stored = store.add(make_report(1))
    stop = threading.Event()
    seen: list[str] = []

    def poll() -> None:
        while not stop.is_set():
            seen.append(store.get(stored.key).document.get("Response.CabId") or "")

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for index in range(50):
            document = stored.document.with_values({"Response.CabId": f"cab-{index:03d}" * 50})
            store.update_document(stored.key, document)
    finally:
        stop.set()
        reader.join()
    assert all(value == "" or len(value) == 7 * 50 for value in seen)
    assert store.damaged() == []
    assert list((tmp_path / "root" / "Temp").iterdir()) == []


def test_update_document_failure_is_translated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An I/O failure while replacing Report.wer is a StoreError; the old file stays."""
    store = _store(tmp_path)
    stored = store.add(make_report(1))

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(directory_module, "replace_file", broken)
    with pytest.raises(StoreError, match=r"update the Report\.wer"):
        store.update_document(stored.key, stored.document.with_values({"Response.CabId": "1"}))
    monkeypatch.undo()
    assert store.get(stored.key).document == stored.document


def test_open_file_refuses_to_follow_a_symlink(tmp_path: Path) -> None:
    """A report file replaced by a link is never opened through it."""
    store = _store(tmp_path)
    stored = store.add(make_report(1, files={"a.txt": b"a"}))
    other = store.add(make_report(2, files={"b.txt": b"b"}))
    (other.folder / "b.txt").unlink()
    (tmp_path / "secret").write_bytes(b"secret")
    (other.folder / "b.txt").symlink_to(tmp_path / "secret")
    with pytest.raises(ReportNotFoundError):
        store.open_file(other.key, "b.txt")
    with store.open_file(stored.key, "a.txt") as handle:
        assert handle.read() == b"a"


def test_recover_removes_dead_writers_and_keeps_live_ones(tmp_path: Path) -> None:
    """recover() cleans Temp leftovers of dead processes only."""
    store = _store(tmp_path)
    store.add(make_report(0))
    layout = StoreLayout(tmp_path / "root")
    here = current_process_identity()
    reused_pid = replace(here, start_ticks=here.start_ticks + 1)
    other_boot = replace(here, boot="ffffffff" if here.boot != "ffffffff" else "00000001")
    foreign = replace(here, pid_namespace=here.pid_namespace + 1)
    dead_folder = layout.new_report_path(reused_pid)
    dead_folder.mkdir()
    (dead_folder / "half").write_bytes(b"x")
    live_folder = layout.new_report_path(here)
    live_folder.mkdir()
    stale_document = layout.document_path(other_boot)
    stale_document.write_bytes(b"stale doc")
    fresh_foreign = layout.new_report_path(foreign)
    fresh_foreign.mkdir()
    old_foreign = layout.document_path(foreign)
    old_foreign.write_bytes(b"")
    old = time.time() - 3 * 86400
    os.utime(old_foreign, (old, old))
    (layout.temp / "someone-elses-file").write_bytes(b"")
    (layout.temp / "new~not-a-token~x").write_bytes(b"")
    (layout.temp / "delete~abc").mkdir()
    (layout.temp / "delete~abc" / "x").write_bytes(b"")
    result = store.recover()
    outcomes = {action.name: action.outcome for action in result.actions}
    assert outcomes == {
        dead_folder.name: RecoveryOutcome.REMOVED_ABANDONED_WRITE,
        live_folder.name: RecoveryOutcome.KEPT_LIVE_WRITER,
        stale_document.name: RecoveryOutcome.REMOVED_ABANDONED_WRITE,
        fresh_foreign.name: RecoveryOutcome.KEPT_LIVE_WRITER,
        old_foreign.name: RecoveryOutcome.REMOVED_ABANDONED_WRITE,
        "someone-elses-file": RecoveryOutcome.KEPT_UNRECOGNIZED,
        "new~not-a-token~x": RecoveryOutcome.KEPT_UNRECOGNIZED,
        "delete~abc": RecoveryOutcome.COMPLETED_DELETE,
    }
    assert result.count(RecoveryOutcome.REMOVED_ABANDONED_WRITE) == 3
    assert set(result.names(RecoveryOutcome.KEPT_LIVE_WRITER)) == {
        live_folder.name,
        fresh_foreign.name,
    }
    remaining = {p.name for p in layout.temp.iterdir()}
    assert remaining == {
        live_folder.name,
        fresh_foreign.name,
        "someone-elses-file",
        "new~not-a-token~x",
    }


def test_recover_reports_what_it_cannot_finish(tmp_path: Path) -> None:
    """An archive move whose destination is taken is reported as failed and kept."""
    store = _store(tmp_path)
    stored = store.add(make_report(1))
    layout = StoreLayout(tmp_path / "root")
    staging = layout.archive_path(stored.key, parameters_only=False)
    shutil.copytree(stored.folder, staging)
    os.rename(stored.folder, layout.archive / stored.key)
    result = store.recover()
    assert [a.outcome for a in result.actions] == [RecoveryOutcome.FAILED]
    assert staging.exists()
    assert store.keys(ARCHIVE) == [stored.key]


def test_report_without_guid_name_from_windows(tmp_path: Path) -> None:
    """A folder named the old way (8-hex id) gets its id from the document."""
    store = _store(tmp_path)
    report_id = uuid.uuid4()
    stored = store.add(NewReport(make_document(report_id=report_id)))
    name = "Critical_Physical Disk_" + "1" * 40 + "_00000000_02d10a3f"
    os.rename(stored.folder, stored.folder.parent / name)
    assert store.get(name).report_id == report_id
