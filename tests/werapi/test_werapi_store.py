"""Tests of the Win32-named store, registration and exclusion functions."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from openwer import werapi as w
from openwer.formats.bucket_id import compute_bucket_ids
from openwer.report import process_registry
from openwer.transport import MemoryTransport
from openwer.werapi.report_api import report_context, set_report_context


@pytest.fixture(autouse=True)
def _home(openwer_home: Path) -> None:
    """Every test gets its own OPENWER_HOME."""


def queue_report(value: str = "a", files: list[Path] | None = None) -> None:
    _, report = w.WerReportCreate("MyEvent", w.WerReportNonCritical, None)
    w.WerReportSetParameter(report, 0, "Component", value)
    for path in files or []:
        w.WerReportAddFile(report, str(path), w.WerFileTypeOther, w.WER_FILE_ANONYMOUS_DATA)
    w.WerReportSubmit(report, w.WerConsentNotAsked, w.WER_SUBMIT_QUEUE)
    w.WerReportCloseHandle(report)


def test_open_invalid_type() -> None:
    """WerStoreOpen with an invalid store type is E_INVALIDARG."""
    assert w.WerStoreOpen(w.E_STORE_INVALID) == (w.E_INVALIDARG, None)
    assert w.WerStoreOpen(-1) == (w.E_INVALIDARG, None)


def test_empty_store_has_no_more_files() -> None:
    """First key of an empty store is ERROR_NO_MORE_FILES; count 0."""
    hr, store = w.WerStoreOpen(w.E_STORE_USER_QUEUE)
    assert hr == w.S_OK
    assert w.WerStoreGetFirstReportKey(store) == (w.HRESULT_FROM_WIN32_ERROR_NO_MORE_FILES, None)
    assert w.WerStoreGetNextReportKey(store) == (w.HRESULT_FROM_WIN32_ERROR_NO_MORE_FILES, None)
    assert w.WerStoreGetReportCount(store) == (w.S_OK, 0)
    assert w.WerStoreGetSizeOnDisk(store) == (w.S_OK, 0)
    w.WerStoreClose(store)


def test_iterate_and_query(tmp_path: Path) -> None:
    """Keys iterate to the end; V1/V2/V3 metadata carry WER's fields."""
    log = tmp_path / "app.log"
    log.write_text("hello")
    queue_report("a", [log])
    queue_report("b")
    _, store = w.WerStoreOpen(w.E_STORE_USER_QUEUE)
    hr, first = w.WerStoreGetFirstReportKey(store)
    assert hr == w.S_OK
    assert first
    hr, second = w.WerStoreGetNextReportKey(store)
    assert hr == w.S_OK
    assert second
    assert second != first
    assert w.WerStoreGetNextReportKey(store) == (w.HRESULT_FROM_WIN32_ERROR_NO_MORE_FILES, None)
    assert w.WerStoreGetReportCount(store) == (w.S_OK, 2)
    hr, size = w.WerStoreGetSizeOnDisk(store)
    assert hr == w.S_OK
    assert size
    assert size > 0

    hr, v1 = w.WerStoreQueryReportMetadataV1(store, first)
    assert hr == w.S_OK
    assert v1 is not None
    assert v1.Signature.EventName == "MyEvent"
    assert v1.Signature.Parameters[0].Name == "Component"
    assert v1.Signature.Parameters[0].Value == "a"
    assert len(v1.Signature.Parameters) == 10
    assert v1.BucketId == compute_bucket_ids("MyEvent", ["a"]).bucket_id
    assert isinstance(v1.ReportId, uuid.UUID)
    assert v1.CreationTime > 0
    assert v1.SizeInBytes > 0

    probe = w.WER_REPORT_METADATA_V2()
    hr, probe_out = w.WerStoreQueryReportMetadataV2(store, first, probe)
    assert hr == w.WER_E_INSUFFICIENT_BUFFER
    assert probe_out is probe
    assert probe.SizeOfFileNames == len("app.log") + 2
    hr, _ = w.WerStoreQueryReportMetadataV2(store, first, probe)
    assert hr == w.S_OK
    assert probe.FileNames == "app.log\0\0"
    assert probe.NumberOfFiles == 1

    hr, v3 = w.WerStoreQueryReportMetadataV3(store, second)
    assert hr == w.S_OK
    assert v3 is not None
    assert v3.FileNames == "\0"
    assert v3.NumberOfFiles == 0
    assert v3.FriendlyEventName == "MyEvent"
    assert v3.BucketIdString == ""
    assert v3.LegacyBucketId == 0

    assert w.WerStoreQueryReportMetadataV1(store, "no-such-key")[0] == w.E_INVALIDARG
    assert w.WerStoreQueryReportMetadataV1(None, first)[0] == w.E_INVALIDARG
    w.WerStoreClose(store)
    assert w.WerStoreGetFirstReportKey(store) == (w.E_INVALIDARG, None)


