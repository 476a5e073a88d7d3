"""Names of the Linux system calls a blocked thread waits in, by architecture.

``/proc/<pid>/task/<tid>/syscall`` gives a number; the number means something only for the
architecture the kernel runs (x86-64 and the generic table aarch64 and riscv64 share). Only the
calls a wait chain cares about are named: waits (futex, wait4, waitid, flock, fcntl), I/O that
blocks on a pipe or socket, polling and sleeping. Any other number is ``syscall_<n>``.

A 32-bit process on a 64-bit kernel reports the 32-bit ABI's numbers, which these tables do not
cover (its calls come out as ``syscall_<n>`` or, worse, as a wrong name): wait chains are for
64-bit processes. Pure data; thread-safe.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Final

__all__ = ["machine_syscall_names", "syscall_name"]

_X86_64: Final[Mapping[int, str]] = {
    0: "read",
    1: "write",
    2: "open",
    7: "poll",
    17: "pread64",
    18: "pwrite64",
    19: "readv",
    20: "writev",
    23: "select",
    34: "pause",
    35: "nanosleep",
    42: "connect",
    43: "accept",
    44: "sendto",
    45: "recvfrom",
    46: "sendmsg",
    47: "recvmsg",
    61: "wait4",
    65: "semop",
    69: "msgsnd",
    70: "msgrcv",
    72: "fcntl",
    73: "flock",
    74: "fsync",
    75: "fdatasync",
    128: "rt_sigtimedwait",
    130: "rt_sigsuspend",
    202: "futex",
    219: "restart_syscall",
    220: "semtimedop",
    230: "clock_nanosleep",
    232: "epoll_wait",
    247: "waitid",
    257: "openat",
    270: "pselect6",
    271: "ppoll",
    281: "epoll_pwait",
    288: "accept4",
    295: "preadv",
    296: "pwritev",
    299: "recvmmsg",
    307: "sendmmsg",
    327: "preadv2",
    328: "pwritev2",
    437: "openat2",
    441: "epoll_pwait2",
    449: "futex_waitv",
    455: "futex_wait",
}

# The generic table (include/uapi/asm-generic/unistd.h) used by aarch64, riscv64, loongarch64.
_GENERIC: Final[Mapping[int, str]] = {
    22: "epoll_pwait",
    25: "fcntl",
    32: "flock",
    56: "openat",
    63: "read",
    64: "write",
    65: "readv",
    66: "writev",
    67: "pread64",
    68: "pwrite64",
    69: "preadv",
    70: "pwritev",
    72: "pselect6",
    73: "ppoll",
    82: "fsync",
    83: "fdatasync",
    95: "waitid",
    98: "futex",
    101: "nanosleep",
    115: "clock_nanosleep",
    128: "restart_syscall",
    133: "rt_sigsuspend",
    137: "rt_sigtimedwait",
    188: "msgrcv",
    189: "msgsnd",
    192: "semtimedop",
    193: "semop",
    202: "accept",
    203: "connect",
    206: "sendto",
    207: "recvfrom",
    211: "sendmsg",
    212: "recvmsg",
    242: "accept4",
    243: "recvmmsg",
    260: "wait4",
    269: "sendmmsg",
    286: "preadv2",
    287: "pwritev2",
    437: "openat2",
    441: "epoll_pwait2",
    449: "futex_waitv",
    455: "futex_wait",
}

_TABLES: Final[Mapping[str, Mapping[int, str]]] = {
    "x86_64": _X86_64,
    "amd64": _X86_64,
    "aarch64": _GENERIC,
    "arm64": _GENERIC,
    "riscv64": _GENERIC,
    "loongarch64": _GENERIC,
}


def machine_syscall_names(machine: str | None = None) -> Mapping[int, str]:
    """The number → name table of ``machine`` (default: this kernel's); empty when unknown."""
    return _TABLES.get((machine or platform.machine()).lower(), {})


def syscall_name(number: int, machine: str | None = None) -> str:
    """The name of system call ``number`` on ``machine``, or ``syscall_<number>``."""
    return machine_syscall_names(machine).get(number, f"syscall_{number}")
