"""The facts about each CPU that unwinding needs: register roles, word size, callee-saved set,
and how Breakpad symbol files and DWARF name its registers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["CPU_SPECS", "CpuSpec"]


@dataclass(frozen=True, slots=True)
class CpuSpec:
    """One CPU's unwinding facts.

    Attributes:
        cpu: ``x86``, ``amd64``, ``arm64`` or ``arm``.
        pc, sp, fp: the names of its instruction, stack and frame pointer registers.
        link: the link register (return address of a leaf call), if the CPU has one.
        word: the pointer size in bytes.
        callee_saved: registers a callee preserves, carried into the caller when CFI is silent.
        aliases: register names symbol files use → openwer's names (``x29`` → ``fp``).
        dwarf: DWARF register numbers → openwer's names (for ELF CFI).
    """

    cpu: str
    pc: str
    sp: str
    fp: str
    link: str | None
    word: int
    callee_saved: frozenset[str]
    aliases: Mapping[str, str]
    dwarf: Mapping[int, str]

    @property
    def bits(self) -> int:
        """The word size in bits."""
        return self.word * 8

    def canonical(self, name: str) -> str:
        """openwer's name for a register as a symbol file or DWARF names it."""
        name = name.removeprefix("$")
        return self.aliases.get(name, name)


_AMD64_DWARF = (
    dict(enumerate(["rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp"]))
    | {n: f"r{n}" for n in range(8, 16)}
    | {16: "rip"}
)

CPU_SPECS: Final[Mapping[str, CpuSpec]] = {
    "amd64": CpuSpec(
        "amd64", "rip", "rsp", "rbp", None, 8,
        frozenset({"rbx", "rbp", "r12", "r13", "r14", "r15"}),
        {},
        _AMD64_DWARF,
    ),
    "x86": CpuSpec(
        "x86", "eip", "esp", "ebp", None, 4,
        frozenset({"ebp", "ebx", "esi", "edi"}),
        {},
        dict(enumerate(["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip"])),
    ),
    "arm64": CpuSpec(
        "arm64", "pc", "sp", "fp", "lr", 8,
        frozenset({f"x{n}" for n in range(19, 29)} | {"fp"}),
        {"x29": "fp", "x30": "lr", "x31": "sp", "w29": "fp", "w30": "lr"},
        {n: f"x{n}" for n in range(29)} | {29: "fp", 30: "lr", 31: "sp", 32: "pc"},
    ),
    "arm": CpuSpec(
        "arm", "pc", "sp", "r11", "lr", 4,
        frozenset({f"r{n}" for n in range(4, 12)}),
        {"r13": "sp", "r14": "lr", "r15": "pc"},
        {n: f"r{n}" for n in range(13)} | {13: "sp", 14: "lr", 15: "pc"},
    ),
}  # fmt: skip
"""The CPUs openwer can unwind."""
