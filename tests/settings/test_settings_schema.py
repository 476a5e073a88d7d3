"""The schema: WER's defaults, allowed values, and how raw values are normalised."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from openwer.errors import SettingsError
from openwer.settings import (
    DEFAULT_CUSTOM_DUMP_FLAGS,
    SETTINGS,
    ArchiveMode,
    LocalDumpSettings,
    LocalDumpType,
    OpenwerPaths,
    Settings,
    resolve_key,
)
from openwer.settings.levels import Layer
from openwer.types import ConsentLevel


def test_defaults_equal_wer() -> None:
    """Settings.defaults() holds WER's documented defaults (wer-spec §4)."""
    paths = OpenwerPaths.under(Path("/h"))
    settings = Settings.defaults(paths)
    assert not settings.disabled
    assert not settings.dont_show_ui
    assert not settings.dont_send_additional_data
    assert not settings.logging_disabled
    assert not settings.force_queue
    assert not settings.disable_queue
    assert not settings.disable_archive
    assert settings.configure_archive is ArchiveMode.PARAMETERS_ONLY
    assert settings.max_archive_count == 1000
    assert settings.max_queue_count == 50
    assert settings.max_queue_size_percentage == 100
    assert settings.purge_threshold_kb == 10
    assert settings.queue_pester_interval_days == 14
    assert not settings.bypass_data_throttling
    assert not settings.force_admin_queue
    assert settings.max_report_age_days == 30
    assert settings.default_consent is ConsentLevel.ALWAYS_ASK
    assert not settings.default_override_behavior
    assert settings.event_consent == ()
    assert settings.excluded_applications == ()
    assert not settings.local_dumps_enabled
    assert settings.local_dumps == LocalDumpSettings(
        Path("/h/user/CrashDumps"), 10, LocalDumpType.MINI, 0x121
    )
    assert settings.local_dumps_apps == ()
    assert settings.server_url is None
    assert settings.server_key is None
    assert settings.corporate_wer_server is None
    assert settings.corporate_wer_port_number is None
    assert not settings.corporate_wer_use_ssl
    assert not settings.corporate_wer_use_authentication
    assert settings.corporate_wer_directory is None


def test_default_custom_dump_flags_are_wers() -> None:
    """CustomDumpFlags defaults to DataSegs | UnloadedModules | ProcessThreadData (0x121)."""
    assert DEFAULT_CUSTOM_DUMP_FLAGS == 0x1 | 0x20 | 0x100 == 0x121


