"""load_settings: layering, precedence, case-insensitivity, local dumps, aliases, environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from settings_files import home_paths, write_settings

from openwer.errors import SettingsError
from openwer.settings import (
    Layer,
    Level,
    LocalDumpSettings,
    LocalDumpType,
    OpenwerPaths,
    Settings,
    load_settings,
)
from openwer.types import ConsentLevel


def test_no_files_no_environment_gives_defaults(tmp_path: Path) -> None:
    """With no file and no variable the effective settings are WER's defaults."""
    paths = home_paths(tmp_path)
    assert load_settings(paths, {}) == Settings.defaults(paths)


def test_precedence_machine_user_policy_environment(tmp_path: Path) -> None:
    """Machine < user < policy < environment, key by key, each reporting its source."""
    paths = home_paths(tmp_path)
    machine = write_settings(paths, Level.MACHINE, "MaxQueueCount = 10\nMaxArchiveCount = 11\n")
    user = write_settings(paths, Level.USER, "MaxQueueCount = 20\nDontShowUI = 1\n")
    policy = write_settings(paths, Level.POLICY, "MaxQueueCount = 30\n")
    settings = load_settings(paths, {"OPENWER__DontShowUI": "0"})
    assert settings.max_queue_count == 30
    assert settings.max_archive_count == 11
    assert settings.dont_show_ui is False
    queue = settings.entry("maxqueuecount")
    archive = settings.entry("MaxArchiveCount")
    ui = settings.entry("DontShowUI")
    assert queue is not None
    assert archive is not None
    assert ui is not None
    assert (queue.source.layer, queue.source.location) == (Layer.POLICY, str(policy))
    assert (archive.source.layer, archive.source.location) == (Layer.MACHINE, str(machine))
    assert (ui.source.layer, ui.source.location) == (Layer.ENVIRONMENT, "OPENWER__DontShowUI")
    assert str(queue.source) == f"policy ({policy})"
    assert queue.source.level is Level.POLICY
    assert ui.source.level is None
    assert user.exists()


def test_user_overrides_machine(tmp_path: Path) -> None:
    """A user value replaces the machine value of the same key."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, "[Consent]\nDefaultConsent = 2\n")
    write_settings(paths, Level.USER, "[Consent]\nDefaultConsent = 4\n")
    assert load_settings(paths, {}).default_consent is ConsentLevel.ALL_DATA


def test_keys_are_case_insensitive_and_reported_in_wer_spelling(tmp_path: Path) -> None:
    """Any case works in files and variables; listings use WER's canonical spelling."""
    paths = home_paths(tmp_path)
    write_settings(
        paths,
        Level.MACHINE,
        "dontshowui = true\n[CONSENT]\ndefaultconsent = 3\n[localdumps]\ndumpcount = 4\n",
    )
    settings = load_settings(paths, {"OPENWER__maxqueuecount": "7", "OPENWER__server__URL": ""})
    assert settings.dont_show_ui
    assert settings.default_consent is ConsentLevel.PARAMETERS_AND_SAFE_DATA
    assert settings.local_dumps.dump_count == 4
    assert settings.max_queue_count == 7
    names = {entry.name for entry in settings.entries if entry.source.layer is not Layer.DEFAULT}
    assert names == {
        "DontShowUI",
        "Consent.DefaultConsent",
        "LocalDumps.DumpCount",
        "MaxQueueCount",
    }


def test_toml_booleans_for_flags(tmp_path: Path) -> None:
    """true/false are accepted for 0/1 settings and normalised to 1/0."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.USER, "ForceQueue = true\nDisableQueue = false\n")
    settings = load_settings(paths, {})
    assert settings.force_queue
    assert not settings.disable_queue
    entry = settings.entry("ForceQueue")
    assert entry is not None
    assert entry.value == 1
    assert entry.text == "1"


def test_every_scalar_setting_reaches_its_field(tmp_path: Path) -> None:
    """Each top-level value sets its typed field."""
    paths = home_paths(tmp_path)
    write_settings(
        paths,
        Level.MACHINE,
        """
