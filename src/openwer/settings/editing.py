"""Reading and editing one settings file, for ``openwer config get|set|list`` and exclusions.

Edits keep the file's comments, order and formatting (``tomlkit``, imported only here and only when
editing, so that loading settings at crash time never pays for it). Names are matched
case-insensitively, and an existing name keeps its spelling; new names are written in WER's.

Each edit is validated twice: the file must load before it is touched (an invalid file is never
"fixed" silently), and the edited text must load before it is written. The write is atomic: a temp
file in the same folder, fsync, ``os.replace``, fsync of the folder. A symbolic link to the file is
followed, so a linked dotfile stays linked. Readers therefore see the old or the new file, never a
half-written one.

Thread safety: edits in one process are serialised by a lock. Two processes editing the same file
at once cannot corrupt it, but the last writer wins.
"""

from __future__ import annotations

import errno
import os
import secrets
import threading
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openwer.errors import AccessDeniedError, SettingsError
from openwer.platform.atomic_file import replace_file
from openwer.settings.keys import SettingEntry, SettingKey, resolve_key
from openwer.settings.layers import layer_from_table, read_file_layer
from openwer.settings.levels import Level, Source
from openwer.settings.loader import load_settings
from openwer.settings.paths import OpenwerPaths
from openwer.settings.reading import parse_settings_text, read_settings_text
from openwer.settings.schema import SETTINGS
from openwer.settings.spec import Scalar

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

__all__ = [
    "get_value",
    "list_values",
    "remove_setting",
    "set_value",
    "unset_value",
    "write_setting",
]

_LOCK = threading.Lock()
_ORDER = {spec: index for index, spec in enumerate(SETTINGS)}
_NEW_FILE_MODE = 0o644  # settings are readable by every user, as /etc files are
# A file where a folder should be, or a read-only file system: "you may not write there".
_DENIED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST})

_Table = MutableMapping[str, Any]


def get_value(
    paths: OpenwerPaths,
    level: Level | None,
    dotted_key: str,
    *,
    environ: Mapping[str, str] | None = None,
) -> SettingEntry | None:
    """Return a setting's value with its source, or ``None`` when it is not set.

    Args:
        paths: Where the settings files are.
        level: The one file to read; ``None`` for the effective value (defaults included).
        dotted_key: ``Consent.DefaultConsent``, ``LocalDumps.myapp.py.DumpType``… (any case).
        environ: For ``level=None`` only: the environment layer (``None`` means ``os.environ``).

    Reads only; safe from any thread.

    Raises:
        SettingsError: Unknown name, or a settings file that does not load.
    """
    key = resolve_key(dotted_key)
    if level is None:
        return load_settings(paths, environ).entry(key.dotted)
    return read_file_layer(paths.settings_file(level), level).entries.get(key.folded)


