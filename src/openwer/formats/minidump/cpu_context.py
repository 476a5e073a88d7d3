"""Thread CPU contexts: x86, amd64, arm64 (Windows/Crashpad and Breakpad's old layout) and arm.

A context is read by layout tables (register name, offset, width, the ContextFlags group that
makes it valid), so each CPU is data rather than code. ContextFlags are honoured: a register
whose group bit is clear is not valid, and the stack walker does not use it. Two leniencies keep
real dumps readable: a context shorter than the standard size is read as far as it goes (lldb
writes 720-byte amd64 contexts whose integer registers are where Windows puts them), and a
context whose flags do not name the expected CPU is read by size with every register valid,
with a note saying so.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["REGISTER_ORDER", "CpuContext", "parse_context"]

_CONTROL, _INTEGER, _SEGMENTS = 0x1, 0x2, 0x4
_ALL_GROUPS: Final = 0xFF

# (register, offset, struct code, ContextFlags group that makes it valid)
_Layout = tuple[tuple[str, int, str, int], ...]

_X86: _Layout = (
    ("eip", 184, "I", _CONTROL),
    ("esp", 196, "I", _CONTROL),
    ("ebp", 180, "I", _CONTROL),
    ("ebx", 164, "I", _INTEGER),
    ("esi", 160, "I", _INTEGER),
    ("edi", 156, "I", _INTEGER),
    ("eax", 176, "I", _INTEGER),
    ("ecx", 172, "I", _INTEGER),
    ("edx", 168, "I", _INTEGER),
    ("eflags", 192, "I", _CONTROL),
    ("cs", 188, "I", _CONTROL),
    ("ss", 200, "I", _CONTROL),
    ("gs", 140, "I", _SEGMENTS),
    ("fs", 144, "I", _SEGMENTS),
    ("es", 148, "I", _SEGMENTS),
    ("ds", 152, "I", _SEGMENTS),
)

_AMD64_GPR = (
    "rax",
    "rcx",
    "rdx",
    "rbx",
    "rsp",
    "rbp",
    "rsi",
    "rdi",
    *(f"r{n}" for n in range(8, 16)),
)
_AMD64: _Layout = (
    ("rip", 248, "Q", _CONTROL),
    ("rsp", 152, "Q", _CONTROL),
    ("rbp", 160, "Q", _INTEGER),
    *(
        (name, 120 + 8 * index, "Q", _INTEGER)
        for index, name in enumerate(_AMD64_GPR)
        if name not in ("rsp", "rbp")
    ),
    ("eflags", 68, "I", _CONTROL),
    ("cs", 56, "H", _CONTROL),
    ("ss", 66, "H", _CONTROL),
    ("ds", 58, "H", _SEGMENTS),
    ("es", 60, "H", _SEGMENTS),
    ("fs", 62, "H", _SEGMENTS),
    ("gs", 64, "H", _SEGMENTS),
)

# Windows CONTEXT_ARM64 (also what Crashpad and current Breakpad write): x0..x28 are INTEGER;
# fp (x29), lr (x30), sp, pc and cpsr are CONTROL.
_ARM64: _Layout = (
    ("pc", 264, "Q", _CONTROL),
    ("sp", 256, "Q", _CONTROL),
    ("fp", 8 + 29 * 8, "Q", _CONTROL),
    ("lr", 8 + 30 * 8, "Q", _CONTROL),
    *((f"x{n}", 8 + 8 * n, "Q", _INTEGER) for n in range(29)),
    ("cpsr", 4, "I", _CONTROL),
)

# Breakpad's first arm64 layout: a 64-bit flags word, x0..x30 and sp in one array, then pc, cpsr.
_ARM64_OLD: _Layout = (
    ("pc", 264, "Q", _CONTROL),
    ("sp", 8 + 31 * 8, "Q", _CONTROL),
    ("fp", 8 + 29 * 8, "Q", _CONTROL),
    ("lr", 8 + 30 * 8, "Q", _CONTROL),
    *((f"x{n}", 8 + 8 * n, "Q", _INTEGER) for n in range(29)),
    ("cpsr", 272, "I", _CONTROL),
)

# 32-bit ARM: Breakpad has no CONTROL group there; INTEGER covers r0..r15 and cpsr.
_ARM_NAMES = (*(f"r{n}" for n in range(13)), "sp", "lr", "pc")
_ARM: _Layout = (
    ("pc", 4 + 15 * 4, "I", _INTEGER),
    ("sp", 4 + 13 * 4, "I", _INTEGER),
    ("lr", 4 + 14 * 4, "I", _INTEGER),
    *((name, 4 + 4 * n, "I", _INTEGER) for n, name in enumerate(_ARM_NAMES) if n < 13),
    ("cpsr", 68, "I", _INTEGER),
)


@dataclass(frozen=True, slots=True)
class _Format:
    cpu: str
    layout: _Layout
    flags_offset: int
    flags_code: str
    cpu_bit: int
    standard_size: int

    @property
    def minimum_size(self) -> int:
        return max(offset + struct.calcsize("<" + code) for _, offset, code, _ in self.layout)


_FORMATS: Final = {
    "x86": _Format("x86", _X86, 0, "I", 0x0001_0000, 716),
    "amd64": _Format("amd64", _AMD64, 48, "I", 0x0010_0000, 1232),
    "arm64": _Format("arm64", _ARM64, 0, "I", 0x0040_0000, 912),
    "arm64-old": _Format("arm64", _ARM64_OLD, 0, "Q", 0x8000_0000, 800),
    "arm": _Format("arm", _ARM, 0, "I", 0x4000_0000, 368),
}

REGISTER_ORDER: Final[Mapping[str, tuple[str, ...]]] = {
    fmt.cpu: tuple(name for name, *_ in fmt.layout) for fmt in _FORMATS.values()
}
"""Each CPU's registers in the order openwer prints them (instruction and stack pointer first)."""


