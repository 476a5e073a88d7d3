"""Reading one settings file safely: bounded size, strict UTF-8, regular files only, stdlib TOML.

This runs at crash time, so it is careful and cheap: the file is opened without blocking (a FIFO
put in its place cannot hang the reader), must be a regular file of at most
:data:`MAX_SETTINGS_FILE_SIZE` bytes, must be UTF-8 (a leading BOM is tolerated, as Windows editors
write one), and is parsed with the stdlib :mod:`tomllib`, imported only when a file exists.

Every function is safe from any thread; none keeps state.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from openwer.errors import SettingsError

__all__ = ["MAX_SETTINGS_FILE_SIZE", "parse_settings_text", "read_settings_text"]

MAX_SETTINGS_FILE_SIZE = 1024 * 1024
"""Settings files larger than this (1 MiB) are refused."""

_BOM = "\ufeff"


def read_settings_text(path: Path) -> str | None:
    """Return the text of a settings file, or ``None`` when it does not exist.

    A path whose parent is not a folder counts as missing too.

    Raises:
        SettingsError: The file cannot be read, is not a regular file, is larger than 1 MiB or is
            not UTF-8; the message names the file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(os.fstat(fd).st_mode):  # FileIO refuses folders with its own error
        os.close(fd)
        raise SettingsError(f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # a folder, a FIFO, /dev/zero…
            raise SettingsError(f"{path}: not a regular file")
        # fstat's size is checked first, the read is bounded too in case the file grows meanwhile.
        too_big = info.st_size > MAX_SETTINGS_FILE_SIZE
        data = b"" if too_big else file.read(MAX_SETTINGS_FILE_SIZE + 1)
        if too_big or len(data) > MAX_SETTINGS_FILE_SIZE:
            raise SettingsError(f"{path}: larger than {MAX_SETTINGS_FILE_SIZE} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        raise SettingsError(
            f"{path}: not valid UTF-8 (byte {bad:#04x} at offset {exc.start})"
        ) from exc
    return text.removeprefix(_BOM)


def parse_settings_text(text: str, where: str) -> dict[str, Any]:
    """Parse TOML text into nested dicts.

    Args:
        text: The file's text.
        where: The file's path, for the message.

    Raises:
        SettingsError: Invalid TOML (with tomllib's line and column) or nesting too deep.
    """
    import tomllib  # only when a settings file exists: keeps `import openwer` cheap

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{where}: invalid TOML: {exc}") from exc
    except RecursionError as exc:
        raise SettingsError(f"{where}: invalid TOML: nested too deeply") from exc
