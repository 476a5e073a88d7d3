"""Tests of the /proc task readers: state, system call, children, thread groups, syscall names."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from openwer.errors import NotFoundError
from openwer.platform.proc_syscalls import machine_syscall_names, syscall_name
from openwer.platform.proc_task import (
    TaskSyscall,
    TaskSyscallState,
    process_children,
    process_group_of,
    read_task_status,
    read_task_syscall,
    read_wchan,
    thread_group_of,
)

pytestmark = pytest.mark.timeout(30)


def _wait_until(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.01)
    raise TimeoutError("condition not reached")


def test_blocked_thread_shows_its_read_call() -> None:
    """A thread blocked reading a pipe: state S, system call read with the fd as first argument."""
    read_end, write_end = os.pipe()
    tids: list[int] = []

    def reader() -> None:
        tids.append(threading.get_native_id())
        os.read(read_end, 1)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        _wait_until(lambda: tids and read_task_syscall(os.getpid(), tids[0]).name == "read")
        _wait_until(lambda: read_task_status(os.getpid(), tids[0]).state == "S")
        call = read_task_syscall(os.getpid(), tids[0])
        status = read_task_status(os.getpid(), tids[0])
        wchan = read_wchan(os.getpid(), tids[0])
    finally:
        os.write(write_end, b"x")
        thread.join(10)
        os.close(read_end)
        os.close(write_end)
    assert call.state is TaskSyscallState.IN_SYSCALL
    assert call.arg(0) == read_end
    assert call.signed_arg(0) == read_end
    assert len(call.args) == 6
    assert status.pid == os.getpid()
    assert status.state_text == "S (sleeping)"
    assert status.parent_pid == os.getppid()
    assert status.context_switches > 0
    assert isinstance(wchan, str)


def test_busy_process_is_running() -> None:
    """A process spinning on the CPU reads as state R and ``running``."""
    child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        _wait_until(lambda: read_task_status(child.pid, child.pid).state == "R")
        _wait_until(
            lambda: read_task_syscall(child.pid, child.pid).state is TaskSyscallState.RUNNING
        )
    finally:
        child.kill()
        child.wait(10)


def test_missing_process_and_thread_raise_not_found() -> None:
    """No such thread: NotFoundError, with the path in the message."""
    with pytest.raises(NotFoundError):
        read_task_status(os.getpid(), 2**22 + 12345)
    with pytest.raises(NotFoundError):
        read_task_syscall(2**22 + 12345, 2**22 + 12345)
    with pytest.raises(NotFoundError):
        read_task_status(0, 0)


def test_thread_group_children_and_process_group() -> None:
    """A thread id maps to its process; a child appears among the children; groups read back."""
    assert thread_group_of(threading.get_native_id()) == os.getpid()
    assert thread_group_of(0) is None
    assert thread_group_of(2**22 + 12345) is None
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in process_children(os.getpid())
        assert process_group_of(child.pid) == os.getpgid(child.pid)
    finally:
        child.kill()
        child.wait(10)
    assert process_children(2**22 + 12345) == ()
    assert process_group_of(2**22 + 12345) is None


def test_signed_arguments_and_syscall_names() -> None:
    """Arguments are machine words; -1 reads back as -1 through signed_arg. Names per machine."""
    call = TaskSyscall(TaskSyscallState.IN_SYSCALL, 61, "wait4", (0xFFFFFFFFFFFFFFFF, 0, 0))
    assert call.signed_arg(0) == -1
    assert call.arg(5) == 0
    assert syscall_name(202, "x86_64") == "futex"
    assert syscall_name(61, "x86_64") == "wait4"
    assert syscall_name(98, "aarch64") == "futex"
    assert syscall_name(260, "aarch64") == "wait4"
    assert syscall_name(99999, "x86_64") == "syscall_99999"
    assert machine_syscall_names("mips") == {}
