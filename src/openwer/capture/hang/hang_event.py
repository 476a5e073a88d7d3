"""A hang the watchdog found: what hung, how, since when, and its wait chains.

:class:`HangEvent` is what the watchdog hands the report builder; :class:`HangSource` and
:class:`HangKind` name where it was seen and what the thread was doing (docs/hangs.md). The event
holds frames of the living program for the signature; it exists only while its report is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from openwer.capture.frames import FrameEntry
from openwer.formats.wait_chain import WaitChain

__all__ = ["HangEvent", "HangKind", "HangSource"]


class HangSource(Enum):
    """Which watch saw the hang (``HangSource`` in Report.wer)."""

    MAIN_THREAD = "main-thread"  # the main thread made no progress
    HEARTBEAT = "heartbeat"  # a loop calling openwer.heartbeat() went silent
    ASYNCIO_LOOP = "asyncio-loop"  # an event loop did not run its callbacks in time
    DEADLOCK = "deadlock"  # threads waiting for each other's locks
    ASYNCIO_TASKS = "asyncio-tasks"  # asyncio tasks awaiting each other


class HangKind(Enum):
    """What the hung thread was doing; its number is the ``Hang Type`` parameter (P4)."""

    BLOCKED = "blocked"  # waiting, no CPU
    BUSY_PYTHON = "busy-python"  # spinning in Python code
    BUSY_NATIVE = "busy-native"  # spinning inside one C call
    DEADLOCK = "deadlock"  # blocked in a wait chain that is a cycle

    @property
    def hang_type(self) -> int:
        """``Hang Type``: 0 blocked, 1 busy in Python, 2 busy in native code, 4 deadlock."""
        return _HANG_TYPES[self]


_HANG_TYPES = {
    HangKind.BLOCKED: 0,
    HangKind.BUSY_PYTHON: 1,
    HangKind.BUSY_NATIVE: 2,
    HangKind.DEADLOCK: 4,
}


@dataclass(frozen=True)
class HangEvent:
    """One hang, as detected.

    ``thread_ident`` is the hung thread (``threading.get_ident()``; the loop's thread for an
    asyncio hang); ``stalled_s`` how long it had made no progress when detected; ``cpu_ratio``
    its CPU share meanwhile (None: unknown); ``samples`` how many looks decided it.
    ``chains`` are the wait chains to report, the hung thread's first; ``signature_stacks`` the
    blocked stacks the hang signature is made of (one, or one per thread of a deadlock cycle),
    outermost frame first. ``details`` adds Report.wer values (``HangLoopTask``…).
    """

    source: HangSource
    kind: HangKind
    thread_ident: int
    stalled_s: float
    cpu_ratio: float | None
    samples: int
    chains: tuple[WaitChain, ...]
    signature_stacks: tuple[tuple[FrameEntry, ...], ...]
    details: dict[str, str] = field(default_factory=dict)

    @property
    def cross_process(self) -> bool:
        """Whether the hung thread's chain reaches another process (``AppHangXProcB1``)."""
        return bool(self.chains) and self.chains[0].cross_process
