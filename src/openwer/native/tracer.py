"""The tracer loop of ``openwer run``: follow a program and its children, catch fatal signals.

:class:`ProcessTracer` owns every thread of a traced process tree and answers each stop as the
program would want it answered (man 2 ptrace, toolchain-notes §3 and §5):

* a signal about to be delivered (signal-delivery-stop) is passed on unchanged with
  ``PTRACE_CONT(sig)`` — after a snapshot when it is fatal (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
  SIGABRT, SIGSYS, SIGTRAP), so the program's own handlers (faulthandler included) still run and
  it dies, or survives, exactly as it would have;
* a group-stop (Ctrl-Z, SIGSTOP) is kept with ``PTRACE_LISTEN`` so job control still works;
* clone, fork, vfork and exec events and the interrupt stops of new tracees are resumed at once;
* a snapshot stops every other thread of that process first (``PTRACE_INTERRUPT``, then each
  one's stop), reads their registers, collects the :class:`~openwer.native.collector.Capture`,
  and then lets every stop go on as it would have.

One crash gives one report: a snapshot is kept per process and signal until the process ends.
A CPU fault (``si_code`` > 0) replaces an older snapshot of the same signal; a signal another
process or ``raise()`` sent is captured only if none is kept (so faulthandler's re-raise of
the same SIGSEGV does not replace the fault). When the process dies of signal S, the snapshot of
S, if any, is handed over — for the root process in :class:`TraceResult`, for a forked child to
``on_child_crash``. A process that survives its signal (it handled it) is not reported.

Every thread is waited for with its own ``waitpid(tid, __WALL | WNOHANG)``, never
``waitpid(-1)``: the supervisor may share its process with other children it must not reap.
When the root process has ended the remaining tracees (children that outlive it) are detached.

Failure contract: ptrace errors about a thread that vanished are expected and ignored; a
capture that fails is logged and the crash is reported without a dump. Call everything from the
thread that started the program.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from openwer.errors import TraceError
from openwer.formats.minidump_writer import CrashException
from openwer.native.collector import Capture, CapturedThread, collect_snapshot
from openwer.native.dump_plan import DumpPlan
from openwer.native.elf_identity import IdentityCache
from openwer.native.python_stacks import PythonStacks
from openwer.native.registers import read_context
from openwer.platform import ptrace
from openwer.platform.process_memory import ProcessMemory
from openwer.platform.procfs import read_proc_file
from openwer.platform.trace_stop import StopKind, TraceStop, decode_trace_status

__all__ = ["FATAL_SIGNALS", "NativeCrash", "ProcessTracer", "TraceResult"]

log = logging.getLogger("openwer")

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
_STOP_ALL_TIMEOUT_S = 1.0
_RELEASE_TIMEOUT_S = 0.5


@dataclass(frozen=True, slots=True)
class NativeCrash:
    """A process that died of a fatal signal, with the snapshot taken when it was raised.

    ``capture`` is None when the snapshot failed; ``signal_time`` is the ``time.monotonic()`` of
    the signal-delivery-stop (for the fault-to-report figure); ``status`` is the raw wait status;
    ``python_stacks`` is what the stacks probe found while the process was held.
    """

    pid: int
    signal: int
    core_dumped: bool
    capture: Capture | None
    signal_time: float
    status: int
    python_stacks: PythonStacks | None = None


@dataclass(frozen=True, slots=True)
class TraceResult:
    """How the root process ended (its raw wait status) and its crash, if it crashed."""

    status: int
    crash: NativeCrash | None


@dataclass
class _Pending:
    capture: Capture | None
    signal_time: float
    python_stacks: PythonStacks | None = None


@dataclass
class _Tracee:
    tid: int
    tgid: int


@dataclass
class _State:
    tracees: dict[int, _Tracee] = field(default_factory=dict)
    pending: dict[int, dict[int, _Pending]] = field(default_factory=dict)
    root_status: int | None = None
    root_crash: NativeCrash | None = None
    deferred: list[TraceStop] = field(default_factory=list)


class ProcessTracer:
    """Traces ``root`` (already seized with the follow options) until it ends."""

    def __init__(
        self,
        root: int,
        *,
        plan: DumpPlan | None = None,
        include_environ: Callable[[], bool] = lambda: False,
        on_child_crash: Callable[[NativeCrash], None] | None = None,
        identities: IdentityCache | None = None,
        stacks_probe: Callable[[int, int], PythonStacks | None] | None = None,
    ) -> None:
        """Prepare to trace ``root``.

        Args:
            root: The seized program (:func:`~openwer.native.traced_launch.spawn_traced`).
            plan: What memory snapshots take (default: mini).
            include_environ: Asked at each snapshot: may the environment go in?
            on_child_crash: Called when a traced child process (not the root) dies of a fatal
                signal, after it has been reaped; exceptions are logged.
            identities: Build ids read so far (shared across restarts).
            stacks_probe: ``(pid, crashed_tid)`` → Python stacks, run while a Python process
                is held in its fatal signal-delivery-stop (py-spy ``--nonblocking``).
        """
        self.root = root
        self.plan = plan or DumpPlan.mini()
        self._include_environ = include_environ
        self._on_child_crash = on_child_crash
        self._identities = identities or IdentityCache()
        self._stacks_probe = stacks_probe
        self._state = _State()
        self._state.tracees[root] = _Tracee(root, root)

    # -- the loop ---------------------------------------------------------------------------
    def run(
        self,
        wait_for_activity: Callable[[float], None],
        on_round: Callable[[], None] | None = None,
    ) -> TraceResult:
        """Answer every stop until the root process has ended; then detach the rest.

        ``wait_for_activity(timeout)`` blocks until SIGCHLD (or another signal the caller
        handles, such as one to forward) arrives or ``timeout`` passes. ``on_round()`` is
        called once per round (at least every 0.1 s), from this thread, so it may call
        :meth:`snapshot_running` (the hang watch of ``openwer run``); it must not raise.
        """
        state = self._state
        while state.root_status is None:
            if on_round is not None:
                on_round()
            if not self._drain() and state.root_status is None:
                wait_for_activity(0.1)
        self._release_all()
        return TraceResult(state.root_status, state.root_crash)

    def _drain(self) -> bool:
        progressed = False
        while self._state.deferred:
            progressed = True
            self._handle(self._state.deferred.pop(0))
        for tid in list(self._state.tracees):
            stop = self._poll(tid)
            if stop is not None:
                progressed = True
                self._handle(stop)
        return progressed

    def _poll(self, tid: int) -> TraceStop | None:
        try:
            found, status = os.waitpid(tid, os.WNOHANG | ptrace.WALL)
        except ChildProcessError:
            self._forget(tid)  # gone without a notification (a non-leader that exec'd)
            return None
        if found == 0:
            return None
        return decode_trace_status(tid, status)

    def _forget(self, tid: int) -> None:
        self._state.tracees.pop(tid, None)

    # -- answering one stop -----------------------------------------------------------------
    def _handle(self, stop: TraceStop) -> None:
        tid = stop.tid
        if stop.ended:
            self._ended(stop)
        elif stop.kind is StopKind.SIGNAL:
            if stop.signal in FATAL_SIGNALS:
                self._fatal_signal(stop)
            self._resume(tid, stop.signal)
        elif stop.kind is StopKind.GROUP_STOP:
            with contextlib.suppress(TraceError):
                ptrace.listen(tid)
        elif stop.kind is StopKind.EVENT:
            if stop.event in (
                ptrace.PTRACE_EVENT_CLONE,
                ptrace.PTRACE_EVENT_FORK,
                ptrace.PTRACE_EVENT_VFORK,
            ):
                with contextlib.suppress(TraceError):
                    self._adopt(ptrace.get_event_message(tid))
            self._resume(tid, 0)
        else:  # an interrupt stop, or a new tracee reporting in
            self._resume(tid, 0)

    def _resume(self, tid: int, signal_number: int) -> None:
        with contextlib.suppress(TraceError):  # it may have been killed meanwhile
            ptrace.cont(tid, signal_number)

    def _adopt(self, tid: int) -> None:
        if tid not in self._state.tracees:
            self._state.tracees[tid] = _Tracee(tid, _tgid_of(tid))

    def _ended(self, stop: TraceStop) -> None:
        state = self._state
        tracee = state.tracees.pop(stop.tid, None)
        if tracee is None or tracee.tid != tracee.tgid:
            return  # a thread, not a process
        pending = state.pending.pop(tracee.tgid, {})
        crash = None
        if stop.kind is StopKind.KILLED and stop.signal in FATAL_SIGNALS:
            kept = pending.get(stop.signal)
            crash = NativeCrash(
                tracee.tgid,
                stop.signal,
                stop.core_dumped,
                kept.capture if kept else None,
                kept.signal_time if kept else time.monotonic(),
                stop.status,
                kept.python_stacks if kept else None,
            )
        if tracee.tgid == self.root:
            state.root_status = stop.status
            state.root_crash = crash
        elif crash is not None and self._on_child_crash is not None:
            try:
                self._on_child_crash(crash)
            except Exception:
                log.exception("openwer: reporting the crash of pid %d failed", crash.pid)

    # -- snapshots --------------------------------------------------------------------------
    def _fatal_signal(self, stop: TraceStop) -> None:
        tracee = self._state.tracees.get(stop.tid)
        if tracee is None:
            return
        started = time.monotonic()
        try:
            info = ptrace.get_siginfo(stop.tid)
        except TraceError:
            return
        kept = self._state.pending.setdefault(tracee.tgid, {})
        if info.sent_by_process and stop.signal in kept:
            return  # a re-raise (faulthandler, abort after a handler): keep the first capture
        pending = _Pending(None, started)
        try:
            self._capture(tracee, stop.signal, info.code, info.address, pending)
        except Exception:
            log.exception("openwer: the snapshot of pid %d failed", tracee.tgid)
        kept[stop.signal] = pending

    def _capture(
        self, crashed: _Tracee, signal_number: int, code: int, address: int, into: _Pending
    ) -> None:
        held = self._stop_siblings(crashed)
        try:
            threads = [CapturedThread(crashed.tid, read_context(crashed.tid))]
            for stop in held:
                if not stop.ended:
                    with contextlib.suppress(TraceError):
                        threads.append(CapturedThread(stop.tid, read_context(stop.tid)))
            with ProcessMemory(crashed.tgid) as memory:
                into.capture = collect_snapshot(
                    crashed.tgid,
                    threads,
                    CrashException(crashed.tid, signal_number, code, address),
                    self.plan,
                    memory=memory,
                    identities=self._identities,
                    include_environ=self._include_environ(),
                )
            if self._stacks_probe is not None and _runs_python(into.capture):
                into.python_stacks = self._stacks_probe(crashed.tgid, crashed.tid)
        finally:
            self._let_go(held)

    def snapshot_running(self, tgid: int) -> tuple[Capture, PythonStacks | None] | None:
        """Snapshot traced process ``tgid`` while it runs (a hang): no exception stream.

        Every thread is interrupted, read and then let go exactly as its stop would have been
        answered, so the program goes on as before. None when ``tgid`` is not traced here.
        """
        if tgid not in self._state.tracees:
            return None
        held = self._stop_siblings(_Tracee(0, tgid))  # no thread is exempt: stop them all
        try:
            threads: list[CapturedThread] = []
            for stop in sorted(held, key=lambda stop: stop.tid != tgid):  # main thread first
                if not stop.ended:
                    with contextlib.suppress(TraceError):
                        threads.append(CapturedThread(stop.tid, read_context(stop.tid)))
            with ProcessMemory(tgid) as memory:
                capture = collect_snapshot(
                    tgid,
                    threads,
                    None,
                    self.plan,
                    memory=memory,
                    identities=self._identities,
                    include_environ=self._include_environ(),
                )
            stacks = None
            if self._stacks_probe is not None and _runs_python(capture):
                stacks = self._stacks_probe(tgid, tgid)
            return capture, stacks
        finally:
            self._let_go(held)

    def _let_go(self, held: list[TraceStop]) -> None:
        for stop in held:  # every held stop goes on as if it had just been reported
            if stop.kind is StopKind.SIGNAL and stop.signal in FATAL_SIGNALS:
                # Another thread's crash: snapshot it once this one is resumed, not
                # nested inside this snapshot (which still holds this thread stopped).
                self._state.deferred.append(stop)
            else:
                self._handle(stop)

    def _stop_siblings(self, crashed: _Tracee) -> list[TraceStop]:
        """Interrupt every other thread of the crashed process and collect their stops."""
        waiting: set[int] = set()
        for tracee in list(self._state.tracees.values()):
            if tracee.tgid == crashed.tgid and tracee.tid != crashed.tid:
                try:
                    ptrace.interrupt(tracee.tid)
                    waiting.add(tracee.tid)
                except TraceError:
                    continue
        held: list[TraceStop] = []
        deadline = time.monotonic() + _STOP_ALL_TIMEOUT_S
        while waiting and time.monotonic() < deadline:
            progressed = False
            for tid in list(waiting):
                stop = self._poll(tid)
                if stop is None:
                    continue
                progressed = True
                waiting.discard(tid)
                held.append(stop)
                if stop.kind is StopKind.EVENT and stop.event == ptrace.PTRACE_EVENT_CLONE:
                    with contextlib.suppress(TraceError):
                        child = ptrace.get_event_message(tid)
                        self._adopt(child)
                        seen = any(other.tid == child for other in held)
                        if self._state.tracees[child].tgid == crashed.tgid and not seen:
                            waiting.add(child)  # a new thread: it reports in stopped
            if not progressed:
                time.sleep(0.0002)
        if waiting:
            log.warning("openwer: %d thread(s) did not stop for the snapshot", len(waiting))
        return held

    # -- the end ----------------------------------------------------------------------------
    def _release_all(self) -> None:
        """Detach every tracee that outlived the root (children it left running)."""
        remaining = list(self._state.tracees)
        for tid in remaining:
            with contextlib.suppress(TraceError):
                ptrace.interrupt(tid)
        deadline = time.monotonic() + _RELEASE_TIMEOUT_S
        waiting = set(remaining)
        while waiting and time.monotonic() < deadline:
            for tid in list(waiting):
                stop = self._poll(tid)
                if stop is None:
                    continue
                waiting.discard(tid)
                if stop.ended:
                    continue
                deliver = stop.signal if stop.kind is StopKind.SIGNAL else 0
                with contextlib.suppress(TraceError):
                    ptrace.detach(tid, deliver)
            if waiting:
                time.sleep(0.001)
        self._state.tracees.clear()


def _runs_python(capture: Capture) -> bool:
    return any(
        os.path.basename(module.path).startswith(("python", "libpython"))
        for module in capture.snapshot.modules
    )


def _tgid_of(tid: int) -> int:
    raw = read_proc_file(tid, "status", 1 << 16) or b""
    for line in raw.splitlines():
        if line.startswith(b"Tgid:"):
            with contextlib.suppress(ValueError):
                return int(line.split()[1])
    return tid
