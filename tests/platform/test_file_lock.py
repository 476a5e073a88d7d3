"""flock-based locks: exclusive and shared, across instances, threads and processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from openwer.platform.file_lock import FileLock, LockMode, LockOutcome


def test_exclusive_lock_excludes_another_instance(tmp_path: Path) -> None:
    """Two FileLocks on one path conflict even inside one process."""
    path = tmp_path / "lock"
    first = FileLock(path)
    assert first.acquire() is LockOutcome.ACQUIRED
    assert FileLock(path).acquire(blocking=False) is LockOutcome.BUSY
    first.release()
    assert not first.is_held
    second = FileLock(path)
    assert second.acquire(blocking=False) is LockOutcome.ACQUIRED
    second.release()
    second.release()  # a no-op when not held


def test_shared_locks_coexist_but_exclude_exclusive(tmp_path: Path) -> None:
    """Shared holders coexist; an exclusive request is busy until they leave."""
    path = tmp_path / "lock"
    with FileLock(path, mode=LockMode.SHARED) as reader:
        assert reader.path == path
        other = FileLock(path, mode=LockMode.SHARED)
        assert other.acquire(blocking=False) is LockOutcome.ACQUIRED
        assert FileLock(path).acquire(blocking=False) is LockOutcome.BUSY
        other.release()
    assert FileLock(path).acquire(blocking=False) is LockOutcome.ACQUIRED


def test_double_acquire_is_a_programming_error(tmp_path: Path) -> None:
    """Acquiring twice through one instance raises instead of deadlocking."""
    lock = FileLock(tmp_path / "lock")
    with lock, pytest.raises(RuntimeError):
        lock.acquire()


def test_unopenable_lock_file_raises(tmp_path: Path) -> None:
    """A lock file in a missing folder raises OSError and holds nothing."""
    lock = FileLock(tmp_path / "missing" / "lock")
    with pytest.raises(FileNotFoundError):
        lock.acquire()
    assert not lock.is_held


def test_lock_dies_with_a_killed_holder(tmp_path: Path) -> None:
    """A SIGKILLed holder never leaves a stale lock."""
    path = tmp_path / "lock"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from openwer.platform.file_lock import FileLock\n"
        "FileLock(Path(sys.argv[1])).acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        assert FileLock(path).acquire(blocking=False) is LockOutcome.BUSY
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        with FileLock(path) as lock:
            assert lock.is_held
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
