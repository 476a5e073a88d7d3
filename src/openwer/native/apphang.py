"""The ``AppHangB1`` report of a program ``openwer run`` found hung: parameters, dump, chain.

The same report an in-process hang gives (docs/hangs.md), built from the outside:

* event ``AppHangB1``, or ``AppHangXProcB1`` when the main thread's wait chain reaches another
  process; report type 3; friendly name "Stopped responding"; consent key = event type;
* P0 Application Name, P1 Application Version, P2 Application Timestamp (as APPCRASH:
  :func:`~openwer.native.appcrash.appcrash_parameters`), P3 Hang Signature, P4 Hang Type
  (0 blocked, 4 a wait chain that is a cycle); ``DynamicSig[22]`` Additional Hang Signature 1;
* the signature hashes where the main thread waits, never an address or a path: the system
  call, the kernel function it sleeps in (``wchan``) and the base name of the module holding its
  instruction pointer (the libc wrapper it called);
* ``minidump.mdmp`` (``WerFileTypeMinidump``; every thread, no exception stream: WER's hang
  dumps have none), ``waitchains.json`` (the form of in-process hang reports, so ``openwer
  reports show`` renders it), ``python-stacks.{txt,json}`` when py-spy found them, and
  ``ProcessHang.json`` (pid, command, main thread's state, call and ``wchan``, capture problems).

``openwer.report.filed_hang.note_hang_end`` writes ``HangDurationMs`` and ``HangRecovered=1``
into the stored report when the program goes on again.

Failure contract: :func:`file_supervised_hang` never raises; failures
are logged on the ``openwer`` logger (filing answers None, noting False). Thread-safe.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, replace

from openwer.formats.minidump_writer import write_minidump
from openwer.formats.wait_chain import WaitChain
from openwer.formats.wait_chain_document import WAIT_CHAINS_FILE, serialize_wait_chains
from openwer.native.appcrash import (
    MINIDUMP_FILE,
    PYTHON_STACKS_JSON,
    PYTHON_STACKS_TEXT,
    CrashedApplication,
    appcrash_parameters,
    render_python_stacks,
)
from openwer.native.collector import Capture, mini_snapshot
from openwer.native.modules import module_at
from openwer.native.python_stacks import PythonStacks, stacks_payload
from openwer.report import Report, ReportContext, ReportInformation
from openwer.report.filed_hang import FiledHang
from openwer.types import (
    MAX_PATH,
    WER_MAX_APPLICATION_NAME_LENGTH,
    Consent,
    FileType,
    ReportType,
    SubmitFlags,
)

__all__ = [
    "APPHANG_EVENT",
    "APPHANG_PARAMETER_NAMES",
    "APPHANG_XPROC_EVENT",
    "SupervisedHang",
    "file_supervised_hang",
    "supervised_hang_signature",
]

log = logging.getLogger("openwer")

APPHANG_EVENT = "AppHangB1"
APPHANG_XPROC_EVENT = "AppHangXProcB1"
APPHANG_PARAMETER_NAMES = (
    "Application Name",
    "Application Version",
    "Application Timestamp",
    "Hang Signature",
    "Hang Type",
)
HANG_FACTS_FILE = "ProcessHang.json"
_HANG_TYPE_BLOCKED = 0
_HANG_TYPE_DEADLOCK = 4


@dataclass(frozen=True, slots=True)
class SupervisedHang:
    """Everything one supervised hang report is made from.

    ``capture`` is None when no minidump could be taken (an untraced program another tracer
    holds); ``state``/``syscall``/``wchan`` describe the main thread when it was found hung.
    """

    application: CrashedApplication
    pid: int
    stalled_s: float
    state: str
    syscall: str
    wchan: str
    capture: Capture | None = None
    chains: tuple[WaitChain, ...] = ()
    python_stacks: PythonStacks | None = None
    command: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def supervised_hang_signature(hang: SupervisedHang) -> tuple[str, str]:
    """(P3 Hang Signature: 4 hex digits, Additional Hang Signature 1: 32 hex digits)."""
    module = "unknown"
    if hang.capture is not None and hang.capture.snapshot.threads:
        main = next(
            (t for t in hang.capture.snapshot.threads if t.thread_id == hang.pid),
            hang.capture.snapshot.threads[0],
        )
        found = module_at(hang.capture.snapshot.modules, main.context.instruction_pointer)
        if found is not None:
            module = os.path.basename(found.path)
    text = f"{hang.syscall or '?'}\n{hang.wchan or '?'}\n{module}"
    digest = hashlib.sha1(text.encode("utf-8", "replace"), usedforsecurity=False).hexdigest()
    return digest[:4], digest[:32]


def _facts(hang: SupervisedHang, signature: str) -> bytes:
    problems = list(hang.problems) + list(hang.capture.problems if hang.capture else ())
    facts: dict[str, object] = {
        "pid": hang.pid,
        "command": list(hang.command),
        "thread_id": hang.pid,
        "state": hang.state,
        "syscall": hang.syscall,
        "wchan": hang.wchan,
        "stalled_ms": round(hang.stalled_s * 1000),
        "hang_signature": signature,
        "minidump": hang.capture is not None,
    }
    if problems:
        facts["capture_problems"] = problems
    return json.dumps(facts, indent=2).encode()


def file_supervised_hang(
    hang: SupervisedHang, *, context: ReportContext | None = None
) -> FiledHang | None:
    """Queue the report of ``hang`` (see the module docstring); None when nothing was stored."""
    try:
        return _file(hang, context or ReportContext.from_environment())
    except Exception:
        log.exception("openwer: could not file the hang report of pid %d", hang.pid)
        return None


def _file(hang: SupervisedHang, context: ReportContext) -> FiledHang | None:
    cross = any(chain.cross_process for chain in hang.chains)
    event = APPHANG_XPROC_EVENT if cross else APPHANG_EVENT
    deadlock = any(chain.is_cycle for chain in hang.chains)
    short, long = supervised_hang_signature(hang)
    application = hang.application
    information = ReportInformation(
        consent_key=event,
        friendly_event_name="Stopped responding",
        application_name=application.name[:WER_MAX_APPLICATION_NAME_LENGTH],
        application_path=application.path
        if len(application.path) <= MAX_PATH
        else application.name,
        process_id=hang.pid,
    )
    stacks_json = stacks_payload(hang.python_stacks) if hang.python_stacks else None
    with Report(event, ReportType.APPLICATION_HANG, information) as report:
        common = appcrash_parameters(application, 0, hang.capture)[:3]
        hang_type = _HANG_TYPE_DEADLOCK if deadlock else _HANG_TYPE_BLOCKED
        values = (*common, short, str(hang_type))
        for index, (name, value) in enumerate(zip(APPHANG_PARAMETER_NAMES, values, strict=True)):
            report.set_parameter(index, value, name)
        report.set_dynamic_parameter(22, "Additional Hang Signature 1", long)
        report.set_value("HangSource", "supervisor")
        report.set_value("HangKind", "deadlock" if deadlock else "blocked")
        report.set_value("HangStalledMs", str(round(hang.stalled_s * 1000)))
        report.set_value("HangSyscall", hang.syscall or "?")
        if hang.wchan:
            report.set_value("HangWaitChannel", hang.wchan)
        if hang.capture is not None:
            snapshot = replace(mini_snapshot(hang.capture), python_stacks=stacks_json)
            report.add_file_bytes(MINIDUMP_FILE, write_minidump(snapshot), FileType.MINIDUMP)
        report.add_file_bytes(WAIT_CHAINS_FILE, serialize_wait_chains(hang.chains))
        if hang.python_stacks is not None and stacks_json is not None:
            text = hang.python_stacks.text or render_python_stacks(hang.python_stacks)
            report.add_file_bytes(PYTHON_STACKS_TEXT, text.encode("utf-8", "replace"))
            report.add_file_bytes(PYTHON_STACKS_JSON, stacks_json)
        report.add_file_bytes(HANG_FACTS_FILE, _facts(hang, long))
        report.submit(
            Consent.NOT_ASKED, SubmitFlags.QUEUE | SubmitFlags.ADD_REGISTERED_DATA, context=context
        )
        key, scope = report.stored_key, report.stored_scope
        if key is None or scope is None:
            return None  # disabled, excluded or refused by consent settings
        return FiledHang(key, scope, short)
