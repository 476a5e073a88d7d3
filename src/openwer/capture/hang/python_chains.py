"""Python wait chains: thread → what it waits for → the thread that owns it → …

:func:`python_wait_chain` walks from one thread through the waits the tracked primitives
recorded (:mod:`~openwer.capture.hang.waits`) and the owners they know, and returns a
:class:`~openwer.formats.wait_chain.WaitChain` of the shared model, in WCT's shape:

* a *thread* node (``WctThreadType``: this process's id, the thread's native id, BLOCKED or
  RUNNING, how long it has waited, where: ``file:line`` relative to its ``sys.path`` folder);
* the *object* it waits for: a ``threading.Lock``/``RLock`` (``WctCriticalSectionType``, OWNED
  or NOT_OWNED, ABANDONED when its owner thread has ended; ``location`` is the line where the
  owner took it), a ``Thread.join`` (``WctThreadWaitType``), a semaphore, a condition, a future
  (``WctUnknownType`` with ``details["kind"]``);
* then the owner's thread node, and so on, until a thread that waits for nothing tracked, an
  object nobody owns, a thread seen before (a cycle: a deadlock) or 16 nodes.

A last thread blocked outside the tracked primitives ends the chain with what it waits on in the
kernel (:mod:`~openwer.capture.hang.blocking_call`): ``pipe:[1234]`` (``WctUnknownType``),
``socket:[77]`` (``WctSocketIoType``), a child process (``WctProcessWaitType``).

:class:`PythonChain` also lists the hops (who waited how long for what), which the watchdog uses
to decide whether a blocked thread is hung or idle. Pure reads of a snapshot; never raises.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import CodeType, FrameType
from typing import Any

from openwer.capture.application import clean_text
from openwer.capture.hang.blocking_call import BlockingCall, blocking_call
from openwer.capture.hang.futures_tracking import RUNNER_ATTRIBUTE
from openwer.capture.hang.lock_tracking import semaphore_holders
from openwer.capture.hang.tracked_locks import Owner, TrackedLock, TrackedRLock
from openwer.capture.hang.waits import WaitRecord, line_of
from openwer.capture.source_layout import SourceLayout
from openwer.formats.wait_chain import MAX_CHAIN_NODES, WaitChain, WaitChainNode
from openwer.types import WctObjectStatus, WctObjectType

__all__ = [
    "ChainInputs",
    "Hop",
    "PythonChain",
    "TargetKind",
    "code_location",
    "python_wait_chain",
]

_MAX_NAME = 128  # WCT_OBJNAME_LENGTH


class TargetKind(Enum):
    """What a thread waits for; locks and semaphores have owners that make a chain a hang."""

    LOCK = "threading.Lock"
    RLOCK = "threading.RLock"
    SEMAPHORE = "threading.Semaphore"
    CONDITION = "threading.Condition"
    THREAD = "threading.Thread.join"
    FUTURE = "concurrent.futures.Future"
    OTHER = "other"

    @property
    def is_lock(self) -> bool:
        """Whether waiting for it long means contention on an owned lock (a hang)."""
        return self in (TargetKind.LOCK, TargetKind.RLOCK, TargetKind.SEMAPHORE)


@dataclass(frozen=True, slots=True)
class Hop:
    """One link: ``waiter`` (a thread ident) has waited ``waited_s`` for a ``kind`` object owned
    by ``owner`` (None: nobody known)."""

    waiter: int
    kind: TargetKind
    owner: int | None
    waited_s: float


@dataclass(frozen=True, slots=True)
class PythonChain:
    """A chain and its hops; ``threads`` are the idents of the thread nodes, in order."""

    chain: WaitChain
    hops: tuple[Hop, ...]
    threads: tuple[int, ...]

    def cycle_threads(self) -> frozenset[int]:
        """The threads that form the cycle (empty when there is none)."""
        if not self.chain.is_cycle or not self.threads:
            return frozenset()
        last = self.threads[-1]
        return frozenset(self.threads[self.threads.index(last) : -1])

    def is_hang(self, threshold_s: float) -> bool:
        """A deadlock (every wait in the cycle older than the threshold) or a wait longer than
        the threshold on a lock or semaphore someone holds."""
        cycle = self.cycle_threads()
        if cycle:
            waits = [hop for hop in self.hops if hop.waiter in cycle]
            if waits and all(hop.waited_s >= threshold_s for hop in waits):
                return True
        return any(
            hop.kind.is_lock and hop.owner is not None and hop.waited_s >= threshold_s
            for hop in self.hops
        )


@dataclass(frozen=True)
class ChainInputs:
    """A consistent snapshot to walk: the waits, the live threads and their frames, the clock.

    ``busy`` says, for threads the watchdog sampled, whether they used the CPU (None: unknown);
    ``kernel`` looks up the system call a thread is blocked in (replaceable in tests).
    """

    waits: Mapping[int, WaitRecord]
    threads: Mapping[int, threading.Thread]
    frames: Mapping[int, FrameType]
    now: float
    layout: SourceLayout
    busy: Mapping[int, bool] = field(default_factory=dict)
    kernel: Callable[[int | None], BlockingCall | None] = blocking_call
    pid: int = field(default_factory=os.getpid)


@dataclass(frozen=True, slots=True)
class _Target:
    kind: TargetKind
    object_type: WctObjectType
    name: str
    owner: int | None  # the owner's ident while it lives
    site: tuple[CodeType | None, int] | None = None
    abandoned: bool = False  # its owner ended without releasing it


def _target(
    kind: TargetKind,
    object_type: WctObjectType,
    name: str,
    owner: Owner,
    inputs: ChainInputs,
    site: tuple[CodeType | None, int] | None = None,
) -> _Target:
    if owner is None:
        return _Target(kind, object_type, name, None)
    if isinstance(owner, threading.Thread):
        alive = owner.is_alive() and owner.ident is not None
        ident = owner.ident if alive else None
    else:
        alive = owner in inputs.frames or owner in inputs.threads
        ident = owner if alive else None
    return _Target(kind, object_type, name, ident, site, abandoned=not alive)


def code_location(code: CodeType | None, lasti: int, layout: SourceLayout) -> str:
    """``relative/file.py:LINE`` for an instruction, "" when unknown."""
    if code is None:
        return ""
    relative = layout.locate(code.co_filename).relative
    return clean_text(f"{relative}:{line_of(code, lasti)}")


def _describe(target: Any, inputs: ChainInputs) -> _Target:
    address = f"{id(target):#x}"
    if isinstance(target, TrackedLock | TrackedRLock):
        kind = TargetKind.LOCK if isinstance(target, TrackedLock) else TargetKind.RLOCK
        owner = target.owner
        site = (target.code, target.lasti) if owner is not None else None
        name = f"{kind.value} at {address}"
        return _target(kind, WctObjectType.CRITICAL_SECTION, name, owner, inputs, site)
    if isinstance(target, threading.Semaphore):
        first = next(iter(semaphore_holders(target).values()), None)
        owner, site = (None, None) if first is None else (first[3], (first[1], first[2]))
        name = f"{type(target).__name__} at {address}"
        return _target(TargetKind.SEMAPHORE, WctObjectType.UNKNOWN, name, owner, inputs, site)
    if isinstance(target, threading.Condition):
        name = f"threading.Condition at {address}"
        return _Target(TargetKind.CONDITION, WctObjectType.UNKNOWN, name, None)
    if isinstance(target, threading.Thread):
        name = f"thread {clean_text(target.name)[:64]!r} ({target.native_id or 0})"
        ident = target.ident if target.is_alive() else None
        return _Target(TargetKind.THREAD, WctObjectType.THREAD_WAIT, name, ident)
    if type(target).__module__.startswith("concurrent.futures"):
        runner = getattr(target, RUNNER_ATTRIBUTE, None)
        running = isinstance(runner, threading.Thread) and not target.done()
        name = f"concurrent.futures.Future at {address}"
        owner = runner if running else None
        return _target(TargetKind.FUTURE, WctObjectType.UNKNOWN, name, owner, inputs)
    name = f"{type(target).__qualname__} at {address}"
    return _Target(TargetKind.OTHER, WctObjectType.UNKNOWN, name, None)


def _thread_node(
    ident: int, record: WaitRecord | None, call: BlockingCall | None, inputs: ChainInputs
) -> WaitChainNode:
    thread = inputs.threads.get(ident)
    details: dict[str, str] = {}
    name = clean_text(thread.name)[:_MAX_NAME] if thread is not None else f"thread {ident:#x}"
    if record is not None:
        status = WctObjectStatus.BLOCKED
        location = code_location(record[1], record[2], inputs.layout)
        wait_ms = max(0, round((inputs.now - record[3]) * 1000))
    else:
        busy = inputs.busy.get(ident)
        if busy is None and call is not None:
            busy = call.syscall == "running"
        if busy is None:
            status = WctObjectStatus.UNKNOWN
        else:
            status = WctObjectStatus.RUNNING if busy else WctObjectStatus.BLOCKED
        frame = inputs.frames.get(ident)
        location = (
            "" if frame is None else code_location(frame.f_code, frame.f_lasti, inputs.layout)
        )
        wait_ms = 0
    if call is not None and call.syscall != "running":
        details["syscall"] = call.syscall
    if thread is not None and thread.daemon:
        details["daemon"] = "1"
    return WaitChainNode(
        WctObjectType.THREAD,
        status,
        name=name,
        process_id=inputs.pid,
        thread_id=(thread.native_id or 0) if thread is not None else 0,
        wait_time_ms=wait_ms,
        location=location,
        details=details,
    )


def _object_node(target: _Target, inputs: ChainInputs) -> WaitChainNode:
    location = code_location(*target.site, inputs.layout) if target.site else ""
    if target.abandoned:
        status = WctObjectStatus.ABANDONED
        note = "abandoned: the thread that took it ended without releasing it"
    elif target.owner is None:
        status = WctObjectStatus.NOT_OWNED
        note = "no owner known"
    else:
        status = WctObjectStatus.OWNED
        owner = inputs.threads.get(target.owner)
        note = f"held by {clean_text(owner.name)[:64]!r}" if owner is not None else "held"
    if location:
        note += f", taken at {location}"
    return WaitChainNode(
        target.object_type,
        status,
        name=target.name[:_MAX_NAME],
        process_id=inputs.pid,
        location=location,
        details={"kind": target.kind.value, "note": note},
    )


def _kernel_node(call: BlockingCall, inputs: ChainInputs) -> WaitChainNode | None:
    if not call.target:
        return None
    if call.is_socket:
        object_type = WctObjectType.SOCKET_IO
    elif call.is_process_wait:
        object_type = WctObjectType.PROCESS_WAIT
    else:
        object_type = WctObjectType.UNKNOWN
    return WaitChainNode(
        object_type,
        WctObjectStatus.UNKNOWN,
        name=clean_text(call.target)[:_MAX_NAME],
        process_id=inputs.pid,
        location=call.syscall,
        details={"kind": "kernel", "syscall": call.syscall},
    )


def python_wait_chain(start: int, inputs: ChainInputs) -> PythonChain:
    """The wait chain of thread ``start`` (a ``threading.get_ident()``)."""
    nodes: list[WaitChainNode] = []
    hops: list[Hop] = []
    threads: list[int] = []
    seen: set[int] = set()
    ident: int | None = start
    truncated = False
    while ident is not None:
        if len(nodes) >= MAX_CHAIN_NODES:
            truncated = True
            break
        record = inputs.waits.get(ident)
        blocked_untracked = record is None and ident not in seen and not inputs.busy.get(ident)
        call = inputs.kernel(_native_id(ident, inputs)) if blocked_untracked else None
        nodes.append(_thread_node(ident, record, call, inputs))
        threads.append(ident)
        if ident in seen:
            break  # the chain came back: a cycle
        seen.add(ident)
        if record is None:
            extra = _kernel_node(call, inputs) if call is not None else None
            if extra is not None and len(nodes) < MAX_CHAIN_NODES:
                nodes.append(extra)
            break
        if len(nodes) >= MAX_CHAIN_NODES:
            truncated = True
            break
        target = _describe(record[0], inputs)
        nodes.append(_object_node(target, inputs))
        hops.append(Hop(ident, target.kind, target.owner, max(0.0, inputs.now - record[3])))
        ident = target.owner
    return PythonChain(WaitChain.of(nodes, truncated=truncated), tuple(hops), tuple(threads))


def _native_id(ident: int, inputs: ChainInputs) -> int | None:
    thread = inputs.threads.get(ident)
    return thread.native_id if thread is not None else None
