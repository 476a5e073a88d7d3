"""The supervision loop of ``openwer run``: launch, wait, record, report, maybe restart.

Lifecycle of :func:`supervise`::

    channel folder + signals blocked
      └► launch ─► forward signals / waitpid ─► read the channel (restart registration,
           ▲        crash marker) ─► crash? ─► no marker and a fatal signal: file APPCRASH
           │                                 ─► RunRecord ─► restart decision
           └──────────── RESTART (new process, registered command line) ◄──┘
    otherwise: signals restored, channel removed, SupervisionResult returned

Traced runs (``native=True``) replace "launch, waitpid" with :mod:`openwer.native`'s tracer:
it answers every stop of the program and its children, snapshots a fatal signal before letting
it be delivered, and reports crashes of forked children on its own; the run's APPCRASH report
then carries the minidump.

Every run is watched for hangs (:mod:`~openwer.supervisor.hang_watch`, ``Hang.*`` settings):
a main thread blocked in the same wait past ``Hang.ThresholdMs`` gives one ``AppHangB1`` report
per episode, and then the program is left running, killed, or killed and restarted (``--on-hang``
or ``Hang.SupervisedAction``; a restart follows the restart policy and ``RESTART_NO_HANG``).

A run is a **crash** when the program died of a fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
SIGABRT, SIGSYS, SIGTRAP), or when its own crash path left a ``<pid>.reported`` marker and it did
not exit cleanly (an unhandled Python exception: the in-process hook reported it and the process
exits with status 1). One crash gives exactly one report: the supervisor files its own APPCRASH
report only for a fatal signal without a marker. Any other non-zero exit is the program's own
business: recorded, not reported, never restarted.

Failure contract: :class:`~openwer.supervisor.launch.LaunchError` when the program cannot be
started the first time. A restart that fails to start ends the supervision (``restart_failure``
says why; the exit mirrored is the crash's). Report filing never raises (see
:mod:`openwer.supervisor.crash_report`). Call from the main thread of a single-threaded process;
see :mod:`openwer.supervisor.signals`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum

from openwer.native.collector import Capture
from openwer.native.live_snapshot import snapshot_process
from openwer.native.python_stacks import PythonStacks
from openwer.native.tracer import NativeCrash
from openwer.report import ReportContext
from openwer.supervisor.channel import CrashMarker, SupervisorChannel
from openwer.supervisor.crash_report import file_crash_report
from openwer.supervisor.exit_status import ChildExit, decode_wait_status
from openwer.supervisor.hang_watch import HangAction, HangSetup, HangWatch, hang_setup
from openwer.supervisor.launch import LaunchError, spawn
from openwer.supervisor.restart_policy import RestartDecision, RestartPolicy, restart_command
from openwer.supervisor.signals import SignalForwarder
from openwer.supervisor.traced_run import file_traced_crash, start_traced, trace_until_exit
from openwer.types import SubmitResult

__all__ = ["ReportOrigin", "RunRecord", "SupervisionResult", "supervise"]


class ReportOrigin(Enum):
    """Who reported a run's crash."""

    NONE = "none"  # not a crash (nothing to report)
    IN_PROCESS = "in-process"  # the program's own crash path (it left a marker)
    SUPERVISOR = "supervisor"  # openwer run filed an APPCRASH report
    SUPERVISOR_FAILED = "supervisor-failed"  # openwer run tried and failed (logged)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of the program: how it ended, who reported it, and what came next."""

    argv: tuple[str, ...]
    exit: ChildExit
    uptime_s: float
    crashed: bool
    report: ReportOrigin
    restart: RestartDecision
    report_key: str | None = None  # the report's store key, when known
    submit_result: SubmitResult | None = None  # the supervisor's own report
    next_argv: tuple[str, ...] | None = None  # the restart's command line
    minidump_size: int = 0  # bytes of the supervisor report's minidump (0: none)
    fault_to_report_s: float | None = None  # fatal signal → report stored (traced runs)
    hang_reports: tuple[str, ...] = ()  # store keys of the AppHangB1 reports of this run
    killed_after_hang: bool = False  # openwer run killed it after a hang (--on-hang kill/restart)


@dataclass(frozen=True, slots=True)
class SupervisionResult:
    """Every run, in order; the last one's exit is the one to mirror."""

    runs: tuple[RunRecord, ...]
    restart_failure: str | None = None

    @property
    def final_exit(self) -> ChildExit:
        """How the last run ended."""
        return self.runs[-1].exit

    @property
    def restarts(self) -> int:
        """How many times the program was restarted."""
        return len(self.runs) - 1


