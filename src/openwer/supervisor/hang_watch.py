"""The hang watch of ``openwer run``: detect, capture without killing, report, then act.

Lifecycle: one :class:`HangWatch` per run of the program. The loop that waits for the program
(the tracer's rounds, or the untraced ``waitpid`` loop) calls :meth:`HangWatch.tick` every
round; the watch samples the main thread every fifth of the threshold
(:mod:`~openwer.supervisor.hang_detector`). When a hang episode starts it

1. walks the main thread's wait chain (:func:`openwer.waitchain.walk_wait_chain`) while the
   thread is still blocked in its call (a stopped thread shows no call to follow);
2. takes a minidump of every thread with ``snapshot(pid)``: traced runs stop the threads with
   ``PTRACE_INTERRUPT`` and let every stop go on as before (the tracer's
   :meth:`~openwer.native.tracer.ProcessTracer.snapshot_running`, with py-spy
   ``--nonblocking`` when it is installed, toolchain-notes §3); untraced runs seize the
   program for the few milliseconds of the dump (:func:`~openwer.native.live_snapshot.
   snapshot_process`) and go without a dump when another tracer holds it;
3. files one ``AppHangB1``/``AppHangXProcB1`` report (:mod:`~openwer.native.apphang`);
4. does what :class:`HangAction` says: leave the program running, or SIGKILL it (``kill``, and
   ``restart``: the supervisor then restarts it through its restart policy unless it
   registered with ``RESTART_NO_HANG``).

When a program left running makes progress again the report gets ``HangDurationMs``.

Failure contract: :meth:`HangWatch.tick` never raises; failures are logged on the ``openwer``
logger and the program is left alone. Not thread-safe: call from the supervisor's thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from openwer.errors import OpenwerError
from openwer.formats.wait_chain import WaitChain
from openwer.native.appcrash import CrashedApplication
from openwer.native.apphang import SupervisedHang, file_supervised_hang
from openwer.native.collector import Capture
from openwer.native.python_stacks import PythonStacks
from openwer.report import ReportContext
from openwer.report.filed_hang import FiledHang, note_hang_end
from openwer.settings import Settings
from openwer.supervisor.hang_detector import (
    HangDetector,
    HangVerdict,
    MainThreadSample,
    sample_main_thread,
)
from openwer.waitchain import walk_wait_chain

__all__ = ["DEFAULT_HANG_THRESHOLD_S", "HangAction", "HangSetup", "HangWatch", "hang_setup"]

log = logging.getLogger("openwer")

DEFAULT_HANG_THRESHOLD_S = 5.0
_MIN_INTERVAL_S = 0.05

Snapshot = Callable[[int], tuple[Capture, PythonStacks | None] | None]


class HangAction(Enum):
    """What ``openwer run`` does with a program it reported hung (``Hang.SupervisedAction``)."""

    LEAVE = "leave"
    KILL = "kill"
    RESTART = "restart"


_ACTION_BY_NUMBER = {0: HangAction.LEAVE, 1: HangAction.KILL, 2: HangAction.RESTART}


@dataclass(frozen=True, slots=True)
class HangSetup:
    """Whether to watch (``Hang.Disabled``, ``Hang.IgnoreMainThread``), threshold, action."""

    enabled: bool = True
    threshold_s: float = DEFAULT_HANG_THRESHOLD_S
    action: HangAction = HangAction.LEAVE


def hang_setup(settings: Settings | None, action: HangAction | None = None) -> HangSetup:
    """The watch's setup from ``settings`` (defaults when None); ``action`` overrides theirs."""

    def number(name: str, default: int) -> int:
        entry = settings.entry(name) if settings is not None else None
        return int(entry.value) if entry is not None else default

    try:
        enabled = not number("Hang.Disabled", 0) and not number("Hang.IgnoreMainThread", 0)
        threshold = number("Hang.ThresholdMs", round(DEFAULT_HANG_THRESHOLD_S * 1000)) / 1000
        chosen = action or _ACTION_BY_NUMBER.get(number("Hang.SupervisedAction", 0))
    except (OpenwerError, ValueError):
        log.warning("openwer: hang settings unreadable; using the defaults")
        return HangSetup(True, DEFAULT_HANG_THRESHOLD_S, action or HangAction.LEAVE)
    enabled = enabled and not (settings is not None and settings.disabled)
    return HangSetup(enabled, threshold, chosen or HangAction.LEAVE)


