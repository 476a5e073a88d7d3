"""Dotted setting names: resolving what a user typed to a row of the schema, and valued entries.

A dotted name is WER's registry path with ``.`` for ``\\``: ``DontShowUI``,
``Consent.DefaultConsent``, ``Consent.APPCRASH``, ``ExcludedApplications.myapp.py``,
``LocalDumps.DumpCount``, ``LocalDumps.my.app.py.DumpFolder``, ``Server.Url``. Names are
case-insensitive and are reported back in WER's spelling (event types and executables keep the
user's). An application name may contain dots: a ``LocalDumps`` name is split at its *last* dot,
and the leaf must be ``DumpFolder``, ``DumpCount``, ``DumpType`` or ``CustomDumpFlags``.

Pure functions and frozen data: safe from any thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from openwer.errors import SettingsError
from openwer.settings.levels import Source
from openwer.settings.schema import SETTINGS, SPECS_BY_NAME
from openwer.settings.spec import Scalar, SettingSpec

__all__ = ["TABLES", "SettingEntry", "SettingKey", "resolve_key", "shown_name", "unknown_setting"]

_APP_LEAVES = [spec for spec in SETTINGS if spec.path[:2] == ("LocalDumps", "*")]
TABLES: Mapping[str, str] = MappingProxyType(
    {spec.path[0].casefold(): spec.path[0] for spec in SETTINGS if len(spec.path) > 1}
)
"""The tables of a settings file, by case-folded name: Consent, ExcludedApplications…"""


@dataclass(frozen=True)
class SettingKey:
    """One concrete setting: a schema row plus the user's part of the name, if it has one.

    Attributes:
        spec: The schema row.
        subject: The event type or executable of an open name (``None`` for a fixed name).
    """

    spec: SettingSpec
    subject: str | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """The name's parts in WER's spelling (``("LocalDumps", "myapp.py", "DumpCount")``)."""
        return tuple((self.subject or "") if part == "*" else part for part in self.spec.path)

    @property
    def dotted(self) -> str:
        """The dotted name in WER's spelling."""
        return ".".join(self.parts)

    @property
    def folded(self) -> tuple[str, ...]:
        """The case-folded parts: two keys name the same setting when these are equal."""
        return tuple(part.casefold() for part in self.parts)


@dataclass(frozen=True)
class SettingEntry:
    """A setting's value and where it came from (a row of ``openwer config list``).

    Attributes:
        key: Which setting.
        value: The normalised value (0/1 for flags, ``int`` or ``str`` otherwise).
        source: The default, file or environment variable that set it.
    """

    key: SettingKey
    value: Scalar
    source: Source

    @property
    def name(self) -> str:
        """The dotted name in WER's spelling."""
        return self.key.dotted

    @property
    def text(self) -> str:
        """The value as a listing shows it (bit masks in hex)."""
        return self.key.spec.format(self.value)


def resolve_key(dotted: str, *, where: str | None = None) -> SettingKey:
    """Resolve a dotted name, case-insensitively.

    Args:
        dotted: The name as typed (``localdumps.myapp.py.dumpcount``).
        where: The file or variable it came from, for the error message.

    Raises:
        SettingsError: The name is empty or unknown (the message suggests a close match).
    """
    text = dotted.strip()
    spec = SPECS_BY_NAME.get(text.casefold())
    if spec is not None and not spec.is_open:
        return SettingKey(spec)
    head, _, rest = text.partition(".")
    table = head.casefold()
    if rest and table in ("consent", "excludedapplications"):
        return SettingKey(SPECS_BY_NAME[f"{table}.<name>"], rest)
    if rest and table == "localdumps":
        app, _, leaf = rest.rpartition(".")
        spec = SPECS_BY_NAME.get(f"localdumps.<name>.{leaf.casefold()}")
        if app and spec is not None:
            return SettingKey(spec, app)
    raise unknown_setting(text, where)


def unknown_setting(name: str, where: str | None) -> SettingsError:
    """Return the error for an unknown name, suggesting the closest known one."""
    import difflib  # only on this error path

    prefix = f"{where}: " if where else ""
    head, _, rest = name.partition(".")
    app, _, leaf = rest.rpartition(".")
    if head.casefold() == "localdumps" and app:
        # An application's name: only its last part can be misspelt ("a.py.Folder").
        candidates = [spec.path[-1] for spec in _APP_LEAVES]
        word, template = leaf, f"LocalDumps.{app}.{{}}"
    else:
        candidates = [spec.name for spec in SETTINGS if not spec.is_open]
        word, template = name, "{}"
    by_folded = {candidate.casefold(): candidate for candidate in candidates}
    close = difflib.get_close_matches(word.casefold(), list(by_folded), n=1)
    if close:
        hint = f" (did you mean {template.format(by_folded[close[0]])}?)"
    elif template != "{}":
        hint = f" (an application's LocalDumps name ends in {', '.join(candidates)})"
    else:
        hint = ""
    return SettingsError(f"{prefix}{shown_name(name) or '(empty name)'}: unknown setting{hint}")


def shown_name(name: str) -> str:
    """Return a name safe to put in a one-line message (control characters escaped)."""
    return name if name.isprintable() else repr(name)[1:-1]
