"""From a detected hang to an ``AppHangB1`` report in the queue, and the recovery note later.

:func:`build_hang_report` assembles, in memory:

* event type ``AppHangB1``, or ``AppHangXProcB1`` when the hung thread's wait chain reaches
  another process; report type 3 (``WerReportApplicationHang``); consent key = event type;
  friendly name "Stopped responding";
* P0 Application Name, P1 Application Version, P2 Application Timestamp (as for every capture
  report), P3 Hang Signature, P4 Hang Type (:mod:`~openwer.capture.hang.hang_signature`,
  :class:`~openwer.capture.hang.hang_event.HangKind`); ``DynamicSig[22]`` Additional Hang
  Signature 1, ``[23]`` Python Version, ``[24]`` Python Implementation;
* the process values of every capture report plus ``HangSource``, ``HangKind``,
  ``HangThreadName``, ``HangStalledMs``, ``HangCpuPercent``, ``HangSamples`` and the event's
  details;
* ``threads.json`` (every thread's stack; ``crashed`` marks the hung thread) and
  ``waitchains.json`` (:mod:`~openwer.formats.wait_chain_document`).

:func:`file_hang_report` stores it like any capture report (``WER_SUBMIT_QUEUE`` with the
registered data), then adds the loaded modules and starts an upload when a server is set.
``openwer.report.filed_hang.note_hang_end`` writes ``HangDurationMs`` and ``HangRecovered=1``
into the stored report once the program makes progress again.

Failure contract: building never raises (parts that fail are noted in ``capture-problems.txt``);
filing and noting log their failures on the ``openwer`` logger and return None/False. Called from
the watchdog thread only.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import threading
from collections.abc import Callable

from openwer.capture.application import clean_text
from openwer.capture.config import CaptureConfig
from openwer.capture.hang.hang_event import HangEvent, HangKind
from openwer.capture.hang.hang_signature import HangSignature, hang_signature
from openwer.capture.problems import CaptureProblems
from openwer.capture.process_details import process_values
from openwer.capture.report_builder import PROBLEMS_FILE, THREADS_FILE
from openwer.capture.reporter import CrashReporter, attach_loaded_modules
from openwer.capture.signature import fit_parameter
from openwer.capture.source_layout import SourceLayout, current_layout
from openwer.capture.thread_stacks import thread_stacks_document
from openwer.formats.wait_chain_document import WAIT_CHAINS_FILE, serialize_wait_chains
from openwer.report import Report, ReportContext, ReportInformation
from openwer.report.filed_hang import FiledHang
from openwer.types import (
    WER_MAX_APPLICATION_NAME_LENGTH,
    Consent,
    FileFlags,
    FileType,
    ReportType,
    SubmitFlags,
)

__all__ = [
    "HANG_EVENT",
    "HANG_PARAMETER_NAMES",
    "XPROC_HANG_EVENT",
    "FiledHang",
    "build_hang_report",
    "file_hang_report",
]

log = logging.getLogger("openwer")

HANG_EVENT = "AppHangB1"
XPROC_HANG_EVENT = "AppHangXProcB1"
HANG_PARAMETER_NAMES = (
    "Application Name",
    "Application Version",
    "Application Timestamp",
    "Hang Signature",
    "Hang Type",
)
_FRIENDLY_NAME = "Stopped responding"


def _json_bytes(document: object) -> bytes:
    return json.dumps(document, indent=1).encode("ascii")


def _values(event: HangEvent, signature: HangSignature) -> dict[str, str]:
    values = process_values()
    thread = next((t for t in threading.enumerate() if t.ident == event.thread_ident), None)
    values["HangSource"] = event.source.value
    values["HangKind"] = event.kind.value
    if thread is not None:
        values["HangThreadName"] = clean_text(thread.name)[:256]
    values["HangStalledMs"] = str(round(event.stalled_s * 1000))
    if event.cpu_ratio is not None:
        values["HangCpuPercent"] = str(round(event.cpu_ratio * 100))
    values["HangSamples"] = str(event.samples)
    if signature.frame is not None:
        frame = signature.frame
        values["HangFunction"] = clean_text(f"{frame.module}!{frame.function}")[:256]
    for key, value in event.details.items():
        values[key] = clean_text(value)[:1024]
    return values


def build_hang_report(
    event: HangEvent, config: CaptureConfig, *, layout: SourceLayout | None = None
) -> tuple[Report, HangSignature]:
    """The report of ``event`` and its signature (see the module docstring); never raises."""
    problems = CaptureProblems()
    layout = layout or current_layout()
    signature = HangSignature("0000", "0" * 32, None)
    with problems.guard("hang signature"):
        moving = event.kind is HangKind.BUSY_PYTHON
        signature = hang_signature(event.signature_stacks, config, layout, moving=moving)
    event_type = XPROC_HANG_EVENT if event.cross_process else HANG_EVENT
    report = Report(event_type, ReportType.APPLICATION_HANG)
    with problems.guard("report information"):
        information = ReportInformation(
            consent_key=event_type,
            friendly_event_name=_FRIENDLY_NAME,
            application_name=config.app_name[:WER_MAX_APPLICATION_NAME_LENGTH],
            application_path=config.app_path,
            process_id=os.getpid(),
        )
        report = Report(event_type, ReportType.APPLICATION_HANG, information)
    parameters = (
        config.app_name,
        config.app_version,
        config.app_timestamp_hex,
        signature.short,
        str(event.kind.hang_type),
    )
    for index, (name, value) in enumerate(zip(HANG_PARAMETER_NAMES, parameters, strict=True)):
        with problems.guard(f"P{index}"):
            report.set_parameter(index, fit_parameter(value), name)
    with problems.guard("dynamic signature"):
        report.set_dynamic_parameter(22, "Additional Hang Signature 1", signature.long)
        report.set_dynamic_parameter(23, "Python Version", platform.python_version())
        report.set_dynamic_parameter(24, "Python Implementation", platform.python_implementation())
    with problems.guard("process values"):
        for key, value in _values(event, signature).items():
            report.set_value(key, value)
    with problems.guard("threads"):
        hung = next((t for t in threading.enumerate() if t.ident == event.thread_ident), None)
        threads, notes = thread_stacks_document(config, layout, crashed=hung)
        problems.extend("threads", notes)
        report.add_file_bytes(
            THREADS_FILE, _json_bytes(threads), FileType.OTHER, FileFlags.ANONYMOUS_DATA
        )
    with problems.guard("wait chains"):
        report.add_file_bytes(WAIT_CHAINS_FILE, serialize_wait_chains(event.chains))
    if problems:
        with problems.guard("problems"):
            report.set_value("CaptureProblems", clean_text(problems.summary()))
            report.add_file_bytes(PROBLEMS_FILE, problems.text().encode("utf-8", "replace"))
    return report, signature


def file_hang_report(
    event: HangEvent, reporter: CrashReporter, *, allow: Callable[[str], bool] | None = None
) -> FiledHang | None:
    """Store the report of ``event``; return where, or None when nothing was stored.

    ``allow`` sees the long hang signature first and may refuse the report (a per-signature cap).
    """
    try:
        report, signature = build_hang_report(event, reporter.config)
        if allow is not None and not allow(signature.long):
            return None
        context = ReportContext.from_environment()
        flags = SubmitFlags.QUEUE | SubmitFlags.ADD_REGISTERED_DATA
        report.submit(Consent.NOT_ASKED, flags, context=context)
        key, scope = report.stored_key, report.stored_scope
        if key is None or scope is None:
            return None  # disabled, excluded or refused by consent settings
        try:
            attach_loaded_modules(report, context, reporter.config)
        except Exception:
            log.exception("openwer: adding the loaded modules to a hang report failed")
        reporter.upload_in_background()
        return FiledHang(key, scope, signature.long)
    except Exception:
        log.exception("openwer: could not report a hang")
        return None
