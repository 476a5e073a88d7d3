"""The APPCRASH report of a native crash: WER's parameters, the minidump, the Python stacks.

Parameters (wer-spec.md §7, the same names and order as WER)::

    P0 Application Name        the program's name (argv[0]'s base name, or the Python
                               application's name under install(native=True))
    P1 Application Version     the application's version when known, else 0.0.0.0
    P2 Application Timestamp   the first 4 bytes of the main program's GNU build id as 8 hex
                               digits (ELF has no link time; the build id names the build the
                               way a PE timestamp does), else 00000000
    P3 Fault Module Name       base name of the module holding the crashing instruction, else
                               "unknown" (a jump to unmapped or anonymous memory)
    P4 Fault Module Version    from a ``.so.N.M`` name, else 0.0.0.0
    P5 Fault Module Timestamp  first 4 bytes of the fault module's build id, else 00000000
    P6 Exception Code          the signal number as 8 hex digits (0000000b SIGSEGV), as the
                               minidump's ExceptionCode and the untraced supervisor report say
    P7 Exception Offset        crashing instruction − fault module base, 16 hex digits

Files: ``minidump.mdmp`` (``WerFileTypeMinidump``: stacks, fault windows, modules — a mini dump
whatever ``LocalDumps`` asks for), ``python-stacks.txt``/``python-stacks.json`` when the process
ran Python, and ``ProcessExit.json`` (pid, command, signal, ``si_code``, fault address, capture
problems). With ``SubmitFlags.ADD_REGISTERED_DATA`` the context's registry adds the registered
files and metadata, as every WER crash report carries them. ``LocalDumps`` gets its own minidump
of the type it asks for (:mod:`~openwer.native.local_minidump`).

The environment stream goes into a dump only when consent allows all data
(:func:`environment_allowed`). Failure contract: :func:`file_native_report` never raises; a
report that cannot be filed is logged and answered with ``result=None``. Thread-safe.
"""

from __future__ import annotations

import json
import logging
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from openwer.formats.minidump_writer import ModuleRecord, write_minidump
from openwer.native.collector import Capture, mini_snapshot
from openwer.native.dump_plan import DumpPlan, plan_for_local_dumps
from openwer.native.elf_identity import version_from_name
from openwer.native.local_minidump import write_local_minidump
from openwer.native.python_stacks import PythonStacks, stacks_payload
from openwer.report import Report, ReportContext, ReportInformation
from openwer.report.consent import consent_from_settings
from openwer.settings import Settings
from openwer.types import (
    APPCRASH_EVENT,
    APPCRASH_PARAMETER_NAMES,
    MAX_PATH,
    WER_MAX_APPLICATION_NAME_LENGTH,
    Consent,
    ConsentLevel,
    FileType,
    ReportType,
    SubmitFlags,
    SubmitResult,
)

__all__ = [
    "APPCRASH_PARAMETER_NAMES",
    "MINIDUMP_FILE",
    "CrashedApplication",
    "FiledNativeReport",
    "NativeCrashReport",
    "appcrash_parameters",
    "capture_plan",
    "environment_allowed",
    "file_native_report",
    "render_python_stacks",
]

log = logging.getLogger("openwer")

MINIDUMP_FILE = "minidump.mdmp"
PYTHON_STACKS_TEXT = "python-stacks.txt"
PYTHON_STACKS_JSON = "python-stacks.json"
EXIT_FILE = "ProcessExit.json"
_NO_VERSION = "0.0.0.0"
_NO_TIMESTAMP = "00000000"


@dataclass(frozen=True, slots=True)
class CrashedApplication:
    """Who crashed: the name for P0 and ``LocalDumps``, its path, and its version if known."""

    name: str
    path: str
    version: str = _NO_VERSION


