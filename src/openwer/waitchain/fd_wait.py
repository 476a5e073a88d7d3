"""A thread blocked on file descriptors: which fds, and what each one waits on.

``read``/``recv*``/``write``/``send*``/``accept``/``connect`` name one fd in their first argument;
``poll``/``ppoll`` an array of ``struct pollfd`` and ``select``/``pselect6`` fd sets in the
process's memory (read through ``/proc``); ``epoll_wait`` an epoll instance whose watched fds its
``fdinfo`` lists. Each fd is resolved by what it links to: a pipe or FIFO
(:mod:`~openwer.waitchain.pipe_wait`), a socket (:mod:`~openwer.waitchain.socket_wait`), a pidfd
(:mod:`~openwer.waitchain.process_wait`); anything else (a terminal, a regular file, an eventfd)
is no object, only a fact on the thread's node.

A chain is a line, so a thread polling several fds follows one: the first whose other end is
held by some process, else the first that resolves at all; ``details["fds"]`` lists them all.
At most :data:`MAX_POLLED_FDS` fds of one call are looked at. Never raises; thread-safe given its
own :class:`SystemTables`.
"""

from __future__ import annotations

import struct
from typing import Final

from openwer.errors import OpenwerError
from openwer.platform.proc_fds import is_fifo, read_fd_target, read_fdinfo
from openwer.platform.proc_task import TaskSyscall
from openwer.platform.process_memory import read_memory
from openwer.waitchain.pipe_wait import resolve_pipe_wait
from openwer.waitchain.process_wait import resolve_pidfd_wait
from openwer.waitchain.socket_wait import resolve_socket_wait
from openwer.waitchain.system_tables import SystemTables
from openwer.waitchain.wait_resolution import NO_RESOLUTION, WaitResolution

__all__ = ["FD_CALLS", "MAX_POLLED_FDS", "resolve_fd_wait"]

MAX_POLLED_FDS: Final = 16
_MAX_SELECT_FDS: Final = 1024
_READ_CALLS: Final = frozenset(
    {"read", "readv", "pread64", "preadv", "preadv2", "recvfrom", "recvmsg", "recvmmsg"}
)
_WRITE_CALLS: Final = frozenset(
    {"write", "writev", "pwrite64", "pwritev", "pwritev2", "sendto", "sendmsg", "sendmmsg"}
)
_POLL_CALLS: Final = frozenset({"poll", "ppoll"})
_SELECT_CALLS: Final = frozenset({"select", "pselect6"})
_EPOLL_CALLS: Final = frozenset({"epoll_wait", "epoll_pwait", "epoll_pwait2"})
FD_CALLS: Final = (
    _READ_CALLS
    | _WRITE_CALLS
    | _POLL_CALLS
    | _SELECT_CALLS
    | _EPOLL_CALLS
    | {"accept", "accept4", "connect"}
)
"""The system calls :func:`resolve_fd_wait` understands."""
_POLLFD = struct.Struct("<ihh")
_POLLIN, _POLLPRI, _POLLOUT = 0x1, 0x2, 0x4


def resolve_fd_wait(
    pid: int, call: TaskSyscall, tables: SystemTables, network_io: bool = True
) -> WaitResolution:
    """What a thread of ``pid`` blocked in ``call`` (one of :data:`FD_CALLS`) waits on."""
    waits = _fds_of(pid, call)
    if not waits:
        return NO_RESOLUTION
    first: WaitResolution | None = None
    for fd, direction in waits[:MAX_POLLED_FDS]:
        resolution = _resolve_one(pid, fd, direction, tables, network_io)
        if resolution.owners:
            first = resolution
            break
        if first is None or (first.wait_object is None and resolution.wait_object is not None):
            first = resolution
    if first is None or len(waits) == 1:
        return first or NO_RESOLUTION
    listed = ", ".join(f"{fd} ({direction})" for fd, direction in waits[:MAX_POLLED_FDS])
    return WaitResolution(first.wait_object, first.owners, {**first.facts, "fds": listed})


def _fds_of(pid: int, call: TaskSyscall) -> list[tuple[int, str]]:
    name = call.name
    if name in _READ_CALLS:
        return [(call.signed_arg(0), "read")]
    if name in _WRITE_CALLS:
        return [(call.signed_arg(0), "write")]
    if name in ("accept", "accept4"):
        return [(call.signed_arg(0), "accept")]
    if name == "connect":
        return [(call.signed_arg(0), "connect")]
    if name in _POLL_CALLS:
        return _polled(pid, call.arg(0), call.arg(1))
    if name in _SELECT_CALLS:
        count = min(call.signed_arg(0), _MAX_SELECT_FDS)
        return _selected(pid, call.arg(1), count, "read") + _selected(
            pid, call.arg(2), count, "write"
        )
    if name in _EPOLL_CALLS:
        info = read_fdinfo(pid, call.signed_arg(0))
        return [(fd, "read") for fd in info.epoll_targets] if info is not None else []
    return []


def _polled(pid: int, address: int, count: int) -> list[tuple[int, str]]:
    count = min(count, MAX_POLLED_FDS)
    raw = read_memory(pid, address, count * _POLLFD.size) if count > 0 else b""
    found: list[tuple[int, str]] = []
    for offset in range(0, len(raw) - _POLLFD.size + 1, _POLLFD.size):
        fd, events, _ = _POLLFD.unpack_from(raw, offset)
        if fd < 0:
            continue  # poll ignores negative fds
        direction = "write" if events & _POLLOUT and not events & (_POLLIN | _POLLPRI) else "read"
        found.append((fd, direction))
    return found


def _selected(pid: int, address: int, count: int, direction: str) -> list[tuple[int, str]]:
    if address == 0 or count <= 0:
        return []
    raw = read_memory(pid, address, (count + 7) // 8)
    return [
        (fd, direction) for fd in range(min(count, len(raw) * 8)) if raw[fd // 8] >> (fd % 8) & 1
    ]


def _resolve_one(
    pid: int, fd: int, direction: str, tables: SystemTables, network_io: bool
) -> WaitResolution:
    try:
        target = read_fd_target(pid, fd)
    except OpenwerError:
        return WaitResolution(facts={"fd": str(fd)})
    if target.startswith("pipe:["):
        return resolve_pipe_wait(pid, fd, target, direction == "write", False, tables)
    if target.startswith("socket:["):
        if not network_io:
            return WaitResolution(facts={"fd": f"{fd} → {target}"})
        return resolve_socket_wait(pid, fd, target, direction, tables)
    if target == "anon_inode:[pidfd]":
        return resolve_pidfd_wait(pid, fd)
    if target.startswith("/") and is_fifo(pid, fd):
        return resolve_pipe_wait(pid, fd, target, direction == "write", True, tables)
    return WaitResolution(facts={"fd": f"{fd} → {target}"})
