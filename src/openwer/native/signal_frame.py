"""The context of a fault, recovered from the signal frame the kernel pushed for its handler.

When the crash handler attaches to a Python process, the crashing thread is no longer at the
faulting instruction: it is inside faulthandler's signal handler (writing the traceback, or
re-raising the signal). The kernel saved the interrupted context on the handler's stack, as an
x86-64 ``struct rt_sigframe`` (arch/x86/include/asm/sigframe.h, x64_setup_rt_frame)::

    +0    pretcode     return address of the handler: the sa_restorer (glibc's and musl's
                       __restore_rt, "mov $15, %rax; syscall" = 48 c7 c0 0f 00 00 00 0f 05)
    +8    uc_flags     UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS (≤ 7)
    +16   uc_link      0
    +24   uc_stack     the alternate stack (24 bytes)
    +48   uc_mcontext  struct sigcontext: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip,
                       eflags, cs/gs/fs/ss, err, trapno, oldmask, cr2, fpstate*, reserved[8]
    +304  uc_sigmask
    +312  info         siginfo_t — written only for SA_SIGINFO handlers; faulthandler's is
                       not one, so the signal comes from elsewhere (the re-raise, the text)

:func:`find_signal_frame` scans the stack above the current stack pointer (faulthandler runs on
its own alternate signal stack, so the frame is close) for the innermost slot that is 8 modulo
16 (the kernel aligns the frame so) and fits that fingerprint: a return address pointing at the
restorer's code, small ``uc_flags``, no ``uc_link``, the user code and stack segments (0x33,
0x2b). The FXSAVE area the frame's ``fpstate`` points to becomes the context's floating-point
state; ``trapno``, ``err`` and ``cr2`` say what the CPU reported (:func:`fault_details`).

Pure except for the ``read`` callback. x86-64 only: elsewhere the handler keeps the live
context (docs/native.md, "aarch64").
"""

from __future__ import annotations

import signal
import struct
from collections.abc import Callable
from dataclasses import dataclass

from openwer.formats.minidump_writer import X86Context

__all__ = ["RESTORER_CODE", "SignalFrame", "fault_details", "find_signal_frame"]

RESTORER_CODE = bytes.fromhex("48c7c00f0000000f05")
_HEAD = struct.Struct("<QQQ")  # pretcode, uc_flags, uc_link
_SIGCONTEXT = 48  # pretcode, uc_flags, uc_link, uc_stack (24 bytes)
_SIGCONTEXT_FIELDS = struct.Struct("<18Q4H5Q")
_FRAME_SIZE = _SIGCONTEXT + _SIGCONTEXT_FIELDS.size
_USER_CS = 0x33
_USER_SS = 0x2B
_MAX_UC_FLAGS = 0xF
_FXSAVE = 512

# x86 exception vectors (trapno) and what Linux turns them into.
_TRAP_DIVIDE = 0
_TRAP_BREAKPOINT = 3
_TRAP_INVALID_OPCODE = 6
_TRAP_GENERAL_PROTECTION = 13
_TRAP_PAGE_FAULT = 14
_TRAP_X87 = 16
_TRAP_SIMD = 19
_SEGV_MAPERR, _SEGV_ACCERR, _SI_KERNEL, _SI_TKILL = 1, 2, 0x80, -6
_FPE_INTDIV, _ILL_ILLOPN, _TRAP_BRKPT = 1, 2, 1


@dataclass(frozen=True, slots=True)
class SignalFrame:
    """A signal frame found on a stack: where, the interrupted context, the CPU's report."""

    address: int
    context: X86Context
    trapno: int
    error_code: int
    cr2: int


def _decode(address: int, frame: bytes, read: Callable[[int, int], bytes]) -> SignalFrame | None:
    fields = _SIGCONTEXT_FIELDS.unpack_from(frame, _SIGCONTEXT)
    r8, r9, r10, r11, r12, r13, r14, r15 = fields[:8]
    rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags = fields[8:18]
    cs, gs, fs, ss = fields[18:22]
    error_code, trapno, _oldmask, cr2, fpstate = fields[22:27]
    if cs != _USER_CS or ss != _USER_SS or rip == 0 or rsp == 0:
        return None
    fxsave = read(fpstate, _FXSAVE) if fpstate else b""
    context = X86Context(
        rax=rax,
        rcx=rcx,
        rdx=rdx,
        rbx=rbx,
        rsp=rsp,
        rbp=rbp,
        rsi=rsi,
        rdi=rdi,
        r8=r8,
        r9=r9,
        r10=r10,
        r11=r11,
        r12=r12,
        r13=r13,
        r14=r14,
        r15=r15,
        rip=rip,
        eflags=eflags,
        cs=cs,
        fs=fs,
        gs=gs,
        ss=ss,
        fxsave=fxsave if len(fxsave) == _FXSAVE else b"",
    )
    return SignalFrame(address, context, trapno, error_code, cr2)


def find_signal_frame(
    stack: bytes, stack_address: int, read: Callable[[int, int], bytes]
) -> SignalFrame | None:
    """The innermost signal frame in ``stack`` (bytes read from ``stack_address``), or None."""
    restorers: dict[int, bool] = {}
    for offset in range((8 - stack_address) % 16, len(stack) - _FRAME_SIZE + 1, 16):
        pretcode, flags, link = _HEAD.unpack_from(stack, offset)
        if link != 0 or flags > _MAX_UC_FLAGS or pretcode < 4096:
            continue
        if pretcode not in restorers:
            restorers[pretcode] = read(pretcode, len(RESTORER_CODE)) == RESTORER_CODE
        if not restorers[pretcode]:
            continue
        frame = _decode(stack_address + offset, stack[offset : offset + _FRAME_SIZE], read)
        if frame is not None:
            return frame
    return None


def fault_details(frame: SignalFrame, signal_number: int) -> tuple[int, int]:
    """``(si_code, si_addr)`` of ``signal_number`` as the kernel would have reported it.

    Derived from the frame's ``trapno``/``err``/``cr2`` when they match the signal (a page fault
    for SIGSEGV/SIGBUS, a divide error for SIGFPE…); a signal the CPU did not raise (SIGABRT
    from ``abort()``) is ``SI_TKILL`` with no address.
    """
    trap, rip = frame.trapno, frame.context.rip
    if signal_number in (signal.SIGSEGV, signal.SIGBUS) and trap == _TRAP_PAGE_FAULT:
        return (_SEGV_ACCERR if frame.error_code & 1 else _SEGV_MAPERR), frame.cr2
    if signal_number == signal.SIGSEGV and trap == _TRAP_GENERAL_PROTECTION:
        return _SI_KERNEL, 0
    if signal_number == signal.SIGFPE and trap in (_TRAP_DIVIDE, _TRAP_X87, _TRAP_SIMD):
        return _FPE_INTDIV if trap == _TRAP_DIVIDE else 0, rip
    if signal_number == signal.SIGILL and trap == _TRAP_INVALID_OPCODE:
        return _ILL_ILLOPN, rip
    if signal_number == signal.SIGTRAP and trap == _TRAP_BREAKPOINT:
        return _TRAP_BRKPT, rip
    return _SI_TKILL, 0
