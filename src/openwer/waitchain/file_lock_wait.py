"""A thread blocked taking a file lock (``flock``, ``fcntl(F_SETLKW)``, ``F_OFD_SETLKW``).

The blocked request is the ``/proc/locks`` line marked ``->`` with the waiter's pid on the file of
the fd in the call (device and inode), and the lock that blocks it is its ordinal's held line,
whose pid names the holder. A file lock is a kernel object with an owner, like a Windows mutex:
``WctMutexType``, ``OWNED`` by the holder's process. The pid ``/proc/locks`` shows is the process
that took the lock; a lock inherited across ``fork`` still shows the parent, and an
open-file-description lock (``OFDLCK``) shows -1: its holder is then ``UNKNOWN``. Never raises;
thread-safe given its own :class:`SystemTables`.
"""

from __future__ import annotations

import os
from typing import Final

from openwer.platform.proc_locks import FileLock, lock_blocking
from openwer.platform.proc_task import TaskSyscall
from openwer.types import WctObjectStatus, WctObjectType
from openwer.waitchain.system_tables import SystemTables
from openwer.waitchain.wait_resolution import (
    NO_RESOLUTION,
    WaitResolution,
    WaitTarget,
    object_node,
)

__all__ = ["resolve_file_lock_wait"]

_F_SETLKW: Final = 7
_F_OFD_SETLKW: Final = 38


def resolve_file_lock_wait(pid: int, call: TaskSyscall, tables: SystemTables) -> WaitResolution:
    """The lock and its holder for a thread of ``pid`` in ``call`` (``flock`` or ``fcntl``);
    nothing for an ``fcntl`` that is not a blocking lock request."""
    fd = call.signed_arg(0)
    if call.name == "flock":
        kinds = ("FLOCK",)
    elif call.arg(1) == _F_SETLKW:
        kinds = ("POSIX",)
    elif call.arg(1) == _F_OFD_SETLKW:
        kinds = ("OFDLCK",)
    else:
        return NO_RESOLUTION
    try:
        info = os.stat(f"/proc/{pid}/fd/{fd}")
        path = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return WaitResolution(facts={"fd": str(fd)})
    facts = {"primitive": "file lock", "fd": str(fd), "path": path}
    name = f"file lock {path}"
    request = _request(tables.file_locks, pid, kinds, info.st_dev, info.st_ino)
    if request is None:
        node = object_node(
            WctObjectType.MUTEX,
            WctObjectStatus.UNKNOWN,
            name,
            pid,
            "the blocked request is not in /proc/locks",
            facts,
        )
        return WaitResolution(node, (), {"fd": f"{fd} → {path}"})
    facts["request"] = request.describe()
    holder = lock_blocking(tables.file_locks, request)
    if holder is None or holder.pid <= 0:
        facts["holder"] = "" if holder is None else holder.describe()
        node = object_node(
            WctObjectType.MUTEX,
            WctObjectStatus.UNKNOWN,
            name,
            pid,
            "the holder is not named (an OFD lock or another pid namespace)",
            facts,
        )
        return WaitResolution(node, (), {"fd": f"{fd} → {path}"})
    facts["holder"] = holder.describe()
    facts["owner_pid"] = str(holder.pid)
    note = f"{request.describe()} blocked by process {holder.pid} ({holder.describe()})"
    node = object_node(WctObjectType.MUTEX, WctObjectStatus.OWNED, name, pid, note, facts)
    return WaitResolution(node, (WaitTarget(holder.pid),), {"fd": f"{fd} → {path}"})


def _request(
    locks: tuple[FileLock, ...], pid: int, kinds: tuple[str, ...], device: int, inode: int
) -> FileLock | None:
    major, minor = os.major(device), os.minor(device)
    on_inode = [e for e in locks if e.blocked and e.kind in kinds and e.inode == inode]
    # Stacking file systems (overlayfs) may show another device than stat() does: the device
    # narrows the match when it agrees, the inode alone decides otherwise.
    candidates = [e for e in on_inode if (e.device_major, e.device_minor) == (major, minor)]
    candidates = candidates or on_inode
    # The waiter's own request carries its pid; an OFD request carries -1 and is matched by file.
    for entry in candidates:
        if entry.pid == pid:
            return entry
    unnamed = [entry for entry in candidates if entry.pid <= 0]
    return unnamed[0] if len(unnamed) == 1 else None
