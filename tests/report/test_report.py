"""Tests of the Report builder (WerReportCreate and friends, Pythonic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openwer.errors import (
    FileNotFoundForReportError,
    InvalidArgumentError,
    LengthExceededError,
    ReportClosedError,
)
from openwer.report import Report, ReportInformation
from openwer.types import FileFlags, FileType, HResult, ReportType, UIOption


def test_report_type_is_not_validated() -> None:
    """Any report type is accepted, as on Windows (Wine-verified: even 42)."""
    assert Report("X", 42).report_type == 42
    assert Report("X", ReportType.APPLICATION_CRASH).report_type == 2


def test_parameters_by_slot() -> None:
    """Parameters are kept by slot with default names."""
    report = Report("APPCRASH", ReportType.APPLICATION_CRASH)
    report.set_parameter(1, "1.0")
    report.set_parameter(0, "app.exe", "Application Name")
    assert [(p.index, p.name, p.value) for p in report.parameters] == [
        (0, "Application Name", "app.exe"),
        (1, "P1", "1.0"),
    ]


def test_ui_options() -> None:
    """UI strings are kept by WER_REPORT_UI value; WerUIMax and empty strings are refused."""
    report = Report("X")
    report.set_ui_option(UIOption.CONSENT_DLG_HEADER, "Something went wrong")
    assert report.content().ui == ((3, "Something went wrong"),)
    with pytest.raises(InvalidArgumentError):
        report.set_ui_option(UIOption.MAX, "x")
    with pytest.raises(InvalidArgumentError):
        report.set_ui_option(99, "x")
    with pytest.raises(InvalidArgumentError):
        report.set_ui_option(UIOption.CLOSE_TEXT, "")
    with pytest.raises(LengthExceededError):
        report.set_ui_option(UIOption.CLOSE_TEXT, "x" * 513)


def test_add_file(tmp_path: Path) -> None:
    """Files must exist; their type is checked and flags keep the low word only."""
    log = tmp_path / "app.log"
    log.write_text("hello")
    report = Report("X")
    report.add_file(log, FileType.OTHER, FileFlags.ANONYMOUS_DATA | 0x50000)
    report.add_file(str(log), FileType.OTHER)
    first, second = report.content().files
    assert first.name == "app.log"
    assert second.name == "app-1.log"  # names stay unique inside the report folder
    assert first.flags == FileFlags.ANONYMOUS_DATA
    assert first.is_anonymous
    with pytest.raises(FileNotFoundForReportError) as info:
        report.add_file(tmp_path / "missing", FileType.OTHER)
    assert info.value.hresult == HResult.FILE_NOT_FOUND
    with pytest.raises(InvalidArgumentError):
        report.add_file(log, 0)
    with pytest.raises(InvalidArgumentError):
        report.add_file(log, FileType.MAX)
    with pytest.raises(InvalidArgumentError):
        report.add_file("", FileType.OTHER)
    with pytest.raises(LengthExceededError):
        report.add_file("/" + "x" * 300, FileType.OTHER)


def test_add_file_expands_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment variables in paths are expanded, as WER allows."""
    (tmp_path / "f.txt").write_text("x")
    monkeypatch.setenv("OPENWER_TEST_DIR", str(tmp_path))
    report = Report("X")
    report.add_file("$OPENWER_TEST_DIR/f.txt", FileType.OTHER)
    assert next(report.files()).source == tmp_path / "f.txt"


@pytest.mark.parametrize("name", ["", "a/b", "..", ".", "a\\b", "nul\0"])
def test_add_file_bytes_refuses_bad_names(name: str) -> None:
    """In-memory files need a plain file name."""
    with pytest.raises(InvalidArgumentError):
        Report("X").add_file_bytes(name, b"data")


def test_add_file_bytes_avoids_report_wer() -> None:
    """No attached file may be called Report.wer."""
    report = Report("X")
    report.add_file_bytes("Report.wer", b"x")
    assert next(report.files()).name == "Report-1.wer"


def test_dynamic_parameters_and_values() -> None:
    """Dynamic signature entries and further keys are kept; reserved keys are refused."""
    report = Report("X")
    report.set_dynamic_parameter(22, "Additional Information 1", "abcd")
    report.set_value("AppSessionGuid", "00000001-0002-0003-0004-000000000005")
    content = report.content()
    assert content.dynamic_signature == ((22, "Additional Information 1", "abcd"),)
    assert content.extra == (("AppSessionGuid", "00000001-0002-0003-0004-000000000005"),)
    with pytest.raises(InvalidArgumentError):
        report.set_value("Sig[0].Value", "x")
    with pytest.raises(InvalidArgumentError):
        report.set_value("Bad=Key", "x")
    with pytest.raises(InvalidArgumentError):
        report.set_value("Key", "line\nbreak")
    with pytest.raises(InvalidArgumentError):
        report.set_dynamic_parameter(-1, "n", "v")
    with pytest.raises(LengthExceededError):
        report.set_dynamic_parameter(1, "n", "v" * 260)


def test_closed_report_refuses_everything() -> None:
    """After close every call raises ReportClosedError (E_INVALIDARG); closing twice too."""
    with Report("X") as report:
        report.set_parameter(0, "v")
    assert report.closed
    with pytest.raises(ReportClosedError) as info:
        report.set_parameter(0, "v")
    assert info.value.hresult == HResult.E_INVALIDARG
    with pytest.raises(ReportClosedError):
        report.close()
    with pytest.raises(ReportClosedError):
        report.content()


def test_information_limits() -> None:
    """WER_REPORT_INFORMATION fields have WER's buffer sizes."""
    ReportInformation(consent_key="k" * 64, application_path="/" * 260)
    with pytest.raises(LengthExceededError):
        ReportInformation(consent_key="k" * 65)
    with pytest.raises(LengthExceededError):
        ReportInformation(description="d" * 513)
    with pytest.raises(InvalidArgumentError):
        ReportInformation(application_identity=b"short")
