"""Sampling a thread several times to tell *blocked* from *busy*.

A :class:`ThreadSample` is one look at a thread: the CPU time it has used so far (Linux
``/proc/self/task/<tid>/stat``, in clock ticks of 10 ms) and where its Python stack is (the code
objects from the outermost frame in, and the innermost instruction offset, from
``sys._current_frames()``). Over a series of samples :func:`classify` says what the thread was
doing:

* **blocked** — it used less than a quarter of the wall time in CPU: it waits (a lock, I/O, a
  sleep);
* **busy in Python** — it used the CPU and its position moved between samples, or a sample
  found it between two Python instructions (a loop's backward jump, a function's entry: the
  points where a thread hands over the GIL, hence where samples land);
* **busy in native code** — it used the CPU and every sample found it inside the same call
  instruction: a C call that spins (with the GIL released, or the watchdog could not have run).

Frames are never kept, only code objects (which hold no user data), so sampling never extends
the life of the program's objects. Reading ``/proc`` fails off Linux or in a sandbox: CPU time is
then unknown and the position decides (moving: busy in Python, else blocked).

Pure functions plus small ``/proc`` reads; thread-safe. Never raises.
"""

from __future__ import annotations

import opcode
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from types import CodeType, FrameType

__all__ = [
    "BURST_SAMPLES",
    "BUSY_CPU_RATIO",
    "MAX_STACK_DEPTH",
    "Activity",
    "ThreadSample",
    "burst",
    "classify",
    "in_call",
    "stack_position",
    "thread_cpu_seconds",
]

BUSY_CPU_RATIO = 0.25
BURST_SAMPLES = 20
"""A thread that used at least this share of the wall time in CPU is busy."""

MAX_STACK_DEPTH = 128
"""Frames of a stack compared between samples (the innermost ones)."""

_TICKS_PER_SECOND = float(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 100.0
# A frame whose current instruction is one of these is inside the call it makes.
_CALL_OPCODES = frozenset(
    opcode.opmap[name] for name in ("CALL", "CALL_FUNCTION_EX", "PRECALL") if name in opcode.opmap
)
# f_lasti may point into the inline cache entries that follow an instruction (3.11+).
_CACHE = opcode.opmap.get("CACHE", -1)


class Activity(Enum):
    """What a thread did over a series of samples."""

    BLOCKED = "blocked"
    BUSY_PYTHON = "busy-python"
    BUSY_NATIVE = "busy-native"


@dataclass(frozen=True, slots=True)
class ThreadSample:
    """One look at a thread: when (monotonic), its CPU seconds so far (None: unknown), its
    stack's code objects (outermost first) and its innermost instruction offset."""

    time: float
    cpu: float | None
    stack: tuple[CodeType, ...]
    lasti: int


def stack_position(frame: FrameType | None) -> tuple[tuple[CodeType, ...], int]:
    """The code objects of the stack ending at ``frame`` (outermost first) and its offset."""
    if frame is None:
        return (), -1
    lasti = frame.f_lasti
    codes: list[CodeType] = []
    current: FrameType | None = frame
    while current is not None and len(codes) < MAX_STACK_DEPTH:
        codes.append(current.f_code)
        current = current.f_back
    codes.reverse()
    return tuple(codes), lasti


def thread_cpu_seconds(native_id: int | None) -> float | None:
    """CPU seconds (user + system) the thread with this native id has used, or None."""
    if not native_id:
        return None
    try:
        with open(f"/proc/self/task/{native_id}/stat", "rb") as stat:
            data = stat.read()
        fields = data[data.rindex(b")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND
    except (OSError, ValueError, IndexError):
        return None


def in_call(sample: ThreadSample) -> bool:
    """Whether the sample found the thread inside a call instruction of its innermost frame."""
    if not sample.stack or sample.lasti < 0:
        return False
    code = sample.stack[-1].co_code
    offset = sample.lasti
    while 0 < offset < len(code) and code[offset] == _CACHE:
        offset -= 2
    return offset < len(code) and code[offset] in _CALL_OPCODES


def burst(
    frame_of: Callable[[], FrameType | None], count: int = BURST_SAMPLES, pause_s: float = 0.002
) -> list[ThreadSample]:
    """``count`` quick looks at a thread's position (no CPU time), ``pause_s`` apart.

    A thread spinning in Python is always found where it lets the GIL go; a loop has several
    such points (after a call returns, at its backward jump), so a burst of looks tells it from
    a thread that never leaves one C call, which a few looks a tick apart may not.
    """
    found = []
    for _ in range(count):
        time.sleep(pause_s)
        stack, lasti = stack_position(frame_of())
        found.append(ThreadSample(time.monotonic(), None, stack, lasti))
    return found


def classify(samples: Sequence[ThreadSample]) -> tuple[Activity, float | None]:
    """What the thread did over ``samples`` (oldest first) and its CPU share (None: unknown)."""
    if not samples:
        return Activity.BLOCKED, None
    positions = {(sample.stack, sample.lasti) for sample in samples}
    moved = len(positions) > 1 or not all(in_call(sample) for sample in samples)
    timed = [sample for sample in samples if sample.cpu is not None]
    ratio: float | None = None
    if len(timed) >= 2 and timed[-1].time > timed[0].time:
        used = (timed[-1].cpu or 0.0) - (timed[0].cpu or 0.0)
        ratio = max(0.0, used / (timed[-1].time - timed[0].time))
    if ratio is None:
        return (Activity.BUSY_PYTHON if moved else Activity.BLOCKED), None
    if ratio < BUSY_CPU_RATIO:
        return Activity.BLOCKED, ratio
    return (Activity.BUSY_PYTHON if moved else Activity.BUSY_NATIVE), ratio
