"""What each blocked thread is waiting for: the registry the tracked primitives write.

A thread about to block on a tracked primitive (a lock it could not take at once, a
``Condition.wait``, a ``Thread.join``, a ``Future.result``…) records ``(target, code, lasti,
since)`` under its ``threading.get_ident()``: the object it waits for, the caller's code object
and instruction offset (the line is worked out only when a report needs it) and when the wait
began (``time.monotonic()``). It removes the record when the wait ends. Nothing is recorded on
the uncontended path.

A wait inside a wait (``Condition.wait`` re-taking its lock) replaces the outer record while it
lasts and puts it back afterwards, so the registry always names the innermost wait. A
higher-level primitive (a semaphore, a future) that blocks in a ``Condition.wait`` keeps its own
record: :func:`begin_outer_wait` leaves an existing record alone.

Thread safety: every operation is one dictionary operation under the GIL; :func:`snapshot` copies
the registry atomically. Never raises.
"""

from __future__ import annotations

import sys
import threading
import time
from types import CodeType, FrameType

__all__ = [
    "WaitRecord",
    "begin_outer_wait",
    "begin_wait",
    "caller_site",
    "clear_waits_after_fork",
    "end_wait",
    "line_of",
    "snapshot",
]

WaitRecord = tuple[object, CodeType | None, int, float]
"""``(target, code, lasti, since)``: what a thread waits for, where, since when (monotonic)."""

_waits: dict[int, WaitRecord] = {}
_get_ident = threading.get_ident
_monotonic = time.monotonic
_getframe = sys._getframe
# The threading module's own frames (Condition.__enter__, Event.wait…) are skipped when the
# caller is recorded: the line that matters is the application's.
_THREADING_GLOBALS = threading.__dict__


def caller_site(depth: int) -> tuple[CodeType | None, int]:
    """The code object and instruction offset ``depth`` frames up, past ``threading``'s frames."""
    try:
        frame: FrameType | None = _getframe(depth + 1)
    except ValueError:
        return None, 0
    while frame is not None and frame.f_globals is _THREADING_GLOBALS:
        frame = frame.f_back
    if frame is None:
        return None, 0
    return frame.f_code, frame.f_lasti


def begin_wait(target: object, code: CodeType | None, lasti: int) -> WaitRecord | None:
    """Record that this thread now waits for ``target``; return the record it replaced."""
    ident = _get_ident()
    previous = _waits.get(ident)
    _waits[ident] = (target, code, lasti, _monotonic())
    return previous


def begin_outer_wait(target: object, code: CodeType | None, lasti: int) -> bool:
    """Record a wait unless one is recorded already; True when this call recorded it."""
    ident = _get_ident()
    if ident in _waits:
        return False
    _waits[ident] = (target, code, lasti, _monotonic())
    return True


def end_wait(previous: WaitRecord | None) -> None:
    """End this thread's current wait, putting back the record :func:`begin_wait` returned."""
    ident = _get_ident()
    if previous is None:
        _waits.pop(ident, None)
    else:
        _waits[ident] = previous


def snapshot() -> dict[int, WaitRecord]:
    """A copy of the registry: thread ident → its current wait."""
    return _waits.copy()


def clear_waits_after_fork() -> None:
    """In a forked child: only the forking thread exists, and it is not waiting."""
    _waits.clear()


def line_of(code: CodeType | None, lasti: int) -> int:
    """The source line of instruction offset ``lasti`` in ``code`` (0 when unknown)."""
    if code is None:
        return 0
    try:
        for start, end, line in code.co_lines():
            if start <= lasti < end and line is not None:
                return line
    except Exception:  # a code object from an unusual compiler
        return 0
    return code.co_firstlineno