def test_purge() -> None:
    """WerStorePurge empties the user store."""
    queue_report()
    assert w.WerStorePurge() == w.S_OK
    _, store = w.WerStoreOpen(w.E_STORE_USER_QUEUE)
    assert w.WerStoreGetReportCount(store) == (w.S_OK, 0)


def test_upload_report(openwer_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WerStoreUploadReport sends a queued report when consent and a server allow it."""
    queue_report()
    _, store = w.WerStoreOpen(w.E_STORE_USER_QUEUE)
    _, key = w.WerStoreGetFirstReportKey(store)
    assert w.WerStoreUploadReport(store, key, 0) == (w.S_OK, w.WerReportCancelled)  # always ask
    monkeypatch.setenv("OPENWER__Consent__DefaultConsent", "4")
    assert w.WerStoreUploadReport(store, key, 0) == (w.S_OK, w.WerReportQueued)  # no server
    transport = MemoryTransport()
    base = report_context()
    set_report_context(
        lambda: type(base)(paths=base.paths, settings=base.settings, transport=transport)
    )
    try:
        assert w.WerStoreUploadReport(store, key, 0) == (w.S_OK, w.WerReportUploadedCab)
    finally:
        set_report_context(None)
    assert w.WerStoreGetReportCount(store) == (w.S_OK, 0)
    assert w.WerStoreUploadReport(store, "missing", 0) == (w.E_INVALIDARG, None)
    assert w.WerStoreUploadReport(None, key, 0) == (w.E_INVALIDARG, None)


def test_registration_functions(tmp_path: Path) -> None:
    """WerRegister*/WerUnregister* return WER's HRESULTs."""
    registry = process_registry()
    registry.clear()
    try:
        assert w.WerRegisterFile(str(tmp_path / "f"), w.WerRegFileTypeOther, 0) == w.S_OK
        assert w.WerUnregisterFile(str(tmp_path / "f")) == w.S_OK
        assert w.WerUnregisterFile(str(tmp_path / "f")) == w.WER_E_NOT_FOUND
        assert w.WerRegisterFile(None, w.WerRegFileTypeOther, 0) == w.E_INVALIDARG
        assert w.WerRegisterMemoryBlock(0x1000, 16) == w.S_OK
        assert w.WerRegisterMemoryBlock(0x2000, 64 * 1024 + 1) == w.WER_E_LENGTH_EXCEEDED
        assert w.WerUnregisterMemoryBlock(0x1000) == w.S_OK
        assert w.WerUnregisterMemoryBlock(0x1000) == w.WER_E_NOT_FOUND
        assert w.WerRegisterExcludedMemoryBlock(0x3000, 1 << 20) == w.S_OK
        assert w.WerRegisterExcludedMemoryBlock(None, 10) == w.E_INVALIDARG
        assert w.WerUnregisterExcludedMemoryBlock(0x3000) == w.S_OK
        assert w.WerRegisterCustomMetadata("Build", "42") == w.S_OK
        assert w.WerRegisterCustomMetadata(None, "42") == w.E_INVALIDARG
        assert w.WerUnregisterCustomMetadata("Build") == w.S_OK
        for pid in range(1, 5):
            assert w.WerRegisterAdditionalProcess(pid, 0) == w.S_OK
        assert w.WerRegisterAdditionalProcess(99, 0) == w.WER_E_INSUFFICIENT_BUFFER
        assert w.WerRegisterAdditionalProcess(0, 0) == w.E_INVALIDARG
        assert w.WerUnregisterAdditionalProcess(1) == w.S_OK
        registry.set_in_recovery(True)
        assert w.WerRegisterCustomMetadata("Late", "1") == w.WER_E_INVALID_STATE
    finally:
        registry.clear()


def test_exclusions() -> None:
    """Wine-verified exclusion rules."""
    assert w.WerAddExcludedApplication(None, False) == w.E_INVALIDARG
    assert w.WerAddExcludedApplication("", False) == w.E_INVALIDARG
    assert w.WerAddExcludedApplication("C:\\tools\\", False) == w.E_INVALIDARG
    assert w.WerAddExcludedApplication("/opt/tool/app.py", False) == w.S_OK
    assert w.WerAddExcludedApplication("app.py", False) == w.S_OK  # twice is fine
    assert report_context().settings.is_excluded("app.py")
    assert w.WerRemoveExcludedApplication("app.py", False) == w.S_OK
    assert w.WerRemoveExcludedApplication("app.py", False) == (
        w.HRESULT_FROM_WIN32_ERROR_ENVVAR_NOT_FOUND
    )
    assert w.WerRemoveExcludedApplication(None, False) == w.E_INVALIDARG
    assert w.WerAddExcludedApplication("machine.py", True) == w.S_OK  # root may write it here


def test_free_string_is_harmless() -> None:
    """WerFreeString accepts anything."""
    w.WerFreeString("key")
    w.WerFreeString(None)
