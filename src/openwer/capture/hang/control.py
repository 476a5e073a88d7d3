"""Hang detection switched on and off by ``openwer.install()`` / ``uninstall()``.

Two steps, so that ``install()`` stays cheap:

1. :func:`begin_lock_tracking`, in ``install()`` itself: ``threading.Lock``/``RLock`` and
   friends become tracked at once (a few attribute assignments), so locks the program creates
   right after ``install()`` have owners;
2. :func:`start_hang_detection`, on the background warm-up thread once the reporter is loaded:
   reads the ``Hang.*`` settings, then either undoes step 1 (``Hang.Disabled``,
   ``Hang.DisableLockTracking``) or starts the asyncio probes, ``concurrent.futures`` tracking
   and the watchdog thread.

:func:`hang_detection_after_fork` restarts the watchdog in a forked child (its thread does not
survive ``fork()``), with only the forking thread's waits and heartbeat.

Thread safety: the functions serialise on a module lock (a ``_thread`` lock: never tracked,
re-created in a forked child). Never raises.
"""

from __future__ import annotations

import _thread
import atexit
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from openwer.capture.hang.futures_tracking import track_futures, untrack_futures
from openwer.capture.hang.heartbeat import heartbeats_after_fork
from openwer.capture.hang.lock_tracking import install_lock_tracking, uninstall_lock_tracking
from openwer.capture.hang.loop_probe import (
    loop_probes_after_fork,
    start_loop_probes,
    stop_loop_probes,
    watch_loops,
)
from openwer.capture.hang.waits import clear_waits_after_fork

if TYPE_CHECKING:
    from openwer.capture.hang.watchdog import Watchdog
    from openwer.capture.reporter import CrashReporter

__all__ = [
    "begin_lock_tracking",
    "current_watchdog",
    "hang_detection_after_fork",
    "start_hang_detection",
    "stop_hang_detection",
]

log = logging.getLogger("openwer")

_lock = _thread.allocate_lock()
_watchdog: Watchdog | None = None
_stopped = False  # uninstall() came before the warm-up started the watchdog


def begin_lock_tracking() -> None:
    """Track locks created from now on and register the asyncio loops that start (the cheap
    part of ``install()``)."""
    global _stopped
    _stopped = False
    install_lock_tracking()
    try:
        watch_loops()
    except Exception:
        log.exception("openwer: could not watch asyncio loops")


def start_hang_detection(reporter: Callable[[], CrashReporter | None]) -> Watchdog | None:
    """Read the settings and start the watchdog (or undo the tracking when turned off)."""
    global _watchdog
    try:
        from openwer.capture.hang.hang_settings import HangSettings
        from openwer.capture.hang.watchdog import Watchdog

        settings = HangSettings.load()
        with _lock:
            if _stopped:
                return None
            if not settings.track_locks:
                uninstall_lock_tracking()
            if not settings.enabled:
                return None
            if _watchdog is not None and _watchdog.running:
                if _watchdog.threshold_s == settings.threshold_s:
                    return _watchdog
                _watchdog.stop()
            if settings.track_locks:
                track_futures()
            watchdog = Watchdog(
                settings.threshold_s, reporter, watch_main_thread=settings.watch_main_thread
            )
            start_loop_probes(watchdog.threshold_s / 4)
            watchdog.start()
            if _watchdog is None:
                atexit.register(_close_at_exit)
            _watchdog = watchdog
            return watchdog
    except Exception:
        log.exception("openwer: could not start hang detection")
        return None


def stop_hang_detection() -> None:
    """Stop the watchdog and the probes and put ``threading`` back as it was."""
    global _watchdog, _stopped
    with _lock:
        watchdog, _watchdog = _watchdog, None
        _stopped = True
    try:
        if watchdog is not None:
            watchdog.stop()
        stop_loop_probes()
        untrack_futures()
        uninstall_lock_tracking()
    except Exception:
        log.exception("openwer: could not stop hang detection")


def _close_at_exit() -> None:
    watchdog = _watchdog
    if watchdog is not None and watchdog.running:
        watchdog.close()


def current_watchdog() -> Watchdog | None:
    """The running watchdog, if any (for tests and diagnostics)."""
    return _watchdog


def hang_detection_after_fork() -> None:
    """In a forked child: forget the parent's waits, heartbeats and hangs; restart the thread."""
    global _lock
    _lock = _thread.allocate_lock()
    try:
        # Python 3.11 leaves the parent's native id on the forking thread's Thread object; the
        # samples (/proc/self/task/<id>) and chains need the child's.
        set_native_id = getattr(threading.current_thread(), "_set_native_id", None)
        if callable(set_native_id):
            set_native_id()
        clear_waits_after_fork()
        heartbeats_after_fork()
        loop_probes_after_fork()
        if _watchdog is not None:
            _watchdog.restart_after_fork()
    except Exception:
        log.exception("openwer: could not restart hang detection after fork")
