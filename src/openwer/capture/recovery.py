"""Application recovery (``RegisterApplicationRecoveryCallback``): a last chance to save work.

Lifecycle, with WER's rules (wer-spec.md §3)::

    register_recovery(callback, parameter, ping_interval_ms)       before any failure
        │  unhandled exception: the crash path queues the report, then calls
        ▼
    run_recovery_after_report()  ──► callback(parameter) on the daemon thread "openwer-recovery";
        │                             the registry refuses registrations meanwhile (in recovery)
        │   the callback calls recovery_in_progress() at least once per ping interval
        │   (it answers whether the user cancelled) and ends by returning or by calling
        │   recovery_finished(success), which must be its last call
        ▼
    RecoveryOutcome  ──► the crash path carries on and the process ends with the crash's status

* The ping interval is in milliseconds: 0 means the default 5000, more than 300000 (5 minutes)
  is refused; ``flags`` is reserved and must be 0.
* A callback that misses a ping is **abandoned**: :func:`run_recovery_after_report` stops
  waiting and returns ``ABANDONED``; the thread is left to run (Python cannot kill a thread) and
  dies with the process. A later ping from it answers "cancelled".
* Cancelling (WER's Cancel button) is Ctrl-C while the crash path waits, or
  :func:`cancel_recovery`: the next ping answers True and the callback has one more ping
  interval to end; the outcome is then ``CANCELLED``.
* :func:`recovery_finished` ends the recovery at once: on the recovery thread it unwinds the
  callback with a private ``BaseException`` (do not catch it); the process then ends through the
  crash path, so its exit status stays the crash's (1 for an unhandled Python exception, or the
  fatal signal) and never becomes the callback's.
* :func:`recovery_in_progress` outside a recovery raises :class:`NotInRecoveryError`, an
  :class:`~openwer.errors.InvalidStateError` whose ``hresult`` is ``E_FAIL``, what
  ``ApplicationRecoveryInProgress`` returns there. It may be called from any thread while a
  recovery runs (helper threads of the callback may ping too).
* A forked child starts unregistered, as a new process does on Windows.

Call :func:`run_recovery_after_report` only for failures that end the process (the main
thread's unhandled exception, a fatal signal), once per crash. It never raises.

Thread safety: every function may be called from any thread; one lock guards the registration
and the running recovery, a condition variable carries the pings.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, ClassVar

from openwer.errors import InvalidArgumentError, InvalidStateError
from openwer.types import HResult

if TYPE_CHECKING:
    from openwer.report.registry import Registry

__all__ = [
    "RECOVERY_DEFAULT_PING_INTERVAL",
    "RECOVERY_MAX_PING_INTERVAL",
    "NotInRecoveryError",
    "RecoveryCallback",
    "RecoveryOutcome",
    "RecoveryRegistration",
    "cancel_recovery",
    "recovery_finished",
    "recovery_in_progress",
    "recovery_registration",
    "register_recovery",
    "run_recovery_after_report",
    "unregister_recovery",
]

log = logging.getLogger("openwer")

RECOVERY_DEFAULT_PING_INTERVAL = 5000
"""Milliseconds (winbase.h)."""
RECOVERY_MAX_PING_INTERVAL = 5 * 60 * 1000
"""Milliseconds (winbase.h)."""

RecoveryCallback = Callable[[object], int | None]
"""``APPLICATION_RECOVERY_CALLBACK``: called with the registered parameter; its result is unused."""


class NotInRecoveryError(InvalidStateError):
    """:func:`recovery_in_progress` was called while no recovery runs (WER answers ``E_FAIL``)."""

    hresult: ClassVar[int] = HResult.E_FAIL


class RecoveryOutcome(Enum):
    """How a recovery ended."""

    NOT_REGISTERED = "not-registered"  # no callback registered: nothing ran
    FINISHED = "finished"  # the callback returned, or called recovery_finished(True)
    FAILED = "failed"  # recovery_finished(False), the callback raised, or it could not start
    CANCELLED = "cancelled"  # the user cancelled; the callback ended or ran out of time
    ABANDONED = "abandoned"  # the callback missed a ping: left running, no longer waited for
    TIMED_OUT = "timed-out"  # it kept pinging past run_recovery_after_report's timeout
    BUSY = "busy"  # a recovery is already running in this process


@dataclass(frozen=True, slots=True)
class RecoveryRegistration:
    """The registered callback, as ``GetApplicationRecoveryCallback`` returns it."""

    callback: RecoveryCallback
    parameter: object
    ping_interval_ms: int
    flags: int = 0


class _Ending(Enum):
    RETURNED = "returned"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RAISED = "raised"


class _RecoveryFinished(BaseException):
    """Unwinds the callback after :func:`recovery_finished`; a ``BaseException`` so that
    ``except Exception`` in the callback does not swallow it."""


class _Session:
    """One run of the callback: its ping deadline, cancel state and ending."""

    def __init__(self, registration: RecoveryRegistration) -> None:
        self.registration = registration
        self.condition = threading.Condition()
        self.interval_s = registration.ping_interval_ms / 1000
        self.ping_deadline = time.monotonic() + self.interval_s
        self.cancelled = False  # what a ping answers
        self.cancel_requested = False  # the user asked (Ctrl-C, cancel_recovery)
        self.ending: _Ending | None = None
        self.thread_ident: int | None = None

    def ping(self) -> bool:
        with self.condition:
            self.ping_deadline = time.monotonic() + self.interval_s
            return self.cancelled

    def cancel(self) -> None:
        with self.condition:
            self._cancel_locked()

    def _cancel_locked(self) -> None:
        self.cancelled = self.cancel_requested = True
        self.ping_deadline = min(self.ping_deadline, time.monotonic() + self.interval_s)
        self.condition.notify_all()

    def end(self, ending: _Ending) -> None:
        with self.condition:
            if self.ending is None:
                self.ending = ending
            self.condition.notify_all()

    def watch(self, timeout_s: float | None) -> RecoveryOutcome:
        overall = None if timeout_s is None else time.monotonic() + max(0.0, timeout_s)
        with self.condition:
            while self.ending is None:
                now = time.monotonic()
                if overall is not None and now >= overall:
                    self.cancelled = True  # a late ping learns that it should stop
                    return RecoveryOutcome.TIMED_OUT
                if now >= self.ping_deadline:
                    self.cancelled = True
                    if self.cancel_requested:
                        return RecoveryOutcome.CANCELLED
                    return RecoveryOutcome.ABANDONED
                limit = self.ping_deadline if overall is None else min(self.ping_deadline, overall)
                try:
                    self.condition.wait(limit - now)
                except KeyboardInterrupt:  # Ctrl-C while we wait: WER's Cancel button
                    self._cancel_locked()
            if self.cancel_requested:
                return RecoveryOutcome.CANCELLED
            if self.ending in (_Ending.RETURNED, _Ending.SUCCEEDED):
                return RecoveryOutcome.FINISHED
            return RecoveryOutcome.FAILED


_lock = threading.Lock()
_registration: RecoveryRegistration | None = None
_session: _Session | None = None


def register_recovery(
    callback: RecoveryCallback,
    parameter: object = None,
    ping_interval_ms: int = RECOVERY_DEFAULT_PING_INTERVAL,
    flags: int = 0,
) -> None:
    """Register (or replace) the recovery callback (``RegisterApplicationRecoveryCallback``).

    Raises:
        InvalidArgumentError: ``callback`` is not callable, the ping interval is negative or
            over 300000 ms, or ``flags`` is not 0.
    """
    if not callable(callback):
        raise InvalidArgumentError("the recovery callback must be callable")
    if isinstance(ping_interval_ms, bool) or not isinstance(ping_interval_ms, int):
        raise InvalidArgumentError("the ping interval is a whole number of milliseconds")
    if ping_interval_ms < 0 or ping_interval_ms > RECOVERY_MAX_PING_INTERVAL:
        raise InvalidArgumentError(
            f"the ping interval must be 0..{RECOVERY_MAX_PING_INTERVAL} ms, not {ping_interval_ms}"
        )
    if flags != 0:
        raise InvalidArgumentError("recovery flags are reserved and must be 0")
    interval = ping_interval_ms or RECOVERY_DEFAULT_PING_INTERVAL
    global _registration
    with _lock:
        _registration = RecoveryRegistration(callback, parameter, interval, 0)


def unregister_recovery() -> None:
    """Remove the callback (``UnregisterApplicationRecoveryCallback``); a running one goes on."""
    global _registration
    with _lock:
        _registration = None


def recovery_registration() -> RecoveryRegistration | None:
    """Return the registered callback, or ``None`` (WER's ``S_FALSE``) when there is none."""
    return _registration


def recovery_in_progress() -> bool:
    """Ping WER from the recovery callback (``ApplicationRecoveryInProgress``).

    Returns:
        True when the recovery was cancelled (or abandoned): the callback should end now.

    Raises:
        NotInRecoveryError: no recovery is running in this process (``E_FAIL``).
    """
    session = _session
    if session is None:
        raise NotInRecoveryError("recovery_in_progress() may only be called during a recovery")
    return session.ping()


def recovery_finished(success: bool) -> None:
    """End the recovery (``ApplicationRecoveryFinished``); it must be the callback's last call.

    On the recovery thread this does not return: the callback is unwound and the crash path goes
    on to end the process. From another thread it records the ending and returns. Outside a
    recovery it does nothing (the Win32 function returns nothing either).
    """
    session = _session
    if session is None:
        log.debug("openwer: recovery_finished() outside a recovery is ignored")
        return
    session.end(_Ending.SUCCEEDED if success else _Ending.FAILED)
    if threading.get_ident() == session.thread_ident:
        raise _RecoveryFinished


def cancel_recovery() -> bool:
    """Cancel the running recovery, as WER's Cancel button does; return whether one was running."""
    session = _session
    if session is None:
        return False
    session.cancel()
    return True


def run_recovery_after_report(
    timeout_s: float | None = None, *, registry: Registry | None = None
) -> RecoveryOutcome:
    """Run the registered callback and wait for it (the crash path calls this).

    Call it after the crash report is queued (and after
    :func:`openwer.capture.restart.mark_crash_reported`), on the thread that handles the crash.
    It waits while the callback pings, at most ``timeout_s`` seconds in all when given.
    Never raises: failures of openwer itself are logged on the ``openwer`` logger and give
    ``FAILED``.
    """
    global _session
    try:
        # Imported here: registering a callback at start-up must not load the report model.
        from openwer.report.registry import process_registry

        target = registry or process_registry()
        with _lock:
            registration = _registration
            if registration is None:
                return RecoveryOutcome.NOT_REGISTERED
            if _session is not None:
                return RecoveryOutcome.BUSY
            session = _Session(registration)
            _session = session
        target.set_in_recovery(True)
        thread = threading.Thread(
            target=_run_callback, args=(session, target), name="openwer-recovery", daemon=True
        )
        try:
            thread.start()
        except BaseException:
            _release(session, target)
            raise
        return session.watch(timeout_s)
    except Exception:
        log.exception("openwer: the recovery could not run")
        return RecoveryOutcome.FAILED


def _run_callback(session: _Session, registry: Registry) -> None:
    session.thread_ident = threading.get_ident()
    registration = session.registration
    ending = _Ending.RAISED
    try:
        registration.callback(registration.parameter)
        ending = _Ending.RETURNED
    except _RecoveryFinished:
        ending = session.ending or _Ending.SUCCEEDED
    except SystemExit:  # sys.exit() in the callback ends the callback, not the process
        ending = _Ending.RETURNED
    except BaseException:
        log.exception("openwer: the recovery callback raised")
    finally:
        session.end(ending)
        _release(session, registry)


def _release(session: _Session, registry: Registry) -> None:
    global _session
    with _lock:
        if _session is session:
            _session = None
            registry.set_in_recovery(False)


def _forget_after_fork() -> None:
    global _lock, _registration, _session
    _lock = threading.Lock()
    _registration = None
    _session = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
