"""``openwer run`` with native crash capture: start the program traced, trace it, report.

:func:`start_traced` starts the program already traced (:mod:`openwer.native.traced_launch`);
when ptrace is not permitted here (Yama mode 3, a seccomp filter, a container without
``CAP_SYS_PTRACE`` and Yama 2, or a supervisor that is itself traced) it answers None and the
supervisor falls back to plain supervision, without minidumps, saying so once in the log.

:func:`trace_until_exit` runs :class:`~openwer.native.tracer.ProcessTracer` with the signal
forwarder as its wake-up, files an APPCRASH report with a minidump for each traced child that
dies of a fatal signal (a forked worker), and returns how the program itself ended.
:func:`file_traced_crash` files the program's own report (the supervisor decides whether one is
due: not when the program reported the crash itself).

While traced, the program cannot be traced by a debugger as well (one tracer per process):
``openwer run --no-trace`` runs it untraced, and docs/native.md shows how to hand a stopped
program over to lldb or gdb.

Failure contract: :class:`~openwer.supervisor.launch.LaunchError` when the program cannot be
executed (127 not found, 126 not runnable); report filing never raises. Call from the thread
that runs the supervisor (ptrace ties tracees to it).
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence

from openwer.errors import TraceError
from openwer.native.appcrash import (
    CrashedApplication,
    FiledNativeReport,
    NativeCrashReport,
    capture_plan,
    environment_allowed,
    file_native_report,
)
from openwer.native.dump_plan import DumpPlan
from openwer.native.python_stacks import PythonStacks, find_py_spy, py_spy_stacks
from openwer.native.traced_launch import ExecFailure, spawn_traced
from openwer.native.tracer import NativeCrash, ProcessTracer, TraceResult
from openwer.report import ReportContext
from openwer.supervisor.hang_watch import HangSetup, HangWatch
from openwer.supervisor.launch import COMMAND_NOT_FOUND, COMMAND_NOT_RUNNABLE, LaunchError
from openwer.supervisor.signals import SignalForwarder

__all__ = ["file_traced_crash", "start_traced", "trace_until_exit"]

log = logging.getLogger("openwer")
_warned = False


def start_traced(
    argv: Sequence[str], env: Mapping[str, str], *, sigmask: frozenset[int]
) -> int | None:
    """Start ``argv`` traced; None when tracing is not permitted here (logged once).

    Raises:
        LaunchError: the program cannot be executed.
    """
    global _warned
    try:
        return spawn_traced(argv, env, sigmask=sigmask)
    except ExecFailure as exc:
        status = COMMAND_NOT_FOUND if exc.errno == errno.ENOENT else COMMAND_NOT_RUNNABLE
        reason = "command not found" if exc.errno == errno.ENOENT else os.strerror(exc.errno)
        if exc.errno in (errno.EACCES, errno.EPERM):
            reason = "permission denied"
        raise LaunchError(f"{argv[0]}: {reason}", status) from exc
    except TraceError as exc:
        if not _warned:
            _warned = True
            log.warning("openwer: cannot trace the program (%s); no minidumps", exc)
        return None


def _context(context: ReportContext | None) -> ReportContext | None:
    if context is not None:
        return context
    try:
        return ReportContext.from_environment()
    except Exception:  # a broken settings file: reported (and logged) when a crash is filed
        return None


def _application(argv: Sequence[str], pid: int | None = None) -> CrashedApplication:
    program = argv[0] if argv else ""
    path = ""
    if pid is not None:
        try:
            path = os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
        except OSError:
            path = ""
    name = os.path.basename(program.rstrip("/")) or os.path.basename(path) or "unknown"
    if not path and program:
        path = os.path.abspath(program)
    return CrashedApplication(name, path)


def _stacks_probe() -> Callable[[int, int], PythonStacks | None] | None:
    py_spy = find_py_spy()
    if py_spy is None:
        return None

    def probe(pid: int, tid: int) -> PythonStacks | None:
        return py_spy_stacks(py_spy, pid, tid)

    return probe


def trace_until_exit(
    pid: int,
    argv: Sequence[str],
    signals: SignalForwarder,
    context: ReportContext | None,
    hangs: HangSetup | None = None,
    on_watch: Callable[[HangWatch], None] | None = None,
) -> TraceResult:
    """Trace ``pid`` until it ends; report crashes of its traced children on the way.

    With ``hangs`` enabled, a :class:`~openwer.supervisor.hang_watch.HangWatch` watches the
    program between the tracer's rounds and snapshots it through the tracer (handed to
    ``on_watch`` first, so the caller can read what it did).
    """
    ctx = _context(context)
    application = _application(argv)
    plan = capture_plan(ctx.settings, application.name) if ctx else DumpPlan.mini()
    started = time.monotonic()

    def child_crashed(crash: NativeCrash) -> None:
        command = _command_of(crash)
        report = NativeCrashReport(
            CrashedApplication(
                os.path.basename(command[0]) if command else application.name,
                crash.capture.main_module.path
                if crash.capture and crash.capture.main_module
                else application.path,
            ),
            crash.pid,
            crash.signal,
            crash.capture,
            command=command,
            python_stacks=crash.python_stacks,
            core_dumped=crash.core_dumped,
        )
        file_native_report(report, context=ctx)

    tracer = ProcessTracer(
        pid,
        plan=plan,
        include_environ=lambda: ctx is not None and environment_allowed(ctx.settings),
        on_child_crash=child_crashed,
        stacks_probe=_stacks_probe(),
    )
    watch = None
    if hangs is not None and hangs.enabled:
        watch = HangWatch(pid, argv, hangs, context=ctx, snapshot=tracer.snapshot_running)
        if on_watch is not None:
            on_watch(watch)
    result = tracer.run(
        lambda timeout: signals.pump(pid, timeout), watch.tick if watch is not None else None
    )
    log.debug("openwer: traced pid %d for %.3f s", pid, time.monotonic() - started)
    return result


def _command_of(crash: NativeCrash) -> tuple[str, ...]:
    if crash.capture is None or crash.capture.snapshot.linux.cmdline is None:
        return ()
    raw = crash.capture.snapshot.linux.cmdline
    return tuple(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)


def file_traced_crash(
    argv: Sequence[str],
    crash: NativeCrash,
    uptime_s: float,
    context: ReportContext | None,
) -> FiledNativeReport:
    """File the APPCRASH report (with its minidump) of the supervised program's crash."""
    main = crash.capture.main_module if crash.capture else None
    application = _application(argv)
    if main is not None:
        application = CrashedApplication(application.name, main.path, application.version)
    report = NativeCrashReport(
        application,
        crash.pid,
        crash.signal,
        crash.capture,
        command=tuple(argv),
        python_stacks=crash.python_stacks,
        core_dumped=crash.core_dumped,
        uptime_s=uptime_s,
    )
    if context is None:
        try:
            context = ReportContext.from_environment()
        except Exception:
            log.exception("openwer: could not file the crash report of pid %d", crash.pid)
            return FiledNativeReport(None)
    return file_native_report(report, context=context)
