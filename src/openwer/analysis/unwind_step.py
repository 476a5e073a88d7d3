"""The contract between the stack walker and the per-CPU unwinders.

An unwinder turns the frames found so far into the caller of the last one, or None when it can
find no caller. It tries its strategies in order (CFI, then the frame pointer, then scanning,
with Windows frame data first on x86) and labels the frame with the one that worked. It must
not loop or read unboundedly: the walker enforces termination (the stack pointer must grow) and
the frame limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from openwer.analysis.cpu_registers import CpuSpec
from openwer.analysis.module_symbols import WindowsFrameInfo
from openwer.analysis.stack_frame import FrameTrust
from openwer.analysis.walk_environment import WalkEnvironment

__all__ = ["Unwinder", "WalkFrame"]


@dataclass
class WalkFrame:
    """A frame being walked: its known registers and how it was found.

    ``windows_info`` is the Windows x86 frame data the x86 unwinder used to find this frame's
    caller; the next step needs its parameter size (Breakpad's ``.cbCalleeParams``).
    """

    registers: dict[str, int]
    trust: FrameTrust
    windows_info: WindowsFrameInfo | None = None

    def lookup_address(self, spec: CpuSpec) -> int | None:
        """The address to look symbols and unwind rules up at (inside the call for callers)."""
        pc = self.registers.get(spec.pc)
        if pc is None or self.trust is FrameTrust.CONTEXT:
            return pc
        return pc - 1


class Unwinder(Protocol):
    """Finds the caller of the last frame for one CPU."""

    @property
    def spec(self) -> CpuSpec:
        """The CPU this unwinder handles."""
        ...

    def caller(
        self, frames: Sequence[WalkFrame], env: WalkEnvironment, scan_words: int
    ) -> WalkFrame | None:
        """The caller of ``frames[-1]``; ``scan_words`` is 0 when scanning is not allowed."""
        ...
