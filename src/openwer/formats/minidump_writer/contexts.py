"""Thread contexts as minidump readers expect them: CONTEXT_AMD64 and the ARM64 CONTEXT.

* x86-64: Microsoft's 1232-byte ``CONTEXT`` (winnt.h), ContextFlags ``CONTEXT_AMD64 |
  CONTROL | INTEGER | SEGMENTS | FLOATING_POINT`` (0x0010000F). The FXSAVE area goes verbatim to
  ``FltSave`` at 0x100 and its MXCSR is repeated at 0x34. Breakpad's processor (and so Sentry's
  symbolic) needs exactly this size; lldb reads it too (toolchain-notes §4).
* aarch64: the 912-byte ARM64 ``CONTEXT`` that Microsoft and current Breakpad/Crashpad share
  (``MDRawContextARM64``), ContextFlags ``CONTEXT_ARM64 | CONTROL | INTEGER | FLOATING_POINT``
  (0x00400007).

Pure functions.
"""

from __future__ import annotations

import struct
from typing import Final

from openwer.formats.minidump_writer.snapshot import Arm64Context, X86Context

__all__ = [
    "AMD64_CONTEXT_FLAGS",
    "AMD64_CONTEXT_SIZE",
    "ARM64_CONTEXT_FLAGS",
    "ARM64_CONTEXT_SIZE",
    "encode_context",
]

AMD64_CONTEXT_SIZE: Final = 1232
AMD64_CONTEXT_FLAGS: Final = 0x0010000F
ARM64_CONTEXT_SIZE: Final = 912
ARM64_CONTEXT_FLAGS: Final = 0x00400007
_MASK64: Final = (1 << 64) - 1
_FXSAVE_SIZE: Final = 512
_MXCSR_IN_FXSAVE: Final = 24


def encode_context(context: X86Context | Arm64Context) -> bytes:
    """Encode ``context`` in the layout of its architecture."""
    if isinstance(context, X86Context):
        return _amd64(context)
    return _arm64(context)


def _amd64(context: X86Context) -> bytes:
    out = bytearray(AMD64_CONTEXT_SIZE)
    fxsave = context.fxsave[:_FXSAVE_SIZE]
    mxcsr = 0
    if len(fxsave) >= _MXCSR_IN_FXSAVE + 4:
        (mxcsr,) = struct.unpack_from("<I", fxsave, _MXCSR_IN_FXSAVE)
    struct.pack_into("<II", out, 0x30, AMD64_CONTEXT_FLAGS, mxcsr)
    struct.pack_into(
        "<6HI",
        out,
        0x38,
        context.cs & 0xFFFF,
        context.ds & 0xFFFF,
        context.es & 0xFFFF,
        context.fs & 0xFFFF,
        context.gs & 0xFFFF,
        context.ss & 0xFFFF,
        context.eflags & 0xFFFFFFFF,
    )
    general = (
        context.rax,
        context.rcx,
        context.rdx,
        context.rbx,
        context.rsp,
        context.rbp,
        context.rsi,
        context.rdi,
        context.r8,
        context.r9,
        context.r10,
        context.r11,
        context.r12,
        context.r13,
        context.r14,
        context.r15,
        context.rip,
    )
    struct.pack_into("<17Q", out, 0x78, *(value & _MASK64 for value in general))
    out[0x100 : 0x100 + len(fxsave)] = fxsave
    return bytes(out)


def _arm64(context: Arm64Context) -> bytes:
    out = bytearray(ARM64_CONTEXT_SIZE)
    x = (tuple(context.x) + (0,) * 31)[:31]
    struct.pack_into("<II", out, 0, ARM64_CONTEXT_FLAGS, context.pstate & 0xFFFFFFFF)
    struct.pack_into("<31Q", out, 8, *(value & _MASK64 for value in x))
    struct.pack_into("<QQ", out, 0x100, context.sp & _MASK64, context.pc & _MASK64)
    for index, value in enumerate(context.v[:32]):
        out[0x110 + 16 * index : 0x120 + 16 * index] = (value & ((1 << 128) - 1)).to_bytes(
            16, "little"
        )
    struct.pack_into("<II", out, 0x310, context.fpcr & 0xFFFFFFFF, context.fpsr & 0xFFFFFFFF)
    return bytes(out)
