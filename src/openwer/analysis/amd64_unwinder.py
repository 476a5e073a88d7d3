"""amd64 unwinding: CFI, then the rbp chain (never on Windows, where MSVC uses rbp freely),
then stack scanning, with rust-minidump's sanity checks on each result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from openwer.analysis.cfi_unwind import cfi_caller
from openwer.analysis.cpu_registers import CPU_SPECS
from openwer.analysis.stack_frame import FrameTrust
from openwer.analysis.stack_scan import scan_for_return_address
from openwer.analysis.unwind_step import WalkFrame
from openwer.analysis.walk_environment import WalkEnvironment

__all__ = ["Amd64Unwinder", "is_non_canonical"]

MAX_REASONABLE_GAP_BETWEEN_FRAMES: Final = 128 * 1024


def is_non_canonical(address: int) -> bool:
    """Whether an amd64 address lies in the hole no user pointer can point into."""
    return 0x7FFF_FFFF_FFFF < address < 0xFFFF_8000_0000_0000


class Amd64Unwinder:
    """Finds amd64 callers (see the module docstring)."""

    spec = CPU_SPECS["amd64"]

    def caller(
        self, frames: Sequence[WalkFrame], env: WalkEnvironment, scan_words: int
    ) -> WalkFrame | None:
        """The caller of ``frames[-1]``."""
        last = frames[-1]
        found = cfi_caller(last, env, self.spec)
        if found is None and env.dump.os_short != "windows":
            found = self._frame_pointer(last, env)
        if found is None and scan_words:
            found = self._scan(last, env, scan_words)
        return found

    def _frame_pointer(self, last: WalkFrame, env: WalkEnvironment) -> WalkFrame | None:
        bp, sp = last.registers.get("rbp"), last.registers.get("rsp")
        if bp is None or sp is None or bp % 8:
            return None
        caller_ip, caller_bp = env.read_word(bp + 8), env.read_word(bp)
        if caller_ip is None or caller_bp is None:
            return None
        caller_sp = bp + 16
        if caller_sp <= bp or caller_bp < caller_sp:
            return None  # frame pointers must be well ordered
        if env.read_word(caller_bp) is None or is_non_canonical(caller_ip):
            return None
        if caller_sp <= sp or env.read_word(caller_sp) is None:
            return None
        registers = {"rip": caller_ip, "rsp": caller_sp, "rbp": caller_bp}
        return WalkFrame(registers, FrameTrust.FRAME_POINTER)

    def _scan(self, last: WalkFrame, env: WalkEnvironment, words: int) -> WalkFrame | None:
        sp = last.registers.get("rsp")
        if sp is None:
            return None
        hit = scan_for_return_address(env, sp, words, "amd64")
        if hit is None:
            return None
        location, caller_ip = hit
        registers = {"rip": caller_ip, "rsp": location + 8}
        bp = last.registers.get("rbp")
        if bp is not None:
            # Either the callee pushed rbp just below the return address (a standard
            # prologue), or it left the caller's rbp alone; keep rbp only if it is plausible.
            saved = env.read_word(location - 8)
            if (
                bp == location - 8
                and saved is not None
                and saved > location
                and saved - (location - 8) <= MAX_REASONABLE_GAP_BETWEEN_FRAMES
                and env.read_word(saved) is not None
            ):
                registers["rbp"] = saved
            elif bp >= location + 8:
                registers["rbp"] = bp
        return WalkFrame(registers, FrameTrust.SCAN)
