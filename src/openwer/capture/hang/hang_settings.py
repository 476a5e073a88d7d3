"""The hang-detection settings (``Hang.*``, docs/settings.md), read once when the watchdog starts.

Invalid settings files are the report path's problem to report; here they only mean "use the
defaults", with a warning on the ``openwer`` logger. Immutable; never raises.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from openwer.errors import OpenwerError
from openwer.settings import Settings, load_settings

__all__ = ["DEFAULT_THRESHOLD_S", "HangSettings"]

log = logging.getLogger("openwer")

DEFAULT_THRESHOLD_S = 5.0


@dataclass(frozen=True, slots=True)
class HangSettings:
    """``enabled``: hang detection on; ``threshold_s``: seconds without progress that make a
    hang; ``watch_main_thread``: judge the main thread's progress; ``track_locks``: record lock
    owners."""

    enabled: bool = True
    threshold_s: float = DEFAULT_THRESHOLD_S
    watch_main_thread: bool = True
    track_locks: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> HangSettings:
        """The ``Hang.*`` values of ``settings``."""

        def number(name: str, default: int) -> int:
            entry = settings.entry(name)
            return int(entry.value) if entry is not None else default

        disabled = bool(number("Hang.Disabled", 0)) or settings.disabled
        return cls(
            enabled=not disabled,
            threshold_s=number("Hang.ThresholdMs", 5000) / 1000.0,
            watch_main_thread=not number("Hang.IgnoreMainThread", 0),
            track_locks=not disabled and not number("Hang.DisableLockTracking", 0),
        )

    @classmethod
    def load(cls) -> HangSettings:
        """Read this machine's settings (``OPENWER_HOME`` and ``OPENWER__Hang__*`` apply)."""
        try:
            return cls.from_settings(load_settings())
        except OpenwerError as exc:
            log.warning("openwer: hang detection uses its defaults: %s", exc)
            return cls()