Disabled = 1
DontSendAdditionalData = 1
LoggingDisabled = 1
DisableArchive = 1
ConfigureArchive = 2
MaxQueueSizePercentage = 40
PurgeThreshholdValueInKB = 99
QueuePesterInterval = 0
BypassDataThrottling = 1
ForceAdminQueue = 1
MaxReportAgeDays = 3650
CorporateWERUseAuthentication = 1
[Consent]
DefaultOverrideBehavior = 1
""",
    )
    s = load_settings(paths, {})
    assert s.disabled
    assert s.dont_send_additional_data
    assert s.logging_disabled
    assert s.disable_archive
    assert s.configure_archive == 2
    assert (s.max_queue_size_percentage, s.purge_threshold_kb) == (40, 99)
    assert (s.queue_pester_interval_days, s.max_report_age_days) == (0, 3650)
    assert s.bypass_data_throttling
    assert s.force_admin_queue
    assert s.default_override_behavior
    assert s.corporate_wer_use_authentication


def test_per_event_consent(tmp_path: Path) -> None:
    """Consent.<EventType> is looked up case-insensitively; 0 means send nothing."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, "[Consent]\nAPPCRASH = 2\nAppHangB1 = 3\n")
    write_settings(paths, Level.USER, "[Consent]\nappcrash = 0\n")
    settings = load_settings(paths, {"OPENWER__Consent__PythonException": "4"})
    assert settings.consent_for("APPCRASH") is ConsentLevel.NONE
    assert settings.consent_for("apphangb1") is ConsentLevel.PARAMETERS_AND_SAFE_DATA
    assert settings.consent_for("PythonException") is ConsentLevel.ALL_DATA
    assert settings.consent_for("CLR20r3") is None
    assert dict(settings.event_consent) == {
        "AppHangB1": ConsentLevel.PARAMETERS_AND_SAFE_DATA,
        "appcrash": ConsentLevel.NONE,
        "PythonException": ConsentLevel.ALL_DATA,
    }


def test_exclusions_are_the_union_of_every_level(tmp_path: Path) -> None:
    """Machine, user, policy and environment lists add up; a 0 excludes nothing."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, '[ExcludedApplications]\n"a.py" = 1\n"off.py" = 0\n')
    write_settings(paths, Level.USER, '[ExcludedApplications]\n"A.PY" = 0\nb.py = "1"\n')
    write_settings(paths, Level.POLICY, '[ExcludedApplications]\n"/opt/c.py" = true\n')
    settings = load_settings(paths, {"OPENWER__ExcludedApplications__d.py": "1"})
    assert settings.is_excluded("a.py")
    assert settings.is_excluded("/usr/bin/A.Py")
    assert settings.is_excluded("b.py")
    assert settings.is_excluded("C:\\tools\\c.py")
    assert settings.is_excluded("d.py")
    assert not settings.is_excluded("off.py")
    assert not settings.is_excluded("e.py")
    assert sorted(settings.excluded_applications) == ["/opt/c.py", "a.py", "b.py", "d.py"]


def test_local_dumps_are_off_unless_configured(tmp_path: Path) -> None:
    """Without a LocalDumps table anywhere, no application gets local dumps."""
    paths = home_paths(tmp_path)
    assert load_settings(paths, {}).local_dumps_for("myapp.py") is None


def test_empty_local_dumps_table_turns_dumps_on_with_defaults(tmp_path: Path) -> None:
    """An empty [LocalDumps] is WER's empty LocalDumps key: dumps on, default values."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, "[LocalDumps]\n")
    dumps = load_settings(paths, {}).local_dumps_for("any.py")
    assert dumps == LocalDumpSettings(paths.default_dump_folder, 10, LocalDumpType.MINI, 0x121)


def test_per_app_local_dumps_override_global_field_by_field(tmp_path: Path) -> None:
    """LocalDumps.<app> values replace the global ones they set and inherit the others."""
    paths = home_paths(tmp_path)
    write_settings(
        paths,
        Level.MACHINE,
        '[LocalDumps]\nDumpFolder = "/var/dumps"\nDumpCount = 5\n'
        '[LocalDumps."my.app.py"]\nDumpType = 2\n',
    )
    write_settings(paths, Level.USER, '[LocalDumps."MY.APP.PY"]\nDumpCount = 2\n')
    settings = load_settings(paths, {"OPENWER__LocalDumps__my.app.py__CustomDumpFlags": "0x3"})
    assert settings.local_dumps_for("/usr/bin/my.app.py") == LocalDumpSettings(
        Path("/var/dumps"), 2, LocalDumpType.FULL, 3
    )
    assert settings.local_dumps_for("other.py") == LocalDumpSettings(
        Path("/var/dumps"), 5, LocalDumpType.MINI, 0x121
    )
    # The highest layer's spelling of the name is kept (here the variable's).
    assert [app.app for app in settings.local_dumps_apps] == ["my.app.py"]


