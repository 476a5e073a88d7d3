"""get/set/unset/list of one settings file: round trips, comments kept, atomic writes, access."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest
from settings_files import home_paths, write_settings

from openwer.errors import AccessDeniedError, SettingsError
from openwer.settings import (
    Layer,
    Level,
    OpenwerPaths,
    get_value,
    list_values,
    load_settings,
    set_value,
    unset_value,
)

COMMENTED = """\
# openwer machine settings
DontShowUI = 1  # no UI on servers

[Consent]
# ask before sending anything
DefaultConsent = 2 # two
"""


def test_set_then_get_round_trip(tmp_path: Path) -> None:
    """A value set in a level's file is read back normalised, with that file as its source."""
    paths = home_paths(tmp_path)
    entry = set_value(paths, Level.USER, "consent.defaultconsent", "4")
    assert (entry.name, entry.value, entry.text) == ("Consent.DefaultConsent", 4, "4")
    assert entry.source.layer is Layer.USER
    assert entry.source.location == str(paths.user_settings_file)
    got = get_value(paths, Level.USER, "Consent.DefaultConsent")
    assert got == entry
    assert get_value(paths, Level.MACHINE, "Consent.DefaultConsent") is None
    assert paths.user_settings_file.read_text(encoding="utf-8") == "[Consent]\nDefaultConsent = 4\n"


def test_flag_words_are_written_as_wer_numbers(tmp_path: Path) -> None:
    """'true' for a 0/1 setting is stored as 1, like WER's DWORD."""
    paths = home_paths(tmp_path)
    set_value(paths, Level.MACHINE, "DontShowUI", "true")
    assert paths.machine_settings_file.read_text(encoding="utf-8") == "DontShowUI = 1\n"


def test_set_keeps_comments_and_formatting(tmp_path: Path) -> None:
    """Editing changes only the value; comments, order and spacing stay."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.MACHINE, COMMENTED)
    set_value(paths, Level.MACHINE, "Consent.DefaultConsent", "3")
    set_value(paths, Level.MACHINE, "MaxQueueCount", "7")
    assert file.read_text(encoding="utf-8") == (
        "# openwer machine settings\n"
        "DontShowUI = 1  # no UI on servers\n"
        "MaxQueueCount = 7\n"
        "\n"
        "[Consent]\n"
        "# ask before sending anything\n"
        "DefaultConsent = 3 # two\n"
    )


def test_existing_key_keeps_its_spelling(tmp_path: Path) -> None:
    """A key written in another case is updated in place, not duplicated."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.USER, "dontshowui = 0\n[consent]\ndefaultCONSENT = 1\n")
    set_value(paths, Level.USER, "DONTSHOWUI", "1")
    set_value(paths, Level.USER, "Consent.DefaultConsent", "2")
    assert file.read_text(encoding="utf-8") == "dontshowui = 1\n[consent]\ndefaultCONSENT = 2\n"


def test_per_app_local_dumps_with_dots_in_the_name(tmp_path: Path) -> None:
    """LocalDumps.my.app.py.DumpFolder creates [LocalDumps."my.app.py"] and loads back."""
    paths = home_paths(tmp_path)
    set_value(paths, Level.MACHINE, "LocalDumps.my.app.py.DumpFolder", "/var/dumps")
    set_value(paths, Level.MACHINE, "LocalDumps.my.app.py.DumpCount", "2")
    set_value(paths, Level.MACHINE, "LocalDumps.DumpType", "2")
    text = paths.machine_settings_file.read_text(encoding="utf-8")
    assert '[LocalDumps."my.app.py"]\nDumpFolder = "/var/dumps"\nDumpCount = 2\n' in text
    dumps = load_settings(paths, {}).local_dumps_for("my.app.py")
    assert dumps is not None
    assert (dumps.dump_folder, dumps.dump_count, dumps.dump_type) == (Path("/var/dumps"), 2, 2)


