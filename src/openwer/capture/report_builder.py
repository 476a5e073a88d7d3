"""The fast path: an exception becomes a :class:`~openwer.report.Report`, ready to be stored.

:func:`build_exception_report` assembles, in memory and in about a millisecond for a typical
traceback (see benchmarks/bench_capture.py), everything docs/events.md lists for a Python
exception report: the signature P0–P8 with its names, ``DynamicSig[22]``/``[23]`` (the report
layer adds ``[1]`` OS version and ``[2]`` locale), ``WER_REPORT_INFORMATION`` (application name
and path, friendly event name, consent key = event type, the crashing process's id), the
process values (``AppSessionGuid``, ``ProcessUptimeMs``, ``CommandLine``, ``PythonExecutable``,
``ExceptionKind``, ``ThreadName``) and the attached files ``traceback.txt``, ``stack.json``,
``threads.json``, optionally ``locals.json`` and ``context.json``, and ``capture-problems.txt``
when something degraded. The slow path (loaded modules) is
:func:`~openwer.capture.loaded_modules.loaded_modules_details`.

Registered files and metadata (``WerRegisterFile``/``WerRegisterCustomMetadata``) are attached
by the submission when it is made with ``SubmitFlags.ADD_REGISTERED_DATA``, as WER attaches them
to every crash report; this module does not copy them.

Failure contract: never raises, whatever the exception (a ``__str__`` or ``__repr__`` that
raises, cyclic chains, no traceback, huge groups, 10,000 frames, deleted source files): each
part is built under :class:`~openwer.capture.problems.CaptureProblems`, which notes what failed
in ``capture-problems.txt`` and the ``CaptureProblems`` value. Thread safety: call it from any
thread, including the one that crashed; it takes no lock of its own (the report has its own).
"""

from __future__ import annotations

import json
import os
import platform
import threading
from collections.abc import Mapping
from enum import Enum

from openwer.capture.application import clean_text
from openwer.capture.config import CaptureConfig
from openwer.capture.distributions import distribution_named
from openwer.capture.exception_chain import stack_document
from openwer.capture.exception_text import render_traceback
from openwer.capture.local_variables import locals_document
from openwer.capture.problems import CaptureProblems
from openwer.capture.process_details import process_values
from openwer.capture.redaction import REDACTED, is_secret_name, redact_text
from openwer.capture.signature import (
    NON_FATAL_EVENT,
    UNHANDLED_EVENT,
    PythonSignature,
    python_signature,
    signature_entries,
)
from openwer.capture.source_layout import SourceLayout, current_layout
from openwer.capture.thread_stacks import thread_stacks_document
from openwer.report import Report, ReportInformation
from openwer.types import WER_MAX_APPLICATION_NAME_LENGTH, FileFlags, FileType, ReportType

__all__ = [
    "CONTEXT_FILE",
    "LOCALS_FILE",
    "MODULES_FILE",
    "PROBLEMS_FILE",
    "STACK_FILE",
    "THREADS_FILE",
    "TRACEBACK_FILE",
    "ExceptionKind",
    "build_exception_report",
    "prepare_capture",
]

TRACEBACK_FILE = "traceback.txt"
STACK_FILE = "stack.json"
THREADS_FILE = "threads.json"
LOCALS_FILE = "locals.json"
CONTEXT_FILE = "context.json"
PROBLEMS_FILE = "capture-problems.txt"
MODULES_FILE = "modules.json"  # written by the hooks from LoadedModules.json_bytes()

_MAX_CONTEXT_ITEMS = 50
_MAX_CONTEXT_VALUE = 4096


class ExceptionKind(Enum):
    """Where an exception was caught; decides the event type, report type and friendly name."""

    MAIN_THREAD = "main-thread"  # sys.excepthook: the process ends
    THREAD = "thread"  # threading.excepthook: the thread ends, the process goes on
    ASYNCIO = "asyncio"  # the event loop's exception handler: a task or callback failed
    UNRAISABLE = "unraisable"  # sys.unraisablehook: __del__, finalizers, callbacks
    HANDLED = "handled"  # openwer.report_exception(exc): the application caught it

    @property
    def event_type(self) -> str:
        """``PythonUnhandledException`` or ``PythonNonFatalException`` (docs/events.md)."""
        fatal_kinds = (ExceptionKind.MAIN_THREAD, ExceptionKind.THREAD, ExceptionKind.ASYNCIO)
        return UNHANDLED_EVENT if self in fatal_kinds else NON_FATAL_EVENT

    @property
    def report_type(self) -> ReportType:
        """``APPLICATION_CRASH`` for the main thread (the process ends), else ``NON_CRITICAL``."""
        if self is ExceptionKind.MAIN_THREAD:
            return ReportType.APPLICATION_CRASH
        return ReportType.NON_CRITICAL

    @property
    def friendly_event_name(self) -> str:
        """The ``FriendlyEventName`` shown to users."""
        return _FRIENDLY_NAMES[self]


_FRIENDLY_NAMES = {
    ExceptionKind.MAIN_THREAD: "Stopped working",
    ExceptionKind.THREAD: "A thread stopped working",
    ExceptionKind.ASYNCIO: "An asyncio task stopped working",
    ExceptionKind.UNRAISABLE: "Exception ignored",
    ExceptionKind.HANDLED: "Exception handled",
}


