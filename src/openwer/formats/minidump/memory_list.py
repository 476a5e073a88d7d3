"""The MemoryList, Memory64List and MemoryInfoList streams, and reads by process address.

:class:`MemoryMap` answers "what bytes did the process have at this address" across every range
the dump holds (both lists and the threads' stack descriptors). Ranges that overlap are trimmed
so each address has exactly one source (the lowest-starting range wins), ranges that reach past
the end of the file are cut to the file, and lookups are a binary search, so neither overlapping
nor looping ranges can make a read slow or ambiguous.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from openwer.formats.minidump.byte_reader import ByteReader, OutOfBounds
from openwer.formats.minidump.counted_list import MAX_ENTRIES, cap_count, entry_offsets
from openwer.formats.minidump.damage import Damage

__all__ = [
    "MemoryInfo",
    "MemoryMap",
    "MemoryRange",
    "parse_memory64_list",
    "parse_memory_info_list",
    "parse_memory_list",
]

_ADDRESS_LIMIT: Final = 1 << 64
_DESCRIPTOR = struct.Struct("<QII")
_DESCRIPTOR64 = struct.Struct("<QQ")
_MEMORY64_HEADER = struct.Struct("<QQ")
_INFO_HEADER = struct.Struct("<IIQ")
_INFO = struct.Struct("<QQIIQIIII")

# MEMORY_BASIC_INFORMATION.Protect values that allow execution.
_EXECUTE_PROTECTIONS: Final = 0x10 | 0x20 | 0x40 | 0x80


@dataclass(frozen=True, slots=True)
class MemoryRange:
    """``size`` bytes of the process at ``start``, stored at ``rva`` in the file."""

    start: int
    size: int
    rva: int

    @property
    def end(self) -> int:
        """The first address past the range."""
        return self.start + self.size


@dataclass(frozen=True, slots=True)
class MemoryInfo:
    """MINIDUMP_MEMORY_INFO: one region of the address space and its protection."""

    base: int
    allocation_base: int
    allocation_protect: int
    size: int
    state: int
    protect: int
    type: int

    @property
    def executable(self) -> bool:
        """Whether the region's protection allows execution."""
        return bool(self.protect & _EXECUTE_PROTECTIONS)


def _clamp(
    reader: ByteReader, start: int, size: int, rva: int, where: str, damage: list[Damage]
) -> MemoryRange | None:
    if start + size > _ADDRESS_LIMIT:
        damage.append(Damage(where, f"range at 0x{start:x} (+0x{size:x}) wraps the address space"))
        size = _ADDRESS_LIMIT - start
    available = max(0, min(size, reader.size - rva))
    if available < size:
        damage.append(
            Damage(where, f"memory at 0x{start:x}: {size} bytes claimed, {available} in the file")
        )
    return MemoryRange(start, available, rva) if available else None


def parse_memory_list(
    reader: ByteReader, rva: int, size: int, damage: list[Damage]
) -> tuple[MemoryRange, ...]:
    """Read MINIDUMP_MEMORY_LIST."""
    ranges = []
    for offset in entry_offsets(reader, rva, size, _DESCRIPTOR.size, "MemoryList", damage):
        start, length, data_rva = reader.unpack(_DESCRIPTOR, offset, "MemoryList entry")
        memory = _clamp(reader, start, length, data_rva, "MemoryList", damage)
        if memory:
            ranges.append(memory)
    return tuple(ranges)


def parse_memory64_list(
    reader: ByteReader, rva: int, size: int, damage: list[Damage]
) -> tuple[MemoryRange, ...]:
    """Read MINIDUMP_MEMORY64_LIST: the ranges' bytes follow each other from one base RVA."""
    if size < _MEMORY64_HEADER.size:
        raise OutOfBounds(f"the stream is {size} bytes, too short for its header")
    base_rva = reader.unpack(_MEMORY64_HEADER, rva, "Memory64List")[1]
    ranges = []
    data_rva = base_rva
    where = "Memory64List"
    offsets = entry_offsets(
        reader, rva, size, _DESCRIPTOR64.size, where, damage, count_size=8, header_size=16
    )
    for offset in offsets:
        if data_rva >= reader.size:
            damage.append(Damage(where, f"memory data from 0x{data_rva:x} lies past the file end"))
            break
        start, length = reader.unpack(_DESCRIPTOR64, offset, "Memory64List entry")
        memory = _clamp(reader, start, length, data_rva, where, damage)
        if memory:
            ranges.append(memory)
        data_rva += length
    return tuple(ranges)


def parse_memory_info_list(
    reader: ByteReader, rva: int, size: int, damage: list[Damage]
) -> tuple[MemoryInfo, ...]:
    """Read MINIDUMP_MEMORY_INFO_LIST (its header gives its own entry size)."""
    header_size, entry_size, count = reader.unpack(_INFO_HEADER, rva, "MemoryInfoList")
    if header_size < _INFO_HEADER.size or entry_size < _INFO.size:
        raise OutOfBounds(f"header of {header_size} bytes and entries of {entry_size} bytes")
    end = min(rva + size, reader.size)
    fits = max(0, (end - rva - header_size) // entry_size)
    if count > fits:
        damage.append(Damage("MemoryInfoList", f"claims {count} entries; {fits} can be read"))
        count = fits
    count = cap_count(count, MAX_ENTRIES, "MemoryInfoList", damage)
    infos = []
    for i in range(count):
        base, alloc_base, alloc_protect, _, length, state, protect, kind, _ = reader.unpack(
            _INFO, rva + header_size + i * entry_size, "MemoryInfoList entry"
        )
        infos.append(MemoryInfo(base, alloc_base, alloc_protect, length, state, protect, kind))
    return tuple(infos)


@dataclass(frozen=True, eq=False)
class MemoryMap:
    """The process memory a minidump holds, readable by address.

    Thread-safe (read-only after construction). Holds a view of the dump's bytes, so keep the
    buffer alive while the map is used.
    """

    ranges: tuple[MemoryRange, ...]
    _reader: ByteReader = field(repr=False)
    _starts: tuple[int, ...] = field(repr=False)

    @classmethod
    def build(cls, reader: ByteReader, ranges: Iterable[MemoryRange]) -> MemoryMap:
        """Sort the ranges and trim overlaps (the lowest-starting range keeps an address)."""
        kept: list[MemoryRange] = []
        for memory in sorted(ranges, key=lambda r: (r.start, -r.size)):
            if kept and memory.start < kept[-1].end:
                cut = kept[-1].end - memory.start
                if cut >= memory.size:
                    continue
                memory = MemoryRange(memory.start + cut, memory.size - cut, memory.rva + cut)
            kept.append(memory)
        return cls(tuple(kept), reader, tuple(r.start for r in kept))

    def find(self, address: int) -> MemoryRange | None:
        """The range holding ``address``, if any."""
        index = bisect.bisect_right(self._starts, address) - 1
        if index >= 0 and address < self.ranges[index].end:
            return self.ranges[index]
        return None

    def read(self, address: int, size: int) -> bytes | None:
        """``size`` bytes at ``address`` if the dump holds all of them (in one range), else None."""
        memory = self.find(address)
        if memory is None or address + size > memory.end or size < 0:
            return None
        try:
            return self._reader.bytes_at(memory.rva + address - memory.start, size, "memory")
        except OutOfBounds:
            return None

    def read_uint(self, address: int, width: int) -> int | None:
        """A little-endian unsigned integer of ``width`` bytes (4 or 8) at ``address``."""
        data = self.read(address, width)
        return None if data is None else int.from_bytes(data, "little")