@dataclass(frozen=True, slots=True)
class CpuContext:
    """One thread's registers as the dump recorded them.

    Attributes:
        cpu: ``x86``, ``amd64``, ``arm64`` or ``arm``.
        flags: the raw ContextFlags.
        registers: the valid registers by name, in :data:`REGISTER_ORDER`.
        raw_size: how many bytes the dump gave for the context.
    """

    cpu: str
    flags: int
    registers: tuple[tuple[str, int], ...]
    raw_size: int

    def as_dict(self) -> dict[str, int]:
        """The valid registers as a new dict."""
        return dict(self.registers)

    def get(self, name: str) -> int | None:
        """One register's value, or None if it is not valid in this context."""
        for register, value in self.registers:
            if register == name:
                return value
        return None

    @property
    def instruction_pointer(self) -> int | None:
        """eip, rip or pc, if valid."""
        return self.get({"x86": "eip", "amd64": "rip"}.get(self.cpu, "pc"))

    @property
    def stack_pointer(self) -> int | None:
        """esp, rsp or sp, if valid."""
        return self.get({"x86": "esp", "amd64": "rsp"}.get(self.cpu, "sp"))


def _pick_format(data: bytes, cpu: str | None) -> _Format | None:
    """Choose the layout from the dump's CPU, or from the context's own size and flags."""
    first = struct.unpack_from("<I", data)[0] if len(data) >= 4 else 0
    if cpu == "arm64":
        if first & _FORMATS["arm64"].cpu_bit:
            return _FORMATS["arm64"]
        return _FORMATS["arm64-old"] if first & 0x8000_0000 else _FORMATS["arm64"]
    if cpu in _FORMATS:
        return _FORMATS[cpu]
    if len(data) == _FORMATS["amd64"].standard_size:
        return _FORMATS["amd64"]
    for name in ("x86", "arm64", "arm"):
        if first & _FORMATS[name].cpu_bit and len(data) >= _FORMATS[name].minimum_size:
            return _FORMATS[name]
    if first & 0x8000_0000 and len(data) >= _FORMATS["arm64-old"].minimum_size:
        return _FORMATS["arm64-old"]
    return None


def parse_context(data: bytes, cpu: str | None) -> tuple[CpuContext | None, str | None]:
    """Read a context of the dump's CPU (``cpu`` from SystemInfo, or None if unknown).

    Returns the context (None if it cannot be read) and a note on anything irregular about it
    (None if it is a standard context).
    """
    fmt = _pick_format(data, cpu)
    if fmt is None:
        known = cpu if cpu else "an unknown CPU"
        return None, f"{len(data)} bytes of context for {known} cannot be read"
    if len(data) < fmt.minimum_size:
        return None, (
            f"{len(data)} bytes is too short for a {fmt.cpu} context "
            f"({fmt.standard_size} bytes, at least {fmt.minimum_size} to reach the registers)"
        )
    note = None
    flags = int(struct.unpack_from("<" + fmt.flags_code, data, fmt.flags_offset)[0])
    groups = flags & _ALL_GROUPS
    if not flags & fmt.cpu_bit:
        note = f"context flags 0x{flags:x} do not name {fmt.cpu}; read by size, all registers"
        groups = _ALL_GROUPS
    elif len(data) < fmt.standard_size:
        note = f"{len(data)}-byte {fmt.cpu} context (standard {fmt.standard_size}); read in part"
    registers = tuple(
        (name, int(struct.unpack_from("<" + code, data, offset)[0]))
        for name, offset, code, group in fmt.layout
        if groups & group
    )
    return CpuContext(fmt.cpu, flags, registers, len(data)), note
