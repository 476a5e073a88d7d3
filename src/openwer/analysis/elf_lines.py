"""DWARF line tables of a local ELF file: address → source file and line.

Only the compilation unit holding the address is decoded (found through ``.debug_aranges``, or
by scanning the units' address ranges when a file has no aranges), and decoded units are kept
in a small cache, so looking up a few frames in a large library stays cheap. Decoding is
bounded by :data:`MAX_ROWS_PER_UNIT`.
"""

from __future__ import annotations

import bisect
import posixpath
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

from elftools.dwarf.dwarfinfo import DWARFInfo

from openwer.analysis.elf_image import ELF_ERRORS

__all__ = ["MAX_ROWS_PER_UNIT", "ElfLineTable", "SourceLine"]

MAX_ROWS_PER_UNIT: Final = 2_000_000
_CACHED_UNITS: Final = 32
_MAX_UNITS_SCANNED: Final = 20_000


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A source location and where its code starts (ELF virtual address)."""

    file: str
    line: int
    address: int


@dataclass(frozen=True, slots=True)
class _UnitLines:
    starts: list[int]
    ends: list[int]
    lines: list[int]
    files: list[str]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class ElfLineTable:
    """Line lookups over one file's DWARF (not thread-safe: it decodes lazily)."""

    def __init__(self, dwarf: DWARFInfo) -> None:
        self._dwarf = dwarf
        self._aranges: Any = None
        self._aranges_loaded = False
        self._units: OrderedDict[int, _UnitLines | None] = OrderedDict()
        self._unit_ranges: list[tuple[int, int, int]] | None = None

    def _unit_offset(self, vaddr: int) -> int | None:
        if not self._aranges_loaded:
            self._aranges_loaded = True
            try:
                self._aranges = self._dwarf.get_aranges()
            except ELF_ERRORS:
                self._aranges = None
        if self._aranges is not None:
            try:
                offset = self._aranges.cu_offset_at_addr(vaddr)
            except ELF_ERRORS:
                offset = None
            if offset is not None:
                return int(offset)
        return self._scan_units(vaddr)

    def _scan_units(self, vaddr: int) -> int | None:
        if self._unit_ranges is None:
            self._unit_ranges = []
            try:
                for count, unit in enumerate(self._dwarf.iter_CUs()):
                    if count >= _MAX_UNITS_SCANNED:
                        break
                    top = unit.get_top_DIE()
                    low = top.attributes.get("DW_AT_low_pc")
                    high = top.attributes.get("DW_AT_high_pc")
                    if low is None or high is None:
                        continue
                    end = high.value if high.form == "DW_FORM_addr" else low.value + high.value
                    self._unit_ranges.append((low.value, end, unit.cu_offset))
            except ELF_ERRORS:
                pass
        for low, high, offset in self._unit_ranges:
            if low <= vaddr < high:
                return offset
        return None

    def _decode(self, offset: int) -> _UnitLines | None:
        unit = self._dwarf.get_CU_at(offset)
        program = self._dwarf.line_program_for_CU(unit)
        if program is None:
            return None
        header = program.header
        version = int(header["version"])
        directories = [_text(d) for d in header.get("include_directory", [])]
        names = []
        for entry in header.get("file_entry", []):
            name = _text(entry.name)
            directory_index = int(entry.dir_index)
            if version < 5:
                directory_index -= 1  # DWARF 2-4 count directories from 1 (0: the unit's)
            if 0 <= directory_index < len(directories) and not posixpath.isabs(name):
                name = posixpath.join(directories[directory_index], name)
            names.append(name)
        rows: list[tuple[int, int, int, int]] = []
        previous = None
        for entry in program.get_entries():
            state = entry.state
            if state is None:
                continue
            if previous is not None and state.address >= previous[0]:
                rows.append((previous[0], state.address, previous[1], previous[2]))
            previous = None if state.end_sequence else (state.address, state.line, state.file)
            if len(rows) >= MAX_ROWS_PER_UNIT:
                break
        rows.sort()
        base = 0 if version >= 5 else 1
        return _UnitLines(
            [row[0] for row in rows],
            [row[1] for row in rows],
            [row[2] for row in rows],
            [names[row[3] - base] if 0 <= row[3] - base < len(names) else "??" for row in rows],
        )

    def line_at(self, vaddr: int) -> SourceLine | None:
        """The source line of the instruction at ``vaddr``, if the file's DWARF has it."""
        try:
            offset = self._unit_offset(vaddr)
            if offset is None:
                return None
            if offset not in self._units:
                self._units[offset] = self._decode(offset)
                if len(self._units) > _CACHED_UNITS:
                    self._units.popitem(last=False)
            unit = self._units[offset]
        except ELF_ERRORS:
            return None
        if unit is None:
            return None
        index = bisect.bisect_right(unit.starts, vaddr) - 1
        if index < 0 or vaddr >= unit.ends[index] or unit.starts[index] == unit.ends[index]:
            return None
        return SourceLine(unit.files[index], unit.lines[index], unit.starts[index])
