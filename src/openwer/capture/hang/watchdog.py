"""The hang watchdog: a daemon thread that ticks the detector and files one report per hang.

Lifecycle: :meth:`Watchdog.start` starts the ``openwer-hang-watchdog`` thread; every tick (a
fifth of the threshold, between 10 ms and 1 s) it asks the
:class:`~openwer.capture.hang.hang_detector.HangDetector` what began and what ended, stores an
``AppHangB1`` report for each new hang (:mod:`~openwer.capture.hang.hang_report`) and, when a
reported hang ends, notes its duration in that report. :meth:`Watchdog.stop` ends the thread.
After ``fork()`` the thread does not exist in the child: :meth:`Watchdog.restart_after_fork`
starts a fresh one with no memory of the parent's hangs. :meth:`Watchdog.close` (at exit) stops
it and notes the end of the hangs that are over, such as a main thread that got unstuck just
before the program ended.

Limits: at most :data:`MAX_REPORTS` hang reports per process and :data:`MAX_PER_SIGNATURE` per
hang signature, so a program that hangs over and over cannot fill the queue.

The thread sleeps on a ``_thread`` lock (not a tracked primitive) and is excluded from every
sample and chain. Costs: a look at the main thread's stack and CPU time per tick (tens of
microseconds; benchmarks/bench_hang.py). Failure contract: everything is logged on the
``openwer`` logger and swallowed; a failing tick does not stop the watchdog. Thread-safe start
and stop.
"""

from __future__ import annotations

import _thread
import logging
import threading
from collections.abc import Callable

from openwer.capture.hang.hang_detector import Episode, HangDetector
from openwer.capture.hang.hang_event import HangEvent
from openwer.capture.hang.hang_report import file_hang_report
from openwer.capture.reporter import CrashReporter
from openwer.report.filed_hang import FiledHang, note_hang_end

__all__ = ["MAX_PER_SIGNATURE", "MAX_REPORTS", "WATCHDOG_THREAD_NAME", "Watchdog"]

log = logging.getLogger("openwer")

MAX_REPORTS = 20
MAX_PER_SIGNATURE = 3
WATCHDOG_THREAD_NAME = "openwer-hang-watchdog"


class Watchdog:
    """Runs a :class:`HangDetector` on its own thread; reports through ``reporter()``."""

    def __init__(
        self,
        threshold_s: float,
        reporter: Callable[[], CrashReporter | None],
        *,
        watch_main_thread: bool = True,
    ) -> None:
        self.threshold_s = threshold_s
        self._reporter = reporter
        self._watch_main_thread = watch_main_thread
        self._lock = _thread.allocate_lock()
        self._wake = _thread.allocate_lock()
        self._thread: threading.Thread | None = None
        self._reported = 0
        self._per_signature: dict[str, int] = {}
        self.detector = HangDetector(threshold_s, watch_main_thread=watch_main_thread)

    @property
    def running(self) -> bool:
        """Whether the watchdog thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        """Start the thread (no-op when running)."""
        with self._lock:
            if self.running:
                return
            if not self._wake.locked():
                self._wake.acquire()
            thread = threading.Thread(target=self._run, name=WATCHDOG_THREAD_NAME, daemon=True)
            self._thread = thread
            thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the thread and wait for it (at most ``timeout_s``)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if self._wake.locked():
                self._wake.release()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def close(self) -> None:
        """At exit: stop the thread (letting a report being written finish, at most 5 s), then
        note the end of hangs that are over by now."""
        self.stop(timeout_s=5.0)
        try:
            for episode in self.detector.finish():
                self._note_end(episode)
        except Exception:
            log.exception("openwer: finishing the hang watchdog failed")

    def restart_after_fork(self) -> None:
        """In a forked child: fresh locks and detector state, and a new thread."""
        self._lock = _thread.allocate_lock()
        self._wake = _thread.allocate_lock()
        self._thread = None
        self.detector.after_fork()
        self.start()

    def _run(self) -> None:
        self.detector.own_ident = threading.get_ident()
        tick = self.detector.tick_s
        while not self._wake.acquire(True, tick):
            try:
                self._tick()
            except Exception:
                log.exception("openwer: the hang watchdog's tick failed")
        self._wake.release()

    def _tick(self) -> None:
        result = self.detector.tick()
        for event, episode in result.began:
            episode.filed = self._file(event)
        for episode in result.ended:
            self._note_end(episode)

    def _file(self, event: HangEvent) -> FiledHang | None:
        if self._reported >= MAX_REPORTS:
            return None
        reporter = self._reporter()
        if reporter is None:
            return None
        filed = file_hang_report(event, reporter, allow=self._allow)
        if filed is not None:
            self._reported += 1
            log.info("openwer: %s hang reported as %s", event.source.value, filed.key)
        return filed

    def _allow(self, signature: str) -> bool:
        count = self._per_signature.get(signature, 0)
        if count >= MAX_PER_SIGNATURE:
            return False
        self._per_signature[signature] = count + 1
        return True

    def _note_end(self, episode: Episode) -> None:
        filed = episode.filed
        if isinstance(filed, FiledHang):
            duration = max(0.0, self.detector.clock() - episode.started)
            note_hang_end(filed, duration)
