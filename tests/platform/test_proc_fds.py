"""Tests of the fd readers: links, fdinfo (access mode, pidfd, epoll) and the holder scan."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from openwer.errors import NotFoundError
from openwer.platform.proc_fds import (
    AccessMode,
    FdHolder,
    is_fifo,
    read_fd_target,
    read_fdinfo,
    scan_fd_table,
)

pytestmark = pytest.mark.timeout(30)


def test_pipe_ends_and_their_holders() -> None:
    """Both ends link to the same pipe:[inode]; fdinfo tells read from write; the scan finds
    this process and a child that inherited the write end."""
    read_end, write_end = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], pass_fds=(write_end,)
    )
    try:
        target = read_fd_target(os.getpid(), read_end)
        assert target == f"pipe:[{os.fstat(read_end).st_ino}]"
        assert read_fd_target(os.getpid(), write_end) == target
        reading, writing = read_fdinfo(os.getpid(), read_end), read_fdinfo(os.getpid(), write_end)
        assert reading is not None
        assert writing is not None
        assert reading.access_mode is AccessMode.READ
        assert writing.access_mode is AccessMode.WRITE
        assert reading.access_mode.can_read
        assert not reading.access_mode.can_write
        holders = scan_fd_table().holders(target)
        assert FdHolder(os.getpid(), read_end) in holders
        assert FdHolder(os.getpid(), write_end) in holders
        assert any(holder.pid == child.pid for holder in holders)
    finally:
        child.kill()
        child.wait(10)
        os.close(read_end)
        os.close(write_end)


def test_scan_limit_marks_the_table_incomplete() -> None:
    """A zero budget reads nothing and says so."""
    table = scan_fd_table(limit=0)
    assert not table.complete
    assert table.holders("pipe:[1]") == ()


def test_pidfd_and_epoll_fdinfo() -> None:
    """A pidfd names its process; an epoll instance lists the fds it watches."""
    pidfd = os.pidfd_open(os.getpid())
    read_end, write_end = os.pipe()
    poller = select.epoll()
    try:
        poller.register(read_end, select.EPOLLIN)
        poller.register(pidfd, select.EPOLLIN)
        assert read_fd_target(os.getpid(), pidfd) == "anon_inode:[pidfd]"
        info = read_fdinfo(os.getpid(), pidfd)
        assert info is not None
        assert info.pidfd_process == os.getpid()
        epoll = read_fdinfo(os.getpid(), poller.fileno())
        assert epoll is not None
        assert sorted(epoll.epoll_targets) == sorted([read_end, pidfd])
        assert epoll.pidfd_process is None
    finally:
        poller.close()
        for fd in (pidfd, read_end, write_end):
            os.close(fd)


def test_fifo_is_told_apart(tmp_path: Path) -> None:
    """A named pipe opened read-write is a FIFO, a regular file is not."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDWR)
    plain = os.open(tmp_path / "plain", os.O_CREAT | os.O_WRONLY)
    try:
        assert is_fifo(os.getpid(), fd)
        assert not is_fifo(os.getpid(), plain)
        assert read_fd_target(os.getpid(), fd) == str(fifo)
        info = read_fdinfo(os.getpid(), fd)
        assert info is not None
        assert info.access_mode is AccessMode.READ_WRITE
    finally:
        os.close(fd)
        os.close(plain)


def test_missing_fd() -> None:
    """An fd that is not open: NotFoundError from the link, None from fdinfo."""
    with pytest.raises(NotFoundError):
        read_fd_target(os.getpid(), 99999)
    assert read_fdinfo(os.getpid(), 99999) is None
    assert not is_fifo(os.getpid(), 99999)
