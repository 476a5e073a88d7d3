"""Stack frames as the walker finds them, and how each was found.

A frame's ``instruction`` is the program counter of the innermost frame, and for every other
frame the return address into it (the value the unwound register holds), as Breakpad prints it;
symbols are looked up one byte earlier (:attr:`StackFrame.lookup_address`) so that a call at the
very end of a function, or before a line change, is attributed to the call's own line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from openwer.analysis.module_symbols import FunctionMatch

__all__ = ["CallStack", "FrameTrust", "StackFrame"]


class FrameTrust(StrEnum):
    """How a frame was found, most trustworthy first (the values are stable JSON strings)."""

    CONTEXT = "context"
    """The thread's own registers: the innermost frame."""
    CFI = "cfi"
    """Call frame information (STACK CFI, STACK WIN, ELF .eh_frame/.debug_frame)."""
    CFI_SCAN = "cfi_scan"
    """Windows x86 frame data gave a stack position; the return address was then scanned."""
    FRAME_POINTER = "frame_pointer"
    """The frame-pointer chain (rbp, ebp, x29)."""
    SCAN = "scan"
    """Stack scanning: a word on the stack that points just after a call into a module."""


@dataclass(frozen=True, slots=True)
class StackFrame:
    """One frame of a thread's stack.

    Attributes:
        instruction: the program counter (innermost frame) or return address (others).
        trust: how the frame was found.
        registers: the registers known in this frame, by name, in the CPU's order.
        module_index: the index of the module holding ``lookup_address`` in the dump's
            module list, or None if no module holds it.
        module_offset: ``instruction`` minus that module's base (None without a module).
        function: the function (or public symbol) and source line, if symbols are available.
    """

    instruction: int
    trust: FrameTrust
    registers: tuple[tuple[str, int], ...]
    module_index: int | None = None
    module_offset: int | None = None
    function: FunctionMatch | None = None

    @property
    def lookup_address(self) -> int:
        """The address symbols are looked up at: the instruction, or one byte into the call."""
        if self.trust is FrameTrust.CONTEXT or self.instruction == 0:
            return self.instruction
        return self.instruction - 1


@dataclass(frozen=True, slots=True)
class CallStack:
    """One thread's stack walk.

    Attributes:
        thread_id: the thread.
        frames: innermost first.
        truncated: True if the walk stopped at a limit rather than at the stack's end.
        error: why the walk could not start (no context, unreadable stack), else None.
    """

    thread_id: int
    frames: tuple[StackFrame, ...]
    truncated: bool = False
    error: str | None = None
