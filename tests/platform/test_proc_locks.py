"""Tests of the /proc/locks parser and of a real flock pair."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openwer.platform.proc_locks import FileLock, lock_blocking, parse_proc_locks, read_proc_locks

pytestmark = pytest.mark.timeout(30)

SAMPLE = """\
1: POSIX  ADVISORY  READ 16878 fe:00:2146590 128 128
3: POSIX  ADVISORY  WRITE 15300 fe:00:2155131 0 EOF
3: -> POSIX  ADVISORY  WRITE 15301 fe:00:2155131 0 EOF
3: -> -> POSIX  ADVISORY  WRITE 15302 fe:00:2155131 0 EOF
4: OFDLCK ADVISORY  WRITE -1 08:01:777 0 EOF
garbage line
5: FLOCK ADVISORY WRITE notapid 08:01:1 0 EOF
6: FLOCK ADVISORY
"""


def test_parse_sample() -> None:
    """Held locks, blocked requests (nested too), OFD locks; junk lines are skipped."""
    locks = parse_proc_locks(SAMPLE)
    assert [(lock.ordinal, lock.depth, lock.pid) for lock in locks] == [
        (1, 0, 16878),
        (3, 0, 15300),
        (3, 1, 15301),
        (3, 2, 15302),
        (4, 0, -1),
    ]
    first = locks[0]
    assert (first.device_major, first.device_minor, first.inode) == (0xFE, 0, 2146590)
    assert (first.start, first.end) == (128, 128)
    assert locks[1].end is None
    assert locks[2].blocked
    assert not locks[1].blocked
    assert locks[2].describe() == "POSIX ADVISORY WRITE 0-EOF"
    assert lock_blocking(locks, locks[3]) == locks[1]
    assert lock_blocking(locks, locks[4]) == locks[4]


def test_real_flock_waiter_and_holder(tmp_path: Path) -> None:
    """A child blocked on our flock shows as a request under our lock, on the file's inode."""
    path = tmp_path / "locked"
    with open(path, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        code = f"import fcntl; fcntl.flock(open({str(path)!r}, 'w'), fcntl.LOCK_EX)"
        child = subprocess.Popen([sys.executable, "-c", code])
        try:
            inode = os.stat(path).st_ino
            deadline = time.monotonic() + 10
            waiting: list[FileLock] = []
            while not waiting and time.monotonic() < deadline:
                # Ordinals number one reading of the file: look the holder up in the same one.
                snapshot = read_proc_locks()
                waiting = [
                    lock
                    for lock in snapshot
                    if lock.blocked and lock.pid == child.pid and lock.inode == inode
                ]
                time.sleep(0.01)
            assert waiting, "the child never blocked"
            holder = lock_blocking(snapshot, waiting[0])
            assert holder is not None
            assert holder.pid == os.getpid()
            assert holder.kind == "FLOCK"
        finally:
            child.kill()
            child.wait(10)
