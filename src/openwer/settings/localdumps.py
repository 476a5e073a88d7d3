"""Local dumps (WER's ``LocalDumps`` key): where, how many and what kind of dumps to keep.

Local dumps are independent of the rest of error reporting: they are written even when reporting is
disabled or the user declines (wer-spec §4). The global values apply to every application; a
per-application table overrides them field by field.

``DumpFolder`` is expanded like a ``REG_EXPAND_SZ``: a leading ``~`` becomes ``$HOME``, and
``$VAR``, ``${VAR}`` and ``%VAR%`` become the variable's value (unknown variables are left as
written). The result must be absolute.

Frozen data and pure functions: safe from any thread.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import IntEnum
from pathlib import Path

from openwer.errors import SettingsError

__all__ = ["AppLocalDumps", "LocalDumpSettings", "LocalDumpType", "expand_dump_folder"]

_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}|%(\w+)%")


class LocalDumpType(IntEnum):
    """``LocalDumps\\DumpType``; not ``WER_DUMP_TYPE`` (:class:`openwer.types.DumpType`)."""

    CUSTOM = 0
    MINI = 1
    FULL = 2


@dataclass(frozen=True)
class LocalDumpSettings:
    """The effective local dump settings for one application.

    Attributes:
        dump_folder: Where dumps go (expanded, absolute).
        dump_count: How many dumps the folder keeps; the oldest is replaced first.
        dump_type: Custom, mini or full.
        custom_dump_flags: ``MINIDUMP_TYPE`` bits, used only with :attr:`LocalDumpType.CUSTOM`.
    """

    dump_folder: Path
    dump_count: int
    dump_type: LocalDumpType
    custom_dump_flags: int


@dataclass(frozen=True)
class AppLocalDumps:
    """One ``LocalDumps.<app>`` table: the values it sets, ``None`` for those it inherits.

    Attributes:
        app: The executable's name as written.
        dump_folder: Overrides the global folder when set.
        dump_count: Overrides the global count when set.
        dump_type: Overrides the global type when set.
        custom_dump_flags: Overrides the global flags when set.
    """

    app: str
    dump_folder: Path | None = None
    dump_count: int | None = None
    dump_type: LocalDumpType | None = None
    custom_dump_flags: int | None = None

    def apply_to(self, base: LocalDumpSettings) -> LocalDumpSettings:
        """Return ``base`` with this table's values in place of the global ones."""
        return replace(
            base,
            dump_folder=base.dump_folder if self.dump_folder is None else self.dump_folder,
            dump_count=base.dump_count if self.dump_count is None else self.dump_count,
            dump_type=base.dump_type if self.dump_type is None else self.dump_type,
            custom_dump_flags=(
                base.custom_dump_flags if self.custom_dump_flags is None else self.custom_dump_flags
            ),
        )


def expand_dump_folder(raw: str, environ: Mapping[str, str], *, where: str, key: str) -> Path:
    """Expand ``~`` and variables in a ``DumpFolder`` value.

    Args:
        raw: The value as written.
        environ: The variables to expand with.
        where: The file or variable it came from, for the message.
        key: The dotted key, for the message.

    Raises:
        SettingsError: The expanded path is not absolute.
    """
    text = raw
    home = environ.get("HOME", "")
    if home and (text == "~" or text.startswith("~/")):
        text = home + text[1:]

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return environ.get(name, match.group(0))

    text = _VARIABLE.sub(variable, text)
    if not text.startswith("/"):
        raise SettingsError(
            f"{where}: {key}: must be an absolute folder path once ~ and variables are expanded,"
            f" got {text!r} from {raw!r}"
        )
    return Path(text)
