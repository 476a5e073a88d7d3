"""One step of a wait chain: what one Linux thread waits on, and who could release it.

:func:`describe_thread_wait` reads the thread's state and system call from ``/proc`` and hands
the call to the resolver of its kind (futexes, fd waits, child waits, file locks, FIFO opens). The
answer, a :class:`ThreadWait`, holds the thread's node (``WctThreadType``: ``RUNNING`` for state
``R``, ``BLOCKED`` for a thread asleep in the kernel, ``NO_ACCESS`` when ``/proc`` refuses), the
node of the object it waits on, and the owners to follow. A running thread, or one blocked on
something no resolver understands (a sleep, a terminal read), has no object: its chain is the
single thread node, as in WCT.

This is the step a caller with more knowledge uses when its own chain reaches a Linux thread
(Python lock tracking reaching a thread of another process, for instance);
:func:`openwer.waitchain.walker.walk_wait_chain` repeats it along the owners.

Failure contract: with ``strict`` (the first thread of a chain) a thread that does not exist
raises :class:`~openwer.errors.NotFoundError` and one whose system call may not be read
:class:`~openwer.errors.AccessDeniedError`; otherwise those come back as a ``NO_ACCESS`` or
``ERROR`` node and the resolvers' own failures as facts on the node. Thread-safe given its own
:class:`SystemTables`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from openwer.errors import AccessDeniedError, NotFoundError, OpenwerError
from openwer.formats.wait_chain import WaitChainNode
from openwer.platform.proc_task import (
    TaskStatus,
    TaskSyscall,
    TaskSyscallState,
    read_task_status,
    read_task_syscall,
    read_wchan,
)
from openwer.types import WctObjectStatus, WctObjectType
from openwer.waitchain.fd_wait import FD_CALLS, resolve_fd_wait
from openwer.waitchain.file_lock_wait import resolve_file_lock_wait
from openwer.waitchain.futex_wait import resolve_futex_wait
from openwer.waitchain.pipe_wait import resolve_fifo_open
from openwer.waitchain.process_wait import resolve_child_wait
from openwer.waitchain.system_tables import SystemTables
from openwer.waitchain.wait_resolution import NO_RESOLUTION, WaitResolution, WaitTarget
from openwer.waitchain.walk_options import WalkOptions

__all__ = ["ThreadWait", "describe_thread_wait"]

_EXITED = frozenset({"Z", "X"})


@dataclass(frozen=True, slots=True)
class ThreadWait:
    """A thread's node, the node of what it waits on (``None``: nothing), and the owners to
    follow next, most relevant first (a :class:`WaitTarget` with ``tid`` 0 is a process)."""

    thread: WaitChainNode
    wait_object: WaitChainNode | None = None
    owners: tuple[WaitTarget, ...] = ()


def describe_thread_wait(
    pid: int,
    tid: int,
    *,
    tables: SystemTables | None = None,
    options: WalkOptions | None = None,
    read_lock_owners: bool = True,
    strict: bool = True,
    resolve: bool = True,
) -> ThreadWait:
    """What thread ``tid`` of process ``pid`` waits on (see the module docstring).

    ``read_lock_owners`` false leaves futex owners unread (a lock in another process without
    ``WCT_OUT_OF_PROC_CS_FLAG``); ``resolve`` false stops at the thread's own node.
    """
    options = options or WalkOptions()
    tables = tables or SystemTables(options.fd_scan_limit)
    try:
        status = read_task_status(pid, tid)
        if status.state in _EXITED:
            # A zombie thread (say a main thread that called pthread_exit) waits on nothing.
            return ThreadWait(_thread_node(status, None, WctObjectStatus.UNKNOWN, {}))
        call = read_task_syscall(pid, tid)
    except AccessDeniedError as exc:
        if strict:
            raise
        return ThreadWait(_bare_thread(pid, tid, WctObjectStatus.NO_ACCESS, str(exc)))
    except NotFoundError as exc:
        if strict:
            raise
        # The thread exited since its owner named it: an error node ends the chain.
        return ThreadWait(_bare_thread(pid, tid, WctObjectStatus.ERROR, str(exc)))
    if status.state == "R" or call.state is TaskSyscallState.RUNNING:
        return ThreadWait(_thread_node(status, call, WctObjectStatus.RUNNING, {}))
    resolution = NO_RESOLUTION
    if resolve and call.state is TaskSyscallState.IN_SYSCALL:
        resolution = _resolve(pid, tid, call, tables, options, read_lock_owners)
    node = _thread_node(status, call, WctObjectStatus.BLOCKED, resolution.facts)
    return ThreadWait(node, resolution.wait_object, resolution.owners)


def _resolve(
    pid: int,
    tid: int,
    call: TaskSyscall,
    tables: SystemTables,
    options: WalkOptions,
    read_lock_owners: bool,
) -> WaitResolution:
    # Partial beats nothing: a resolver that trips over a vanished process or fd leaves the
    # thread's node standing, with the failure as a fact.
    try:
        if call.name in ("futex", "futex_wait"):
            return resolve_futex_wait(pid, tid, call, read_lock_owners)
        if call.name in FD_CALLS:
            return resolve_fd_wait(pid, call, tables, options.network_io)
        if call.name in ("wait4", "waitid"):
            return resolve_child_wait(pid, call)
        if call.name in ("flock", "fcntl"):
            return resolve_file_lock_wait(pid, call, tables)
        if call.name in ("open", "openat", "openat2"):
            return resolve_fifo_open(pid, call)
    except (OpenwerError, OSError) as exc:
        return WaitResolution(facts={"error": f"{type(exc).__name__}: {exc}"})
    return NO_RESOLUTION


def _thread_node(
    status: TaskStatus,
    call: TaskSyscall | None,
    thread_status: WctObjectStatus,
    facts: Mapping[str, str],
) -> WaitChainNode:
    details = {"state": status.state_text, "comm": status.name}
    location = ""
    if call is not None and call.state is TaskSyscallState.IN_SYSCALL:
        location = call.name
        details["syscall"] = f"{call.name}({', '.join(hex(arg) for arg in call.args[:3])})"
        details["syscall_args"] = " ".join(hex(arg) for arg in call.args)
        wchan = read_wchan(status.pid, status.tid)
        if wchan:
            details["wchan"] = wchan
    elif call is not None and call.state is TaskSyscallState.OUTSIDE_SYSCALL:
        details["syscall"] = "none (stopped in the kernel outside a system call)"
    details.update(facts)
    return WaitChainNode(
        object_type=WctObjectType.THREAD,
        status=thread_status,
        process_id=status.pid,
        thread_id=status.tid,
        context_switches=status.context_switches,
        location=location,
        details=details,
    )


def _bare_thread(pid: int, tid: int, thread_status: WctObjectStatus, reason: str) -> WaitChainNode:
    details = {"error": reason}
    # status stays readable for everyone when syscall is refused: keep what it says.
    try:
        status = read_task_status(pid, tid)
        details.update(state=status.state_text, comm=status.name)
    except OpenwerError:
        pass
    return WaitChainNode(
        object_type=WctObjectType.THREAD,
        status=thread_status,
        process_id=pid,
        thread_id=tid,
        details=details,
    )
