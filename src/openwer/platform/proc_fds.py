"""Open files of processes as ``/proc`` shows them: what an fd is, how it was opened, who else
holds the same pipe or socket.

``/proc/<pid>/fd/<fd>`` links to a path or to a pseudo name (``pipe:[4711]``, ``socket:[4712]``,
``anon_inode:[pidfd]``…); ``/proc/<pid>/fdinfo/<fd>`` gives the open flags (so which end of a pipe
it is) and, for pidfds and epoll instances, what they refer to. Both need ptrace read access to
the process.

:func:`scan_fd_table` reads the fd links of every process this one may inspect, once, into a
:class:`FdTable` that answers "which processes hold ``pipe:[4711]``"; the scan is bounded
(:data:`MAX_SCANNED_FDS` links) and says when it was cut short or skipped processes it could not
read. :func:`read_fd_target` raises :class:`~openwer.errors.NotFoundError` or
:class:`~openwer.errors.AccessDeniedError`; everything else never raises. Safe from any thread;
a table is immutable once built.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from openwer.errors import AccessDeniedError, NotFoundError

__all__ = [
    "MAX_SCANNED_FDS",
    "AccessMode",
    "FdHolder",
    "FdInfo",
    "FdTable",
    "is_fifo",
    "read_fd_target",
    "read_fdinfo",
    "scan_fd_table",
]

MAX_SCANNED_FDS: Final = 200_000
"""How many fd links one scan reads at most (a few hundred milliseconds of work)."""


class AccessMode(Enum):
    """How an fd was opened (``O_ACCMODE`` of its flags)."""

    READ = "read"
    WRITE = "write"
    READ_WRITE = "read_write"

    @property
    def can_read(self) -> bool:
        """Whether the fd reads (the read end of a pipe, or both ends)."""
        return self is not AccessMode.WRITE

    @property
    def can_write(self) -> bool:
        """Whether the fd writes (the write end of a pipe, or both ends)."""
        return self is not AccessMode.READ


@dataclass(frozen=True, slots=True)
class FdInfo:
    """``/proc/<pid>/fdinfo/<fd>``: open flags (octal in the file), position, other fields.

    ``fields`` holds the ``key: value`` lines (``Pid`` of a pidfd, ``ino``, ``mnt_id``…);
    ``epoll_targets`` the fds an epoll instance watches (its ``tfd:`` lines).
    """

    flags: int
    position: int
    fields: Mapping[str, str] = field(default_factory=dict)
    epoll_targets: tuple[int, ...] = ()

    @property
    def access_mode(self) -> AccessMode:
        """Read, write or both, from ``O_ACCMODE``."""
        mode = self.flags & os.O_ACCMODE
        if mode == os.O_WRONLY:
            return AccessMode.WRITE
        if mode == os.O_RDWR:
            return AccessMode.READ_WRITE
        return AccessMode.READ

    @property
    def pidfd_process(self) -> int | None:
        """For a pidfd, the process it refers to (``Pid:``; -1 once reaped → ``None``)."""
        with contextlib.suppress(ValueError):
            pid = int(self.fields.get("Pid", ""))
            return pid if pid > 0 else None
        return None


@dataclass(frozen=True, slots=True)
class FdHolder:
    """One process holding an open file: its pid and the fd number there."""

    pid: int
    fd: int


@dataclass(frozen=True, slots=True)
class FdTable:
    """Which processes hold which fd targets, from one :func:`scan_fd_table`.

    ``unreadable_processes`` counts processes whose fds could not be listed (another user's,
    without ``CAP_SYS_PTRACE``); ``complete`` is false when the scan stopped at its bound.
    """

    targets: Mapping[str, tuple[FdHolder, ...]]
    unreadable_processes: int = 0
    complete: bool = True

    def holders(self, target: str) -> tuple[FdHolder, ...]:
        """The (pid, fd) pairs whose link reads ``target`` (``pipe:[4711]``, a FIFO's path)."""
        return self.targets.get(target, ())


def read_fd_target(pid: int, fd: int) -> str:
    """What fd ``fd`` of ``pid`` refers to (the ``/proc/<pid>/fd/<fd>`` link).

    ``NotFoundError`` when the fd or process does not exist, ``AccessDeniedError`` when refused.
    """
    path = f"/proc/{pid}/fd/{fd}"
    try:
        return os.readlink(path)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise AccessDeniedError(f"cannot read {path}: permission denied") from exc
        raise NotFoundError(f"cannot read {path}: {exc.strerror or exc}") from exc


def is_fifo(pid: int, fd: int) -> bool:
    """Whether fd ``fd`` of ``pid`` is a named pipe (FIFO); false when it cannot be told."""
    try:
        return stat.S_ISFIFO(os.stat(f"/proc/{pid}/fd/{fd}").st_mode)
    except OSError:
        return False


def read_fdinfo(pid: int, fd: int) -> FdInfo | None:
    """``/proc/<pid>/fdinfo/<fd>`` parsed, or ``None`` when it cannot be read."""
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", "rb") as handle:
            text = handle.read(1 << 20).decode("utf-8", "replace")
    except OSError:
        return None
    fields: dict[str, str] = {}
    targets: list[int] = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "tfd":
            # "tfd:        5 events:       19 data: …": the watched fd is the first word.
            with contextlib.suppress(ValueError, IndexError):
                targets.append(int(value.split()[0]))
            continue
        fields.setdefault(key, value.strip())
    try:
        flags = int(fields.get("flags", "0"), 8)
        position = int(fields.get("pos", "0"))
    except ValueError:
        return None
    return FdInfo(flags, position, fields, tuple(targets))


def scan_fd_table(limit: int = MAX_SCANNED_FDS) -> FdTable:
    """Read the fd links of every process this one may inspect, up to ``limit`` links."""
    targets: dict[str, list[FdHolder]] = {}
    unreadable = 0
    budget = limit
    try:
        entries = [entry.name for entry in os.scandir("/proc") if entry.name.isdigit()]
    except OSError:
        return FdTable({}, complete=False)
    for name in entries:
        pid = int(name)
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except PermissionError:
            unreadable += 1
            continue
        except OSError:
            continue  # exited since /proc was listed
        for fd_name in fds:
            if budget <= 0:
                return _freeze(targets, unreadable, complete=False)
            budget -= 1
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd_name}")
            except OSError:
                continue
            targets.setdefault(target, []).append(FdHolder(pid, int(fd_name)))
    return _freeze(targets, unreadable, complete=True)


def _freeze(targets: dict[str, list[FdHolder]], unreadable: int, complete: bool) -> FdTable:
    return FdTable(
        {key: tuple(value) for key, value in targets.items()},
        unreadable_processes=unreadable,
        complete=complete,
    )
