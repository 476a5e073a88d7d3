"""The top-level public names of openwer are deliberate: this test guards them."""

from __future__ import annotations

import subprocess
import sys

import pytest

import openwer

EXPECTED = {
    "AccessDeniedError", "Consent", "ConsentLevel", "DumpType", "FileFlags",
    "FileNotFoundForReportError", "FileType", "FormatError", "InvalidArgumentError",
    "InvalidStateError", "LengthExceededError", "LimitReachedError", "NotFoundError",
    "OpenwerError", "ParameterGapError", "RegisterFileType", "Registry", "Report",
    "ReportClosedError", "ReportContext", "ReportInformation", "ReportNotFoundError",
    "ReportType", "SettingsError", "StoreError", "StoreType", "SubmitFlags", "SubmitResult",
    "TransportError", "UIOption", "__version__", "process_registry", "install",
    "report_exception", "uninstall", "RestartFlags", "register_restart", "unregister_restart",
    "register_recovery", "unregister_recovery", "recovery_in_progress", "recovery_finished",
    "heartbeat", "heartbeat_pause",
}  # fmt: skip


def test_all_is_the_expected_set() -> None:
    """openwer.__all__ lists exactly the public names."""
    assert set(openwer.__all__) == EXPECTED


def test_every_public_name_resolves() -> None:
    """Every name in __all__ is importable, including the lazily loaded ones."""
    for name in openwer.__all__:
        assert getattr(openwer, name) is not None
    assert set(openwer.__all__) <= set(dir(openwer))


def test_unknown_attribute_raises() -> None:
    """A misspelt name is an AttributeError, not a silent None."""
    with pytest.raises(AttributeError, match="Reprot"):
        openwer.Reprot  # noqa: B018


def test_import_is_cheap() -> None:
    """import openwer loads neither the report machinery, the CLI nor the server."""
    code = (
        "import sys, openwer; "
        "heavy = [m for m in sys.modules if m.startswith(('openwer.report', 'openwer.store', "
        "'openwer.cli', 'openwer.werapi', 'click', 'tomlkit', 'sqlalchemy', 'starlette'))]; "
        "print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_werapi_exports_its_names() -> None:
    """openwer.werapi exports the Win32 functions and constants by name."""
    from openwer import werapi

    for name in (
        "WerReportCreate", "WerReportSetParameter", "WerReportAddFile", "WerReportSetUIOption",
        "WerReportSubmit", "WerReportCloseHandle", "WerStoreOpen", "WerStoreGetFirstReportKey",
        "WerStoreGetNextReportKey", "WerStoreQueryReportMetadataV1",
        "WerStoreQueryReportMetadataV2", "WerStoreQueryReportMetadataV3",
        "WerStoreGetReportCount", "WerStoreGetSizeOnDisk", "WerStorePurge",
        "WerStoreUploadReport", "WerStoreClose", "WerAddExcludedApplication",
        "WerRemoveExcludedApplication", "WerReportApplicationCrash", "WerConsentApproved",
        "WER_SUBMIT_QUEUE", "E_STORE_USER_QUEUE",
    ):  # fmt: skip
        assert name in werapi.__all__, name
        assert hasattr(werapi, name), name
