"""The APPCRASH report ``openwer run`` files when its program dies of a fatal signal.

It is filed only when the program's own crash path did not report the crash (no
``<pid>.reported`` marker, see :mod:`openwer.supervisor.channel`), so one crash gives exactly one
report. It carries what a parent process knows, in WER's APPCRASH parameters (wer-spec.md §7)::

    P0 Application Name        base name of argv[0]
    P1 Application Version     0.0.0.0
    P2 Application Timestamp   00000000
    P3 Fault Module Name       unknown
    P4 Fault Module Version    0.0.0.0
    P5 Fault Module Timestamp  00000000
    P6 Exception Code          the signal number as 8 hex digits: SIGSEGV → 0000000b,
                               SIGABRT → 00000006 (Linux numbers, not NTSTATUS look-alikes:
                               a signal is not an exception code, and the numbers stay exact)
    P7 Exception Offset        0000000000000000

plus ``ProcessExit.json`` (pid, command line, signal, core dumped, uptime). This is the report of
an untraced run (``--no-trace``, or ptrace not permitted); a traced run's report is made by
:mod:`openwer.native.appcrash`, with the minidump and the real module facts.

The report is submitted with ``WerConsentNotAsked`` and ``WER_SUBMIT_QUEUE``: queued silently
(the supervisor never prompts), subject to the settings (``Disabled``, exclusions, consent 0).
Failure contract: :func:`file_crash_report` never raises; a report that cannot be filed (bad
settings file, unwritable store) is logged on the ``openwer`` logger and answered ``None``.
Thread-safe.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence

from openwer.report import Report, ReportContext, ReportInformation
from openwer.supervisor.exit_status import ChildExit, signal_name
from openwer.types import (
    APPCRASH_EVENT,
    APPCRASH_PARAMETER_NAMES,
    MAX_PATH,
    WER_MAX_APPLICATION_NAME_LENGTH,
    Consent,
    FileType,
    ReportType,
    SubmitFlags,
    SubmitResult,
)

__all__ = ["APPCRASH_PARAMETER_NAMES", "appcrash_parameters", "file_crash_report"]

log = logging.getLogger("openwer")


def appcrash_parameters(program: str, signal_number: int) -> tuple[str, ...]:
    """Return P0..P7 for ``program`` killed by ``signal_number`` (see module docstring)."""
    return (
        _application_name(program),
        "0.0.0.0",
        "00000000",
        "unknown",
        "0.0.0.0",
        "00000000",
        f"{signal_number & 0xFFFFFFFF:08x}",
        "0" * 16,
    )


def file_crash_report(
    argv: Sequence[str],
    child: ChildExit,
    uptime_s: float,
    *,
    context: ReportContext | None = None,
) -> SubmitResult | None:
    """Queue an APPCRASH report for ``child``, which ran ``argv`` and died of a signal.

    Returns the submission's result, or ``None`` when the report could not be filed (logged).
    """
    if child.signal is None or not argv:
        return None
    try:
        return _submit(argv, child, uptime_s, context)
    except Exception:
        log.exception("openwer: could not file the crash report of pid %d", child.pid)
        return None


def _submit(
    argv: Sequence[str], child: ChildExit, uptime_s: float, context: ReportContext | None
) -> SubmitResult:
    assert child.signal is not None
    name = _application_name(argv[0])
    information = ReportInformation(
        application_name=name,
        application_path=_application_path(argv[0], name),
        process_id=child.pid,
    )
    facts = {
        "pid": child.pid,
        "command": list(argv),
        "signal": child.signal,
        "signal_name": signal_name(child.signal),
        "core_dumped": child.core_dumped,
        "uptime_seconds": round(uptime_s, 3),
    }
    with Report(APPCRASH_EVENT, ReportType.APPLICATION_CRASH, information) as report:
        values = appcrash_parameters(argv[0], child.signal)
        for index, (parameter, value) in enumerate(
            zip(APPCRASH_PARAMETER_NAMES, values, strict=True)
        ):
            report.set_parameter(index, value, parameter)
        report.add_file_bytes(
            "ProcessExit.json", json.dumps(facts, indent=2).encode(), FileType.OTHER
        )
        return report.submit(
            Consent.NOT_ASKED,
            SubmitFlags.QUEUE,
            context=context or ReportContext.from_environment(),
        )


def _application_name(program: str) -> str:
    name = os.path.basename(program.rstrip("/")) or program or "unknown"
    return name[:WER_MAX_APPLICATION_NAME_LENGTH]


def _application_path(program: str, name: str) -> str:
    found = shutil.which(program) if os.sep not in program else program
    path = os.path.abspath(found or program)
    return path if len(path) <= MAX_PATH else name