def test_set_into_unquoted_nested_app_table(tmp_path: Path) -> None:
    """An app table written without quotes ([LocalDumps.my.py]) is edited where it is."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.MACHINE, "[LocalDumps.my.py]\nDumpType = 1\n")
    set_value(paths, Level.MACHINE, "LocalDumps.MY.py.DumpType", "2")
    set_value(paths, Level.MACHINE, "LocalDumps.my.py.DumpCount", "3")
    assert file.read_text(encoding="utf-8") == "[LocalDumps.my.py]\nDumpType = 2\nDumpCount = 3\n"


def test_unset_removes_the_key_and_tables_left_empty(tmp_path: Path) -> None:
    """Unset removes the value and any table it empties; other content stays."""
    paths = home_paths(tmp_path)
    file = write_settings(
        paths, Level.MACHINE, COMMENTED + '\n[LocalDumps."a.py"]\nDumpCount = 1\n'
    )
    assert unset_value(paths, Level.MACHINE, "LocalDumps.a.py.DumpCount")
    assert unset_value(paths, Level.MACHINE, "dontshowui")
    text = file.read_text(encoding="utf-8")
    assert "LocalDumps" not in text
    assert "DontShowUI" not in text
    assert "# ask before sending anything\nDefaultConsent = 2 # two\n" in text
    assert load_settings(paths, {}).local_dumps_for("a.py") is None


def test_unset_of_a_missing_key_is_false(tmp_path: Path) -> None:
    """Unsetting what is not set returns False and creates no file."""
    paths = home_paths(tmp_path)
    assert not unset_value(paths, Level.USER, "Consent.APPCRASH")
    assert not paths.user_settings_file.exists()


def test_unset_in_nested_dotted_exclusion(tmp_path: Path) -> None:
    """An unquoted dotted exclusion (tool.py = 1) is found and removed."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.USER, "[ExcludedApplications]\ntool.py = 1\nother = 1\n")
    assert unset_value(paths, Level.USER, "ExcludedApplications.TOOL.PY")
    assert file.read_text(encoding="utf-8") == "[ExcludedApplications]\nother = 1\n"


def test_dotted_neighbours_are_left_alone(tmp_path: Path) -> None:
    """Setting tool.py beside unquoted tool.other and x.y adds a key and changes nothing else."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.USER, "[ExcludedApplications]\nx.y = 1\ntool.other = 1\n")
    set_value(paths, Level.USER, "ExcludedApplications.tool.py", "1")
    assert file.read_text(encoding="utf-8") == (
        '[ExcludedApplications]\nx.y = 1\ntool.other = 1\n"tool.py" = 1\n'
    )
    assert sorted(load_settings(paths, {}).excluded_applications) == [
        "tool.other",
        "tool.py",
        "x.y",
    ]


def test_invalid_value_leaves_the_file_untouched(tmp_path: Path) -> None:
    """A value outside its range is refused before anything is written."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.USER, COMMENTED)
    with pytest.raises(SettingsError) as caught:
        set_value(paths, Level.USER, "MaxQueueCount", "0")
    assert str(caught.value) == "MaxQueueCount: must be an integer from 1 to 500, got 0"
    with pytest.raises(SettingsError, match="got the string 'abc'"):
        set_value(paths, Level.USER, "MaxQueueCount", "abc")
    assert file.read_text(encoding="utf-8") == COMMENTED


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    """An unknown dotted name is refused with a suggestion."""
    paths = home_paths(tmp_path)
    with pytest.raises(SettingsError) as caught:
        set_value(paths, Level.USER, "LocalDumps.DumpCont", "1")
    assert (
        str(caught.value)
        == "LocalDumps.DumpCont: unknown setting (did you mean LocalDumps.DumpCount?)"
    )
    with pytest.raises(SettingsError, match="unknown setting"):
        get_value(paths, None, "")


def test_invalid_existing_file_is_not_edited(tmp_path: Path) -> None:
    """An invalid file is reported, not rewritten."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.USER, "MaxQueueCount = 0\n")
    with pytest.raises(SettingsError, match="MaxQueueCount: must be"):
        set_value(paths, Level.USER, "DontShowUI", "1")
    assert file.read_text(encoding="utf-8") == "MaxQueueCount = 0\n"


def test_machine_only_setting_at_user_level_is_refused(tmp_path: Path) -> None:
    """ForceAdminQueue cannot be written to the user file; nothing is created."""
    paths = home_paths(tmp_path)
    with pytest.raises(SettingsError) as caught:
        set_value(paths, Level.USER, "ForceAdminQueue", "1")
    assert str(caught.value) == (
        f"{paths.user_settings_file}: ForceAdminQueue: may be set only in the machine or policy"
        " settings"
    )
    assert not paths.user_settings_file.exists()


def test_list_values_of_one_file_in_schema_order(tmp_path: Path) -> None:
    """list_values(level) gives that file's values in the schema's order."""
    paths = home_paths(tmp_path)
    write_settings(
        paths,
        Level.POLICY,
        'Server.Url = "https://a.example"\n[Consent]\nZeta = 1\nalpha = 2\nDefaultConsent = 3\n'
        "[LocalDumps]\nCustomDumpFlags = 0x123\n",
    )
    entries = list_values(paths, Level.POLICY)
    assert [(e.name, e.text) for e in entries] == [
        ("Consent.DefaultConsent", "3"),
        ("Consent.alpha", "2"),
        ("Consent.Zeta", "1"),
        ("LocalDumps.CustomDumpFlags", "0x123"),
        ("Server.Url", "https://a.example"),
    ]
    assert {e.source.layer for e in entries} == {Layer.POLICY}


def test_list_values_effective_with_sources(tmp_path: Path) -> None:
    """list_values(None) lists every effective value, defaults included, with its source."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.USER, "MaxQueueCount = 5\n")
    entries = {e.name: e for e in list_values(paths, None, environ={"OPENWER__Disabled": "1"})}
    assert entries["MaxQueueCount"].source.layer is Layer.USER
    assert entries["Disabled"].source.layer is Layer.ENVIRONMENT
    assert entries["MaxArchiveCount"].source.layer is Layer.DEFAULT
    assert "Server.Url" not in entries


