"""A thread waiting for a process to exit: ``wait4``/``waitid`` on children, or a pidfd.

``wait4(pid, …)`` waits for child ``pid`` (> 0), any child (-1), a child of its own process group
(0) or of group ``-pid``; ``waitid(idtype, id, …)`` for all children (``P_ALL``), one
(``P_PID``), a group (``P_PGID``) or the process behind a pidfd (``P_PIDFD``). The children come
from ``/proc`` (of every thread of the process: a thread may wait for its siblings' children);
zombies are left out, since a wait for one would not block. ``poll`` on a pidfd
(``anon_inode:[pidfd]``, whose ``fdinfo`` names the process) is the one way a process can wait
for a process that is not its child, its parent for instance.

Each is a ``WctProcessWaitType`` node, ``OWNED`` while a waited-for process lives (it "holds" the
wait), whose owners are those processes. Never raises; thread-safe.
"""

from __future__ import annotations

from openwer.errors import OpenwerError
from openwer.platform.proc_fds import read_fdinfo
from openwer.platform.proc_task import (
    TaskSyscall,
    process_children,
    process_group_of,
    read_task_status,
)
from openwer.types import WctObjectStatus, WctObjectType
from openwer.waitchain.wait_resolution import WaitResolution, WaitTarget, object_node

__all__ = ["resolve_child_wait", "resolve_pidfd_wait"]

_P_ALL, _P_PID, _P_PGID, _P_PIDFD = 0, 1, 2, 3


def resolve_child_wait(pid: int, call: TaskSyscall) -> WaitResolution:
    """The processes thread of ``pid`` in ``call`` (``wait4`` or ``waitid``) waits for."""
    if call.name == "wait4":
        wanted = call.signed_arg(0)
        if wanted > 0:
            return _wait_for(pid, [wanted], f"process {wanted}", "child")
        if wanted == -1:
            return _wait_for(pid, _live_children(pid), f"any child of process {pid}", "any child")
        return _by_group(pid, process_group_of(pid) if wanted == 0 else -wanted)
    idtype, ident = call.arg(0), call.signed_arg(1)
    if idtype == _P_PID:
        return _wait_for(pid, [ident], f"process {ident}", "child")
    if idtype == _P_PGID:
        return _by_group(pid, ident or process_group_of(pid))
    if idtype == _P_PIDFD:
        return resolve_pidfd_wait(pid, ident)
    return _wait_for(pid, _live_children(pid), f"any child of process {pid}", "any child")


def resolve_pidfd_wait(pid: int, fd: int) -> WaitResolution:
    """The process behind pidfd ``fd`` of ``pid``, waited for by ``poll``/``waitid``."""
    info = read_fdinfo(pid, fd)
    target = info.pidfd_process if info is not None else None
    facts = {"fd": f"{fd} → anon_inode:[pidfd]"}
    if target is None:
        node = object_node(
            WctObjectType.PROCESS_WAIT,
            WctObjectStatus.NOT_OWNED,
            f"pidfd {fd}",
            pid,
            "the process has exited",
            {"via": "pidfd"},
        )
        return WaitResolution(node, (), facts)
    resolution = _wait_for(pid, [target], f"process {target}", "pidfd")
    return WaitResolution(resolution.wait_object, resolution.owners, facts)


def _by_group(pid: int, group: int | None) -> WaitResolution:
    children = [
        c for c in _live_children(pid) if group is not None and process_group_of(c) == group
    ]
    return _wait_for(pid, children, f"children of process {pid} in group {group}", "group")


def _live_children(pid: int) -> list[int]:
    return [child for child in process_children(pid) if _alive(child)]


def _alive(pid: int) -> bool:
    try:
        return read_task_status(pid, pid).state not in ("Z", "X")
    except OpenwerError:
        return False


def _wait_for(pid: int, processes: list[int], name: str, how: str) -> WaitResolution:
    alive = [process for process in processes if _alive(process)]
    facts = {"waits_for": how, "processes": ", ".join(str(p) for p in processes)}
    if how == "pidfd":
        facts["via"] = "pidfd"
    if not alive:
        node = object_node(
            WctObjectType.PROCESS_WAIT,
            WctObjectStatus.NOT_OWNED,
            name,
            pid,
            "no such process is running",
            facts,
        )
        return WaitResolution(node)
    listed = ", ".join(str(p) for p in alive)
    note = f"waits for process {listed} to exit"
    node = object_node(WctObjectType.PROCESS_WAIT, WctObjectStatus.OWNED, name, pid, note, facts)
    return WaitResolution(node, tuple(WaitTarget(process) for process in sorted(alive)))
