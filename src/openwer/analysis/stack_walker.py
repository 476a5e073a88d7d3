"""Walk one thread's stack: from its context, caller by caller, within limits.

Each step asks the CPU's unwinder for the caller (see :mod:`openwer.analysis.unwind_step`) and
stops, as Breakpad does, when the caller's instruction pointer is below 4 KiB (the end of the
stack) or its stack pointer does not grow (which also rules out loops). :class:`WalkLimits`
bounds the number of frames and how far and how often the stack is scanned, so a hostile dump
cannot make a walk long. Frames are then placed in their modules and symbolized.

A failure inside one step (a bug, not bad data: bad data only makes a step find nothing) ends
that thread's walk with an error; the frames found so far are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from openwer.analysis.amd64_unwinder import Amd64Unwinder
from openwer.analysis.arm64_unwinder import Arm64Unwinder, ArmUnwinder
from openwer.analysis.stack_frame import CallStack, FrameTrust, StackFrame
from openwer.analysis.unwind_step import Unwinder, WalkFrame
from openwer.analysis.walk_environment import StackMemory, SymbolCache, WalkEnvironment
from openwer.analysis.x86_unwinder import X86Unwinder
from openwer.formats.minidump import REGISTER_ORDER, CpuContext, Minidump

__all__ = ["WalkLimits", "walk_stack"]

_END_OF_STACK: Final = 1 << 12

_UNWINDERS: Final[dict[str, Unwinder]] = {
    "amd64": Amd64Unwinder(),
    "x86": X86Unwinder(),
    "arm64": Arm64Unwinder(),
    "arm": ArmUnwinder(),
}


@dataclass(frozen=True, slots=True)
class WalkLimits:
    """Bounds on one thread's walk.

    Attributes:
        max_frames: frames per thread (Breakpad's default is 1024).
        max_scanned_frames: scanning is allowed only while the stack has fewer frames.
        scan_words: words scanned for a return address per frame.
        context_scan_words: words scanned for the caller of the innermost frame, whose
            registers may be mid-prologue (Breakpad scans four times further there).
        max_total_frames: frames for all threads of a dump together; once spent, the remaining
            threads get their context frame only (and are marked truncated).
    """

    max_frames: int = 1024
    max_scanned_frames: int = 1024
    scan_words: int = 40
    context_scan_words: int = 160
    max_total_frames: int = 100_000


def _terminates(caller: WalkFrame, last: WalkFrame, pc: str, sp: str) -> bool:
    caller_pc, caller_sp = caller.registers.get(pc), caller.registers.get(sp)
    callee_sp = last.registers.get(sp)
    if caller_pc is None or caller_sp is None or caller_pc < _END_OF_STACK:
        return True
    if callee_sp is None:
        return False
    first = last.trust is FrameTrust.CONTEXT
    return caller_sp < callee_sp or (caller_sp == callee_sp and not first)


def _finish(frame: WalkFrame, cpu: str, env: WalkEnvironment, pc_name: str) -> StackFrame:
    order = REGISTER_ORDER.get(cpu, ())
    registers = tuple((name, frame.registers[name]) for name in order if name in frame.registers)
    instruction = frame.registers.get(pc_name, 0)
    result = StackFrame(instruction, frame.trust, registers)
    found = env.module_at(result.lookup_address)
    if found is None:
        return result
    index, module = found
    symbols = env.symbols.get(index, module)
    function = symbols.function_at(result.lookup_address - module.base) if symbols else None
    return StackFrame(
        instruction, frame.trust, registers, index, instruction - module.base, function
    )


def walk_stack(
    dump: Minidump,
    thread_id: int,
    context: CpuContext | None,
    stack_start: int,
    symbols: SymbolCache,
    limits: WalkLimits | None = None,
) -> CallStack:
    """Walk the stack of ``thread_id`` from ``context``; ``stack_start`` is the thread's stack
    descriptor's start address (0 if unknown)."""
    limits = limits or WalkLimits()
    if context is None:
        return CallStack(thread_id, (), error="the thread has no readable context")
    unwinder = _UNWINDERS.get(context.cpu)
    word = unwinder.spec.word if unwinder else 8
    stack = StackMemory.for_thread(dump, stack_start, context.stack_pointer)
    env = WalkEnvironment(dump, stack, symbols, word)
    first = WalkFrame(context.as_dict(), FrameTrust.CONTEXT)
    pc_name = unwinder.spec.pc if unwinder else "pc"
    if unwinder is None or context.instruction_pointer is None:
        reason = (
            f"stack walking is not supported on {context.cpu}"
            if unwinder is None
            else "the context has no valid instruction pointer"
        )
        frames = (_finish(first, context.cpu, env, pc_name),) if context.instruction_pointer else ()
        return CallStack(thread_id, frames, error=reason)
    spec = unwinder.spec
    walked = [first]
    truncated, error = False, None
    while True:
        if len(walked) >= limits.max_frames:
            truncated = True
            break
        scan_words = 0
        if len(walked) < limits.max_scanned_frames:
            context_frame = walked[-1].trust is FrameTrust.CONTEXT
            scan_words = limits.context_scan_words if context_frame else limits.scan_words
        try:
            caller = unwinder.caller(walked, env, scan_words)
        except Exception as exc:  # a bug must not cost the other threads their walks
            error = f"stack walk stopped by an internal error: {exc!r}"
            break
        if caller is None or _terminates(caller, walked[-1], spec.pc, spec.sp):
            break
        walked.append(caller)
    walk = tuple(_finish(frame, context.cpu, env, spec.pc) for frame in walked)
    return CallStack(thread_id, walk, truncated, error)
