"""Seizing and stopping every thread of a process that is not our child.

Used where the tracer attaches to a running process (the crash handler, live snapshots):
:func:`seize_all_threads` seizes each thread listed in ``/proc/<pid>/task`` with
``PTRACE_O_TRACECLONE`` (so threads born meanwhile are traced too) and repeats until no new one
shows up; :func:`stop_threads` interrupts them and collects every stop, keeping each as it was
reported (a thread may report a signal or a clone before its interrupt), so the caller can later
let each go on as it would have. Call from the tracing thread.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterable

from openwer.errors import TraceError
from openwer.platform import ptrace
from openwer.platform.procfs import task_ids, tracer_pid
from openwer.platform.trace_stop import StopKind, TraceStop, decode_trace_status

__all__ = ["detach_running", "release_stragglers", "seize_all_threads", "stop_threads"]

_STOP_TIMEOUT_S = 1.0


def seize_all_threads(pid: int) -> list[int]:
    """Seize every thread of ``pid`` (``TRACECLONE``), until no new one appears.

    Raises:
        TraceError: the process cannot be traced; threads seized so far are released.
    """
    seized: list[int] = []
    for _ in range(20):
        fresh = [tid for tid in task_ids(pid) if tid not in seized]
        if not fresh:
            break
        for tid in fresh:
            try:
                ptrace.seize(tid, ptrace.PTRACE_O_TRACECLONE)
            except TraceError as exc:
                if exc.errno == errno.ESRCH and tid != pid:  # the thread ended meanwhile
                    continue
                if exc.errno == errno.EPERM and _traced_by_us(tid):
                    # Born after its creator was seized: TRACECLONE attached it already.
                    seized.append(tid)
                    continue
                for done in seized:  # leave the process as it was
                    detach_running(done)
                release_stragglers(pid, seized)
                raise
            seized.append(tid)
    return seized


def _traced_by_us(tid: int) -> bool:
    return tracer_pid(tid) == os.getpid()


def release_stragglers(pid: int, known: Iterable[int]) -> None:
    """Detach every thread of ``pid`` still traced by us that ``known`` does not list.

    A thread auto-attached through ``TRACECLONE`` that nobody collected would otherwise stay
    traced: if the process then died, its exit would wait for us, and the process's parent would
    wait for ever.
    """
    listed = set(known)
    for tid in task_ids(pid):
        if tid not in listed and _traced_by_us(tid):
            detach_running(tid)


def detach_running(tid: int) -> None:
    """Stop a running tracee briefly and detach it (it goes on untouched)."""
    with contextlib.suppress(TraceError):
        ptrace.interrupt(tid)
    deadline = time.monotonic() + 0.2
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            found, _ = os.waitpid(tid, os.WNOHANG | ptrace.WALL)
            if found:
                break
        time.sleep(0.0005)
    with contextlib.suppress(TraceError):
        ptrace.detach(tid, 0)


def stop_threads(tids: list[int]) -> dict[int, TraceStop]:
    """Interrupt ``tids`` and collect each one's stop (new clones too), within a second."""
    for tid in tids:
        with contextlib.suppress(TraceError):
            ptrace.interrupt(tid)
    held: dict[int, TraceStop] = {}
    waiting = set(tids)
    deadline = time.monotonic() + _STOP_TIMEOUT_S
    while waiting and time.monotonic() < deadline:
        progressed = False
        for tid in list(waiting):
            try:
                found, status = os.waitpid(tid, os.WNOHANG | ptrace.WALL)
            except ChildProcessError:
                waiting.discard(tid)
                continue
            if not found:
                continue
            progressed = True
            stop = decode_trace_status(tid, status)
            if stop.ended:
                waiting.discard(tid)
                continue
            waiting.discard(tid)
            held[tid] = stop
            if stop.kind is StopKind.EVENT and stop.event == ptrace.PTRACE_EVENT_CLONE:
                with contextlib.suppress(TraceError):
                    born = ptrace.get_event_message(tid)
                    if born not in held:
                        waiting.add(born)  # auto-attached: it reports in stopped
        if not progressed:
            time.sleep(0.0002)
    return held