def test_per_app_table_alone_turns_dumps_on_for_that_app_only(tmp_path: Path) -> None:
    """A LocalDumps table holding only an application's table enables that application only."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, '[LocalDumps."myapp.py"]\n')
    settings = load_settings(paths, {})
    assert not settings.local_dumps_enabled
    assert settings.local_dumps_for("myapp.py") == LocalDumpSettings(
        paths.default_dump_folder, 10, LocalDumpType.MINI, 0x121
    )
    assert settings.local_dumps_for("other.py") is None


def test_unquoted_dotted_app_table_is_one_app(tmp_path: Path) -> None:
    """[LocalDumps.my.app.py] without quotes (nested tables in TOML) names the app my.app.py."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, "[LocalDumps.my.app.py]\nDumpType = 0\n")
    settings = load_settings(paths, {})
    dumps = settings.local_dumps_for("my.app.py")
    assert dumps is not None
    assert dumps.dump_type is LocalDumpType.CUSTOM
    assert settings.local_dumps_for("my") is None
    entry = settings.entry("LocalDumps.my.app.py.DumpType")
    assert entry is not None
    assert entry.name == "LocalDumps.my.app.py.DumpType"


def test_dump_count_zero_turns_an_app_off(tmp_path: Path) -> None:
    """DumpCount 0 for one application keeps its dumps off while others get them."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, '[LocalDumps]\n[LocalDumps."noisy.py"]\nDumpCount = 0\n')
    settings = load_settings(paths, {"OPENWER__LocalDumps__DumpCount": "1"})
    assert settings.local_dumps_for("noisy.py") is None
    assert settings.local_dumps_for("quiet.py") is not None


def test_environment_enables_local_dumps(tmp_path: Path) -> None:
    """A global OPENWER__LocalDumps__* variable turns local dumps on for every application."""
    paths = home_paths(tmp_path)
    settings = load_settings(paths, {"OPENWER__LocalDumps__DumpType": "2"})
    dumps = settings.local_dumps_for("x")
    assert dumps is not None
    assert dumps.dump_type is LocalDumpType.FULL


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("~/dumps", "/home/u/dumps"),
        ("~", "/home/u"),
        ("$DUMPS/x", "/srv/d/x"),
        ("${DUMPS}/y", "/srv/d/y"),
        ("%DUMPS%/z", "/srv/d/z"),
        ("/abs/$UNSET/x", "/abs/$UNSET/x"),
    ],
)
def test_dump_folder_is_expanded_like_reg_expand_sz(
    tmp_path: Path, folder: str, expected: str
) -> None:
    """DumpFolder expands ~, $VAR, ${VAR} and %VAR% with the given environment."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, f"[LocalDumps]\nDumpFolder = {folder!r}\n")
    settings = load_settings(paths, {"HOME": "/home/u", "DUMPS": "/srv/d"})
    assert settings.local_dumps.dump_folder == Path(expected)


def test_per_app_dump_folder_is_expanded(tmp_path: Path) -> None:
    """A per-application DumpFolder is expanded too."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.USER, '[LocalDumps."a.py"]\nDumpFolder = "~/a"\n')
    dumps = load_settings(paths, {"HOME": "/home/u"}).local_dumps_for("a.py")
    assert dumps is not None
    assert dumps.dump_folder == Path("/home/u/a")


def test_dump_folder_that_expands_to_a_relative_path_is_an_error(tmp_path: Path) -> None:
    """A variable that expands to a relative path is refused, naming the file and the key."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.MACHINE, '[LocalDumps]\nDumpFolder = "$REL/dumps"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(paths, {"REL": "relative"})
    assert str(caught.value) == (
        f"{file}: LocalDumps.DumpFolder: must be an absolute folder path once ~ and variables"
        " are expanded, got 'relative/dumps' from '$REL/dumps'"
    )


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ('CorporateWERServer = "wer.corp"', "http://wer.corp"),
        (
            'CorporateWERServer = "wer.corp"\nCorporateWERPortNumber = 8443\nCorporateWERUseSSL = 1'
            '\nCorporateWERDirectory = "/cer/"',
            "https://wer.corp:8443/cer",
        ),
        ('CorporateWERServer = "::1"\nCorporateWERPortNumber = 81', "http://[::1]:81"),
        (
            'CorporateWERServer = "wer.corp"\n[Server]\nUrl = "https://explicit.example"',
            "https://explicit.example",
        ),
        ("CorporateWERPortNumber = 80", None),
    ],
)
def test_corporate_wer_aliases_build_server_url(tmp_path: Path, text: str, url: str | None) -> None:
    """CorporateWER* values build Server.Url when it is not set; Server.Url wins."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, text + "\n")
    assert load_settings(paths, {}).server_url == url


def test_server_environment_shortcuts(tmp_path: Path) -> None:
    """OPENWER_SERVER_URL and OPENWER_SERVER_KEY override the files."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.USER, '[Server]\nUrl = "http://file.example"\nKey = "file"\n')
    env = {"OPENWER_SERVER_URL": "https://env.example", "OPENWER_SERVER_KEY": "k-123"}
    settings = load_settings(paths, env)
    assert (settings.server_url, settings.server_key) == ("https://env.example", "k-123")
    key = settings.entry("Server.Key")
    assert key is not None
    assert key.source.location == "OPENWER_SERVER_KEY"


