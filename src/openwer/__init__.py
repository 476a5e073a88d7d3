"""openwer: Windows Error Reporting for Python programs and Linux.

The client API (cheap to import: nothing here loads the server, minidump or analysis code)::

    import openwer

    with openwer.Report("MyAppFailure", openwer.ReportType.NON_CRITICAL) as report:
        report.set_parameter(0, "parser", "Component")
        report.set_parameter(1, "E1234", "Error Code")
        result = report.submit(openwer.Consent.NOT_ASKED, openwer.SubmitFlags.QUEUE)

Reports land in the local queue (``openwer reports list``) and go to your collection server when
consent and settings allow. :mod:`openwer.werapi` offers the same under WER's Win32 names.
"""

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
from openwer.report import Registry, Report, ReportContext, ReportInformation, process_registry
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

__version__ = "0.1.0"

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
    "SettingsError",
    "StoreError",
    "StoreType",
    "SubmitFlags",
    "SubmitResult",
    "TransportError",
    "UIOption",
    "__version__",
    "process_registry",
]
