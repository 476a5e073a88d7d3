"""Where a setting comes from: the three settings files and the layers below and above them.

WER reads ``HKLM`` (machine), ``HKCU`` (user) and the ``Policies`` copies of its key; openwer reads
three TOML files instead, one per :class:`Level`. :class:`Layer` orders every layer by precedence,
lowest first: WER's defaults, the machine file, the user file, the policy file (which overrides
both, as Group Policy does) and finally ``OPENWER__*`` environment variables (for tests and
operators).

Pure data: no I/O, safe to import from anywhere and from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

__all__ = ["DEFAULT_SOURCE", "Layer", "Level", "Source"]


class Layer(IntEnum):
    """Every layer a value may come from; a higher value overrides a lower one."""

    DEFAULT = 0
    MACHINE = 1
    USER = 2
    POLICY = 3
    ENVIRONMENT = 4


class Level(StrEnum):
    """A settings file ``openwer config set`` can edit (``--machine``, ``--user``, ``--policy``).

    The counterparts of WER's ``HKLM``, ``HKCU`` and ``Software\\Policies`` keys.
    """

    MACHINE = "machine"
    USER = "user"
    POLICY = "policy"

    @property
    def layer(self) -> Layer:
        """The precedence layer this file feeds."""
        return Layer[self.name]


@dataclass(frozen=True)
class Source:
    """Where one effective value came from, for ``openwer config list`` and for error messages.

    Attributes:
        layer: The layer that set the value.
        location: The file's path for a file layer, the variable's name for the environment layer,
            ``""`` for a WER default.
    """

    layer: Layer
    location: str = ""

    @property
    def level(self) -> Level | None:
        """The settings file this value came from, or ``None`` for defaults and the environment."""
        if self.layer in (Layer.DEFAULT, Layer.ENVIRONMENT):
            return None
        return Level[self.layer.name]

    @property
    def where(self) -> str:
        """The prefix of an error message about this source (a path or a variable)."""
        if self.layer is Layer.ENVIRONMENT:
            return f"environment variable {self.location}"
        return self.location or "defaults"

    def __str__(self) -> str:
        """Render as ``default``, ``user (/home/u/.config/openwer/settings.toml)``…"""
        if self.layer is Layer.DEFAULT:
            return "default"
        return f"{self.layer.name.lower()} ({self.location})"


DEFAULT_SOURCE = Source(Layer.DEFAULT)