def test_generic_variable_wins_over_shortcut(tmp_path: Path) -> None:
    """OPENWER__Server__Url is more specific than OPENWER_SERVER_URL and wins."""
    paths = home_paths(tmp_path)
    env = {"OPENWER_SERVER_URL": "https://a.example", "OPENWER__Server__Url": "https://b.example"}
    assert load_settings(paths, env).server_url == "https://b.example"


def test_empty_variables_are_unset(tmp_path: Path) -> None:
    """An empty variable counts as unset, as is usual for environment configuration."""
    paths = home_paths(tmp_path)
    env = {"OPENWER_SERVER_URL": "", "OPENWER__MaxQueueCount": "", "OPENWER_HOME": ""}
    assert load_settings(paths, env) == Settings.defaults(paths)


def test_unrelated_variables_are_ignored(tmp_path: Path) -> None:
    """Only OPENWER__* and the two shortcuts are read."""
    paths = home_paths(tmp_path)
    env = {"OPENWER_HOME": "/elsewhere", "OPENWERX": "1", "PATH": "/bin"}
    assert load_settings(paths, env) == Settings.defaults(paths)


def test_paths_come_from_the_environment_when_not_given(tmp_path: Path) -> None:
    """load_settings(environ=...) finds the files through that environment's OPENWER_HOME."""
    paths = OpenwerPaths.under(tmp_path)
    paths.user_settings_file.parent.mkdir(parents=True)
    paths.user_settings_file.write_text("MaxQueueCount = 9\n", encoding="utf-8")
    assert load_settings(environ={"OPENWER_HOME": str(tmp_path)}).max_queue_count == 9


def test_os_environ_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without arguments load_settings reads os.environ (here pointed at tmp_path)."""
    monkeypatch.setenv("OPENWER_HOME", str(tmp_path))
    monkeypatch.setenv("OPENWER__MaxArchiveCount", "12")
    assert load_settings().max_archive_count == 12


def test_utf8_bom_is_tolerated(tmp_path: Path) -> None:
    """A UTF-8 BOM, as Windows editors write, does not break the file."""
    paths = home_paths(tmp_path)
    file = paths.user_settings_file
    file.parent.mkdir(parents=True)
    file.write_bytes(b"\xef\xbb\xbfMaxQueueCount = 3\n")
    assert load_settings(paths, {}).max_queue_count == 3


def test_inline_and_dotted_tables(tmp_path: Path) -> None:
    """Inline tables and dotted keys are the same settings as [table] sections."""
    paths = home_paths(tmp_path)
    write_settings(
        paths,
        Level.USER,
        'Server = { Url = "https://x.example" }\nConsent.DefaultConsent = 2\n'
        "ExcludedApplications.tool.py = 1\n",
    )
    settings = load_settings(paths, {})
    assert settings.server_url == "https://x.example"
    assert settings.default_consent is ConsentLevel.PARAMETERS_ONLY
    assert settings.is_excluded("tool.py")


def test_entry_of_an_unset_open_name_is_none(tmp_path: Path) -> None:
    """entry() of a per-event name nobody set is None; an unknown name raises."""
    paths = home_paths(tmp_path)
    settings = load_settings(paths, {})
    assert settings.entry("Consent.APPCRASH") is None
    with pytest.raises(SettingsError, match="unknown setting"):
        settings.entry("Nope")