def supervise(
    command: Sequence[str],
    policy: RestartPolicy | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    context: ReportContext | None = None,
    on_run_end: Callable[[RunRecord], None] | None = None,
    native: bool = False,
    on_hang: HangAction | None = None,
) -> SupervisionResult:
    """Run ``command`` under supervision until it ends for good (see module docstring).

    Args:
        command: The program and its arguments (no shell).
        policy: Restart policy; default: no restarts.
        environ: The program's environment (default ``os.environ``), plus the channel variable.
        context: Where a crash report goes (default: this machine's, honouring OPENWER_HOME).
        on_run_end: Called with each :class:`RunRecord` as soon as the run is over.
        native: Trace the program (ptrace) and capture native crashes with a minidump
            (``openwer run`` does unless ``--no-trace``); falls back to plain supervision
            when tracing is not permitted.
        on_hang: What to do with a program reported hung (default: ``Hang.SupervisedAction``).

    Raises:
        LaunchError: the program cannot be started.
    """
    rules = policy or RestartPolicy()
    original = tuple(command)
    argv = original
    runs: list[RunRecord] = []
    hangs = _hang_setup(context, on_hang)
    with SupervisorChannel.create() as channel, SignalForwarder() as signals:
        env = channel.environment(os.environ if environ is None else environ)
        while True:
            try:
                pid = start_traced(argv, env, sigmask=signals.child_mask) if native else None
                traced = pid is not None
                if pid is None:
                    pid = spawn(argv, env, sigmask=signals.child_mask)
            except LaunchError as exc:
                if not runs:
                    raise
                return SupervisionResult(tuple(runs), restart_failure=str(exc))
            started = time.monotonic()
            crash: NativeCrash | None = None
            watches: list[HangWatch] = []
            if traced:
                traced_result = trace_until_exit(
                    pid, argv, signals, context, hangs, on_watch=watches.append
                )
                status, crash = traced_result.status, traced_result.crash
            else:
                if hangs.enabled:
                    watches.append(
                        HangWatch(pid, argv, hangs, context=context, snapshot=_seize_snapshot)
                    )
                status = signals.wait_for_exit(pid, watches[0].tick if watches else None)
            child = decode_wait_status(pid, status)
            uptime = time.monotonic() - started
            record = _record_run(argv, child, uptime, channel, context, crash)
            killed_after_hang = any(watch.killed for watch in watches)
            record = replace(
                record,
                hang_reports=tuple(f.key for watch in watches for f in watch.reports),
                killed_after_hang=killed_after_hang,
            )
            signals.drain()
            request = channel.restart_request(pid)
            channel.forget(pid)
            restarting_hang = killed_after_hang and hangs.action is HangAction.RESTART
            decision = (rules if not restarting_hang else replace(rules, enabled=True)).decide(
                hung=restarting_hang,
                crashed=record.crashed,
                request=request,
                uptime_s=uptime,
                restarts_so_far=len(runs),
                stop_requested=signals.stop_requested,
            )
            next_argv = None
            if decision is RestartDecision.RESTART and request is not None:
                next_argv = restart_command(original, request)
            record = replace(record, restart=decision, next_argv=next_argv)
            runs.append(record)
            if on_run_end is not None:
                on_run_end(record)
            if next_argv is None:
                return SupervisionResult(tuple(runs))
            argv = next_argv


def _hang_setup(context: ReportContext | None, action: HangAction | None) -> HangSetup:
    try:
        settings = (context or ReportContext.from_environment()).settings
    except Exception:  # a broken settings file: reported when a report is filed
        settings = None
    return hang_setup(settings, action)


def _seize_snapshot(pid: int) -> tuple[Capture, PythonStacks | None]:
    # Untraced: seize for the few milliseconds of the dump (raises TraceError when another
    # tracer, a debugger, holds the program: the report then goes without a dump).
    return snapshot_process(pid), None


def _record_run(
    argv: tuple[str, ...],
    child: ChildExit,
    uptime: float,
    channel: SupervisorChannel,
    context: ReportContext | None,
    crash: NativeCrash | None = None,
) -> RunRecord:
    marker: CrashMarker | None = channel.crash_marker(child.pid)
    clean_exit = child.signal is None and child.exit_code == 0
    if marker is not None and not clean_exit:
        return RunRecord(
            argv,
            child,
            uptime,
            crashed=True,
            report=ReportOrigin.IN_PROCESS,
            restart=RestartDecision.NOT_ENABLED,
            report_key=marker.report_key,
        )
    if child.fatal_signal and crash is not None:
        filed = file_traced_crash(argv, crash, uptime, context)
        origin = ReportOrigin.SUPERVISOR if filed.result else ReportOrigin.SUPERVISOR_FAILED
        return RunRecord(
            argv,
            child,
            uptime,
            crashed=True,
            report=origin,
            restart=RestartDecision.NOT_ENABLED,
            report_key=filed.key,
            submit_result=filed.result,
            minidump_size=filed.dump_size,
            fault_to_report_s=time.monotonic() - crash.signal_time,
        )
    if child.fatal_signal:
        result = file_crash_report(argv, child, uptime, context=context)
        origin = ReportOrigin.SUPERVISOR if result is not None else ReportOrigin.SUPERVISOR_FAILED
        return RunRecord(
            argv,
            child,
            uptime,
            crashed=True,
            report=origin,
            restart=RestartDecision.NOT_ENABLED,
            submit_result=result,
        )
    return RunRecord(
        argv,
        child,
        uptime,
        crashed=False,
        report=ReportOrigin.NONE,
        restart=RestartDecision.NOT_ENABLED,
    )
