"""openwer: Windows Error Reporting for Python programs and Linux.

The client API (cheap to import: nothing here loads the server, minidump or analysis code)::

    import openwer

    openwer.install(app_name="importer", app_version="1.4.2")   # every crash becomes a report
    openwer.heartbeat()          # in a loop that must stay responsive (hangs: docs/hangs.md)

    with openwer.Report("MyAppFailure", openwer.ReportType.NON_CRITICAL) as report:
        report.set_parameter(0, "parser", "Component")
        report.set_parameter(1, "E1234", "Error Code")
        result = report.submit(openwer.Consent.NOT_ASKED, openwer.SubmitFlags.QUEUE)

Reports land in the local queue (``openwer reports list``) and go to your collection server when
consent and settings allow. :mod:`openwer.werapi` offers the same under WER's Win32 names.
"""

from typing import TYPE_CHECKING

from openwer.errors import (
    AccessDeniedError,
    FileNotFoundForReportError,
    FormatError,
    InvalidArgumentError,
    InvalidStateError,
    LengthExceededError,
    LimitReachedError,
    NotFoundError,
    OpenwerError,
    ParameterGapError,
    ReportClosedError,
    ReportNotFoundError,
    SettingsError,
    StoreError,
    TransportError,
)
from openwer.types import (
    Consent,
    ConsentLevel,
    DumpType,
    FileFlags,
    FileType,
    RegisterFileType,
    ReportType,
    StoreType,
    SubmitFlags,
    SubmitResult,
    UIOption,
)
from openwer.version import __version__

# The report model pulls in the store, settings and transport; load it on first use so that a
# bare ``import openwer`` stays cheap (PRODUCT.md §2).
_LAZY = {
    "install": "openwer.capture.install",
    "uninstall": "openwer.capture.install",
    "report_exception": "openwer.capture.install",
    "heartbeat": "openwer.capture.hang.heartbeat",
    "heartbeat_pause": "openwer.capture.hang.heartbeat",
    "RestartFlags": "openwer.capture.restart",
    "register_restart": "openwer.capture.restart",
    "unregister_restart": "openwer.capture.restart",
    "register_recovery": "openwer.capture.recovery",
    "unregister_recovery": "openwer.capture.recovery",
    "recovery_in_progress": "openwer.capture.recovery",
    "recovery_finished": "openwer.capture.recovery",
    "Registry": "openwer.report.registry",
    "Report": "openwer.report.report",
    "ReportContext": "openwer.report.context",
    "ReportInformation": "openwer.report.information",
    "process_registry": "openwer.report.registry",
}


def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'openwer' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:
    from openwer.capture.hang.heartbeat import heartbeat, heartbeat_pause
    from openwer.capture.install import install, report_exception, uninstall
    from openwer.capture.recovery import (
        recovery_finished,
        recovery_in_progress,
        register_recovery,
        unregister_recovery,
    )
    from openwer.capture.restart import RestartFlags, register_restart, unregister_restart
    from openwer.report.context import ReportContext
    from openwer.report.information import ReportInformation
    from openwer.report.registry import Registry, process_registry
    from openwer.report.report import Report

__all__ = [
    "AccessDeniedError",
    "Consent",
    "ConsentLevel",
    "DumpType",
    "FileFlags",
    "FileNotFoundForReportError",
    "FileType",
    "FormatError",
    "InvalidArgumentError",
    "InvalidStateError",
    "LengthExceededError",
    "LimitReachedError",
    "NotFoundError",
    "OpenwerError",
    "ParameterGapError",
    "RegisterFileType",
    "Registry",
    "Report",
    "ReportClosedError",
    "ReportContext",
    "ReportInformation",
    "ReportNotFoundError",
    "ReportType",
    "RestartFlags",
    "SettingsError",
    "StoreError",
    "StoreType",
    "SubmitFlags",
    "SubmitResult",
    "TransportError",
    "UIOption",
    "__version__",
    "heartbeat",
    "heartbeat_pause",
    "install",
    "process_registry",
    "recovery_finished",
    "recovery_in_progress",
    "register_recovery",
    "register_restart",
    "report_exception",
    "uninstall",
    "unregister_recovery",
    "unregister_restart",
]
