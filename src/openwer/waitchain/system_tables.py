"""The machine-wide ``/proc`` tables one walk consults, each read at most once.

A walk may ask several times who holds the other end of a pipe, which lock blocks a request or
which socket is a Unix socket's peer. Scanning every process's fds costs milliseconds to a few
hundred of them, so :class:`SystemTables` reads each table on first use and keeps it for the rest
of the walk (the chain is a snapshot anyway). Reads never raise: what cannot be read is empty.
Not thread-safe: one per walk (or per thread).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from openwer.platform.proc_fds import MAX_SCANNED_FDS, FdTable, scan_fd_table
from openwer.platform.proc_locks import FileLock, read_proc_locks
from openwer.platform.proc_unix_sockets import UnixSocket, read_unix_sockets, unix_socket_peer

__all__ = ["SystemTables"]


class SystemTables:
    """Lazily read fd links of all processes, ``/proc/locks`` and Unix sockets."""

    def __init__(self, fd_scan_limit: int = MAX_SCANNED_FDS) -> None:
        self._fd_scan_limit = fd_scan_limit
        self._fd_table: FdTable | None = None
        self._locks: tuple[FileLock, ...] | None = None
        self._unix: dict[int, Mapping[int, UnixSocket]] = {}
        self._peers: dict[int, int | None] = {}

    @property
    def fd_table(self) -> FdTable:
        """Which processes hold which pipe, socket or file (scanned on first use)."""
        if self._fd_table is None:
            self._fd_table = scan_fd_table(self._fd_scan_limit)
        return self._fd_table

    @property
    def file_locks(self) -> tuple[FileLock, ...]:
        """Every line of ``/proc/locks`` (read on first use)."""
        if self._locks is None:
            self._locks = read_proc_locks()
        return self._locks

    def unix_sockets(self, pid: int) -> Mapping[int, UnixSocket]:
        """The Unix sockets of ``pid``'s network namespace, by inode."""
        try:
            namespace = os.stat(f"/proc/{pid}/ns/net").st_ino
        except OSError:
            namespace = -pid  # unreadable namespace link: one entry per process
        if namespace not in self._unix:
            self._unix[namespace] = read_unix_sockets(pid)
        return self._unix[namespace]

    def unix_peer(self, inode: int) -> int | None:
        """The inode of Unix socket ``inode``'s peer (``sock_diag``), or ``None``."""
        if inode not in self._peers:
            self._peers[inode] = unix_socket_peer(inode)
        return self._peers[inode]
