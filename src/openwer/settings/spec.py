"""One row of the settings schema: what a setting holds and how a raw value becomes a valid one.

Values are normalised to ``int`` (0/1 for flags) or ``str``: the registry's ``REG_DWORD`` and
``REG_SZ``. TOML booleans are accepted for 0/1 settings; a string where a number is expected, a
table where a value is expected, a float or a date is an error. ``ExcludedApplications`` values are
read tolerantly (booleans, integers, strings) because WER documents ``REG_SZ`` while Wine writes a
``REG_DWORD`` 1. Text from a command line or an environment variable is parsed first (decimal or
``0x`` numbers; 0/1, true/false, yes/no, on/off for flags) and then validated the same way.

Every error is one line: ``<where>: <key>: must be <what is allowed>, got <what was found>``.

Frozen data and pure functions: safe from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from openwer.errors import SettingsError
from openwer.settings.levels import Level

__all__ = ["ALL_LEVELS", "DWORD_MAX", "Scalar", "SettingSpec", "ValueKind", "describe_value"]

Scalar = int | str
"""A normalised setting value: ``int`` (flags are 0 or 1) or ``str``."""

ALL_LEVELS = frozenset(Level)
DWORD_MAX = 0xFFFFFFFF
_DESCRIBE_LIMIT = 60
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class ValueKind(Enum):
    """What a setting holds, which decides how it is validated and shown."""

    FLAG = "flag"  # 0 or 1 (TOML true/false accepted)
    INTEGER = "integer"  # a whole number within [minimum, maximum]
    BITMASK = "bitmask"  # a DWORD of bit flags, shown in hex
    CHOICE = "choice"  # one of the listed numbers
    PATH = "path"  # a folder; ~ and $VARS are expanded when it is used
    STRING = "string"  # one line of text
    URL = "url"  # an http:// or https:// URL
    EXCLUSION = "exclusion"  # an ExcludedApplications value: read tolerantly, 0 or 1


@dataclass(frozen=True)
class SettingSpec:
    """One row of the settings table.

    Attributes:
        path: The dotted name as a tuple; ``"*"`` marks the open part of a per-event or
            per-application name (``("LocalDumps", "*", "DumpCount")``).
        kind: What the value holds.
        default: WER's default, or ``None`` when unset by default (or computed, like the dump
            folder).
        description: One line for ``openwer config list`` and the docs.
        minimum: Smallest allowed number (INTEGER, BITMASK).
        maximum: Largest allowed number (INTEGER, BITMASK).
        choices: Allowed numbers with their meanings (CHOICE).
        levels: The settings files that may set it (the environment always may).
    """

    path: tuple[str, ...]
    kind: ValueKind
    default: Scalar | None
    description: str
    minimum: int = 0
    maximum: int = DWORD_MAX
    choices: tuple[tuple[int, str], ...] = ()
    levels: frozenset[Level] = ALL_LEVELS

    @property
    def name(self) -> str:
        """The dotted name, with ``<name>`` for the open part (``LocalDumps.<exe>.DumpCount``)."""
        return ".".join("<name>" if part == "*" else part for part in self.path)

    @property
    def is_open(self) -> bool:
        """Whether the name has a part chosen by the user (event type, executable)."""
        return "*" in self.path

    @property
    def allowed(self) -> str:
        """What the value must be, as the tail of ``must be …``."""
        kind = self.kind
        if kind is ValueKind.FLAG:
            return "0 or 1 (or false/true)"
        if kind is ValueKind.INTEGER:
            return f"an integer from {self.minimum} to {self.maximum}"
        if kind is ValueKind.BITMASK:
            return f"an integer from {self.minimum} to {self.maximum:#x}"
        if kind is ValueKind.CHOICE:
            *head, last = [f"{number} ({meaning})" for number, meaning in self.choices]
            return f"one of {', '.join(head)} or {last}"
        if kind is ValueKind.PATH:
            return "an absolute folder path (it may start with ~ or use $VARIABLES)"
        if kind is ValueKind.URL:
            return "an http:// or https:// URL with a host name"
        if kind is ValueKind.EXCLUSION:
            return "1 (excluded) or 0, as an integer, a boolean or a string"
        return "a non-empty string without control characters"

    def convert(self, value: object, *, where: str | None, key: str) -> Scalar:
        """Validate a value read from TOML and return it normalised.

        Args:
            value: What ``tomllib`` produced.
            where: The file or variable it came from, for the message (``None``: no prefix).
            key: The dotted key in WER's spelling, for the message.

        Raises:
            SettingsError: One line naming ``where``, ``key``, what is allowed and what was found.
        """
        result = self._normalise(value)
        if result is None:
            prefix = f"{where}: " if where else ""
            raise SettingsError(
                f"{prefix}{key}: must be {self.allowed}, got {describe_value(value)}"
            )
        return result

    def parse_text(self, text: str, *, where: str | None, key: str) -> Scalar:
        """Validate a value typed on a command line or set in an environment variable.

        Numbers may be decimal or ``0x`` hexadecimal; flags accept 0/1, true/false, yes/no, on/off.

        Raises:
            SettingsError: as :meth:`convert`.
        """
        value: object = text
        word = text.strip().casefold()
        if self.kind in (ValueKind.FLAG, ValueKind.EXCLUSION):
            if word in _TRUE_WORDS or word in _FALSE_WORDS:
                value = int(word in _TRUE_WORDS)
        elif self.kind in (ValueKind.INTEGER, ValueKind.BITMASK, ValueKind.CHOICE):
            value = _parse_int(word, text)
        return self.convert(value, where=where, key=key)

    def format(self, value: Scalar) -> str:
        """Render a normalised value for a listing (bit masks in hex)."""
        if self.kind is ValueKind.BITMASK and isinstance(value, int):
            return f"{value:#x}"
        return str(value)

    def _normalise(self, value: object) -> Scalar | None:
        kind = self.kind
        if kind is ValueKind.EXCLUSION:
            return _exclusion(value)
        if isinstance(value, bool):
            return int(value) if kind is ValueKind.FLAG else None
        if isinstance(value, int):
            if kind is ValueKind.FLAG:
                return value if value in (0, 1) else None
            if kind is ValueKind.CHOICE:
                return value if any(value == number for number, _ in self.choices) else None
            if kind in (ValueKind.INTEGER, ValueKind.BITMASK):
                return value if self.minimum <= value <= self.maximum else None
            return None
        if not isinstance(value, str) or kind not in (
            ValueKind.PATH,
            ValueKind.STRING,
            ValueKind.URL,
        ):
            return None
        if not value or not value.isprintable():
            return None
        if kind is ValueKind.PATH:
            # Relative paths would depend on the crashing process's working folder. A variable may
            # still expand to something relative: that is checked again once expanded.
            return value if value.startswith(("/", "~", "$", "%")) else None
        if kind is ValueKind.URL:
            return value if _is_http_url(value) else None
        return value


def _parse_int(word: str, text: str) -> object:
    for base in (10, 0):  # base 0 takes 0x/0o/0b prefixes but refuses leading zeros ("010")
        try:
            return int(word, base)
        except ValueError:
            continue
    return text


def _exclusion(value: object) -> int | None:
    if isinstance(value, bool | int):
        return int(bool(value))
    if isinstance(value, str):
        # REG_SZ: the value's presence excludes; only an explicit "no" does not.
        return 0 if value.strip().casefold() in _FALSE_WORDS else 1
    return None


def _is_http_url(text: str) -> bool:
    from urllib.parse import urlsplit  # only when a URL is configured

    if any(char.isspace() for char in text):
        return False
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def describe_value(value: object) -> str:
    """Describe a raw value for a message: ``0``, ``true``, ``the string 'x'``, ``a table``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        shown = value if len(value) <= _DESCRIBE_LIMIT else value[:_DESCRIBE_LIMIT] + "…"
        return "an empty string" if not value else f"the string {shown!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, float):
        return f"the float {value!r}"
    return f"a {type(value).__name__}"  # dates and times
