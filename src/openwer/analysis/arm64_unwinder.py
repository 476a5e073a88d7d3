"""arm64 (and 32-bit ARM) unwinding: CFI, then the frame-record chain, then stack scanning.

An AAPCS64 frame record is two words at fp: the caller's fp and the return address. The caller's
pc is the callee's lr (for the innermost frame, the live lr register; afterwards the lr each
step recovered from the record), as Breakpad's and rust-minidump's arm64 walkers do. Return
addresses signed by pointer authentication carry a signature in their high bits, which is
stripped by keeping only as many low bits as the highest module address needs.

32-bit ARM gets CFI and scanning only: without CFI its frame-pointer conventions (r7 on Thumb,
r11 on ARM) are too varied to trust.
"""

from __future__ import annotations

from collections.abc import Sequence

from openwer.analysis.cfi_unwind import cfi_caller
from openwer.analysis.cpu_registers import CPU_SPECS, CpuSpec
from openwer.analysis.stack_frame import FrameTrust
from openwer.analysis.stack_scan import scan_for_return_address
from openwer.analysis.unwind_step import WalkFrame
from openwer.analysis.walk_environment import WalkEnvironment

__all__ = ["Arm64Unwinder", "ArmUnwinder", "strip_pointer_authentication"]


def strip_pointer_authentication(env: WalkEnvironment, address: int) -> int:
    """``address`` without a pointer-authentication signature, if removing one lands in a
    module (an address already in a module, or one nothing explains, is returned as is)."""
    if env.module_at(address) is not None or not env.dump.modules:
        return address
    highest = max(module.end for module in env.dump.modules)
    stripped = address & ((1 << max(highest.bit_length(), 1)) - 1)
    return stripped if env.module_at(stripped) is not None else address


class Arm64Unwinder:
    """Finds arm64 callers (see the module docstring)."""

    spec: CpuSpec = CPU_SPECS["arm64"]

    def caller(
        self, frames: Sequence[WalkFrame], env: WalkEnvironment, scan_words: int
    ) -> WalkFrame | None:
        """The caller of ``frames[-1]``."""
        last = frames[-1]
        found = cfi_caller(last, env, self.spec)
        if found is not None:
            pc = found.registers[self.spec.pc]
            found.registers[self.spec.pc] = strip_pointer_authentication(env, pc)
            return found
        found = self._frame_record(last, env)
        if found is None and scan_words:
            found = _scan(last, env, scan_words, self.spec)
        return found

    def _frame_record(self, last: WalkFrame, env: WalkEnvironment) -> WalkFrame | None:
        fp, sp, lr = (last.registers.get(name) for name in ("fp", "sp", "lr"))
        if fp is None or sp is None or lr is None or fp == 0:
            return None
        caller_fp, caller_lr = env.read_word(fp), env.read_word(fp + 8)
        if caller_fp is None or caller_lr is None:
            return None
        caller_sp = fp + 16
        if caller_sp <= sp or (caller_fp and caller_fp < caller_sp):
            return None  # frame records must be well ordered up the stack
        caller_pc = strip_pointer_authentication(env, lr)
        registers = {
            "pc": caller_pc,
            "sp": caller_sp,
            "fp": caller_fp,
            "lr": strip_pointer_authentication(env, caller_lr),
        }
        return WalkFrame(registers, FrameTrust.FRAME_POINTER)


class ArmUnwinder:
    """Finds 32-bit ARM callers: CFI, then scanning."""

    spec: CpuSpec = CPU_SPECS["arm"]

    def caller(
        self, frames: Sequence[WalkFrame], env: WalkEnvironment, scan_words: int
    ) -> WalkFrame | None:
        """The caller of ``frames[-1]``."""
        found = cfi_caller(frames[-1], env, self.spec)
        if found is None and scan_words:
            found = _scan(frames[-1], env, scan_words, self.spec)
        return found


def _scan(last: WalkFrame, env: WalkEnvironment, words: int, spec: CpuSpec) -> WalkFrame | None:
    sp = last.registers.get(spec.sp)
    if sp is None:
        return None
    hit = scan_for_return_address(env, sp, words, spec.cpu)
    if hit is None:
        return None
    location, caller_pc = hit
    registers = {spec.pc: caller_pc, spec.sp: location + spec.word}
    fp = last.registers.get(spec.fp)
    if fp is not None and fp >= location + spec.word:
        registers[spec.fp] = fp  # the callee may have left the caller's frame pointer alone
    return WalkFrame(registers, FrameTrust.SCAN)
