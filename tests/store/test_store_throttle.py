"""Data throttling markers: one CAB per bucket, agreed on by many processes."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest
from store_workers import record_bucket

from openwer.errors import StoreError
from openwer.store import DirectoryDataThrottle, MemoryDataThrottle, ThrottleRecord


def test_markers_are_named_by_hash_and_hold_the_id(tmp_path: Path) -> None:
    """A marker file's name cannot be steered by the bucket id; its content is the id."""
    throttle = DirectoryDataThrottle(tmp_path / "ERC" / "Throttle")
    assert throttle.folder == tmp_path / "ERC" / "Throttle"
    assert throttle.record_cab_uploaded("../../etc/passwd") is ThrottleRecord.RECORDED
    (marker,) = (tmp_path / "ERC" / "Throttle").iterdir()
    assert len(marker.name) == 64
    assert marker.read_text() == "../../etc/passwd"
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600
    assert throttle.has_uploaded_cab("../../ETC/PASSWD")


def test_only_one_process_records_a_bucket_first(tmp_path: Path) -> None:
    """Racing processes: exactly one RECORDED per bucket."""
    folder = tmp_path / "Throttle"
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        outcomes = pool.starmap(record_bucket, [(str(folder), "bucket-1")] * 8)
    assert sorted(outcomes) == ["already-recorded"] * 7 + ["recorded"]


def test_unusable_folder_is_a_store_error(tmp_path: Path) -> None:
    """A folder that cannot be created or read raises StoreError naming the cause."""
    (tmp_path / "file").write_bytes(b"")
    throttle = DirectoryDataThrottle(tmp_path / "file" / "Throttle")
    with pytest.raises(StoreError, match="data throttling"):
        throttle.record_cab_uploaded("b")
    with pytest.raises(StoreError):
        throttle.has_uploaded_cab("b")
    with pytest.raises(StoreError):
        throttle.reset()


def test_reset_removes_every_marker(tmp_path: Path) -> None:
    """reset() removes every marker and counts them."""
    throttle = DirectoryDataThrottle(tmp_path / "Throttle")
    for bucket in ("a", "b", "c"):
        throttle.record_cab_uploaded(bucket)
    assert throttle.reset() == 3
    assert throttle.reset() == 0


def test_memory_throttle_matches() -> None:
    """The in-memory throttle follows the same rules."""
    throttle = MemoryDataThrottle()
    assert throttle.record_cab_uploaded("X") is ThrottleRecord.RECORDED
    assert throttle.record_cab_uploaded("{x}") is ThrottleRecord.ALREADY_RECORDED
    assert throttle.reset() == 1
