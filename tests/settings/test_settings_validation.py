"""Invalid settings: every error is one line naming the file or variable, the key and the rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from settings_files import home_paths, write_settings

from openwer.errors import SettingsError
from openwer.settings import MAX_SETTINGS_FILE_SIZE, Level, OpenwerPaths, Settings, load_settings


def _error(paths: OpenwerPaths, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(paths, environ or {})
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("MaxQueueCount = 0", "MaxQueueCount: must be an integer from 1 to 500, got 0"),
        ("maxqueuecount = 501", "MaxQueueCount: must be an integer from 1 to 500, got 501"),
        (
            'MaxQueueCount = "5"',
            "MaxQueueCount: must be an integer from 1 to 500, got the string '5'",
        ),
        ("[MaxQueueCount]\nx = 1", "MaxQueueCount: must be an integer from 1 to 500, got a table"),
        ("MaxArchiveCount = -1", "MaxArchiveCount: must be an integer from 1 to 5000, got -1"),
        (
            "MaxQueueCount = 1.5",
            "MaxQueueCount: must be an integer from 1 to 500, got the float 1.5",
        ),
        (
            "MaxQueueCount = 1979-05-27",
            "MaxQueueCount: must be an integer from 1 to 500, got a date",
        ),
        ("DontShowUI = [1]", "DontShowUI: must be 0 or 1 (or false/true), got an array"),
        ("DontShowUI = 2", "DontShowUI: must be 0 or 1 (or false/true), got 2"),
        (
            "MaxQueueSizePercentage = 101",
            "MaxQueueSizePercentage: must be an integer from 1 to 100, got 101",
        ),
        ("MaxReportAgeDays = 0", "MaxReportAgeDays: must be an integer from 1 to 3650, got 0"),
        (
            "CorporateWERPortNumber = 0",
            "CorporateWERPortNumber: must be an integer from 1 to 65535, got 0",
        ),
        (
            "[Consent]\nDefaultConsent = 0",
            "Consent.DefaultConsent: must be one of 1 (always ask), 2 (parameters only),"
            " 3 (parameters and safe data) or 4 (all data), got 0",
        ),
        (
            "[Consent]\nAPPCRASH = 5",
            "Consent.APPCRASH: must be one of 0 (send nothing), 1 (always ask), 2 (parameters"
            " only), 3 (parameters and safe data) or 4 (all data), got 5",
        ),
        (
            "[Consent.DefaultConsent]\nx = 1",
            "Consent.DefaultConsent: must be one of 1 (always ask), 2 (parameters only),"
            " 3 (parameters and safe data) or 4 (all data), got a table",
        ),
        (
            "[LocalDumps]\nDumpType = 3",
            "LocalDumps.DumpType: must be one of 0 (custom), 1 (mini) or 2 (full), got 3",
        ),
        (
            "[LocalDumps]\nDumpCount = 10001",
            "LocalDumps.DumpCount: must be an integer from 0 to 10000, got 10001",
        ),
        (
            "[LocalDumps]\nDumpFolder = true",
            "LocalDumps.DumpFolder: must be an absolute folder path (it may start with ~ or use"
            " $VARIABLES), got true",
        ),
        (
            '[LocalDumps]\nDumpFolder = "dumps"',
            "LocalDumps.DumpFolder: must be an absolute folder path (it may start with ~ or use"
            " $VARIABLES), got the string 'dumps'",
        ),
        (
            '[LocalDumps."a.py"]\nDumpCount = -1',
            "LocalDumps.a.py.DumpCount: must be an integer from 0 to 10000, got -1",
        ),
        (
            '[LocalDumps."a.py".DumpType]\nx = 1',
            "LocalDumps.a.py.DumpType: must be one of 0 (custom), 1 (mini) or 2 (full),"
            " got a table",
        ),
        (
            '[Server]\nUrl = "ftp://x"',
            "Server.Url: must be an http:// or https:// URL with a host name, got the string"
            " 'ftp://x'",
        ),
        (
            '[Server]\nKey = ""',
            "Server.Key: must be a non-empty string without control characters, got an empty"
            " string",
        ),
        (
            '[ExcludedApplications]\n"a.py" = 1.0',
            "ExcludedApplications.a.py: must be 1 (excluded) or 0, as an integer, a boolean or a"
            " string, got the float 1.0",
        ),
        ("Consent = 3", "Consent: must be a table, got 3"),
        ('LocalDumps = "on"', "LocalDumps: must be a table, got the string 'on'"),
        ("MaxQueueCnt = 1", "MaxQueueCnt: unknown setting (did you mean MaxQueueCount?)"),
        ("Zzzz = 1", "Zzzz: unknown setting"),
        ("[Unknown]\nx = 1", "Unknown: unknown setting"),
        ('[Server]\nURI = "x"', "Server.URI: unknown setting (did you mean Server.Url?)"),
        (
            "[LocalDumps]\nDumpCnt = 1",
            "LocalDumps.DumpCnt: unknown setting (did you mean LocalDumps.DumpCount?)",
        ),
        (
            '[LocalDumps."a.py"]\nFolder = "/x"',
            "LocalDumps.a.py.Folder: unknown setting (did you mean LocalDumps.a.py.DumpFolder?)",
        ),
        (
            '[LocalDumps."a.py"]\nZz = 1',
            "LocalDumps.a.py.Zz: unknown setting (an application's LocalDumps name ends in"
            " DumpFolder, DumpCount, DumpType, CustomDumpFlags)",
        ),
        (
            '"Max\\nQueue" = 1',
            "Max\\nQueue: unknown setting (did you mean MaxQueueCount?)",
        ),
        (
            '[Consent]\n"a\\tb" = 1',
            "Consent.a\\tb: the name must not be empty or hold control characters",
        ),
        ("DontShowUI = 1\ndontshowui = 0", "DontShowUI: set twice (names are case-insensitive)"),
        (
            '[ExcludedApplications]\n"" = 1',
            "ExcludedApplications.: the name must not be empty or hold control characters",
        ),
    ],
)
def test_file_errors_name_file_key_rule_and_value(tmp_path: Path, text: str, message: str) -> None:
    """A bad value or name is reported as '<file>: <key>: <rule>, got <value>' on one line."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.MACHINE, text + "\n")
    assert _error(paths) == f"{file}: {message}"