class HangWatch:
    """Watches one run of the program for hangs (see the module docstring)."""

    def __init__(
        self,
        pid: int,
        argv: Sequence[str],
        setup: HangSetup,
        *,
        context: ReportContext | None,
        snapshot: Snapshot | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Watch ``pid`` (started from ``argv``); ``snapshot`` takes its minidump."""
        self.pid = pid
        self.argv = tuple(argv)
        self.setup = setup
        self.reports: list[FiledHang] = []
        self.killed = False  # SIGKILLed after a hang (kill or restart)
        self._context = context
        self._snapshot = snapshot
        self._clock = clock
        self._detector = HangDetector(setup.threshold_s)
        self._interval = max(setup.threshold_s / 5, _MIN_INTERVAL_S)
        self._next = clock()
        self._filed: FiledHang | None = None

    @property
    def hung(self) -> bool:
        """At least one hang was reported during this run."""
        return bool(self.reports)

    def tick(self) -> None:
        """Sample when due; report and act on a new hang (never raises)."""
        if not self.setup.enabled or self.killed:
            return
        now = self._clock()
        if now < self._next:
            return
        self._next = now + self._interval
        try:
            sample = sample_main_thread(self.pid)
            since = self._detector.hung_since
            verdict = self._detector.observe(sample, now)
            if verdict is HangVerdict.HUNG and sample is not None:
                self._hung(sample, now)
            elif verdict is HangVerdict.RECOVERED and self._filed is not None:
                note_hang_end(self._filed, now - (since or now), context=self._context)
                self._filed = None
        except Exception:
            log.exception("openwer: watching pid %d for hangs failed", self.pid)

    def _hung(self, sample: MainThreadSample, now: float) -> None:
        started = self._detector.hung_since or now
        problems: list[str] = []
        chains: tuple[WaitChain, ...] = ()
        try:
            chains = (walk_wait_chain(self.pid, self.pid),)
        except OpenwerError as exc:
            problems.append(f"wait chain: {exc}")
        capture, stacks = None, None
        if self._snapshot is not None:
            try:
                taken = self._snapshot(self.pid)
                if taken is not None:
                    capture, stacks = taken
            except OpenwerError as exc:
                problems.append(f"minidump: {exc}")
        self._detector.rebase()  # our interrupt woke the thread: judge from the next sample
        hang = SupervisedHang(
            _application(self.argv, self.pid),
            self.pid,
            now - started,
            sample.state,
            sample.syscall,
            sample.wchan,
            capture,
            chains,
            stacks,
            self.argv,
            tuple(problems),
        )
        filed = file_supervised_hang(hang, context=self._context)
        if filed is not None:
            self.reports.append(filed)
            self._filed = filed
        log.warning(
            "openwer: pid %d stopped responding (%s for %.1f s); %s",
            self.pid,
            sample.syscall or "blocked",
            now - started,
            f"reported as {filed.key}" if filed else "no report stored",
        )
        if self.setup.action is not HangAction.LEAVE:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.killed = True


def _application(argv: Sequence[str], pid: int) -> CrashedApplication:
    path = ""
    with contextlib.suppress(OSError):
        path = os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    program = argv[0] if argv else ""
    name = os.path.basename(program.rstrip("/")) or os.path.basename(path) or "unknown"
    return CrashedApplication(name, path or os.path.abspath(program) if program else path)
