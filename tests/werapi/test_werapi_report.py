"""Tests of the Win32-named report functions: arguments in order, HRESULTs as WER returns them."""

from __future__ import annotations

from pathlib import Path

import pytest

from openwer import werapi as w
from openwer.report import ReportInformation


@pytest.fixture(autouse=True)
def _home(openwer_home: Path) -> None:
    """Every test gets its own OPENWER_HOME."""


def test_create_set_submit_close() -> None:
    """The documented happy path returns S_OK and a queued report."""
    hr, report = w.WerReportCreate("APPCRASH", w.WerReportApplicationCrash, None)
    assert hr == w.S_OK
    assert report is not None
    assert w.WerReportSetParameter(report, w.WER_P0, "Application Name", "app.exe") == w.S_OK
    assert w.WerReportSetParameter(report, w.WER_P1, None, "1.0") == w.S_OK
    assert w.WerReportSetUIOption(report, w.WerUIConsentDlgHeader, "Oops") == w.S_OK
    hr, result = w.WerReportSubmit(report, w.WerConsentNotAsked, w.WER_SUBMIT_QUEUE)
    assert (hr, result) == (w.S_OK, w.WerReportQueued)
    assert w.WerReportCloseHandle(report) == w.S_OK


@pytest.mark.parametrize("event", [None, ""])
def test_create_refuses_empty_event_type(event: str | None) -> None:
    """NULL or empty event type: E_INVALIDARG and a NULL handle (Wine-verified)."""
    assert w.WerReportCreate(event, w.WerReportCritical, None) == (w.E_INVALIDARG, None)


def test_create_refuses_long_event_type() -> None:
    """An event type over 64 characters is WER_E_LENGTH_EXCEEDED."""
    assert w.WerReportCreate("E" * 65, 0, None)[0] == w.WER_E_LENGTH_EXCEEDED


@pytest.mark.parametrize("report_type", [0, 1, 2, 3, 4, 5, 6, 42])
def test_report_type_not_validated(report_type: int) -> None:
    """Every report type succeeds, as on Windows."""
    hr, report = w.WerReportCreate("Generic", report_type, None)
    assert hr == w.S_OK
    w.WerReportCloseHandle(report)


def test_many_reports_at_once() -> None:
    """Many reports may be open concurrently, each with its own handle."""
    handles = [w.WerReportCreate("Generic", 0, None)[1] for _ in range(50)]
    assert len(set(handles)) == 50
    assert all(w.WerReportCloseHandle(h) == w.S_OK for h in handles)


def test_close_twice_or_null_is_invalid() -> None:
    """Closing a closed, NULL or unknown handle is E_INVALIDARG (Wine-verified)."""
    _, report = w.WerReportCreate("Generic", 0, None)
    assert w.WerReportCloseHandle(report) == w.S_OK
    assert w.WerReportCloseHandle(report) == w.E_INVALIDARG
    assert w.WerReportCloseHandle(None) == w.E_INVALIDARG
    assert w.WerReportCloseHandle(123456789) == w.E_INVALIDARG


def test_bad_handle_is_e_handle() -> None:
    """Using an unknown or closed handle gives E_HANDLE."""
    _, report = w.WerReportCreate("Generic", 0, None)
    w.WerReportCloseHandle(report)
    assert w.WerReportSetParameter(report, 0, None, "v") == w.E_HANDLE
    assert w.WerReportAddFile(report, "/etc/hostname", w.WerFileTypeOther, 0) == w.E_HANDLE
    assert w.WerReportSetUIOption(None, w.WerUICloseText, "x") == w.E_HANDLE
    assert w.WerReportSubmit(report, w.WerConsentApproved, 0) == (w.E_HANDLE, None)


def test_set_parameter_limits() -> None:
    """Values of 260+ characters and names over 128 are WER_E_LENGTH_EXCEEDED; ids ≥ 10 invalid."""
    _, report = w.WerReportCreate("Generic", 0, None)
    assert w.WerReportSetParameter(report, 0, None, "v" * 259) == w.S_OK
    assert w.WerReportSetParameter(report, 0, None, "v" * 260) == w.WER_E_LENGTH_EXCEEDED
    assert w.WerReportSetParameter(report, 0, "n" * 129, "v") == w.WER_E_LENGTH_EXCEEDED
    assert w.WerReportSetParameter(report, 10, None, "v") == w.E_INVALIDARG
    assert w.WerReportSetParameter(report, 0, None, None) == w.E_INVALIDARG


