"""What a thread blocked outside Python's tracked primitives waits for in the kernel.

Reads ``/proc/self/task/<tid>/syscall`` (the system call a blocked thread sits in and its
arguments) and, for calls on a file descriptor, ``/proc/self/fd/<fd>`` (``pipe:[1234]``,
``socket:[77]``, a file path). That is where a Python wait chain ends when the last thread waits
on a pipe, a socket or a child process: the node the Linux ``/proc`` walker can continue from
into another process (:mod:`~openwer.capture.hang.chain_extension`).

Only the few calls a thread blocks in are named (x86-64 and AArch64 numbers); others are
``syscall <n>``. A thread that is running shows ``running``. Linux only; elsewhere, or without
permission, :func:`blocking_call` returns None. Thread-safe; never raises.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass

__all__ = ["BlockingCall", "blocking_call"]

_X86_64 = {
    0: "read", 1: "write", 7: "poll", 17: "pread64", 19: "readv", 20: "writev", 23: "select",
    34: "pause", 35: "nanosleep", 42: "connect", 43: "accept", 44: "sendto", 45: "recvfrom",
    46: "sendmsg", 47: "recvmsg", 61: "wait4", 72: "fcntl", 73: "flock", 202: "futex",
    230: "clock_nanosleep", 232: "epoll_wait", 247: "waitid", 270: "pselect6", 271: "ppoll",
    281: "epoll_pwait", 288: "accept4",
}  # fmt: skip
_AARCH64 = {
    22: "epoll_pwait", 25: "fcntl", 32: "flock", 63: "read", 64: "write", 65: "readv",
    66: "writev", 67: "pread64", 72: "pselect6", 73: "ppoll", 95: "waitid", 98: "futex",
    101: "nanosleep", 115: "clock_nanosleep", 202: "accept", 203: "connect", 206: "sendto",
    207: "recvfrom", 211: "sendmsg", 212: "recvmsg", 242: "accept4", 260: "wait4",
}  # fmt: skip
_TABLES = {"x86_64": _X86_64, "amd64": _X86_64, "aarch64": _AARCH64, "arm64": _AARCH64}
_FD_CALLS = frozenset(
    {"read", "write", "readv", "writev", "pread64", "recvfrom", "recvmsg", "sendto", "sendmsg",
     "accept", "accept4", "connect", "fcntl", "flock"}
)  # fmt: skip
_PROCESS_CALLS = frozenset({"wait4", "waitid"})


@dataclass(frozen=True, slots=True)
class BlockingCall:
    """A system call a thread is blocked in.

    ``syscall`` is its name (``read``, ``futex``…, ``running`` when the thread is not in one);
    ``target`` what it waits on: ``pipe:[1234]``, ``socket:[77]``, a path, ``futex 0x…``,
    ``process 4242`` (a child), or "" when the call has no object.
    """

    syscall: str
    target: str = ""

    @property
    def is_socket(self) -> bool:
        """Whether the call waits on a socket."""
        return self.target.startswith("socket:")

    @property
    def is_process_wait(self) -> bool:
        """Whether the call waits for a child process."""
        return self.syscall in _PROCESS_CALLS


def blocking_call(native_id: int | None) -> BlockingCall | None:
    """The system call the thread with this native id is blocked in, or None when unknown."""
    if not native_id:
        return None
    try:
        with open(f"/proc/self/task/{native_id}/syscall", "rb") as source:
            fields = source.read().split()
    except OSError:
        return None
    if not fields:
        return None
    if fields[0] == b"running":
        return BlockingCall("running")
    try:
        number = int(fields[0])
        first = int(fields[1], 16) if len(fields) > 1 else 0
    except ValueError:
        return None
    table = _TABLES.get(platform.machine().lower(), {})
    name = table.get(number, f"syscall {number}")
    if name in _FD_CALLS:
        return BlockingCall(name, _fd_target(first))
    if name == "futex":
        return BlockingCall(name, f"futex {first:#x}")
    if name in _PROCESS_CALLS:
        pid = first - (1 << 64) if first >= 1 << 63 else first  # wait4(-1, …): any child
        return BlockingCall(name, f"process {pid}" if pid > 0 else "any child process")
    return BlockingCall(name)


def _fd_target(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return f"fd {fd}"
