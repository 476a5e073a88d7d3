"""``openwer run``: supervise a program, report its crashes, restart it as WER would.

:func:`supervise` starts the program without a shell (:mod:`~openwer.supervisor.launch`),
forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it and reaps it with its own
``waitpid`` (:mod:`~openwer.supervisor.signals`), files an APPCRASH report when it dies of a
fatal signal that its own crash path did not report (:mod:`~openwer.supervisor.crash_report`),
and restarts it when it registered for restart, ran at least 60 seconds and ``--restart`` allows
it (:mod:`~openwer.supervisor.restart_policy`). :func:`mirror_exit` then ends ``openwer run`` the
way the program ended: the same exit code, or death by the same signal.

The program learns about its supervisor through ``OPENWER_SUPERVISOR_DIR``, a private folder
where it leaves its restart registration and its "crash already reported" marker
(:mod:`~openwer.supervisor.channel`, written by :mod:`openwer.capture.restart`).

With ``native=True`` (what ``openwer run`` does unless ``--no-trace``) the program is started
traced (:mod:`~openwer.supervisor.traced_run`, :mod:`openwer.native`): a fatal signal is
captured as a minidump before it is delivered, and the APPCRASH report carries it. A traced
program cannot be traced by a debugger at the same time (one tracer per process); docs/native.md
shows how to hand a stopped program over to lldb or gdb, and ``--no-trace`` runs it untraced.
"""

from __future__ import annotations

from openwer.supervisor.channel import CrashMarker, RestartRequest, SupervisorChannel
from openwer.supervisor.exit_status import FATAL_SIGNALS, ChildExit, mirror_exit
from openwer.supervisor.launch import LaunchError
from openwer.supervisor.restart_policy import (
    DEFAULT_MAX_RESTARTS,
    DEFAULT_MIN_UPTIME_S,
    RestartDecision,
    RestartPolicy,
)
from openwer.supervisor.supervise import ReportOrigin, RunRecord, SupervisionResult, supervise

__all__ = [
    "DEFAULT_MAX_RESTARTS",
    "DEFAULT_MIN_UPTIME_S",
    "FATAL_SIGNALS",
    "ChildExit",
    "CrashMarker",
    "LaunchError",
    "ReportOrigin",
    "RestartDecision",
    "RestartPolicy",
    "RestartRequest",
    "RunRecord",
    "SupervisionResult",
    "SupervisorChannel",
    "mirror_exit",
    "supervise",
]