def prepare_capture(config: CaptureConfig) -> None:
    """Warm the caches the fast path uses (optional; call it at ``install()``).

    Builds the ``sys.path`` layout, lists the metadata folders along it and reads the process's
    start time, so the first crash does not pay for them (about a millisecond). Never raises.
    """
    try:
        layout = current_layout()
        distribution_named(config.app_name, layout)  # lists every sys.path folder once
        process_values()
        platform.python_version()
    except Exception:  # a cold cache is only slower
        return


def _json_bytes(document: object) -> bytes:
    # ASCII with escapes: a lone surrogate in a name must not make the file invalid UTF-8.
    return json.dumps(document, indent=1).encode("ascii")


def _information(kind: ExceptionKind, config: CaptureConfig) -> ReportInformation:
    return ReportInformation(
        consent_key=kind.event_type,
        friendly_event_name=kind.friendly_event_name,
        application_name=config.app_name[:WER_MAX_APPLICATION_NAME_LENGTH],
        application_path=config.app_path,
        process_id=os.getpid(),
    )


def _context_document(context: Mapping[str, str]) -> dict[str, object]:
    shown: dict[str, str] = {}
    for key, value in list(context.items())[:_MAX_CONTEXT_ITEMS]:
        name = str(key)
        text = value if isinstance(value, str) else str(value)
        shown[name] = REDACTED if is_secret_name(name) else redact_text(text)[:_MAX_CONTEXT_VALUE]
    return {"format": 1, "context": shown}


def _values(kind: ExceptionKind, thread: threading.Thread | None) -> dict[str, str]:
    values = process_values()
    values["ExceptionKind"] = kind.value
    if thread is not None:
        values["ThreadName"] = clean_text(thread.name)[:256]
    return values


def build_exception_report(
    exc: BaseException,
    kind: ExceptionKind,
    config: CaptureConfig,
    *,
    include_locals: bool,
    thread: threading.Thread | None = None,
    context: Mapping[str, str] | None = None,
) -> Report:
    """Return the report of ``exc`` (see the module docstring); never raises.

    ``include_locals`` adds ``locals.json`` (only when consent allows data beyond the
    parameters); ``thread`` is the thread that raised (default: the main thread for
    ``MAIN_THREAD``); ``context`` is attached as ``context.json`` (the asyncio handler's
    message, the unraisable hook's ``err_msg`` and object…), secret-looking keys redacted.
    """
    problems = CaptureProblems()
    layout = SourceLayout((), ())
    with problems.guard("layout"):
        layout = current_layout()
    signature = _signature(exc, config, layout, problems)
    report = _new_report(kind, config, problems)
    for index, (name, value) in enumerate(signature.parameters):
        with problems.guard(f"P{index}"):
            report.set_parameter(index, value, name)
    with problems.guard("dynamic signature"):
        report.set_dynamic_parameter(22, "Python Version", platform.python_version())
        report.set_dynamic_parameter(23, "Python Implementation", platform.python_implementation())
    with problems.guard("process values"):
        for key, value in _values(kind, thread).items():
            report.set_value(key, value)

    with problems.guard("traceback"):
        text, notes = render_traceback(exc)
        problems.extend("traceback", notes)
        report.add_file_bytes(TRACEBACK_FILE, text, FileType.OTHER)
    with problems.guard("stack"):
        stack, notes = stack_document(exc, config, layout, signature.faulting_frame)
        problems.extend("stack", notes)
        report.add_file_bytes(STACK_FILE, _json_bytes(stack), FileType.OTHER, _ANONYMOUS)
    with problems.guard("threads"):
        crashed = thread
        if crashed is None and kind is ExceptionKind.MAIN_THREAD:
            crashed = threading.main_thread()
        threads, notes = thread_stacks_document(config, layout, crashed=crashed)
        problems.extend("threads", notes)
        report.add_file_bytes(THREADS_FILE, _json_bytes(threads), FileType.OTHER, _ANONYMOUS)
    if include_locals:
        with problems.guard("locals"):
            _, entries = signature_entries(exc)
            local_vars, notes = locals_document(entries, config, layout)
            problems.extend("locals", notes)
            report.add_file_bytes(LOCALS_FILE, _json_bytes(local_vars), FileType.OTHER)
    if context:
        with problems.guard("context"):
            report.add_file_bytes(CONTEXT_FILE, _json_bytes(_context_document(context)))
    if problems:
        with problems.guard("problems"):
            report.set_value("CaptureProblems", clean_text(problems.summary()))
            report.add_file_bytes(PROBLEMS_FILE, problems.text().encode("utf-8", "replace"))
    return report


_ANONYMOUS = FileFlags.ANONYMOUS_DATA


def _signature(
    exc: BaseException, config: CaptureConfig, layout: SourceLayout, problems: CaptureProblems
) -> PythonSignature:
    signature = python_signature(exc, config, layout=layout)
    problems.extend("signature", signature.problems)
    return signature


def _new_report(kind: ExceptionKind, config: CaptureConfig, problems: CaptureProblems) -> Report:
    with problems.guard("report information"):
        return Report(kind.event_type, kind.report_type, _information(kind, config))
    return Report(kind.event_type, kind.report_type)
