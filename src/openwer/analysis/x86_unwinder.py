"""x86 unwinding: Windows frame data (``STACK WIN``), then CFI, then the ebp chain with a scan
fallback, following Breakpad's ``StackwalkerX86``.

Windows frame data describes each function's frame by sizes (locals, saved registers,
parameters) and, for FRAME_DATA records, a program that computes the caller's registers from
``.raSearchStart``, the address where the return address should be. Because MSVC's data can be
off by a few words (aligned stacks, /LTCG mistakes), the return address is then checked against
the modules and looked for a few words further if it does not point into one, and ebp is looked
for in the saved-register area, as Breakpad does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from openwer.analysis.cfi_unwind import cfi_caller
from openwer.analysis.cpu_registers import CPU_SPECS
from openwer.analysis.module_symbols import WindowsFrameInfo
from openwer.analysis.postfix import evaluate_assignments
from openwer.analysis.stack_frame import FrameTrust
from openwer.analysis.stack_scan import scan_for_return_address
from openwer.analysis.unwind_step import WalkFrame
from openwer.analysis.walk_environment import WalkEnvironment

__all__ = ["X86Unwinder"]

MAX_REASONABLE_GAP_BETWEEN_FRAMES: Final = 128 * 1024
_ALIGNED_STACK_WORDS: Final = 4  # Breakpad looks 3 words past .raSearchStart (inclusive)
_STACK_INFO_FPO: Final = 0

# Frames that allocate a base pointer but keep no program string (MSVC FPO data).
_FPO_WITH_BASE_POINTER: Final = (
    "$eip .raSearchStart ^ = $ebp $esp .cbCalleeParams + .cbSavedRegs + 8 - ^ = "
    "$esp .raSearchStart 4 + ="
)
_FPO_WITHOUT_BASE_POINTER: Final = "$eip .raSearchStart ^ = $esp .raSearchStart 4 + ="


class X86Unwinder:
    """Finds x86 callers (see the module docstring)."""

    spec = CPU_SPECS["x86"]

    def caller(
        self, frames: Sequence[WalkFrame], env: WalkEnvironment, scan_words: int
    ) -> WalkFrame | None:
        """The caller of ``frames[-1]``."""
        last = frames[-1]
        lookup = last.lookup_address(self.spec)
        info = None
        if lookup is not None:
            found = env.symbols_at(lookup)
            if found is not None:
                symbols, offset = found
                info = symbols.windows_frame_info(offset)
        last.windows_info = info
        result = None
        if info is not None and info.complete:
            result = self._windows_frame(frames, info, env, scan_words)
        if result is None:
            result = cfi_caller(last, env, self.spec)
        if result is None:
            result = self._frame_pointer(last, env, scan_words)
        return result

    def _windows_frame(
        self,
        frames: Sequence[WalkFrame],
        info: WindowsFrameInfo,
        env: WalkEnvironment,
        scan_words: int,
    ) -> WalkFrame | None:
        last = frames[-1]
        registers = last.registers
        esp, ebp, eip = registers.get("esp"), registers.get("ebp"), registers.get("eip")
        if esp is None or ebp is None or eip is None:
            return None
        callee_params = 0
        if len(frames) >= 2 and frames[-2].windows_info is not None:
            callee_params = frames[-2].windows_info.parameter_size
        names = {
            "$ebp": ebp,
            "$esp": esp,
            ".cbCalleeParams": callee_params,
            ".cbSavedRegs": info.saved_register_size,
            ".cbLocals": info.local_size,
            ".cbParams": info.parameter_size,
        }
        if "ebx" in registers:
            names["$ebx"] = registers["ebx"]
        search_start = esp + callee_params + info.local_size + info.saved_register_size
        # The stack may have been aligned to a quadword: look a few words further.
        hit = scan_for_return_address(env, search_start, _ALIGNED_STACK_WORDS, "x86")
        if hit is not None:
            original = search_start
            search_start, found = hit
            if (
                last.trust is FrameTrust.CONTEXT
                and info.type == _STACK_INFO_FPO
                and search_start == original
                and found == eip
            ):
                # An FPO system call that has returned but left its return address on top.
                hit = scan_for_return_address(env, search_start + 4, _ALIGNED_STACK_WORDS, "x86")
                search_start = hit[0] if hit is not None else search_start + 4
        if info.program_string:
            program, recover_ebp = info.program_string, True
        elif info.allocates_base_pointer:
            program, recover_ebp = _FPO_WITH_BASE_POINTER, True
        else:
            program, recover_ebp = _FPO_WITHOUT_BASE_POINTER, False
        if "@" in program:
            search_start = ebp + 4  # esp was aligned (lossy): only ebp locates the frame
        names[".raSearchStart"] = names[".raSearch"] = search_start
        trust = FrameTrust.CFI
        assigned = evaluate_assignments(program, names, env.read_word, 32)
        if assigned is None or "$eip" not in assigned or "$esp" not in assigned:
            hit = scan_for_return_address(env, esp, scan_words, "x86") if scan_words else None
            if hit is None:
                return None
            names["$eip"], names["$esp"] = hit[1], hit[0] + 4
            assigned = {"$eip", "$esp"}
            trust = FrameTrust.SCAN
        offset = 0
        if names["$eip"] != 0 or names["$ebp"] != 0:
            if env.module_at(names["$eip"]) is None and scan_words:
                location_start = search_start + 4
                hit = scan_for_return_address(env, location_start, scan_words, "x86")
                if hit is not None:
                    names["$eip"], names["$esp"] = hit[1], hit[0] + 4
                    offset = hit[0] - location_start
                    trust = FrameTrust.CFI_SCAN
            if recover_ebp:
                self._recover_ebp(
                    names, info, env, esp + callee_params, search_start, offset, trust
                )
        caller = {"eip": names["$eip"], "esp": names["$esp"], "ebp": names["$ebp"]}
        for register in ("ebx", "esi", "edi"):
            if "$" + register in assigned:
                caller[register] = names["$" + register]
        return WalkFrame(caller, trust)

    @staticmethod
    def _recover_ebp(
        names: dict[str, int],
        info: WindowsFrameInfo,
        env: WalkEnvironment,
        location_end: int,
        search_start: int,
        offset: int,
        trust: FrameTrust,
    ) -> None:
        """Look for the caller's ebp in the saved-register area when the program's is doubtful."""
        ebp = names["$ebp"]
        skipped_frames = trust is not FrameTrust.CFI and ebp <= search_start + offset
        if not skipped_frames and env.read_word(ebp) is not None:
            return
        location = location_end + info.saved_register_size + offset
        while location >= location_end:
            candidate = env.read_word(location)
            if candidate is None:
                break
            if env.read_word(candidate) is not None:
                names["$ebp"] = candidate
                break
            location -= 4

    def _frame_pointer(
        self, last: WalkFrame, env: WalkEnvironment, scan_words: int
    ) -> WalkFrame | None:
        ebp, esp = last.registers.get("ebp"), last.registers.get("esp")
        if ebp is not None:
            caller_eip, caller_ebp = env.read_word(ebp + 4), env.read_word(ebp)
            if caller_eip is not None and caller_ebp is not None:
                registers = {"eip": caller_eip, "esp": ebp + 8, "ebp": caller_ebp}
                return WalkFrame(registers, FrameTrust.FRAME_POINTER)
        if esp is None or not scan_words:
            return None
        hit = scan_for_return_address(env, esp, scan_words, "x86")
        if hit is None:
            return None
        location, caller_eip = hit
        caller_esp = location + 4
        # The caller's ebp is usually saved just below the return address; keep the callee's
        # ebp when that slot does not hold a plausible frame pointer.
        saved = env.read_word(caller_esp - 8)
        chain = caller_esp - 8
        if saved is None or saved <= chain or saved - chain > MAX_REASONABLE_GAP_BETWEEN_FRAMES:
            saved = ebp
        registers = {"eip": caller_eip, "esp": caller_esp}
        if saved is not None:
            registers["ebp"] = saved
        return WalkFrame(registers, FrameTrust.SCAN)
