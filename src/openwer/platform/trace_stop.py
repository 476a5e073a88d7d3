"""What a tracer's ``waitpid`` status means: an exit, a signal to deliver, a stop, an event.

With ``PTRACE_SEIZE`` (man 2 ptrace, "Stopped states") a status of a traced thread is one of:

* the thread ended: :attr:`StopKind.EXITED` / :attr:`StopKind.KILLED`;
* *signal-delivery-stop* (``status >> 16 == 0``): a signal is about to be delivered; the tracer
  passes it on with ``PTRACE_CONT(sig)`` or suppresses it with 0 — :attr:`StopKind.SIGNAL`;
* ``PTRACE_EVENT_STOP`` with a stopping signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU): a
  *group-stop*, kept with ``PTRACE_LISTEN`` — :attr:`StopKind.GROUP_STOP`;
* ``PTRACE_EVENT_STOP`` with SIGTRAP: ``PTRACE_INTERRUPT`` took effect, or a new auto-attached
  thread or child reports in — :attr:`StopKind.INTERRUPT`;
* another ``PTRACE_EVENT_*``: clone, fork, vfork, exec — :attr:`StopKind.EVENT` with ``event``.

Pure: :func:`decode_trace_status` only looks at the number.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from enum import Enum

from openwer.platform.ptrace import PTRACE_EVENT_STOP

__all__ = ["StopKind", "TraceStop", "decode_trace_status"]

_STOPPING = frozenset({signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU})


class StopKind(Enum):
    """The kinds of wait status a tracer sees (see the module docstring)."""

    EXITED = "exited"
    KILLED = "killed"
    SIGNAL = "signal"
    GROUP_STOP = "group-stop"
    INTERRUPT = "interrupt"
    EVENT = "event"


@dataclass(frozen=True, slots=True)
class TraceStop:
    """One decoded wait status of thread ``tid``.

    ``signal`` is the signal to deliver (SIGNAL), the stopping signal (GROUP_STOP), the signal
    that killed the thread (KILLED) or 0; ``event`` is the ``PTRACE_EVENT_*`` number of an EVENT;
    ``exit_code`` is set for EXITED; ``status`` keeps the raw number.
    """

    tid: int
    kind: StopKind
    signal: int = 0
    event: int = 0
    exit_code: int | None = None
    core_dumped: bool = False
    status: int = 0

    @property
    def ended(self) -> bool:
        """True when the thread no longer exists."""
        return self.kind in (StopKind.EXITED, StopKind.KILLED)


def decode_trace_status(tid: int, status: int) -> TraceStop:
    """Decode a ``waitpid`` status of a traced thread (see the module docstring)."""
    if os.WIFEXITED(status):
        return TraceStop(tid, StopKind.EXITED, exit_code=os.WEXITSTATUS(status), status=status)
    if os.WIFSIGNALED(status):
        return TraceStop(
            tid,
            StopKind.KILLED,
            signal=os.WTERMSIG(status),
            core_dumped=os.WCOREDUMP(status),
            status=status,
        )
    stop_signal = os.WSTOPSIG(status)
    event = (status >> 16) & 0xFF
    if event == 0:
        return TraceStop(tid, StopKind.SIGNAL, signal=stop_signal, status=status)
    if event == PTRACE_EVENT_STOP:
        if stop_signal in _STOPPING:
            return TraceStop(tid, StopKind.GROUP_STOP, signal=stop_signal, status=status)
        return TraceStop(tid, StopKind.INTERRUPT, status=status)
    return TraceStop(tid, StopKind.EVENT, event=event, status=status)
