"""Signal forwarding and reaping for ``openwer run``: one blocking loop, no handlers.

While a :class:`SignalForwarder` is entered, the forwarded signals (SIGINT, SIGTERM, SIGHUP,
SIGQUIT, SIGUSR1, SIGUSR2) and SIGCHLD are blocked in the calling thread and taken with
``sigtimedwait``, so no Python handler runs and no ``KeyboardInterrupt`` interrupts the
supervisor. :meth:`SignalForwarder.wait_for_exit` loops: reap the child with its own
``os.waitpid`` (the only exit status trusted), else wait up to 0.1 s for a signal and pass it on.

* A signal the supervisor was started with ignored (``nohup``, a background job's SIGINT) is not
  touched: the program inherits the ignore, as it would without the supervisor.
* A signal the *kernel* sent (``si_code`` ``SI_KERNEL``: Ctrl-C, Ctrl-\\ or a hang-up from the
  terminal) already reached the whole foreground process group, the program included when it
  shares our group, so it is not sent a second time.
* SIGINT, SIGTERM, SIGHUP and SIGQUIT set :attr:`SignalForwarder.stop_requested`: someone wants
  the program stopped, so it is not restarted afterwards.

Use it from the main thread of a single-threaded process (the ``openwer run`` command): other
threads would still receive the signals. Leaving the context takes any signal still pending (so it
cannot kill the supervisor later) and restores the signal mask.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from types import TracebackType

__all__ = ["FORWARDED_SIGNALS", "STOP_SIGNALS", "SignalForwarder"]

FORWARDED_SIGNALS = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT})

_SI_KERNEL = 0x80  # <asm-generic/siginfo.h>
_POLL_S = 0.1


class SignalForwarder:
    """Blocks, receives and forwards signals to the supervised process (see module docstring)."""

    def __init__(self) -> None:
        self.forwarded = frozenset(
            number for number in FORWARDED_SIGNALS if signal.getsignal(number) != signal.SIG_IGN
        )
        self._watched = self.forwarded | {signal.SIGCHLD}
        self._original_mask: frozenset[int] = frozenset()
        self.stop_requested = False

    @property
    def child_mask(self) -> frozenset[int]:
        """The signal mask a new process should start with: the one before we blocked ours."""
        return self._original_mask

    def __enter__(self) -> SignalForwarder:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, self._watched)
        self._original_mask = frozenset(int(number) for number in previous)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.drain()
        signal.pthread_sigmask(signal.SIG_SETMASK, self._original_mask)

    def wait_for_exit(self, pid: int, on_round: Callable[[], None] | None = None) -> int:
        """Forward signals to ``pid`` until it ends; return its ``waitpid`` status.

        ``on_round()`` is called every round (at least every 0.1 s): the hang watch.

        Raises:
            ChildProcessError: ``pid`` is not our child (or was reaped by someone else).
        """
        while True:
            reaped, status = os.waitpid(pid, os.WNOHANG)
            if reaped == pid:
                return status
            if on_round is not None:
                on_round()
            info = signal.sigtimedwait(self._watched, _POLL_S)
            if info is None or info.si_signo == signal.SIGCHLD:
                continue
            self._forward(pid, info)

    def pump(self, pid: int, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for one watched signal; forward it to ``pid`` unless SIGCHLD.

        The tracer of ``openwer run`` reaps its threads itself and calls this between rounds:
        SIGCHLD (a tracee stopped or ended) only wakes it up.
        """
        info = signal.sigtimedwait(self._watched, timeout_s)
        if info is not None and info.si_signo != signal.SIGCHLD:
            self._forward(pid, info)

    def drain(self) -> None:
        """Take every pending watched signal without forwarding it (noting stop requests)."""
        while (info := signal.sigtimedwait(self._watched, 0)) is not None:
            if info.si_signo in STOP_SIGNALS:
                self.stop_requested = True

    def _forward(self, pid: int, info: signal.struct_siginfo) -> None:
        number = info.si_signo
        if number in STOP_SIGNALS:
            self.stop_requested = True
        if info.si_code == _SI_KERNEL and _shares_our_group(pid):
            return  # the terminal sent it to the program too
        with contextlib.suppress(ProcessLookupError):  # it ended: the next waitpid reaps it
            os.kill(pid, number)


def _shares_our_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == os.getpgrp()
    except OSError:
        return False
