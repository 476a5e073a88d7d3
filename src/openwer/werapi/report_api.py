"""``WerReport*``: the report functions of wer.dll, with Win32 arguments and HRESULT returns.

Each function takes the Win32 arguments in order (out parameters dropped) and returns the HRESULT
as an int, or a tuple of the HRESULT followed by the out parameters:
``hr, handle = WerReportCreate("APPCRASH", WerReportApplicationCrash, None)``. They never raise for
a failure WER reports with an HRESULT. Thread-safe.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from openwer.errors import ReportClosedError
from openwer.report import Report, ReportContext, ReportInformation
from openwer.types import Consent, HResult, SubmitFlags, SubmitResult
from openwer.werapi.handles import HandleTable
from openwer.werapi.translation import hresult_of

__all__ = [
    "WerReportAddFile",
    "WerReportCloseHandle",
    "WerReportCreate",
    "WerReportSetParameter",
    "WerReportSetUIOption",
    "WerReportSubmit",
    "set_report_context",
]

_REPORTS: HandleTable[Report] = HandleTable(start=0x1000)
_context_factory: Callable[[], ReportContext] = ReportContext.from_environment


def set_report_context(factory: Callable[[], ReportContext] | None) -> None:
    """Choose where ``WerReportSubmit`` and ``WerStoreUploadReport`` get settings and transport.

    None restores the default (this machine's settings, honouring ``OPENWER_HOME``). Meant for
    composition roots and tests; the Win32 functions have no argument for it.
    """
    global _context_factory
    _context_factory = factory or ReportContext.from_environment


def report_context() -> ReportContext:
    """The context submissions use now."""
    return _context_factory()


def WerReportCreate(
    pwzEventType: str | None,
    repType: int,
    pReportInformation: ReportInformation | None = None,
) -> tuple[int, int | None]:
    """Create a report; returns ``(hr, handle)``, the handle None on failure.

    ``repType`` is not validated (as on Windows). NULL or empty event type → E_INVALIDARG; an event
    type over 64 characters → WER_E_LENGTH_EXCEEDED.
    """
    try:
        report = Report(pwzEventType or "", repType, pReportInformation)
    except Exception as exc:
        return hresult_of(exc), None
    return int(HResult.S_OK), _REPORTS.add(report)


def WerReportSetParameter(
    hReportHandle: int | None, dwparamID: int, pwzName: str | None, pwzValue: str | None
) -> int:
    """Set signature parameter ``dwparamID``; E_HANDLE for a bad handle."""
    report = _REPORTS.get(hReportHandle)
    if report is None:
        return int(HResult.E_HANDLE)
    try:
        report.set_parameter(dwparamID, pwzValue, pwzName)  # type: ignore[arg-type]
    except Exception as exc:
        return hresult_of(exc)
    return int(HResult.S_OK)


def WerReportAddFile(
    hReportHandle: int | None, pwzPath: str | None, repFileType: int, dwFileFlags: int
) -> int:
    """Attach a file; ERROR_FILE_NOT_FOUND as an HRESULT when it does not exist."""
    report = _REPORTS.get(hReportHandle)
    if report is None:
        return int(HResult.E_HANDLE)
    try:
        report.add_file(pwzPath or "", repFileType, dwFileFlags)
    except Exception as exc:
        return hresult_of(exc)
    return int(HResult.S_OK)


def WerReportSetUIOption(hReportHandle: int | None, repUITypeID: int, pwzValue: str | None) -> int:
    """Replace one UI string."""
    report = _REPORTS.get(hReportHandle)
    if report is None:
        return int(HResult.E_HANDLE)
    try:
        report.set_ui_option(repUITypeID, pwzValue or "")
    except Exception as exc:
        return hresult_of(exc)
    return int(HResult.S_OK)


def WerReportSubmit(
    hReportHandle: int | None, consent: int, dwFlags: int
) -> tuple[int, SubmitResult | None]:
    """Submit a report; returns ``(hr, submit_result)``.

    The result is None when the HRESULT is a failure, and ``WerReportAsync`` with
    ``WER_SUBMIT_OUTOFPROCESS_ASYNC`` (the submission goes on in the background).
    """
    report = _REPORTS.get(hReportHandle)
    if report is None:
        return int(HResult.E_HANDLE), None
    if consent not in _VALID_CONSENTS:
        return int(HResult.E_INVALIDARG), None
    try:
        result = report.submit(Consent(consent), SubmitFlags(dwFlags), context=report_context())
    except Exception as exc:
        return hresult_of(exc), None
    return int(HResult.S_OK), result


_VALID_CONSENTS = frozenset(int(c) for c in Consent if c is not Consent.MAX)


def WerReportCloseHandle(hReportHandle: int | None) -> int:
    """Close a report; E_INVALIDARG for NULL, unknown or already closed handles (Wine-verified)."""
    report = _REPORTS.remove(hReportHandle)
    if report is None:
        return int(HResult.E_INVALIDARG)
    with contextlib.suppress(ReportClosedError):
        report.close()
    return int(HResult.S_OK)
