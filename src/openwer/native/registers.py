"""A stopped thread's registers as a minidump context: ptrace's layouts → the writer's values.

x86-64: ``PTRACE_GETREGS`` (``user_regs_struct``) and ``PTRACE_GETFPREGS`` (FXSAVE).
aarch64: ``PTRACE_GETREGSET`` with ``NT_PRSTATUS`` (``user_pt_regs``: x0–x30, sp, pc, pstate)
and ``NT_PRFPREG`` (``user_fpsimd_state``: v0–v31, fpsr, fpcr). The aarch64 path is written
from the kernel's documented layouts but could not be run on this project's x86-64 machines
(docs/native.md, "aarch64").

Failure contract: :func:`read_context` raises :class:`~openwer.errors.TraceError` when the
general registers cannot be read; missing floating-point state only leaves it empty. Call it
from the tracing thread.
"""

from __future__ import annotations

import struct

from openwer.errors import TraceError
from openwer.formats.minidump_writer import Arm64Context, X86Context
from openwer.platform import ptrace
from openwer.platform.ptrace import X86UserRegs

__all__ = ["context_from_user_regs", "read_context"]

_ARM64_REGS_SIZE = 34 * 8
_ARM64_FPSIMD_SIZE = 32 * 16 + 16


def context_from_user_regs(regs: X86UserRegs, fxsave: bytes = b"") -> X86Context:
    """Turn ``user_regs_struct`` (plus an FXSAVE area) into the writer's x86-64 context."""
    return X86Context(
        rax=regs.rax,
        rcx=regs.rcx,
        rdx=regs.rdx,
        rbx=regs.rbx,
        rsp=regs.rsp,
        rbp=regs.rbp,
        rsi=regs.rsi,
        rdi=regs.rdi,
        r8=regs.r8,
        r9=regs.r9,
        r10=regs.r10,
        r11=regs.r11,
        r12=regs.r12,
        r13=regs.r13,
        r14=regs.r14,
        r15=regs.r15,
        rip=regs.rip,
        eflags=regs.eflags,
        cs=regs.cs,
        ds=regs.ds,
        es=regs.es,
        fs=regs.fs,
        gs=regs.gs,
        ss=regs.ss,
        fxsave=fxsave,
    )


def read_context(tid: int) -> X86Context | Arm64Context:
    """The registers of stopped tracee ``tid`` on this machine's architecture."""
    if ptrace.machine() == "aarch64":
        return _read_arm64(tid)
    regs = ptrace.get_regs(tid)
    try:
        fxsave = ptrace.get_fpregs(tid)
    except TraceError:
        fxsave = b""
    return context_from_user_regs(regs, fxsave)


def _read_arm64(tid: int) -> Arm64Context:
    raw = ptrace.get_regset(tid, ptrace.NT_PRSTATUS, _ARM64_REGS_SIZE)
    if len(raw) < _ARM64_REGS_SIZE:
        raise TraceError(f"short aarch64 register set of {tid}")
    values = struct.unpack_from("<34Q", raw)
    vectors: tuple[int, ...] = ()
    fpsr = fpcr = 0
    try:
        fp = ptrace.get_regset(tid, ptrace.NT_PRFPREG, _ARM64_FPSIMD_SIZE)
        if len(fp) >= 32 * 16 + 8:
            vectors = tuple(
                int.from_bytes(fp[16 * index : 16 * index + 16], "little") for index in range(32)
            )
            fpsr, fpcr = struct.unpack_from("<II", fp, 32 * 16)
    except TraceError:
        pass
    return Arm64Context(
        x=values[:31],
        sp=values[31],
        pc=values[32],
        pstate=values[33],
        v=vectors,
        fpsr=fpsr,
        fpcr=fpcr,
    )
