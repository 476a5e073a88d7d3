"""Walking a Linux wait chain: thread → object → owning thread → …, across processes.

:func:`walk_wait_chain` starts at one thread and repeats
:func:`~openwer.waitchain.thread_wait.describe_thread_wait` along the owners until a thread waits
on nothing it can follow, a thread comes back (a cycle: the repeated thread node closes the chain,
as :func:`~openwer.formats.wait_chain.find_cycle` expects), or the node budget runs out (the chain
comes back cut with ``truncated`` set, WCT's ``ERROR_TOO_MANY_THREADS``).

When an owner is a process rather than a thread (the other end of a pipe, a socket's peer, a
child, a file lock's holder), the walker follows one of its threads: one already in the chain if
there is one (that thread cannot make progress either, so the chain closes), else its only
thread, else its main thread. That choice is the walker's, not the kernel's; the object's node
says which thread was followed and why (``details["followed"]``).

:func:`blocked_thread_chains` gives the chain of every blocked thread of a process.
Failure contract: the first thread (or process) missing raises
:class:`~openwer.errors.NotFoundError`, unreadable :class:`~openwer.errors.AccessDeniedError`;
further along, the same conditions end the chain with a ``NO_ACCESS`` or ``ERROR`` node. Each
call is independent and thread-safe; a :class:`SystemTables` passed in is not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from openwer.errors import InvalidArgumentError, NotFoundError, OpenwerError
from openwer.formats.wait_chain import WaitChain, WaitChainNode
from openwer.platform.proc_task import read_task_status, read_task_syscall, thread_group_of
from openwer.platform.procfs import task_ids
from openwer.types import WctObjectStatus
from openwer.waitchain.system_tables import SystemTables
from openwer.waitchain.thread_wait import describe_thread_wait
from openwer.waitchain.wait_resolution import WaitTarget
from openwer.waitchain.walk_options import WalkOptions

__all__ = ["blocked_thread_chains", "process_of_thread", "walk_wait_chain"]

# Threads worth a chain: blocked ones, and those whose wait cannot be read. Running threads wait
# on nothing; zombie threads (a main thread that called pthread_exit) have exited.
_BLOCKED = frozenset({WctObjectStatus.BLOCKED, WctObjectStatus.NO_ACCESS})


def process_of_thread(tid: int) -> int:
    """The process thread ``tid`` belongs to; ``NotFoundError`` when there is no such thread."""
    pid = thread_group_of(tid)
    if pid is None:
        raise NotFoundError(f"no thread {tid}")
    return pid


def walk_wait_chain(
    pid: int,
    tid: int,
    options: WalkOptions | None = None,
    *,
    prefix: Sequence[WaitChainNode] = (),
    tables: SystemTables | None = None,
) -> WaitChain:
    """The wait chain of thread ``tid`` of process ``pid``.

    ``prefix`` continues a chain someone else started (Python lock tracking, say): its nodes
    come first, count against ``options.max_nodes``, and take part in cycle detection, so its
    thread nodes must carry Linux thread ids (``threading.get_native_id()``). With a prefix,
    thread ``tid`` is a tail node: it becomes ``NO_ACCESS``/``ERROR`` instead of raising.
    """
    options = options or WalkOptions()
    tables = tables or SystemTables(options.fd_scan_limit)
    if len(prefix) > options.max_nodes:
        raise InvalidArgumentError("the prefix is longer than the node budget")
    strict = not prefix
    if strict:
        _check_thread(pid, tid)
    walk = _Walk(list(prefix), options.max_nodes)
    start_pid = prefix[0].process_id if prefix else pid
    while True:
        if (pid, tid) in walk.threads:
            walk.push(walk.nodes[walk.threads[pid, tid]])  # the cycle closes on this thread
            break
        same_process = pid == start_pid
        wait = describe_thread_wait(
            pid,
            tid,
            tables=tables,
            options=options,
            read_lock_owners=options.foreign_lock_owners or same_process,
            strict=strict,
            resolve=options.follow_processes or same_process,
        )
        strict = False
        if not walk.push(wait.thread):
            break
        if wait.wait_object is None:
            break
        following = _choose(wait.owners, walk.threads)
        wait_object = wait.wait_object
        if following is not None and following[2]:
            followed = f"thread {following[1]} of process {following[0]} ({following[2]})"
            details = {**wait_object.details, "followed": followed}
            wait_object = dataclasses.replace(wait_object, details=details)
        if wait_object.identity() in walk.objects:
            walk.push(walk.nodes[walk.objects[wait_object.identity()]])
            break
        if not walk.push(wait_object) or following is None:
            break
        pid, tid = following[0], following[1]
    return WaitChain.of(walk.nodes, truncated=walk.truncated)


def blocked_thread_chains(pid: int, options: WalkOptions | None = None) -> tuple[WaitChain, ...]:
    """The chain of every blocked thread of process ``pid`` (neither running nor exited), by
    thread id.

    ``NotFoundError`` when there is no process ``pid`` (or ``pid`` is a thread of another
    process), ``AccessDeniedError`` when its threads may not be inspected.
    """
    options = options or WalkOptions()
    _check_process(pid)
    tids = task_ids(pid)
    if not tids:
        raise NotFoundError(f"no process {pid}")
    _check_access(pid, tids)
    tables = SystemTables(options.fd_scan_limit)
    chains: list[WaitChain] = []
    for tid in tids:
        try:
            chain = walk_wait_chain(pid, tid, options, tables=tables)
        except NotFoundError:
            continue  # exited since the process's threads were listed
        if chain.nodes and chain.nodes[0].status in _BLOCKED:
            chains.append(chain)
    return tuple(chains)


class _Walk:
    """The nodes so far, where each thread and object first appeared, and the budget."""

    def __init__(self, nodes: list[WaitChainNode], budget: int) -> None:
        self.nodes: list[WaitChainNode] = []
        self.threads: dict[tuple[int, int], int] = {}
        self.objects: dict[tuple[Any, ...], int] = {}
        self.budget = budget
        self.truncated = False
        for node in nodes:
            self.push(node)

    def push(self, node: WaitChainNode) -> bool:
        if len(self.nodes) >= self.budget:
            self.truncated = True
            return False
        self.nodes.append(node)
        index = len(self.nodes) - 1
        if node.is_thread:
            self.threads.setdefault((node.process_id, node.thread_id), index)
        else:
            self.objects.setdefault(node.identity(), index)
        return True


def _choose(
    owners: Sequence[WaitTarget], in_chain: dict[tuple[int, int], int]
) -> tuple[int, int, str] | None:
    # The first owner that still exists; for a process, which of its threads to follow and why.
    for owner in owners:
        if owner.tid:
            return owner.pid, owner.tid, ""
        tids = task_ids(owner.pid)
        if not tids:
            continue
        seen = sorted((index, tid) for (pid, tid), index in in_chain.items() if pid == owner.pid)
        if seen:
            return owner.pid, seen[0][1], "already in the chain"
        if len(tids) == 1:
            return owner.pid, tids[0], "its only thread"
        main = owner.pid if owner.pid in tids else tids[0]
        return owner.pid, main, f"its main thread, of {len(tids)}"
    return None


def _check_access(pid: int, tids: Sequence[int]) -> None:
    # Refuse early, with the reason, when the process may not be inspected (one live thread
    # tells; zombie threads have nothing to read).
    for tid in tids:
        try:
            read_task_syscall(pid, tid)
        except NotFoundError:
            continue
        return


def _check_process(pid: int) -> None:
    owner = thread_group_of(pid)
    if owner is None:
        raise NotFoundError(f"no process {pid}")
    if owner != pid:
        raise NotFoundError(f"{pid} is a thread of process {owner}, not a process")


def _check_thread(pid: int, tid: int) -> None:
    _check_process(pid)
    try:
        read_task_status(pid, tid)
    except OpenwerError as exc:
        raise NotFoundError(f"process {pid} has no thread {tid}") from exc