@dataclass(frozen=True, slots=True)
class NativeCrashReport:
    """Everything one native crash report is made from."""

    application: CrashedApplication
    pid: int
    signal: int
    capture: Capture | None
    command: tuple[str, ...] = ()
    python_stacks: PythonStacks | None = None
    core_dumped: bool = False
    uptime_s: float | None = None
    problems: tuple[str, ...] = field(default=())
    facts: tuple[tuple[str, object], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class FiledNativeReport:
    """What filing did: the submission's result (None: not filed), the store key, the dumps."""

    result: SubmitResult | None
    key: str | None = None
    dump_size: int = 0
    local_dump: Path | None = None


def _timestamp(module: ModuleRecord | None) -> str:
    if module is None or len(module.build_id) < 4:
        return _NO_TIMESTAMP
    return module.build_id[:4].hex()


def _version(module: ModuleRecord) -> str:
    numbers = version_from_name(module.path)
    return ".".join(str(part) for part in numbers) if numbers else _NO_VERSION


def appcrash_parameters(
    application: CrashedApplication, signal_number: int, capture: Capture | None
) -> tuple[str, ...]:
    """P0..P7 of a native crash (see the module docstring)."""
    fault = capture.fault_module if capture else None
    offset = 0
    if capture is not None and fault is not None and capture.snapshot.exception is not None:
        crashed = capture.snapshot.exception.thread_id
        for thread in capture.snapshot.threads:
            if thread.thread_id == crashed:
                offset = thread.context.instruction_pointer - fault.base
    return (
        application.name[:WER_MAX_APPLICATION_NAME_LENGTH] or "unknown",
        application.version,
        _timestamp(capture.main_module if capture else None),
        os.path.basename(fault.path)[:WER_MAX_APPLICATION_NAME_LENGTH] if fault else "unknown",
        _version(fault) if fault else _NO_VERSION,
        _timestamp(fault),
        f"{signal_number & 0xFFFFFFFF:08x}",
        f"{offset & (1 << 64) - 1:016x}",
    )


def environment_allowed(settings: Settings) -> bool:
    """True when consent for APPCRASH allows all data, so the environment may go in a dump."""
    consent = consent_from_settings(Consent.NOT_ASKED, settings, APPCRASH_EVENT)
    return consent.level >= ConsentLevel.ALL_DATA and not consent.must_ask


def capture_plan(settings: Settings, application: str) -> DumpPlan:
    """The plan to capture with: ``LocalDumps``' when configured (the report keeps a mini cut)."""
    local = settings.local_dumps_for(application)
    return plan_for_local_dumps(local) if local is not None else DumpPlan.mini()


def _exit_facts(crash: NativeCrashReport) -> dict[str, object]:
    try:
        name = signal.Signals(crash.signal).name
    except ValueError:
        name = f"signal {crash.signal}"
    facts: dict[str, object] = {
        "pid": crash.pid,
        "command": list(crash.command),
        "signal": crash.signal,
        "signal_name": name,
        "core_dumped": crash.core_dumped,
        "uptime_seconds": None if crash.uptime_s is None else round(crash.uptime_s, 3),
        "minidump": crash.capture is not None,
    }
    if crash.capture is not None and crash.capture.snapshot.exception is not None:
        exception = crash.capture.snapshot.exception
        facts.update(
            {
                "thread_id": exception.thread_id,
                "si_code": exception.code,
                "fault_address": f"{exception.address:#x}",
            }
        )
    problems = list(crash.problems) + list(crash.capture.problems if crash.capture else ())
    if problems:
        facts["capture_problems"] = problems
    facts.update(crash.facts)
    return facts


def _path(application: CrashedApplication) -> str:
    return application.path if len(application.path) <= MAX_PATH else application.name


def file_native_report(
    crash: NativeCrashReport,
    *,
    context: ReportContext | None = None,
    extra_files: Sequence[tuple[str, bytes]] = (),
) -> FiledNativeReport:
    """Write the dumps and queue the APPCRASH report (see the module docstring)."""
    try:
        return _file(crash, context or ReportContext.from_environment(), extra_files)
    except Exception:
        log.exception("openwer: could not file the native crash report of pid %d", crash.pid)
        return FiledNativeReport(None)


def _file(
    crash: NativeCrashReport, context: ReportContext, extra_files: Sequence[tuple[str, bytes]]
) -> FiledNativeReport:
    application = crash.application
    stacks_json = stacks_payload(crash.python_stacks) if crash.python_stacks else None
    dump = b""
    local_dump = None
    if crash.capture is not None:
        snapshot = mini_snapshot(crash.capture)
        dump = write_minidump(replace(snapshot, python_stacks=stacks_json))
        local = context.settings.local_dumps_for(application.name)
        if local is not None:
            full = replace(crash.capture.snapshot, python_stacks=stacks_json)
            local_bytes = write_minidump(full)
            local_dump = write_local_minidump(local_bytes, application.name, crash.pid, local)
    information = ReportInformation(
        friendly_event_name="Stopped working",
        application_name=application.name[:WER_MAX_APPLICATION_NAME_LENGTH],
        application_path=_path(application),
        process_id=crash.pid,
    )
    with Report(APPCRASH_EVENT, ReportType.APPLICATION_CRASH, information) as report:
        values = appcrash_parameters(application, crash.signal, crash.capture)
        for index, (name, value) in enumerate(zip(APPCRASH_PARAMETER_NAMES, values, strict=True)):
            report.set_parameter(index, value, name)
        if dump:
            report.add_file_bytes(MINIDUMP_FILE, dump, FileType.MINIDUMP)
        if crash.python_stacks is not None and stacks_json is not None:
            text = crash.python_stacks.text or render_python_stacks(crash.python_stacks)
            report.add_file_bytes(PYTHON_STACKS_TEXT, text.encode("utf-8", "replace"))
            report.add_file_bytes(PYTHON_STACKS_JSON, stacks_json)
        report.add_file_bytes(EXIT_FILE, json.dumps(_exit_facts(crash), indent=2).encode())
        for name, data in extra_files:
            report.add_file_bytes(name, data)
        result = report.submit(
            Consent.NOT_ASKED, SubmitFlags.QUEUE | SubmitFlags.ADD_REGISTERED_DATA, context=context
        )
        return FiledNativeReport(result, report.stored_key, len(dump), local_dump)


def render_python_stacks(stacks: PythonStacks) -> str:
    """faulthandler-like text of ``stacks`` (innermost frame first), for ``python-stacks.txt``."""
    lines: list[str] = []
    for thread in stacks.threads:
        label = "Current thread" if thread.current else "Thread"
        lines.append(f"{label} {thread.ident:#018x} (most recent call first):")
        lines.extend(
            f'  File "{frame.file}", line {frame.line if frame.line is not None else "???"}'
            f" in {frame.function}"
            for frame in thread.frames
        )
        lines.append("")
    return "\n".join(lines)
