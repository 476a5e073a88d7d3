"""Which memory ranges go into a dump, given the maps, the threads and a :class:`DumpPlan`.

Pure: mappings and registers in, ``(address, size)`` ranges out, in priority order (stacks, then
the fault windows, then what the plan adds), so a byte budget cuts the least useful part.

* A stack runs from 128 bytes below the stack pointer (the x86-64 red zone) up to
  ``plan.stack_bytes`` or the end of its mapping.
* Windows: ``plan.window`` bytes centred on the crashing instruction and on the faulting
  address, clipped to their mappings.
* Extras: writable segments of loaded files (data segments), anonymous writable memory
  (private memory), every readable mapping but code and read-only file data (full), and
  256 bytes around each stack word that points into writable memory (indirect).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

from openwer.native.dump_plan import DumpPlan
from openwer.platform.procfs import MemoryMapping

__all__ = ["Range", "extra_ranges", "mapping_at", "stack_range", "window_ranges"]

Range = tuple[int, int]
"""(address, size)."""

_RED_ZONE = 128
_INDIRECT_WINDOW = 256
_MAX_INDIRECT = 4096
_SKIPPED = frozenset({"[vvar]", "[vsyscall]", "[vvar_vclock]"})


def mapping_at(mappings: Sequence[MemoryMapping], address: int) -> MemoryMapping | None:
    """The mapping holding ``address``, or None."""
    for mapping in mappings:
        if mapping.contains(address):
            return mapping
    return None


def stack_range(mappings: Sequence[MemoryMapping], sp: int, plan: DumpPlan) -> Range | None:
    """The stack range of a thread whose stack pointer is ``sp`` (see the module docstring)."""
    mapping = mapping_at(mappings, sp) or mapping_at(mappings, sp - _RED_ZONE)
    if mapping is None or not mapping.readable:
        return None
    start = max(mapping.start, sp - _RED_ZONE)
    end = min(mapping.end, max(sp, start) + plan.stack_bytes)
    return (start, end - start) if end > start else None


def window_ranges(
    mappings: Sequence[MemoryMapping], addresses: Iterable[int], plan: DumpPlan
) -> list[Range]:
    """``plan.window`` bytes centred on each address, clipped to its readable mapping."""
    found: list[Range] = []
    for address in addresses:
        mapping = mapping_at(mappings, address)
        if mapping is None or not mapping.readable:
            continue
        start = max(mapping.start, address - plan.window // 2)
        end = min(mapping.end, address + plan.window // 2)
        if end > start:
            found.append((start, end - start))
    return found


def _dumpable(mapping: MemoryMapping) -> bool:
    return (
        mapping.readable and mapping.path not in _SKIPPED and not mapping.path.startswith("/dev/")
    )


def extra_ranges(
    mappings: Sequence[MemoryMapping], stacks: Sequence[bytes], plan: DumpPlan
) -> list[Range]:
    """The ranges ``plan`` adds beyond stacks and windows, in address order."""
    found: list[Range] = []
    for mapping in mappings:
        if not _dumpable(mapping):
            continue
        anonymous = not mapping.is_file
        if (
            (plan.full_memory and (mapping.writable or anonymous))
            or (plan.data_segments and mapping.is_file and mapping.writable)
            or (plan.private_memory and anonymous and mapping.writable and mapping.private)
        ):
            found.append((mapping.start, mapping.size))
    if plan.indirect_memory:
        found.extend(_indirect(mappings, stacks))
    return found


def _indirect(mappings: Sequence[MemoryMapping], stacks: Sequence[bytes]) -> list[Range]:
    writable = [m for m in mappings if m.writable and m.readable and _dumpable(m)]
    found: list[Range] = []
    for stack in stacks:
        for (word,) in struct.iter_unpack("<Q", stack[: len(stack) // 8 * 8]):
            if len(found) >= _MAX_INDIRECT:
                return found
            target = mapping_at(writable, word)
            if target is None:
                continue
            start = max(target.start, word - _INDIRECT_WINDOW // 2)
            end = min(target.end, word + _INDIRECT_WINDOW // 2)
            found.append((start, end - start))
    return found