def test_get_value_effective(tmp_path: Path) -> None:
    """get_value(None) gives the effective value, falling back to WER's default."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, "MaxQueueCount = 5\n")
    queue = get_value(paths, None, "maxQueueCount", environ={})
    archive = get_value(paths, None, "MaxArchiveCount", environ={})
    assert queue is not None
    assert (queue.value, queue.source.layer) == (5, Layer.MACHINE)
    assert archive is not None
    assert (archive.value, archive.source.layer) == (1000, Layer.DEFAULT)


def test_write_leaves_no_temp_files(tmp_path: Path) -> None:
    """After writes only the settings file remains in its folder."""
    paths = home_paths(tmp_path)
    for count in ("1", "2", "3"):
        set_value(paths, Level.USER, "MaxQueueCount", count)
    assert os.listdir(paths.user_settings_file.parent) == ["settings.toml"]


def test_failed_write_keeps_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final rename fails the old file is intact and the temp file is removed."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.USER, COMMENTED)

    def full_disk(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "rename", full_disk)
    with pytest.raises(SettingsError) as caught:
        set_value(paths, Level.USER, "MaxQueueCount", "9")
    assert str(caught.value) == f"{file}: cannot write: No space left on device"
    assert file.read_text(encoding="utf-8") == COMMENTED
    assert os.listdir(file.parent) == ["settings.toml"]


def test_access_denied_when_a_parent_is_a_file(tmp_path: Path) -> None:
    """A folder that cannot be created (a regular file is in the way) is AccessDeniedError.

    chmod does not stop root, which runs these tests; a file in place of a folder stops anyone.
    """
    (tmp_path / "home").write_text("in the way", encoding="utf-8")
    paths = OpenwerPaths.under(tmp_path / "home")
    with pytest.raises(AccessDeniedError) as caught:
        set_value(paths, Level.MACHINE, "DontShowUI", "1")
    assert str(caught.value).startswith(f"{paths.machine_settings_file}: cannot write: ")


def test_permission_error_is_access_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EACCES while writing becomes AccessDeniedError naming the file."""
    paths = home_paths(tmp_path)

    def deny(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "rename", deny)
    with pytest.raises(AccessDeniedError) as caught:
        set_value(paths, Level.MACHINE, "DontShowUI", "1")
    assert str(caught.value) == f"{paths.machine_settings_file}: cannot write: Permission denied"
    assert isinstance(caught.value, PermissionError)


def test_file_mode_is_kept_and_new_files_are_readable(tmp_path: Path) -> None:
    """An existing file keeps its mode; a new one is 0644 like other /etc files."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.USER, "DontShowUI = 0\n")
    file.chmod(0o600)
    set_value(paths, Level.USER, "DontShowUI", "1")
    assert file.stat().st_mode & 0o777 == 0o600
    set_value(paths, Level.MACHINE, "DontShowUI", "1")
    assert paths.machine_settings_file.stat().st_mode & 0o777 == 0o644


def test_symlinked_file_stays_a_link(tmp_path: Path) -> None:
    """Editing a symlinked settings file writes the target and keeps the link."""
    paths = home_paths(tmp_path)
    target = tmp_path / "dotfiles" / "openwer.toml"
    target.parent.mkdir()
    target.write_text("DontShowUI = 0\n", encoding="utf-8")
    paths.user_settings_file.parent.mkdir(parents=True)
    paths.user_settings_file.symlink_to(target)
    set_value(paths, Level.USER, "DontShowUI", "1")
    assert paths.user_settings_file.is_symlink()
    assert target.read_text(encoding="utf-8") == "DontShowUI = 1\n"


def test_concurrent_edits_in_one_process_are_not_lost(tmp_path: Path) -> None:
    """Edits from many threads are serialised: every one of them lands."""
    paths = home_paths(tmp_path)
    names = [f"Event{index}" for index in range(16)]
    threads = [
        threading.Thread(target=set_value, args=(paths, Level.USER, f"Consent.{name}", "2"))
        for name in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    settings = load_settings(paths, {})
    assert all(settings.consent_for(name) == 2 for name in names)
