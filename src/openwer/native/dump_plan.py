"""How much memory a minidump takes: WER's dump types mapped onto what a Linux capture reads.

=======================  =====================================================================
:meth:`DumpPlan.mini`    thread stacks (64 KiB up from each stack pointer), 256 bytes around the
                         faulting instruction and the faulting address, module list. The
                         default for reports (``WerDumpTypeMiniDump``) and ``LocalDumps``
                         DumpType 1.
:meth:`DumpPlan.full`    every readable private or file-backed mapping except code and
                         read-only file data (``LocalDumps`` DumpType 2, like
                         ``MiniDumpWithFullMemory``), whole stacks.
custom flags             ``LocalDumps`` DumpType 0 with ``CustomDumpFlags`` (MINIDUMP_TYPE
                         bits): ``WithDataSegs`` 0x1 adds modules' writable segments,
                         ``WithFullMemory`` 0x2 is :meth:`full`, ``WithIndirectlyReferencedMemory``
                         0x40 adds 256 bytes around every stack word that points into writable
                         memory, ``WithPrivateReadWriteMemory`` 0x200 adds anonymous writable
                         memory (heap, arenas).
=======================  =====================================================================

Frozen values; :func:`plan_for_local_dumps` reads a ``LocalDumpSettings``.
"""

from __future__ import annotations

from dataclasses import dataclass

from openwer.settings import LocalDumpSettings, LocalDumpType

__all__ = ["DumpPlan", "plan_for_local_dumps"]

_WITH_DATA_SEGS = 0x1
_WITH_FULL_MEMORY = 0x2
_WITH_INDIRECT = 0x40
_WITH_PRIVATE_RW = 0x200
_MINI_STACK = 64 * 1024
_FULL_STACK = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DumpPlan:
    """What memory to copy into a dump (see the module docstring).

    ``max_bytes`` bounds the memory copied in all (stacks first); the rest is left out and noted.
    """

    stack_bytes: int = _MINI_STACK
    window: int = 256
    data_segments: bool = False
    private_memory: bool = False
    full_memory: bool = False
    indirect_memory: bool = False
    max_bytes: int = 1 << 31

    @classmethod
    def mini(cls) -> DumpPlan:
        """Stacks, windows around the fault, modules: a few tens of KB."""
        return cls()

    @classmethod
    def full(cls) -> DumpPlan:
        """Every readable data mapping and whole stacks."""
        return cls(
            stack_bytes=_FULL_STACK, data_segments=True, private_memory=True, full_memory=True
        )

    @classmethod
    def from_flags(cls, flags: int) -> DumpPlan:
        """The plan for MINIDUMP_TYPE ``flags`` (``CustomDumpFlags``)."""
        if flags & _WITH_FULL_MEMORY:
            return cls.full()
        return cls(
            data_segments=bool(flags & _WITH_DATA_SEGS),
            private_memory=bool(flags & _WITH_PRIVATE_RW),
            indirect_memory=bool(flags & _WITH_INDIRECT),
        )

    @property
    def name(self) -> str:
        """``mini``, ``full`` or ``custom``, for reports and logs."""
        if self == DumpPlan.mini():
            return "mini"
        if self == DumpPlan.full():
            return "full"
        return "custom"


def plan_for_local_dumps(settings: LocalDumpSettings) -> DumpPlan:
    """The plan ``LocalDumps`` asks for: DumpType 1 mini, 2 full, 0 the custom flags."""
    if settings.dump_type is LocalDumpType.FULL:
        return DumpPlan.full()
    if settings.dump_type is LocalDumpType.CUSTOM:
        return DumpPlan.from_flags(settings.custom_dump_flags)
    return DumpPlan.mini()
