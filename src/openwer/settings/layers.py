"""One layer of settings: what a single file or the environment sets, validated.

A file layer walks the TOML tables. Unknown names are errors (a typo must not be silently ignored),
except the names chosen by the user inside ``Consent`` (event types), ``ExcludedApplications``
(executables) and ``LocalDumps`` (per-application tables). A per-application name written without
quotes (``[LocalDumps.myapp.py]``, which TOML reads as nested tables) is read as ``myapp.py``.
The same name twice in one file, differing only in case, is an error.

The environment layer reads ``OPENWER__<Key>__<SubKey>=value`` (``__`` stands for the dot:
``OPENWER__Consent__DefaultConsent=4``, ``OPENWER__LocalDumps__myapp.py__DumpCount=3``) and the
shortcuts ``OPENWER_SERVER_URL`` and ``OPENWER_SERVER_KEY``; an ``OPENWER__Server__…`` variable wins
over its shortcut. Empty variables count as unset.

Local dumps are on where a ``LocalDumps`` table exists (WER: where the key exists). A ``LocalDumps``
table that holds only per-application tables turns them on for those applications only; one that
holds a global value, or nothing at all, turns them on for every application.

Functions only; each call builds its own layer, so they are safe from any thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from openwer.errors import SettingsError
from openwer.settings.keys import (
    TABLES,
    SettingEntry,
    SettingKey,
    resolve_key,
    shown_name,
    unknown_setting,
)
from openwer.settings.levels import Layer, Level, Source
from openwer.settings.reading import parse_settings_text, read_settings_text
from openwer.settings.schema import SPECS_BY_NAME
from openwer.settings.spec import SettingSpec, describe_value

__all__ = [
    "ENV_PREFIX",
    "ENV_SHORTCUTS",
    "LayerValues",
    "layer_from_environ",
    "layer_from_table",
    "read_file_layer",
]

ENV_PREFIX = "OPENWER__"
ENV_SHORTCUTS: Mapping[str, str] = MappingProxyType(
    {"OPENWER_SERVER_URL": "Server.Url", "OPENWER_SERVER_KEY": "Server.Key"}
)
_LOCAL_DUMPS = "LocalDumps"


@dataclass(frozen=True)
class LayerValues:
    """What one layer sets.

    Attributes:
        entries: Every value set, by :attr:`SettingKey.folded`.
        local_dumps_global: Whether this layer turns local dumps on for every application.
        local_dump_apps: Applications this layer has a ``LocalDumps`` table for, case-folded name
            to name as written.
    """

    entries: Mapping[tuple[str, ...], SettingEntry] = field(
        default_factory=lambda: MappingProxyType({})
    )
    local_dumps_global: bool = False
    local_dump_apps: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def read_file_layer(path: Path, level: Level) -> LayerValues:
    """Read and validate one settings file; a missing file is an empty layer.

    Raises:
        SettingsError: The file is unreadable, too large, not UTF-8, not TOML, or sets an unknown,
            mistyped or out-of-range value; one line naming the file and the key.
    """
    text = read_settings_text(path)
    if text is None:
        return LayerValues()
    return layer_from_table(parse_settings_text(text, str(path)), Source(level.layer, str(path)))


def layer_from_table(table: Mapping[str, object], source: Source) -> LayerValues:
    """Validate a parsed settings file.

    Raises:
        SettingsError: as :func:`read_file_layer`.
    """
    builder = _Builder()
    where = source.where
    for name, value in table.items():
        spec = SPECS_BY_NAME.get(name.casefold())
        if spec is not None and len(spec.path) == 1:
            builder.add(SettingKey(spec), value, source)
            continue
        table_name = TABLES.get(name.casefold())
        if table_name is None:
            raise unknown_setting(name, where)
        if not isinstance(value, dict):
            raise SettingsError(
                f"{where}: {table_name}: must be a table, got {describe_value(value)}"
            )
        if table_name == _LOCAL_DUMPS:
            builder.local_dumps(value, source)
        else:
            builder.table(table_name, value, source)
    return builder.finish()


def layer_from_environ(environ: Mapping[str, str]) -> LayerValues:
    """Read the ``OPENWER__*`` variables and the server shortcuts.

    Raises:
        SettingsError: An unknown name or an invalid value; the message names the variable.
    """
    builder = _Builder()
    for variable, dotted in ENV_SHORTCUTS.items():
        text = environ.get(variable, "")
        if text:
            builder.add_text(resolve_key(dotted), text, Source(Layer.ENVIRONMENT, variable))
    generic = _Builder()  # separate so that OPENWER__Server__Url may override its shortcut
    for variable in sorted(environ):
        text = environ[variable]
        if not variable.startswith(ENV_PREFIX) or not text:
            continue
        source = Source(Layer.ENVIRONMENT, variable)
        dotted = variable.removeprefix(ENV_PREFIX).replace("__", ".")
        generic.add_text(resolve_key(dotted, where=source.where), text, source)
    builder.merge(generic)
    return builder.finish()


class _Builder:
    """Collects one layer's values; used by one call, never shared."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, ...], SettingEntry] = {}
        self.local_dumps_global = False
        self.local_dump_apps: dict[str, str] = {}

    def add(self, key: SettingKey, raw: object, source: Source) -> None:
        self._check(key, source)
        self._store(key, key.spec.convert(raw, where=source.where, key=key.dotted), source)

    def add_text(self, key: SettingKey, text: str, source: Source) -> None:
        self._check(key, source)
        self._store(key, key.spec.parse_text(text, where=source.where, key=key.dotted), source)

    def table(self, table_name: str, table: Mapping[str, object], source: Source) -> None:
        """Consent, ExcludedApplications or Server."""
        open_spec = SPECS_BY_NAME.get(f"{table_name.casefold()}.<name>")
        for name, value in table.items():
            spec = SPECS_BY_NAME.get(f"{table_name}.{name}".casefold())
            if spec is not None and not spec.is_open:
                self.add(SettingKey(spec), value, source)
            elif open_spec is None:
                raise unknown_setting(f"{table_name}.{name}", source.where)
            else:
                for subject, leaf in _flatten({name: value}):
                    self.add(SettingKey(open_spec, subject), leaf, source)

    def local_dumps(self, table: Mapping[str, object], source: Source) -> None:
        has_app = False
        for name, value in table.items():
            spec = SPECS_BY_NAME.get(f"localdumps.{name.casefold()}")
            if spec is not None:
                self.add(SettingKey(spec), value, source)
            elif isinstance(value, dict):
                has_app = self._local_dumps_app(name, value, source) or has_app
            else:
                raise unknown_setting(f"{_LOCAL_DUMPS}.{name}", source.where)
        if not has_app:
            self.local_dumps_global = True

    def merge(self, other: _Builder) -> None:
        self.entries.update(other.entries)
        self.local_dumps_global = self.local_dumps_global or other.local_dumps_global
        self.local_dump_apps.update(other.local_dump_apps)

    def finish(self) -> LayerValues:
        return LayerValues(
            MappingProxyType(self.entries),
            self.local_dumps_global,
            MappingProxyType(self.local_dump_apps),
        )

    def _local_dumps_app(self, app: str, table: Mapping[str, object], source: Source) -> bool:
        """Read ``LocalDumps.<app>``; return whether it or a nested table is an app's table."""
        leaves: list[tuple[SettingSpec, object]] = []
        found = False
        for name, value in table.items():
            spec = SPECS_BY_NAME.get(f"localdumps.<name>.{name.casefold()}")
            if spec is not None:
                leaves.append((spec, value))
            elif isinstance(value, dict):
                # [LocalDumps.myapp.py] without quotes: TOML nests "py" inside "myapp".
                found = self._local_dumps_app(f"{app}.{name}", value, source) or found
            else:
                raise unknown_setting(f"{_LOCAL_DUMPS}.{app}.{name}", source.where)
        if leaves or not table:
            self.local_dump_apps[app.casefold()] = app
            for spec, value in leaves:
                self.add(SettingKey(spec, app), value, source)
            return True
        return found

    def _check(self, key: SettingKey, source: Source) -> None:
        """Refuse a key before its value: a level that may not set it, a bad user-chosen name."""
        level = source.level
        if level is not None and level not in key.spec.levels:
            allowed = " or ".join(sorted(str(each) for each in key.spec.levels))
            raise SettingsError(
                f"{source.where}: {key.dotted}: may be set only in the {allowed} settings"
            )
        subject = key.subject or ""
        if key.spec.is_open and not (subject.strip() and subject.isprintable()):
            raise SettingsError(
                f"{source.where}: {shown_name(key.dotted)}: the name must not be empty or hold"
                " control characters"
            )

    def _store(self, key: SettingKey, value: int | str, source: Source) -> None:
        if key.folded in self.entries:
            raise SettingsError(
                f"{source.where}: {key.dotted}: set twice (names are case-insensitive)"
            )
        self.entries[key.folded] = SettingEntry(key, value, source)
        if key.spec.path[0] == _LOCAL_DUMPS:
            if key.subject is None:
                self.local_dumps_global = True
            else:
                self.local_dump_apps[key.subject.casefold()] = key.subject


def _flatten(table: Mapping[str, object], prefix: str = "") -> Iterator[tuple[str, object]]:
    # `myapp.py = 1` without quotes is a nested table in TOML: rejoin the dotted name.
    for name, value in table.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value
