"""A thread blocked on a pipe or FIFO: which processes hold the other end.

A reader blocks while the pipe is empty and some write end is still open; a writer while it is
full and some read end is open. The other end's holders are found by the fd scan of
:class:`~openwer.waitchain.system_tables.SystemTables` (every process holding ``pipe:[inode]``,
or the FIFO's path) and told apart by the access mode in their ``fdinfo`` (``O_WRONLY`` for a
write end, ``O_RDONLY`` for a read end, ``O_RDWR`` for both, as a FIFO may be opened). The
holders are facts; which of a holder's threads would write is not, and is the walker's choice.

WCT has no pipe type. A pipe is local inter-process communication whose "owner" is the process at
the other end, which is what WCT's ALPC nodes are on Windows, so pipes and FIFOs are
``WctAlpcType`` nodes, with ``details["primitive"]`` ``pipe`` or ``fifo``. A thread blocked in
``open`` of a FIFO waits for the other end to be opened: nobody holds it yet (``NOT_OWNED``).
Never raises; thread-safe given its own :class:`SystemTables`.
"""

from __future__ import annotations

import os
import stat

from openwer.platform.proc_fds import FdHolder, read_fdinfo
from openwer.platform.proc_task import TaskSyscall
from openwer.platform.process_memory import read_memory
from openwer.types import WctObjectStatus, WctObjectType
from openwer.waitchain.system_tables import SystemTables
from openwer.waitchain.wait_resolution import (
    NO_RESOLUTION,
    WaitResolution,
    object_node,
    owner_order,
)

__all__ = ["resolve_fifo_open", "resolve_pipe_wait"]

_AT_FDCWD = -100
_MAX_PATH = 4096


def resolve_pipe_wait(
    pid: int, fd: int, target: str, writing: bool, fifo: bool, tables: SystemTables
) -> WaitResolution:
    """The other end of the pipe (``pipe:[…]``) or FIFO (its path) ``target`` behind fd ``fd``
    of ``pid``, for a thread that reads (``writing`` false) or writes it."""
    primitive = "fifo" if fifo else "pipe"
    name = f"fifo {target}" if fifo else target
    own_end, other_end = ("write", "read") if writing else ("read", "write")
    others: list[FdHolder] = []
    for holder in tables.fd_table.holders(target):
        if holder == FdHolder(pid, fd):
            continue
        info = read_fdinfo(holder.pid, holder.fd)
        if info is None:
            continue
        mode = info.access_mode
        if (mode.can_read if writing else mode.can_write) and holder not in others:
            others.append(holder)
    facts = {
        "primitive": primitive,
        "fd": str(fd),
        "end": own_end,
        "other_end_holders": ", ".join(f"{h.pid}:{h.fd}" for h in others),
    }
    if others:
        pids = sorted({holder.pid for holder in others})
        listed = ", ".join(str(p) for p in pids)
        note = f"{own_end} end (fd {fd}); the {other_end} end is held by process {listed}"
        node = object_node(WctObjectType.ALPC, WctObjectStatus.OWNED, name, pid, note, facts)
        return WaitResolution(node, owner_order(pid, pids), {"fd": f"{fd} → {target}"})
    table = tables.fd_table
    if table.complete and table.unreadable_processes == 0:
        status, note = WctObjectStatus.NOT_OWNED, f"no process holds the {other_end} end"
    else:
        status = WctObjectStatus.UNKNOWN
        note = f"the {other_end} end is held by no process this user may inspect"
    node = object_node(WctObjectType.ALPC, status, name, pid, note, facts)
    return WaitResolution(node, (), {"fd": f"{fd} → {target}"})


def resolve_fifo_open(pid: int, call: TaskSyscall) -> WaitResolution:
    """A thread in ``open``/``openat``/``openat2``: a FIFO waiting for its other end, else
    nothing a chain can show."""
    if call.name == "open":
        directory, pointer, flags = _AT_FDCWD, call.arg(0), call.arg(1)
    else:
        directory, pointer, flags = call.signed_arg(0), call.arg(1), call.arg(2)
        if call.name == "openat2":
            flags = int.from_bytes(read_memory(pid, flags, 8).ljust(8, b"\0"), "little")
    raw = read_memory(pid, pointer, _MAX_PATH).split(b"\0", 1)[0]
    if not raw:
        return NO_RESOLUTION
    path = os.fsdecode(raw)
    # The process's root, cwd and fd links resolve the path as the process sees it.
    if path.startswith("/"):
        seen_from = f"/proc/{pid}/root{path}"
    elif directory == _AT_FDCWD:
        seen_from = f"/proc/{pid}/cwd/{path}"
    else:
        seen_from = f"/proc/{pid}/fd/{directory}/{path}"
    try:
        if not stat.S_ISFIFO(os.stat(seen_from).st_mode):
            return NO_RESOLUTION
    except OSError:
        return NO_RESOLUTION
    writing = flags & os.O_ACCMODE == os.O_WRONLY
    other = "reader" if writing else "writer"
    facts = {"primitive": "fifo", "end": "write" if writing else "read", "path": path}
    note = f"open() waits for a {other} to open the FIFO"
    node = object_node(
        WctObjectType.ALPC, WctObjectStatus.NOT_OWNED, f"fifo {path}", pid, note, facts
    )
    return WaitResolution(node)
