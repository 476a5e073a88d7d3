"""Excluded applications with WerAddExcludedApplication's rules (wer-spec §1.12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from settings_files import home_paths, write_settings

from openwer.errors import AccessDeniedError, ExclusionNotFoundError, InvalidArgumentError
from openwer.settings import (
    ExcludedApplication,
    Level,
    OpenwerPaths,
    add_excluded_application,
    list_excluded_applications,
    load_settings,
    remove_excluded_application,
)
from openwer.types import HResult


def test_add_for_the_user_and_for_all_users(tmp_path: Path) -> None:
    """all_users picks the machine file, otherwise the user's; the list names both."""
    paths = home_paths(tmp_path)
    assert add_excluded_application(paths, "mine.py", all_users=False) == "mine.py"
    assert add_excluded_application(paths, "shared.py", all_users=True) == "shared.py"
    assert list_excluded_applications(paths) == [
        ExcludedApplication("shared.py", Level.MACHINE),
        ExcludedApplication("mine.py", Level.USER),
    ]
    assert paths.user_settings_file.read_text(encoding="utf-8") == (
        '[ExcludedApplications]\n"mine.py" = 1\n'
    )
    settings = load_settings(paths, {})
    assert settings.is_excluded("mine.py")
    assert settings.is_excluded("/usr/bin/SHARED.py")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("/usr/local/bin/tool.py", "tool.py"),
        ("C:\\Program Files\\App\\app.exe", "app.exe"),
        ("relative/dir\\mixed.py", "mixed.py"),
        ("plain", "plain"),
    ],
)
def test_a_path_keeps_only_its_last_component(tmp_path: Path, given: str, stored: str) -> None:
    """Both / and \\ separate components; only the file name is stored."""
    paths = home_paths(tmp_path)
    assert add_excluded_application(paths, given, all_users=False) == stored
    assert list_excluded_applications(paths) == [ExcludedApplication(stored, Level.USER)]


@pytest.mark.parametrize("bad", ["", "/usr/bin/", "C:\\tools\\", "/", "a\tb.py", "x\n"])
def test_empty_names_and_trailing_separators_are_invalid(tmp_path: Path, bad: str) -> None:
    """Empty names, trailing separators and control characters are E_INVALIDARG."""
    paths = home_paths(tmp_path)
    with pytest.raises(InvalidArgumentError) as caught:
        add_excluded_application(paths, bad, all_users=False)
    assert caught.value.hresult == HResult.E_INVALIDARG
    with pytest.raises(InvalidArgumentError):
        remove_excluded_application(paths, bad, all_users=False)
    assert not paths.user_settings_file.exists()


def test_adding_twice_is_fine_and_writes_nothing(tmp_path: Path) -> None:
    """Adding an excluded application again succeeds and leaves the file as it was."""
    paths = home_paths(tmp_path)
    add_excluded_application(paths, "tool.py", all_users=False)
    before = paths.user_settings_file.stat().st_mtime_ns
    paths.user_settings_file.chmod(0o600)
    assert add_excluded_application(paths, "/opt/TOOL.PY", all_users=False) == "tool.py"
    assert paths.user_settings_file.stat().st_mtime_ns == before
    assert list_excluded_applications(paths) == [ExcludedApplication("tool.py", Level.USER)]


def test_adding_an_entry_set_to_zero_turns_it_on(tmp_path: Path) -> None:
    """An entry present with 0 is set to 1 in place."""
    paths = home_paths(tmp_path)
    file = write_settings(paths, Level.USER, '[ExcludedApplications]\n"Tool.py" = 0 # off\n')
    assert add_excluded_application(paths, "tool.py", all_users=False) == "Tool.py"
    assert file.read_text(encoding="utf-8") == '[ExcludedApplications]\n"Tool.py" = 1 # off\n'


def test_remove(tmp_path: Path) -> None:
    """Removing an excluded application takes it off that list, case-insensitively."""
    paths = home_paths(tmp_path)
    add_excluded_application(paths, "a.py", all_users=False)
    add_excluded_application(paths, "b.py", all_users=False)
    assert remove_excluded_application(paths, "/x/A.PY", all_users=False) == "a.py"
    assert list_excluded_applications(paths) == [ExcludedApplication("b.py", Level.USER)]
    assert not load_settings(paths, {}).is_excluded("a.py")


def test_remove_of_the_last_one_removes_the_table(tmp_path: Path) -> None:
    """An exclusion list emptied by a removal leaves no empty table behind."""
    paths = home_paths(tmp_path)
    add_excluded_application(paths, "a.py", all_users=True)
    remove_excluded_application(paths, "a.py", all_users=True)
    assert paths.machine_settings_file.read_text(encoding="utf-8") == ""


def test_removing_what_is_not_excluded_is_not_found(tmp_path: Path) -> None:
    """Removing an application not in that list is ExclusionNotFoundError (ENVVAR_NOT_FOUND)."""
    paths = home_paths(tmp_path)
    add_excluded_application(paths, "a.py", all_users=True)
    with pytest.raises(ExclusionNotFoundError) as caught:
        remove_excluded_application(paths, "a.py", all_users=False)
    assert caught.value.hresult == HResult.ENVVAR_NOT_FOUND
    assert str(caught.value) == (
        f"a.py: not excluded for the current user ({paths.user_settings_file})"
    )


def test_removing_an_entry_set_to_zero_is_not_found(tmp_path: Path) -> None:
    """An entry with 0 excludes nothing, so removing it is not found."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.MACHINE, '[ExcludedApplications]\n"a.py" = 0\n')
    with pytest.raises(ExclusionNotFoundError, match="not excluded for all users"):
        remove_excluded_application(paths, "a.py", all_users=True)


def test_hand_written_path_entries_match_by_file_name(tmp_path: Path) -> None:
    """An entry written by hand as a path is found and removed by its file name."""
    paths = home_paths(tmp_path)
    write_settings(paths, Level.USER, '[ExcludedApplications]\n"/opt/tool.py" = "1"\n')
    assert add_excluded_application(paths, "tool.py", all_users=False) == "/opt/tool.py"
    assert remove_excluded_application(paths, "tool.py", all_users=False) == "/opt/tool.py"
    assert list_excluded_applications(paths) == []


def test_list_includes_policy_sorted_by_name(tmp_path: Path) -> None:
    """Machine, user then policy entries, each sorted by name; zero entries are left out."""
    paths = home_paths(tmp_path)
    write_settings(
        paths, Level.POLICY, '[ExcludedApplications]\n"z.py" = 1\n"B.py" = 1\n"no.py" = 0\n'
    )
    write_settings(paths, Level.USER, '[ExcludedApplications]\n"u.py" = true\n')
    assert list_excluded_applications(paths) == [
        ExcludedApplication("u.py", Level.USER),
        ExcludedApplication("B.py", Level.POLICY),
        ExcludedApplication("z.py", Level.POLICY),
    ]


def test_all_users_without_write_access_is_access_denied(tmp_path: Path) -> None:
    """all_users=True when the machine file cannot be written is AccessDeniedError."""
    (tmp_path / "home").write_text("a file where the folder should be", encoding="utf-8")
    paths = OpenwerPaths.under(tmp_path / "home")
    with pytest.raises(AccessDeniedError) as caught:
        add_excluded_application(paths, "a.py", all_users=True)
    assert caught.value.hresult == HResult.E_ACCESSDENIED
