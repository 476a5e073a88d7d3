"""Excluded applications, with the rules of ``WerAddExcludedApplication`` (wer-spec §1.12).

An excluded executable gets no error reports. The list lives in ``ExcludedApplications`` of the
machine file (``all_users=True``, WER's ``HKLM``) or of the user file (WER's ``HKCU``), one entry
per executable set to 1. Only the last component of a path is kept (``/`` and ``\\`` both separate);
an empty name or a path ending in a separator is refused; adding an application twice is fine;
removing one that is not in that list raises :class:`~openwer.errors.ExclusionNotFoundError`. The
effective list is the union of every level's list (see :meth:`Settings.is_excluded`).

Thread safety and failure contract as :mod:`openwer.settings.editing`.
"""

from __future__ import annotations

from typing import NamedTuple

from openwer.errors import ExclusionNotFoundError
from openwer.settings.appname import same_application, validate_application_name
from openwer.settings.editing import remove_setting, write_setting
from openwer.settings.keys import SettingEntry, SettingKey
from openwer.settings.layers import read_file_layer
from openwer.settings.levels import Level
from openwer.settings.paths import OpenwerPaths
from openwer.settings.schema import SPECS_BY_NAME

__all__ = [
    "ExcludedApplication",
    "add_excluded_application",
    "list_excluded_applications",
    "remove_excluded_application",
]

_SPEC = SPECS_BY_NAME["excludedapplications.<name>"]
_LISTED_LEVELS = (Level.MACHINE, Level.USER, Level.POLICY)


class ExcludedApplication(NamedTuple):
    """One entry of an exclusion list: the executable's name and the file that lists it."""

    name: str
    level: Level


def add_excluded_application(paths: OpenwerPaths, exe: str, all_users: bool) -> str:
    """Exclude ``exe`` from error reporting; return the name stored (the path's last component).

    Args:
        paths: Where the settings files are.
        exe: An executable's name or path.
        all_users: ``True`` writes the machine file, ``False`` the user's file.

    Raises:
        InvalidArgumentError: ``exe`` is empty or ends in a separator.
        AccessDeniedError: The file cannot be written (the machine file, for a normal user).
        SettingsError: The file exists but does not load.
    """
    name = validate_application_name(exe)
    level = Level.MACHINE if all_users else Level.USER
    existing = _find(paths, level, name)
    if existing is not None and existing.value:
        return existing.key.subject or name  # already excluded: nothing to write, as WER
    key = existing.key if existing is not None else SettingKey(_SPEC, name)
    write_setting(paths, level, key, 1)
    return key.subject or name


def remove_excluded_application(paths: OpenwerPaths, exe: str, all_users: bool) -> str:
    """Remove ``exe`` from the machine (``all_users``) or user list; return the name removed.

    Raises:
        InvalidArgumentError: ``exe`` is empty or ends in a separator.
        ExclusionNotFoundError: ``exe`` is not in that list.
        AccessDeniedError: The file cannot be written.
        SettingsError: The file exists but does not load.
    """
    name = validate_application_name(exe)
    level = Level.MACHINE if all_users else Level.USER
    existing = _find(paths, level, name)
    if existing is None or not existing.value:
        scope = "all users" if all_users else "the current user"
        raise ExclusionNotFoundError(
            f"{name}: not excluded for {scope} ({paths.settings_file(level)})"
        )
    remove_setting(paths, level, existing.key)
    return existing.key.subject or name


def list_excluded_applications(paths: OpenwerPaths) -> list[ExcludedApplication]:
    """Return every excluded application with the file that lists it.

    Machine entries first, then the user's, then the policy's; by name within each.

    Raises:
        SettingsError: A settings file exists but does not load.
    """
    result: list[ExcludedApplication] = []
    for level in _LISTED_LEVELS:
        names = [entry.key.subject or "" for entry in _entries(paths, level) if entry.value]
        result += [ExcludedApplication(name, level) for name in sorted(names, key=str.casefold)]
    return result


def _entries(paths: OpenwerPaths, level: Level) -> list[SettingEntry]:
    layer = read_file_layer(paths.settings_file(level), level)
    return [entry for entry in layer.entries.values() if entry.key.spec is _SPEC]


def _find(paths: OpenwerPaths, level: Level, name: str) -> SettingEntry | None:
    # Entries written by hand may hold a path: compare file names, as lookups do.
    found = [e for e in _entries(paths, level) if same_application(e.key.subject or "", name)]
    return next((e for e in found if e.value), found[0] if found else None)
