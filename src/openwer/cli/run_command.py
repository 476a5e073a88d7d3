"""``openwer run [--restart] [--max-restarts N] [--no-trace] [--on-hang ACTION] -- COMMAND…``.

Thin: parse the options, call :func:`openwer.supervisor.supervise` (tracing the program for
native crash capture unless ``--no-trace``), print one line on stderr per
crash and per restart, then end the way the program ended (:func:`openwer.supervisor.mirror_exit`:
the same exit code, or death by the same signal). A program that cannot be started exits 127
(not found) or 126 (not runnable), as a shell, ``env`` or ``timeout`` would, so that these
cannot be mistaken for the program's own exit status 1.

The hidden ``--min-uptime SECONDS`` (or ``OPENWER_RESTART_MIN_UPTIME``) replaces WER's 60-second
rule, for tests.
"""

from __future__ import annotations

import os
import shlex

import click

from openwer.supervisor import (
    DEFAULT_MAX_RESTARTS,
    DEFAULT_MIN_UPTIME_S,
    LaunchError,
    ReportOrigin,
    RestartDecision,
    RestartPolicy,
    RunRecord,
    mirror_exit,
    supervise,
)
from openwer.supervisor.hang_watch import HangAction
from openwer.types import SubmitResult

__all__ = ["run"]


@click.command(
    "run",
    context_settings={"allow_interspersed_args": False, "help_option_names": ["-h", "--help"]},
)
@click.option(
    "--restart",
    is_flag=True,
    help="Restart the program after a crash when it registered for restart "
    "(openwer.capture.restart.register_restart) and ran at least 60 seconds.",
)
@click.option(
    "--max-restarts",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_RESTARTS,
    show_default=True,
    help="Restart at most this many times.",
)
@click.option(
    "--no-trace",
    is_flag=True,
    help="Do not trace the program: no minidump of native crashes, but a debugger can attach.",
)
@click.option(
    "--on-hang",
    type=click.Choice([action.value for action in HangAction]),
    default=None,
    help="After reporting a hang: leave the program running, kill it, or kill and restart it "
    "(when it registered for restart without RESTART_NO_HANG). Default: Hang.SupervisedAction.",
)
@click.option(
    "--min-uptime",
    type=click.FloatRange(min=0),
    default=DEFAULT_MIN_UPTIME_S,
    envvar="OPENWER_RESTART_MIN_UPTIME",
    hidden=True,
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_context
def run(
    ctx: click.Context,
    restart: bool,
    max_restarts: int,
    no_trace: bool,
    on_hang: str | None,
    min_uptime: float,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND, report its crashes and restart it as WER would.

    A crash is death by SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS or SIGTRAP, or an
    unhandled Python exception reported by the program itself; each crash gives one report in
    the queue. Signals sent to openwer run are passed on to the program, and openwer run exits
    as the program did. Put -- before COMMAND when it has options of its own.

    The program is traced (ptrace) so that a native crash report carries a minidump; while it
    runs, a debugger cannot attach to it: use --no-trace for that.
    """
    policy = RestartPolicy(restart, max_restarts, min_uptime)
    try:
        result = supervise(
            command,
            policy,
            on_run_end=lambda record: _render(record, policy),
            native=not no_trace,
            on_hang=HangAction(on_hang) if on_hang else None,
        )
    except LaunchError as exc:
        click.echo(f"openwer: error: {exc}", err=True)
        ctx.exit(exc.exit_status)
    if result.restart_failure:
        click.echo(f"openwer: could not restart: {result.restart_failure}", err=True)
    mirror_exit(result.final_exit)


def _render(record: RunRecord, policy: RestartPolicy) -> None:
    name = os.path.basename(record.argv[0]) or record.argv[0]
    for key in record.hang_reports:
        click.echo(
            f"openwer: {name} (pid {record.exit.pid}) stopped responding; "
            f"an AppHangB1 report is queued ({key})",
            err=True,
        )
    if record.killed_after_hang:
        click.echo(f"openwer: {name} (pid {record.exit.pid}) was killed after a hang", err=True)
    if record.crashed:
        click.echo(
            f"openwer: {name} (pid {record.exit.pid}) crashed: {record.exit.describe()}; "
            f"{_report_text(record)}",
            err=True,
        )
    if record.restart is RestartDecision.RESTART and record.next_argv is not None:
        shown = shlex.join(record.next_argv).replace("\n", "\\n")  # one line per event
        click.echo(f"openwer: restarting: {shown}", err=True)
    elif reason := _no_restart_reason(record, policy):
        click.echo(f"openwer: not restarting {name}: {reason}", err=True)


def _report_text(record: RunRecord) -> str:
    if record.report is ReportOrigin.IN_PROCESS:
        return f"reported as {record.report_key}" if record.report_key else "reported by itself"
    if record.report is ReportOrigin.SUPERVISOR and record.submit_result is not None:
        if record.submit_result is SubmitResult.REPORT_QUEUED:
            return "an APPCRASH report is queued"
        return f"APPCRASH report: {record.submit_result.name.lower().replace('_', ' ')}"
    return "the crash report could not be filed (see the log)"


def _no_restart_reason(record: RunRecord, policy: RestartPolicy) -> str | None:
    reasons = {
        RestartDecision.STOP_REQUESTED: "openwer run was asked to stop",
        RestartDecision.NOT_REGISTERED: "it did not register for restart",
        RestartDecision.OPTED_OUT: "it registered with RESTART_NO_CRASH",
        RestartDecision.OPTED_OUT_OF_HANG: "it registered with RESTART_NO_HANG",
        RestartDecision.TOO_SOON: (
            f"it ran {record.uptime_s:.1f} s, less than {policy.min_uptime_s:g} s"
        ),
        RestartDecision.LIMIT_REACHED: (
            f"it was restarted {policy.max_restarts} time{'' if policy.max_restarts == 1 else 's'}"
            " already (--max-restarts)"
        ),
    }
    return reasons.get(record.restart)
