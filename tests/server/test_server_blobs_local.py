"""LocalBlobStore beyond the contract: layout, atomicity, damage, quotas, processes, failures."""

from __future__ import annotations

import errno
import hashlib
import logging
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest
from blob_store_workers import WORKERS, RaceSpec, kill_payload, race_payload, run_race, writer_main

from openwer.errors import AccessDeniedError, StoreError
from openwer.server.blobs import LocalBlobStore
from openwer.server.blobs.local_layout import HEADER_SIZE, blob_path, decode_header
from openwer.server.blobs.local_store import STALE_TEMP_SECONDS


def files_under(root: Path) -> list[Path]:
    """Every file below ``root``."""
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_blobs_live_in_hash_named_fan_out_folders(tmp_path: Path) -> None:
    """A blob is <root>/hh/hh/<sha256>.blob whatever its key looks like."""
    store = LocalBlobStore(tmp_path / "blobs")
    key = "%2e%2e/..a/ü"
    store.put(key, b"data", content_type="application/x-test")
    digest = hashlib.sha256(key.encode()).hexdigest()
    expected = tmp_path / "blobs" / digest[:2] / digest[2:4] / f"{digest}.blob"
    assert files_under(tmp_path) == [expected]
    raw = expected.read_bytes()
    assert len(raw) == HEADER_SIZE + 4
    assert decode_header(raw[:HEADER_SIZE]) == (key, "application/x-test")
    assert raw[HEADER_SIZE:] == b"data"


def test_keys_never_reach_outside_the_root(tmp_path: Path) -> None:
    """Keys that look like paths (absolute, dotted, Unicode) stay hashed inside the root."""
    root = tmp_path / "inner" / "blobs"
    store = LocalBlobStore(root)
    for key in ("etc/passwd", "..a/..b", "x" * 200, "inner/blobs/x", "~root"):
        store.put(key, b"v")
    assert all(root in path.parents for path in files_under(tmp_path))
    assert len(files_under(root)) == 5


def test_put_leaves_no_temporary_file(tmp_path: Path) -> None:
    """After put (won or lost) only .blob files remain."""
    store = LocalBlobStore(tmp_path)
    store.put("k", b"1")
    store.put("k", b"2")
    assert [path.suffix for path in files_under(tmp_path)] == [".blob"]


def test_a_blob_file_is_never_half_written_under_kill(tmp_path: Path) -> None:
    """SIGKILL of a writer mid-stream leaves whole blobs, and the stale temporary is swept."""
    root, log = tmp_path / "blobs", tmp_path / "writer.log"
    context = multiprocessing.get_context("spawn")
    writer = context.Process(target=writer_main, args=(root, log))
    writer.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not log.exists() or log.read_bytes().count(b"\n") < 25):
        time.sleep(0.01)
    writer.kill()
    writer.join(10)
    acknowledged = log.read_text().split()
    assert len(acknowledged) >= 25
    store = LocalBlobStore(root, size_refresh_seconds=0)
    listed = {info.key: info for info in store.list()}
    assert set(acknowledged) <= set(listed)
    assert len(listed) <= len(acknowledged) + 1  # at most the put the kill interrupted
    for key, info in listed.items():
        expected = kill_payload(int(key.split("/")[1]))
        assert info.size == len(expected)
        assert store.get(key) == expected
    temporaries = [path for path in files_under(root) if path.name.startswith(".tmp-")]
    assert len(temporaries) <= 1
    old = time.time() - STALE_TEMP_SECONDS - 60
    for path in temporaries:
        os.utime(path, (old, old))
    assert store.total_size() == sum(info.size for info in listed.values())
    assert not [path for path in files_under(root) if path.name.startswith(".tmp-")]


def test_fresh_temporary_files_are_left_to_their_writer(tmp_path: Path) -> None:
    """The size scan removes only temporaries older than STALE_TEMP_SECONDS."""
    store = LocalBlobStore(tmp_path, size_refresh_seconds=0)
    store.put("k", b"12345")
    folder = blob_path(tmp_path, "k").parent
    fresh, stale = folder / ".tmp-1-fresh", folder / ".tmp-1-stale"
    fresh.write_bytes(b"in progress")
    stale.write_bytes(b"crashed")
    old = time.time() - STALE_TEMP_SECONDS - 1
    os.utime(stale, (old, old))
    assert store.total_size() == 5
    assert fresh.exists()
    assert not stale.exists()