def list_values(
    paths: OpenwerPaths,
    level: Level | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> list[SettingEntry]:
    """Return the values one file sets, or every effective value with its source (``None``).

    Entries come in the schema's order (wer-spec §4), then by name. Reads only; safe from any
    thread.

    Raises:
        SettingsError: A settings file (or, for ``None``, a variable) that does not load.
    """
    if level is None:
        return list(load_settings(paths, environ).entries)
    entries = read_file_layer(paths.settings_file(level), level).entries.values()
    return sorted(entries, key=lambda entry: (_ORDER[entry.key.spec], entry.key.folded))


def set_value(paths: OpenwerPaths, level: Level, dotted_key: str, raw_value: str) -> SettingEntry:
    """Validate ``raw_value`` against the schema and write it to ``level``'s file.

    Numbers may be decimal or ``0x…``; 0/1 settings accept 0/1, true/false, yes/no, on/off. Parent
    folders are created. Serialised with every other edit in this process; atomic for readers.

    Returns:
        The entry written.

    Raises:
        SettingsError: Unknown name, invalid value, a setting this level may not set, or a file
            that does not load.
        AccessDeniedError: The file or its folder cannot be written.
    """
    key = resolve_key(dotted_key)
    value = key.spec.parse_text(raw_value, where=None, key=key.dotted)
    return write_setting(paths, level, key, value)


def unset_value(paths: OpenwerPaths, level: Level, dotted_key: str) -> bool:
    """Remove a setting from ``level``'s file; return whether it was there.

    Tables the removal leaves empty are removed too, so unsetting the last ``LocalDumps`` value
    turns local dumps off at that level. Serialised and atomic as :func:`set_value`.

    Raises:
        SettingsError: Unknown name or a file that does not load.
        AccessDeniedError: The file cannot be written.
    """
    return remove_setting(paths, level, resolve_key(dotted_key))


def write_setting(
    paths: OpenwerPaths, level: Level, key: SettingKey, value: Scalar
) -> SettingEntry:
    """Write an already normalised value (see :meth:`SettingSpec.convert`); as :func:`set_value`."""
    path = paths.settings_file(level)

    def change(document: TOMLDocument) -> bool:
        _assign(document, key.parts, value)
        return True

    _edit(path, level, change)
    return SettingEntry(key, value, Source(level.layer, str(path)))


def remove_setting(paths: OpenwerPaths, level: Level, key: SettingKey) -> bool:
    """Remove a resolved key; as :func:`unset_value`."""
    return _edit(paths.settings_file(level), level, lambda document: _delete(document, key.parts))


def _edit(path: Path, level: Level, change: Callable[[TOMLDocument], bool]) -> bool:
    import tomlkit  # only for edits: loading settings must stay cheap
    from tomlkit.exceptions import TOMLKitError

    source = Source(level.layer, str(path))
    target = Path(os.path.realpath(path))
    with _LOCK:
        text = read_settings_text(target) or ""
        layer_from_table(parse_settings_text(text, str(path)), source)
        try:
            document = tomlkit.parse(text)
        except TOMLKitError as exc:  # pragma: no cover - tomllib accepted it first
            raise SettingsError(f"{path}: invalid TOML: {exc}") from exc
        if not change(document):
            return False
        new_text = document.as_string()
        layer_from_table(parse_settings_text(new_text, str(path)), source)
        _write_atomically(target, new_text, shown=path)
    return True


def _assign(document: TOMLDocument, parts: tuple[str, ...], value: Scalar) -> None:
    import tomlkit

    container: _Table = document
    for name in parts[:-1]:
        found = _locate(container, name, want_table=True)
        if found is None:
            container[name] = tomlkit.table(is_super_table=len(parts) > 2 and name == parts[0])
            container = container[name]
        else:
            parent, actual = found[-1]
            container = parent[actual]
    found = _locate(container, parts[-1], want_table=False)
    if found is None:
        container[parts[-1]] = value
    else:
        parent, actual = found[-1]
        parent[actual] = value


def _delete(document: TOMLDocument, parts: tuple[str, ...]) -> bool:
    chain: list[tuple[_Table, str]] = []
    container: _Table = document
    for index, name in enumerate(parts):
        found = _locate(container, name, want_table=index < len(parts) - 1)
        if found is None:
            return False
        chain += found
        parent, actual = found[-1]
        container = parent[actual]
    for parent, actual in reversed(chain):
        del parent[actual]
        if len(parent):  # stop at the first table that still holds something
            break
    return True


def _locate(container: _Table, name: str, *, want_table: bool) -> list[tuple[_Table, str]] | None:
    """Find ``name`` case-insensitively; a dotted name may be split over nested tables.

    Returns the chain of (table, key as written) from ``container`` down to the item.
    """
    pieces = name.split(".")
    for actual in list(container.keys()):
        item = container[actual]
        is_table = isinstance(item, MutableMapping)
        folded = actual.casefold()
        if folded == name.casefold() and is_table == want_table:
            return [(container, actual)]
        if not is_table:
            continue
        # `[LocalDumps.myapp.py]` without quotes: "myapp" holds "py".
        for cut in range(1, len(pieces)):
            if ".".join(pieces[:cut]).casefold() == folded:
                rest = _locate(item, ".".join(pieces[cut:]), want_table=want_table)
                if rest is not None:
                    return [(container, actual), *rest]
    return None


def _write_atomically(target: Path, text: str, *, shown: Path) -> None:
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = _NEW_FILE_MODE
    # A unique name beside the target: same file system, so the rename is atomic.
    temp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_file(target, text.encode("utf-8"), temp_path=temp, mode=mode)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno in _DENIED:
            raise AccessDeniedError(f"{shown}: cannot write: {reason}") from exc
        raise SettingsError(f"{shown}: cannot write: {reason}") from exc
