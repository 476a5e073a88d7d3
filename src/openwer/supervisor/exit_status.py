"""How a supervised process ended, and ending ``openwer run`` the same way.

:func:`decode_wait_status` turns the status of *our own* ``os.waitpid`` into a :class:`ChildExit`
(never ``Popen.returncode``, which a second reaper turns into 0). :func:`mirror_exit` makes this
process end as the child did: exit code N gives exit code N; death by signal S gives death by S
(the default action restored, the core-file limit set to 0 first so that mirroring SIGSEGV or
SIGABRT never writes a core of the supervisor), so a shell sees ``$?`` = 128+S exactly as for
the program itself.

Fatal signals (:data:`FATAL_SIGNALS`) are the ones WER would call a crash: SIGSEGV, SIGBUS,
SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGTRAP. Death by another signal (SIGTERM, SIGKILL, SIGINT…)
is being stopped, not crashing.

Pure data and functions except :func:`mirror_exit`, which must be called from the main thread.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import time
from dataclasses import dataclass
from typing import NoReturn

__all__ = ["FATAL_SIGNALS", "ChildExit", "decode_wait_status", "mirror_exit", "signal_name"]

FATAL_SIGNALS = frozenset(
    {
        signal.SIGSEGV,
        signal.SIGBUS,
        signal.SIGILL,
        signal.SIGFPE,
        signal.SIGABRT,
        signal.SIGSYS,
        signal.SIGTRAP,
    }
)
_UNCATCHABLE = frozenset({signal.SIGKILL, signal.SIGSTOP})
# Default action "ignore", "stop" or "continue": raising one would not end this process.
_CANNOT_KILL = frozenset(
    {
        signal.SIGCHLD,
        signal.SIGURG,
        signal.SIGWINCH,
        signal.SIGCONT,
        signal.SIGSTOP,
        signal.SIGTSTP,
        signal.SIGTTIN,
        signal.SIGTTOU,
    }
)


@dataclass(frozen=True, slots=True)
class ChildExit:
    """The end of one process: an exit code, or the signal that killed it (never both)."""

    pid: int
    exit_code: int | None = None
    signal: int | None = None
    core_dumped: bool = False

    @property
    def fatal_signal(self) -> bool:
        """True when a crash signal (SIGSEGV, SIGABRT…) killed the process."""
        return self.signal is not None and self.signal in FATAL_SIGNALS

    @property
    def shell_status(self) -> int:
        """What a shell shows as ``$?``: the exit code, or 128 + the signal number."""
        if self.signal is not None:
            return 128 + self.signal
        return self.exit_code or 0

    def describe(self) -> str:
        """``exited with status 3`` or ``killed by SIGSEGV (core dumped)``."""
        if self.signal is None:
            return f"exited with status {self.exit_code}"
        core = " (core dumped)" if self.core_dumped else ""
        return f"killed by {signal_name(self.signal)}{core}"


def decode_wait_status(pid: int, status: int) -> ChildExit:
    """Turn a ``waitpid`` status of a terminated process into a :class:`ChildExit`.

    Raises:
        ValueError: the status is a stop or continue notification, not an end.
    """
    if os.WIFSIGNALED(status):
        return ChildExit(pid, signal=os.WTERMSIG(status), core_dumped=os.WCOREDUMP(status))
    if os.WIFEXITED(status):
        return ChildExit(pid, exit_code=os.WEXITSTATUS(status))
    raise ValueError(f"wait status {status:#x} of pid {pid} is not a termination")


def signal_name(number: int) -> str:
    """``SIGSEGV`` for 11; ``signal 77`` for a number without a name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def mirror_exit(child: ChildExit) -> NoReturn:
    """End this process as ``child`` ended; does not return.

    Standard streams are flushed first. For a signal that cannot kill (one whose default action
    is to ignore or to stop, such as SIGCHLD) the process exits with 128 + the signal number.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    if child.signal is None:
        sys.exit(child.exit_code or 0)
    number = child.signal
    if number in _CANNOT_KILL:
        sys.exit(128 + number)
    _no_core_files()
    if number not in _UNCATCHABLE:
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
    os.kill(os.getpid(), number)
    time.sleep(1.0)  # a signal sent to oneself is delivered before kill() returns; be sure
    os._exit(128 + number)


def _no_core_files() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