def test_defaults_without_paths_use_os_environ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings.defaults() without paths takes the dump folder from os.environ."""
    monkeypatch.setenv("OPENWER_HOME", str(tmp_path))
    assert Settings.defaults().local_dumps.dump_folder == tmp_path / "user" / "CrashDumps"


def test_default_entries_name_every_fixed_setting_with_its_default_source() -> None:
    """Every fixed setting with a default is listed once, from the default layer, in order."""
    settings = Settings.defaults(OpenwerPaths.under(Path("/h")))
    names = [entry.name for entry in settings.entries]
    expected = [s.name for s in SETTINGS if not s.is_open and s.name != "LocalDumps.DumpFolder"]
    assert [n for n in names if n != "LocalDumps.DumpFolder"] == [
        n for n in expected if resolve_key(n).spec.default is not None
    ]
    assert "LocalDumps.DumpFolder" in names
    assert {entry.source.layer for entry in settings.entries} == {Layer.DEFAULT}
    assert str(settings.entries[0].source) == "default"


@pytest.mark.parametrize("spec", SETTINGS, ids=lambda spec: spec.name)
def test_every_default_is_valid(spec: object) -> None:
    """Every default passes its own validation unchanged."""
    from openwer.settings import SettingSpec

    assert isinstance(spec, SettingSpec)
    assert spec.description
    if spec.default is not None:
        assert spec.convert(spec.default, where=None, key=spec.name) == spec.default


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("DontShowUI", "1", 1),
        ("DontShowUI", "TRUE", 1),
        ("DontShowUI", "yes", 1),
        ("DontShowUI", " on ", 1),
        ("DontShowUI", "false", 0),
        ("DontShowUI", "Off", 0),
        ("MaxQueueCount", "010", 10),
        ("LocalDumps.CustomDumpFlags", "0x121", 0x121),
        ("LocalDumps.CustomDumpFlags", "0b11", 3),
        ("Consent.DefaultConsent", "4", 4),
        ("ExcludedApplications.a.py", "no", 0),
        ("ExcludedApplications.a.py", "anything", 1),
        ("Server.Url", "https://wer.example/x", "https://wer.example/x"),
        ("LocalDumps.DumpFolder", "~/dumps", "~/dumps"),
    ],
)
def test_parse_text(name: str, text: str, expected: int | str) -> None:
    """Command-line text is converted by the schema: words for flags, decimal or 0x numbers."""
    spec = resolve_key(name).spec
    assert spec.parse_text(text, where=None, key=name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, 1), (False, 0), (1, 1), (0, 0), (7, 1), ("1", 1), ("", 1), ("0", 0), ("FALSE", 0)],
)
def test_exclusion_values_are_read_tolerantly(value: object, expected: int) -> None:
    """ExcludedApplications values may be booleans, integers or strings (REG_DWORD or REG_SZ)."""
    spec = resolve_key("ExcludedApplications.x").spec
    assert spec.convert(value, where=None, key="x") == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MaxQueueCount", 0, "MaxQueueCount: must be an integer from 1 to 500, got 0"),
        ("MaxQueueCount", True, "MaxQueueCount: must be an integer from 1 to 500, got true"),
        (
            "MaxQueueCount",
            "5",
            "MaxQueueCount: must be an integer from 1 to 500, got the string '5'",
        ),
        (
            "MaxQueueCount",
            1.5,
            "MaxQueueCount: must be an integer from 1 to 500, got the float 1.5",
        ),
        ("MaxQueueCount", [], "MaxQueueCount: must be an integer from 1 to 500, got an array"),
        ("MaxQueueCount", {}, "MaxQueueCount: must be an integer from 1 to 500, got a table"),
        (
            "MaxQueueCount",
            datetime.date(2024, 1, 2),
            "MaxQueueCount: must be an integer from 1 to 500, got a date",
        ),
        ("DontShowUI", 2, "DontShowUI: must be 0 or 1 (or false/true), got 2"),
        ("DontShowUI", False, None),
        ("Disabled", "true", "Disabled: must be 0 or 1 (or false/true), got the string 'true'"),
        (
            "LocalDumps.CustomDumpFlags",
            -1,
            "LocalDumps.CustomDumpFlags: must be an integer from 0 to 0xffffffff, got -1",
        ),
        (
            "LocalDumps.DumpType",
            3,
            "LocalDumps.DumpType: must be one of 0 (custom), 1 (mini) or 2 (full), got 3",
        ),
        (
            "ConfigureArchive",
            True,
            "ConfigureArchive: must be one of 1 (parameters only) or 2 (all data), got true",
        ),
        (
            "Server.Key",
            "",
            "Server.Key: must be a non-empty string without control characters,"
            " got an empty string",
        ),
        (
            "Server.Key",
            "a\nb",
            "Server.Key: must be a non-empty string without control characters,"
            " got the string 'a\\nb'",
        ),
        ("Server.Url", 5, "Server.Url: must be an http:// or https:// URL with a host name, got 5"),
        (
            "ExcludedApplications.x",
            1.0,
            "ExcludedApplications.x: must be 1 (excluded) or 0, as an integer, a boolean or a"
            " string, got the float 1.0",
        ),
    ],
)
def test_convert_messages(name: str, value: object, message: str | None) -> None:
    """A wrong type or value is refused with 'must be <allowed>, got <found>'."""
    spec = resolve_key(name).spec
    if message is None:
        spec.convert(value, where=None, key=name)
        return
    with pytest.raises(SettingsError) as caught:
        spec.convert(value, where=None, key=name)
    assert str(caught.value) == message


def test_long_strings_are_shortened_in_messages() -> None:
    """A long wrong value is cut in the message so that it stays one readable line."""
    spec = resolve_key("MaxQueueCount").spec
    with pytest.raises(SettingsError) as caught:
        spec.convert("x" * 500, where="f", key="MaxQueueCount")
    assert str(caught.value).endswith("got the string '" + "x" * 60 + "…'")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://wer.example",
        "https://",
        "wer.example",
        "https://wer example",
        "https://wer.example:99999",
        "http://[::1",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    """Server.Url must be http(s) with a host and a valid port."""
    spec = resolve_key("Server.Url").spec
    with pytest.raises(SettingsError, match="must be an http:// or https:// URL"):
        spec.convert(url, where=None, key="Server.Url")


@pytest.mark.parametrize("folder", ["dumps", "./dumps", "", "a\x00b"])
def test_relative_dump_folders_are_refused(folder: str) -> None:
    """DumpFolder must be absolute, or start with ~ or a variable."""
    spec = resolve_key("LocalDumps.DumpFolder").spec
    with pytest.raises(SettingsError, match="must be an absolute folder path"):
        spec.convert(folder, where=None, key="LocalDumps.DumpFolder")


def test_bitmask_is_listed_in_hex() -> None:
    """CustomDumpFlags is shown in hex, other numbers in decimal."""
    assert resolve_key("LocalDumps.CustomDumpFlags").spec.format(0x121) == "0x121"
    assert resolve_key("MaxQueueCount").spec.format(50) == "50"


def test_template_names() -> None:
    """Open names are shown with <name> for the part the user chooses."""
    names = {spec.name for spec in SETTINGS if spec.is_open}
    assert names == {
        "Consent.<name>",
        "ExcludedApplications.<name>",
        "LocalDumps.<name>.DumpFolder",
        "LocalDumps.<name>.DumpCount",
        "LocalDumps.<name>.DumpType",
        "LocalDumps.<name>.CustomDumpFlags",
    }