def test_two_processes_racing_on_keys_agree_on_one_winner(tmp_path: Path) -> None:
    """Processes putting the same keys at once all get the winner's info; blobs are whole."""
    spec = RaceSpec(keys=tuple(f"race/{index}" for index in range(40)), root=tmp_path / "blobs")
    answers = run_race(spec)
    store = LocalBlobStore(tmp_path / "blobs")
    for key in spec.keys:
        stored = store.get(key)
        writers = [w for w in range(WORKERS) if race_payload(w, key) == stored]
        assert len(writers) == 1, key
        assert {sizes[key] for sizes in answers.values()} == {len(stored)}, key


def test_total_size_sees_other_processes_after_a_rescan(tmp_path: Path) -> None:
    """Another store on the folder shows up when the running total is rescanned."""
    mine = LocalBlobStore(tmp_path, size_refresh_seconds=3600)
    theirs = LocalBlobStore(tmp_path)
    mine.put("mine", b"12")
    assert mine.total_size() == 2
    theirs.put("theirs", b"345")
    assert mine.total_size() == 2  # cached until the refresh interval passes
    assert LocalBlobStore(tmp_path, size_refresh_seconds=0).total_size() == 5
    theirs.delete("theirs")
    mine.put("more", b"6")
    assert mine.total_size() == 3


def test_damaged_blob_file_is_a_store_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A blob file with a broken header raises StoreError on read and is skipped by list."""
    store = LocalBlobStore(tmp_path)
    store.put("good", b"ok")
    store.put("bad", b"data")
    blob_path(tmp_path, "bad").write_bytes(b"garbage")
    with pytest.raises(StoreError, match="damaged"):
        store.get("bad")
    with caplog.at_level(logging.WARNING):
        assert [info.key for info in store.list()] == ["good"]
    assert "damaged blob file" in caplog.text


def test_a_file_holding_another_key_is_refused(tmp_path: Path) -> None:
    """A blob file whose header names another key (tampering) raises StoreError."""
    store = LocalBlobStore(tmp_path)
    store.put("one", b"1")
    store.put("two", b"2")
    os.replace(blob_path(tmp_path, "one"), blob_path(tmp_path, "two"))
    with pytest.raises(StoreError, match="another key"):
        store.open("two")


def test_a_truncated_blob_raises_instead_of_returning_short(tmp_path: Path) -> None:
    """A reader whose file shrank under it raises StoreError rather than a short blob."""
    store = LocalBlobStore(tmp_path)
    store.put("k", b"x" * 1000)
    reader = store.open("k")
    os.truncate(blob_path(tmp_path, "k"), HEADER_SIZE + 10)
    with reader, pytest.raises(StoreError, match="ended after 10 of 1000"):
        reader.read()


def test_full_disk_is_a_store_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while writing raises StoreError naming the cause; no blob or temporary remains."""
    store = LocalBlobStore(tmp_path)

    def full(descriptor: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(StoreError, match="no space left"):
        store.put("k", b"x" * 100)
    monkeypatch.undo()
    assert not store.exists("k")
    assert files_under(tmp_path) == []


def test_root_that_is_a_file_is_a_store_error(tmp_path: Path) -> None:
    """A root path that is a regular file cannot be a blob folder."""
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(StoreError):
        LocalBlobStore(tmp_path / "file" / "blobs")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_root_is_access_denied(tmp_path: Path) -> None:
    """A folder the server may not write raises AccessDeniedError at open."""
    root = tmp_path / "locked"
    root.mkdir(mode=0o500)
    with pytest.raises(AccessDeniedError):
        LocalBlobStore(root)


def test_permission_errors_while_writing_are_access_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EACCES from the file system becomes AccessDeniedError (simulated: tests run as root)."""
    store = LocalBlobStore(tmp_path)

    def refused(*args: Any, **kwargs: Any) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", refused)
    with pytest.raises(AccessDeniedError, match="Permission denied"):
        store.put("k", b"v")