def test_submit_with_a_gap_is_invalid() -> None:
    """P2 without P1 breaks the contiguity rule: E_INVALIDARG."""
    _, report = w.WerReportCreate("Generic", 0, None)
    w.WerReportSetParameter(report, 0, None, "a")
    w.WerReportSetParameter(report, 2, None, "c")
    assert w.WerReportSubmit(report, w.WerConsentNotAsked, 0) == (w.E_INVALIDARG, None)


def test_submit_with_bad_consent_is_invalid() -> None:
    """A consent outside 1..4 is E_INVALIDARG."""
    _, report = w.WerReportCreate("Generic", 0, None)
    assert w.WerReportSubmit(report, w.WerConsentMax, 0) == (w.E_INVALIDARG, None)


def test_add_file(tmp_path: Path) -> None:
    """A missing file is HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND); a bad type E_INVALIDARG."""
    present = tmp_path / "log.txt"
    present.write_text("x")
    _, report = w.WerReportCreate("Generic", 0, None)
    assert w.WerReportAddFile(report, str(present), w.WerFileTypeOther, 0) == w.S_OK
    assert w.WerReportAddFile(report, str(tmp_path / "no"), w.WerFileTypeOther, 0) == (
        w.HRESULT_FROM_WIN32_ERROR_FILE_NOT_FOUND
    )
    assert w.WerReportAddFile(report, str(present), w.WerFileTypeMax, 0) == w.E_INVALIDARG
    assert w.WerReportAddFile(report, None, w.WerFileTypeOther, 0) == w.E_INVALIDARG


def test_ui_option_validation() -> None:
    """WerUIMax and unknown options are E_INVALIDARG."""
    _, report = w.WerReportCreate("Generic", 0, None)
    assert w.WerReportSetUIOption(report, w.WerUIMax, "x") == w.E_INVALIDARG
    assert w.WerReportSetUIOption(report, 0, "x") == w.E_INVALIDARG


def test_report_information_is_used(openwer_home: Path) -> None:
    """WER_REPORT_INFORMATION's fields reach the report."""
    info = ReportInformation(application_name="tool.exe", friendly_event_name="Stopped working")
    _, report = w.WerReportCreate("Generic", 0, info)
    w.WerReportSubmit(report, w.WerConsentNotAsked, w.WER_SUBMIT_QUEUE)
    (folder,) = (openwer_home / "user" / "ReportQueue").iterdir()
    text = (folder / "Report.wer").read_bytes().decode("utf-16")
    assert "FriendlyEventName=Stopped working" in text
    assert "AppName=tool.exe" in text


def test_constants_have_wer_values() -> None:
    """A sample of constants against werapi.h."""
    assert (w.WerReportApplicationCrash, w.WerReportApplicationHang, w.WerReportInvalid) == (
        2,
        3,
        5,
    )
    assert (w.WerConsentNotAsked, w.WerConsentAlwaysPrompt) == (1, 4)
    assert (w.WER_SUBMIT_QUEUE, w.WER_SUBMIT_NO_QUEUE, w.WER_SUBMIT_DISCARD_IF_QUEUED) == (
        4,
        0x80,
        0x80,
    )
    assert w.WER_SUBMIT_BYPASS_NETWORK_COST_THROTTLING == 0x8000
    assert (w.WerThrottled, w.WerReportUploadedCab, w.WerStorageLocationNotFound) == (10, 11, 12)
    assert (w.E_STORE_USER_ARCHIVE, w.E_STORE_MACHINE_QUEUE, w.E_STORE_INVALID) == (0, 3, 4)
    assert (w.WerFileTypeAuxiliaryHeapDump, w.WerFileTypeMax) == (10, 11)
    assert w.WER_E_INVALID_STATE == 0x8007139F
    assert w.WER_E_LENGTH_EXCEEDED == 0x80070503
    assert w.WER_E_NOT_FOUND == 0x80070490
    assert w.HRESULT_FROM_WIN32_ERROR_NO_MORE_FILES == 0x80070012
    assert w.WER_FAULT_REPORTING_DURABLE == 1024
    assert w.WER_MAX_PARAM_LENGTH == 260
