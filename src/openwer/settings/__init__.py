"""openwer's settings: WER's registry values as machine, user and policy TOML files.

Reading (crash time, cheap, stdlib only)::

    settings = load_settings()                      # defaults < machine < user < policy < env
    settings.default_consent, settings.consent_for("APPCRASH")
    settings.is_excluded("/usr/bin/myapp.py"), settings.local_dumps_for("myapp.py")

Editing (``openwer config`` and ``openwer exclude``; imports ``tomlkit`` only when called)::

    set_value(resolve_paths(), Level.USER, "Consent.DefaultConsent", "4")
    add_excluded_application(resolve_paths(), "myapp.py", all_users=False)

The schema of every setting is :data:`SETTINGS`; names, precedence, the environment variables and
the validation rules are described in :mod:`openwer.settings.schema`,
:mod:`openwer.settings.layers` and :mod:`openwer.settings.loader`.
"""

from __future__ import annotations

from openwer.settings.appname import application_name
from openwer.settings.editing import (
    get_value,
    list_values,
    remove_setting,
    set_value,
    unset_value,
    write_setting,
)
from openwer.settings.exclusions import (
    ExcludedApplication,
    add_excluded_application,
    list_excluded_applications,
    remove_excluded_application,
)
from openwer.settings.keys import SettingEntry, SettingKey, resolve_key
from openwer.settings.layers import ENV_PREFIX, ENV_SHORTCUTS
from openwer.settings.levels import Layer, Level, Source
from openwer.settings.loader import load_settings
from openwer.settings.localdumps import AppLocalDumps, LocalDumpSettings, LocalDumpType
from openwer.settings.model import ArchiveMode, Settings
from openwer.settings.paths import OpenwerPaths, resolve_paths
from openwer.settings.reading import MAX_SETTINGS_FILE_SIZE
from openwer.settings.schema import DEFAULT_CUSTOM_DUMP_FLAGS, SETTINGS
from openwer.settings.spec import SettingSpec, ValueKind

__all__ = [
    "DEFAULT_CUSTOM_DUMP_FLAGS",
    "ENV_PREFIX",
    "ENV_SHORTCUTS",
    "MAX_SETTINGS_FILE_SIZE",
    "SETTINGS",
    "AppLocalDumps",
    "ArchiveMode",
    "ExcludedApplication",
    "Layer",
    "Level",
    "LocalDumpSettings",
    "LocalDumpType",
    "OpenwerPaths",
    "SettingEntry",
    "SettingKey",
    "SettingSpec",
    "Settings",
    "Source",
    "ValueKind",
    "add_excluded_application",
    "application_name",
    "get_value",
    "list_excluded_applications",
    "list_values",
    "load_settings",
    "remove_excluded_application",
    "remove_setting",
    "resolve_key",
    "resolve_paths",
    "set_value",
    "unset_value",
    "write_setting",
]
