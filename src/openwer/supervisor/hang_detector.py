"""Is a supervised program hung? Samples of its main thread from ``/proc``, judged over time.

``openwer run`` cannot see a supervised program's message loop or its ``openwer.heartbeat()``
calls (those are honoured in process, by :mod:`openwer.capture.hang`); what it sees is the
kernel's view of the main thread. :func:`sample_main_thread` reads
``/proc/<pid>/task/<pid>/{status,syscall,wchan,stat}``; :class:`HangDetector` calls the program
**hung** when its main thread stayed blocked (state ``S`` or ``D``) in the *same* system call,
with the same arguments, with no context switch and no CPU time, for at least the threshold
(``Hang.ThresholdMs``). Busy threads (state ``R``, CPU time moving) and threads that keep
waking up or changing wait (a ``sleep`` loop, an event loop with timers) are not hung.

A parent waiting for its own child (``wait4``, ``waitid``) is never a hang: that is what a
wrapper script does for its whole life, and the child is the one to watch. Nor is an **idle**
wait, one for input from outside the program: ``accept``, an event loop's ``epoll_wait``/
``poll``/``select``, a read from a socket or a terminal, ``pause``, waiting for a signal, or a
sleep. A server waiting for its next client is not hung; a thread blocked on a lock, on a pipe
or FIFO, or on a file lock is (that is where deadlocks and stuck pipelines show). A stop (``T``,
``t``: Ctrl-Z, a debugger, our own snapshot) resets the clock.

One hang is one **episode**: :meth:`HangDetector.observe` answers ``HUNG`` once, then
``STILL_HUNG`` until the thread makes progress (``RECOVERED``, with the episode's duration).

Pure apart from :func:`sample_main_thread`, which never raises (None: the thread is gone or
cannot be read). Not thread-safe: one detector per supervised process, used by one thread.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from enum import Enum

from openwer.errors import OpenwerError
from openwer.platform.proc_task import (
    TaskSyscallState,
    read_task_status,
    read_task_syscall,
    read_wchan,
)

__all__ = ["HangDetector", "HangVerdict", "MainThreadSample", "idle_wait", "sample_main_thread"]

_BLOCKED_STATES = frozenset({"S", "D"})
_CHILD_WAITS = frozenset({"wait4", "waitid", "waitpid"})
# Waits for the outside world (clients, events, signals, time): never a hang on their own.
_IDLE_WAITS = frozenset(
    {
        "accept", "accept4", "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll",
        "select", "pselect6", "pause", "rt_sigsuspend", "rt_sigtimedwait", "nanosleep",
        "clock_nanosleep", "io_getevents", "io_uring_enter",
    }
)  # fmt: skip
# Reads that are idle when their descriptor is a socket or a terminal (fd is the first argument).
_FD_READS = frozenset({"read", "readv", "recvfrom", "recvmsg", "recvmmsg", "preadv", "preadv2"})


@dataclass(frozen=True, slots=True)
class MainThreadSample:
    """What the kernel says of the main thread at one moment.

    ``call`` is the system call number and its arguments (None: not inside a call);
    ``progress`` adds context switches and CPU ticks, so any change means the thread ran.
    """

    state: str
    call: tuple[int, ...] | None
    syscall: str
    wchan: str
    progress: int
    idle: bool = False

    @property
    def blocked(self) -> bool:
        """Waiting inside a system call, which is neither a wait for a child process nor an
        idle wait for the outside world (see the module docstring)."""
        return (
            self.state in _BLOCKED_STATES
            and self.call is not None
            and self.syscall not in _CHILD_WAITS
            and not self.idle
        )


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/task/{pid}/stat", "rb") as handle:
            raw = handle.read(4096)
    except OSError:
        return 0
    fields = raw[raw.rfind(b")") + 2 :].split()
    with contextlib.suppress(IndexError, ValueError):
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return 0


def sample_main_thread(pid: int) -> MainThreadSample | None:
    """Read the main thread of ``pid`` (see the module docstring); None when it cannot."""
    try:
        status = read_task_status(pid, pid)
        call = read_task_syscall(pid, pid)
    except OpenwerError:
        return None
    in_call = call.state is TaskSyscallState.IN_SYSCALL
    name = call.name if in_call else ""
    return MainThreadSample(
        state=status.state,
        call=(call.number, *call.args) if in_call else None,
        syscall=name,
        wchan=read_wchan(pid, pid),
        progress=status.context_switches + _cpu_ticks(pid),
        idle=in_call and _idle_wait(pid, name, call.args),
    )


def idle_wait(syscall: str, fd_target: str | None) -> bool:
    """Whether a wait in ``syscall`` is idle; ``fd_target`` is where a read's descriptor
    points (``socket:[…]``, ``/dev/pts/3``, ``pipe:[…]``), None when unknown."""
    if syscall in _IDLE_WAITS:
        return True
    if syscall in _FD_READS and fd_target is not None:
        return fd_target.startswith(("socket:", "/dev/pts/", "/dev/tty"))
    return False


def _idle_wait(pid: int, syscall: str, args: tuple[int, ...]) -> bool:
    target = None
    if syscall in _FD_READS and args:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{args[0]}")
    return idle_wait(syscall, target)


class HangVerdict(Enum):
    """What one more sample means."""

    RUNNING = "running"  # not hung (or not long enough yet)
    HUNG = "hung"  # a new episode starts: capture and report it now
    STILL_HUNG = "still-hung"  # the same episode goes on
    RECOVERED = "recovered"  # the episode ended: the thread made progress


class HangDetector:
    """Judges successive samples of one process's main thread (see the module docstring)."""

    def __init__(self, threshold_s: float) -> None:
        """Call a wait hung once it lasted ``threshold_s`` seconds."""
        self.threshold_s = threshold_s
        self._since: float | None = None  # when the current unchanged wait was first seen
        self._last: MainThreadSample | None = None
        self._episode_start: float | None = None

    @property
    def hung_since(self) -> float | None:
        """When the current episode's wait began (None: no episode)."""
        return self._episode_start

    def rebase(self) -> None:
        """Forget the last sample (after our own snapshot interrupted the thread)."""
        self._last = None

    def observe(self, sample: MainThreadSample | None, now: float) -> HangVerdict:
        """Judge ``sample`` taken at ``now`` (``time.monotonic()``)."""
        last, self._last = self._last, sample
        if self._episode_start is not None:
            if sample is None or last is None:
                return HangVerdict.STILL_HUNG if sample is not None else self._end()
            if _same_wait(last, sample):
                return HangVerdict.STILL_HUNG
            return self._end()
        if sample is None or not sample.blocked:
            self._since = None
            return HangVerdict.RUNNING
        if last is None or self._since is None or not _same_wait(last, sample):
            self._since = now
            return HangVerdict.RUNNING
        if now - self._since < self.threshold_s:
            return HangVerdict.RUNNING
        self._episode_start = self._since
        return HangVerdict.HUNG

    def _end(self) -> HangVerdict:
        self._episode_start = None
        self._since = None
        return HangVerdict.RECOVERED


def _same_wait(before: MainThreadSample, after: MainThreadSample) -> bool:
    return (
        after.blocked
        and before.call == after.call
        and before.wchan == after.wchan
        and before.progress == after.progress
    )
