"""One look at a running program, and what the hang detector keeps between looks.

:class:`ProgramLook` is a consistent snapshot for one watchdog tick: every thread's current
frame (``sys._current_frames()``), the ``threading`` threads, the recorded waits and the time;
it samples threads and builds their wait chains. :class:`SampleTrack` keeps a subject's samples
since it stopped making progress; :class:`StuckPosition` says when a hung thread has moved on;
:func:`busy_threads` measures which threads use the CPU right now.

Used by the watchdog's thread only; never raises for a thread that ends meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from types import FrameType

from openwer.capture.frames import FrameEntry, stack_entries
from openwer.capture.hang.python_chains import ChainInputs, PythonChain, python_wait_chain
from openwer.capture.hang.thread_sampling import (
    BUSY_CPU_RATIO,
    Activity,
    ThreadSample,
    stack_position,
    thread_cpu_seconds,
)
from openwer.capture.hang.waits import WaitRecord
from openwer.capture.source_layout import current_layout

__all__ = [
    "CPU_PROBE_S",
    "MAX_SAMPLES",
    "ProgramLook",
    "SampleTrack",
    "StuckPosition",
    "busy_threads",
    "stack_of",
]

MAX_SAMPLES = 64
CPU_PROBE_S = 0.1  # how long every thread's CPU use is measured when a report is made


class SampleTrack:
    """Samples of one subject's thread since it stopped making progress."""

    __slots__ = ("marker", "samples", "since")

    def __init__(self, marker: object, since: float) -> None:
        self.marker = marker
        self.since = since
        self.samples: deque[ThreadSample] = deque(maxlen=MAX_SAMPLES)


class StuckPosition:
    """Where a hung thread was stuck, to tell when it moves on: another stack; for a blocked
    or natively busy thread another instruction; for a thread spinning in Python, no more CPU
    use between two ticks."""

    __slots__ = ("activity", "last", "stack")

    def __init__(self, sample: ThreadSample, activity: Activity) -> None:
        self.stack = sample.stack
        self.activity = activity
        self.last = sample

    def moved_on(self, sample: ThreadSample) -> bool:
        """Whether ``sample`` (the next look at the thread) shows it moved on."""
        previous, self.last = self.last, sample
        if sample.stack != self.stack:
            return True
        if self.activity is not Activity.BUSY_PYTHON:
            return sample.lasti != previous.lasti
        if sample.cpu is None or previous.cpu is None or sample.time <= previous.time:
            return False
        return (sample.cpu - previous.cpu) / (sample.time - previous.time) < BUSY_CPU_RATIO


@dataclass
class ProgramLook:
    """One look at the program, shared by the checks of a tick."""

    now: float
    frames: dict[int, FrameType]
    threads: dict[int, threading.Thread]
    waits: dict[int, WaitRecord]

    def sample(self, ident: int) -> ThreadSample:
        """Where thread ``ident`` is and the CPU time it has used."""
        thread = self.threads.get(ident)
        stack, lasti = stack_position(self.frames.get(ident))
        native_id = thread.native_id if thread is not None else None
        return ThreadSample(self.now, thread_cpu_seconds(native_id), stack, lasti)

    def chain(self, ident: int, busy: dict[int, bool] | None = None) -> PythonChain:
        """The Python wait chain of thread ``ident`` (``busy``: what is known of CPU use)."""
        inputs = ChainInputs(
            self.waits, self.threads, self.frames, self.now, current_layout(), busy or {}
        )
        return python_wait_chain(ident, inputs)


def busy_threads(look: ProgramLook) -> dict[int, bool]:
    """Which threads use the CPU, measured over a short interval (the watchdog sleeps)."""
    natives = {ident: t.native_id for ident, t in look.threads.items() if t.native_id}
    before = {ident: thread_cpu_seconds(native) for ident, native in natives.items()}
    started = time.monotonic()
    time.sleep(CPU_PROBE_S)
    elapsed = time.monotonic() - started
    busy: dict[int, bool] = {}
    for ident, native in natives.items():
        first, second = before[ident], thread_cpu_seconds(native)
        if first is not None and second is not None and elapsed > 0:
            busy[ident] = (second - first) / elapsed >= BUSY_CPU_RATIO
    return busy


def stack_of(look: ProgramLook, ident: int) -> tuple[FrameEntry, ...]:
    """Thread ``ident``'s stack in ``look``, outermost frame first."""
    frame = look.frames.get(ident)
    return tuple(stack_entries(frame)) if frame is not None else ()
