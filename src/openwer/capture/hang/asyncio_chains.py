"""asyncio wait chains: which task awaits which task or future, read from the loop's tasks.

Nothing is tracked for this: a suspended ``asyncio.Task`` keeps the future it awaits in
``_fut_waiter`` (another task when it does ``await other_task``). A chain starts at a task and
follows those links: task nodes and a last future node, all ``WctUnknownType`` with
``details["kind"]`` = ``asyncio.Task`` / ``asyncio.Future`` and the loop thread's ids; a task
that comes back is a cycle (tasks awaiting each other: a deadlock, although the loop itself runs
on). ``location`` is where a task is suspended (``file:line``).

Read from the watchdog's thread while the loop may run: the task set is copied with retries, as
``asyncio.all_tasks`` does, and each link read once, so a chain is a snapshot that may be a
moment stale. ``asyncio`` is never imported here: without it loaded there are no tasks. Never
raises.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any

from openwer.capture.application import clean_text
from openwer.capture.hang.python_chains import code_location
from openwer.capture.source_layout import SourceLayout
from openwer.formats.wait_chain import MAX_CHAIN_NODES, WaitChain, WaitChainNode
from openwer.types import WctObjectStatus, WctObjectType

__all__ = [
    "MAX_TASK_CHAINS",
    "TaskChains",
    "current_task",
    "loop_tasks",
    "task_chains",
    "task_frames",
]

MAX_TASK_CHAINS = 32


@dataclass(frozen=True, slots=True)
class TaskChains:
    """The chains of a loop's waiting tasks and, for each cycle, a chain showing it with the
    tasks in it."""

    chains: tuple[WaitChain, ...]
    cycles: tuple[tuple[WaitChain, tuple[Any, ...]], ...]


def loop_tasks(loop: Any) -> list[Any]:
    """The unfinished tasks of ``loop`` (empty when asyncio is not loaded)."""
    module = sys.modules.get("asyncio.tasks")
    registry = getattr(module, "_all_tasks", None) if module is not None else None
    if registry is None:
        return []
    for _ in range(100):
        try:
            tasks = list(registry)
            break
        except RuntimeError:  # the set changed while it was copied
            continue
    else:
        return []
    found = []
    for task in tasks:
        try:
            if getattr(task, "_loop", None) is loop and not task.done():
                found.append(task)
        except Exception:
            continue
    return found


def task_frames(task: Any) -> list[FrameType]:
    """The frames a task is suspended in, outermost first."""
    try:
        frames = task.get_stack()
    except Exception:
        return []
    return [frame for frame in frames if isinstance(frame, FrameType)]


def _is_task(value: Any) -> bool:
    return callable(getattr(value, "get_coro", None)) and hasattr(value, "_fut_waiter")


def _task_node(task: Any, native_id: int, layout: SourceLayout) -> WaitChainNode:
    waiting = getattr(task, "_fut_waiter", None) is not None
    frames = task_frames(task)
    location = ""
    if frames:
        location = code_location(frames[-1].f_code, frames[-1].f_lasti, layout)
    try:
        name = clean_text(task.get_name())[:64]
        coroutine = clean_text(getattr(task.get_coro(), "__qualname__", "") or "")[:128]
    except Exception:
        name, coroutine = "?", ""
    return WaitChainNode(
        WctObjectType.UNKNOWN,
        WctObjectStatus.BLOCKED if waiting else WctObjectStatus.RUNNING,
        name=f"asyncio.Task {name!r} at {id(task):#x}",
        process_id=os.getpid(),
        thread_id=native_id,
        location=location,
        details={"kind": "asyncio.Task", "coroutine": coroutine},
    )


def _future_node(future: Any, native_id: int) -> WaitChainNode:
    return WaitChainNode(
        WctObjectType.UNKNOWN,
        WctObjectStatus.NOT_OWNED,
        name=f"{type(future).__name__} at {id(future):#x}",
        process_id=os.getpid(),
        thread_id=native_id,
        details={"kind": "asyncio.Future"},
    )


def _walk(task: Any, native_id: int, layout: SourceLayout) -> tuple[WaitChain, tuple[Any, ...]]:
    nodes: list[WaitChainNode] = []
    path: list[Any] = []
    current: Any = task
    while current is not None:
        if len(nodes) >= MAX_CHAIN_NODES:
            return WaitChain.of(nodes, truncated=True), ()
        if not _is_task(current):
            nodes.append(_future_node(current, native_id))
            break
        nodes.append(_task_node(current, native_id, layout))
        if any(current is seen for seen in path):
            start = next(i for i, seen in enumerate(path) if seen is current)
            return WaitChain.of(nodes), tuple(path[start:])
        path.append(current)
        current = getattr(current, "_fut_waiter", None)
    return WaitChain.of(nodes), ()


def task_chains(loop: Any, native_id: int, layout: SourceLayout) -> TaskChains:
    """The chains of ``loop``'s tasks that await another task (and every cycle), at most
    :data:`MAX_TASK_CHAINS`, the loop's current task first."""
    tasks = loop_tasks(loop)
    current = current_task(loop)
    if current is not None and any(task is current for task in tasks):
        tasks.sort(key=lambda task: task is not current)
    chains: list[WaitChain] = []
    cycles: dict[frozenset[int], tuple[WaitChain, tuple[Any, ...]]] = {}
    for task in tasks:
        if len(chains) >= MAX_TASK_CHAINS:
            break
        awaited = getattr(task, "_fut_waiter", None)
        if task is not current and not _is_task(awaited):
            continue  # one task waiting for one future: nothing to follow
        chain, cycle = _walk(task, native_id, layout)
        if cycle:
            key = frozenset(id(each) for each in cycle)
            if key in cycles:
                continue  # the same cycle seen from another of its tasks
            cycles[key] = (chain, cycle)
        chains.append(chain)
    return TaskChains(tuple(chains), tuple(cycles.values()))


def current_task(loop: Any) -> Any:
    """The task ``loop`` is running a step of right now, or None."""
    module = sys.modules.get("asyncio.tasks")
    current = getattr(module, "_current_tasks", None) if module is not None else None
    try:
        return current.get(loop) if isinstance(current, dict) else None
    except Exception:
        return None