def test_machine_only_settings_are_refused_in_the_user_file(tmp_path: Path) -> None:
    """ForceAdminQueue and the HKLM-only queue limits may not be set per user."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.USER, "ForceAdminQueue = 1\n")
    assert _error(paths) == (
        f"{file}: ForceAdminQueue: may be set only in the machine or policy settings"
    )


def test_machine_only_settings_are_allowed_in_machine_and_policy(tmp_path: Path) -> None:
    """The machine and policy files may set the HKLM-only values."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, "ForceAdminQueue = 1\n")
    write_settings(paths, Level.POLICY, "PurgeThreshholdValueInKB = 0\n")
    settings = load_settings(paths, {})
    assert settings.force_admin_queue
    assert settings.purge_threshold_kb == 0


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"OPENWER__MaxQueueCount": "0"},
            "environment variable OPENWER__MaxQueueCount: MaxQueueCount: must be an integer from"
            " 1 to 500, got 0",
        ),
        (
            {"OPENWER__DontShowUI": "maybe"},
            "environment variable OPENWER__DontShowUI: DontShowUI: must be 0 or 1 (or"
            " false/true), got the string 'maybe'",
        ),
        (
            {"OPENWER__Nope": "1"},
            "environment variable OPENWER__Nope: Nope: unknown setting",
        ),
        (
            {"OPENWER__LocalDumps__app.py": "1"},
            "environment variable OPENWER__LocalDumps__app.py: LocalDumps.app.py: unknown setting"
            " (an application's LocalDumps name ends in DumpFolder, DumpCount, DumpType,"
            " CustomDumpFlags)",
        ),
        (
            {"OPENWER_SERVER_URL": "not a url"},
            "environment variable OPENWER_SERVER_URL: Server.Url: must be an http:// or https://"
            " URL with a host name, got the string 'not a url'",
        ),
        (
            {"OPENWER__DontShowUI": "1", "OPENWER__dontshowui": "1"},
            "environment variable OPENWER__dontshowui: DontShowUI: set twice (names are"
            " case-insensitive)",
        ),
        (
            {"OPENWER__ForceAdminQueue": "x"},
            "environment variable OPENWER__ForceAdminQueue: ForceAdminQueue: must be 0 or 1 (or"
            " false/true), got the string 'x'",
        ),
    ],
)
def test_environment_errors_name_the_variable(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    """A bad variable is reported with its name, the key and the rule."""
    paths = home_paths(tmp_path)
    assert _error(paths, environ) == message


def test_environment_may_set_machine_only_settings(tmp_path: Path) -> None:
    """Operators may override any setting from the environment."""
    paths = home_paths(tmp_path)
    assert load_settings(paths, {"OPENWER__ForceAdminQueue": "1"}).force_admin_queue


def test_invalid_toml_names_the_file_and_position(tmp_path: Path) -> None:
    """Broken TOML is one line with tomllib's line and column."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.MACHINE, "MaxQueueCount = \n")
    message = _error(paths)
    assert message.startswith(f"{file}: invalid TOML: ")
    assert "line 1" in message


def test_binary_garbage_is_not_utf8(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are refused with the offending byte and offset."""
    paths = home_paths(tmp_path)
    file = paths.machine_settings_file
    file.parent.mkdir(parents=True)
    file.write_bytes(b"Max\xffQueue\x00\x80")
    assert _error(paths) == f"{file}: not valid UTF-8 (byte 0xff at offset 3)"


def test_control_characters_are_invalid_toml(tmp_path: Path) -> None:
    """UTF-8 binary (NULs and control characters) is refused as invalid TOML."""
    paths = home_paths(tmp_path)
    file = paths.user_settings_file
    file.parent.mkdir(parents=True)
    file.write_bytes(b"\x00\x01\x02\x03")
    assert _error(paths).startswith(f"{file}: invalid TOML: ")


def test_huge_file_is_refused(tmp_path: Path) -> None:
    """A file over 1 MiB is refused before it is read."""
    paths = home_paths(tmp_path)
    file = paths.policy_settings_file
    file.parent.mkdir(parents=True)
    file.write_bytes(b"#" * (MAX_SETTINGS_FILE_SIZE + 1))
    assert _error(paths) == f"{file}: larger than 1048576 bytes"


def test_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    """A file of exactly 1 MiB is still accepted."""
    paths = home_paths(tmp_path)
    file = paths.policy_settings_file
    file.parent.mkdir(parents=True)
    file.write_bytes(b"MaxQueueCount = 2\n#" + b"x" * (MAX_SETTINGS_FILE_SIZE - 20) + b"\n")
    assert file.stat().st_size == MAX_SETTINGS_FILE_SIZE
    assert load_settings(paths, {}).max_queue_count == 2


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    """Arrays nested deeper than the parser can go are a clear error, not a crash."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.USER, "a = " + "[" * 100_000 + "\n")
    assert _error(paths) == f"{file}: invalid TOML: nested too deeply"


def test_a_folder_in_place_of_the_file(tmp_path: Path) -> None:
    """A folder where the settings file should be is refused."""
    paths = home_paths(tmp_path)
    paths.user_settings_file.mkdir(parents=True)
    assert _error(paths) == f"{paths.user_settings_file}: not a regular file"


def test_a_fifo_in_place_of_the_file_does_not_hang(tmp_path: Path) -> None:
    """A FIFO is refused without blocking (the file is opened non-blocking)."""
    paths = home_paths(tmp_path)
    paths.machine_settings_file.parent.mkdir(parents=True)
    os.mkfifo(paths.machine_settings_file)
    assert _error(paths) == f"{paths.machine_settings_file}: not a regular file"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreadable file is an error naming it (simulated: tests run as root)."""
    paths = home_paths(tmp_path)
    real_open = os.open

    def deny(path: object, *args: object, **kwargs: object) -> int:
        if Path(str(path)) == paths.user_settings_file:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", deny)
    assert _error(paths) == f"{paths.user_settings_file}: cannot read: Permission denied"


def test_a_file_where_a_folder_should_be_counts_as_missing(tmp_path: Path) -> None:
    """If a parent of the settings file is a regular file, that layer is simply empty."""
    (tmp_path / "home").write_text("not a folder", encoding="utf-8")
    paths = OpenwerPaths.under(tmp_path / "home")
    assert load_settings(paths, {}) == Settings.defaults(paths)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_any_bytes_load_or_fail_cleanly(tmp_path: Path, data: bytes) -> None:
    """Arbitrary bytes give settings or a SettingsError, never another exception."""
    paths = home_paths(tmp_path)
    paths.user_settings_file.parent.mkdir(parents=True, exist_ok=True)
    paths.user_settings_file.write_bytes(data)
    message = ""
    try:
        load_settings(paths, {})
    except SettingsError as exc:
        message = str(exc)
    assert "\n" not in message


_KEYS = st.sampled_from(
    ["DontShowUI", "MaxQueueCount", "Consent", "LocalDumps", "Server", "ExcludedApplications"]
)
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.text(max_size=12)
    | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=12) | _KEYS, inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200)
@given(table=st.dictionaries(_KEYS | st.text(max_size=10), _VALUES, max_size=5))
def test_any_parsed_table_validates_or_fails_cleanly(table: dict[str, object]) -> None:
    """Any shape of parsed TOML gives a layer or a one-line SettingsError."""
    from openwer.settings.layers import layer_from_table
    from openwer.settings.levels import Layer, Source

    message = "f.toml: "
    try:
        layer_from_table(table, Source(Layer.USER, "f.toml"))
    except SettingsError as exc:
        message = str(exc)
    assert message.startswith("f.toml: ")
    assert "\n" not in message
