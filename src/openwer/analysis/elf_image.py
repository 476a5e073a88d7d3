"""A local ELF file as a dump's module sees it: build id, load address, function symbols.

A dump's ELF module is only matched with a local file whose GNU build id equals the one the
dump recorded (Breakpad's older clients recorded only its first 16 bytes, which then must be a
prefix), so symbols from another build of the same library are never used. Module-relative
offsets become ELF virtual addresses by adding the page-aligned address of the first PT_LOAD
segment (0 for shared libraries and PIE, e.g. 0x400000 for classic executables).

Function symbols come from ``.symtab`` (if not stripped) and ``.dynsym``: ``STT_FUNC`` and
``STT_GNU_IFUNC`` symbols with an address, sorted for binary search. Parsing uses pyelftools;
any error in a file (truncated, not ELF) is an :class:`~openwer.errors.FormatError`.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import NoteSection, SymbolTableSection
from elftools.elf.segments import NoteSegment

from openwer.errors import FormatError

__all__ = [
    "ELF_ERRORS",
    "ElfImage",
    "FunctionSymbol",
    "build_id_matches",
    "load_image",
    "open_elf",
]

_PAGE: Final = 0x1000
_FUNCTION_TYPES: Final = frozenset({"STT_FUNC", "STT_GNU_IFUNC"})
_MAX_SYMBOLS: Final = 4_000_000
_BINDING_RANK: Final = {"STB_GLOBAL": 2, "STB_WEAK": 1}

# pyelftools is not hardened against hostile files: besides its own errors and its parser's
# (construct) it lets struct, index, type and attribute errors through, and checks invariants with
# ``assert`` (seen by fuzzing truncated and mutated binaries). A local file is untrusted input, so
# whatever it raises while reading one means "this file cannot be used", nothing more.
ELF_ERRORS: Final[tuple[type[Exception], ...]] = (Exception,)
"""What reading a local ELF file with pyelftools may raise."""


@dataclass(frozen=True, slots=True)
class FunctionSymbol:
    """A function symbol: its name and its ELF virtual address range (size 0 if unknown)."""

    name: str
    address: int
    size: int


def open_elf(stream: IO[bytes]) -> ELFFile:
    """Open an ELF file with pyelftools (FormatError if it is not one)."""
    try:
        return ELFFile(stream)
    except ELF_ERRORS as exc:
        raise FormatError(f"not a readable ELF file: {exc}") from exc


def build_id_matches(local: bytes | None, recorded: bytes) -> bool:
    """Whether a local file's build id is the one the dump recorded (or begins with it)."""
    if local is None or not recorded or not any(recorded):
        return False
    return local == recorded or (len(recorded) == 16 and local.startswith(recorded))


class ElfImage:
    """An opened ELF file's identity and function symbols (see the module docstring).

    Holds the open file; not thread-safe while loading, read-only after.
    """

    def __init__(self, elf: ELFFile) -> None:
        self.elf = elf
        self.build_id = self._read_build_id()
        self.image_vaddr = self._first_load_vaddr()
        self.machine = str(elf["e_machine"])
        self._symbols: tuple[array[int], array[int], list[str]] | None = None

    def _notes(self) -> Iterator[tuple[str, object]]:
        for segment in self.elf.iter_segments():
            if isinstance(segment, NoteSegment):
                for note in segment.iter_notes():
                    yield str(note["n_type"]), note["n_desc"]
        for section in self.elf.iter_sections():
            if isinstance(section, NoteSection):
                for note in section.iter_notes():
                    yield str(note["n_type"]), note["n_desc"]

    def _read_build_id(self) -> bytes | None:
        try:
            for kind, description in self._notes():
                if kind == "NT_GNU_BUILD_ID" and isinstance(description, str):
                    return bytes.fromhex(description)
        except ELF_ERRORS:
            return None
        return None

    def _first_load_vaddr(self) -> int:
        addresses = [
            int(segment["p_vaddr"])
            for segment in self.elf.iter_segments()
            if segment["p_type"] == "PT_LOAD"
        ]
        return (min(addresses) & ~(_PAGE - 1)) if addresses else 0

    def _load_symbols(self) -> tuple[array[int], array[int], list[str]]:
        # address → (rank, symbol): aliases share an address; the best-ranked name wins
        # (sized first, then global over weak over local, then .symtab's over .dynsym's).
        found: dict[int, tuple[tuple[int, int, int], FunctionSymbol]] = {}
        arm = self.machine == "EM_ARM"
        for table_rank, name in ((1, ".symtab"), (0, ".dynsym")):
            section = self.elf.get_section_by_name(name)
            if not isinstance(section, SymbolTableSection):
                continue
            for symbol in section.iter_symbols():
                if len(found) >= _MAX_SYMBOLS:
                    break
                if symbol["st_info"]["type"] not in _FUNCTION_TYPES:
                    continue
                if symbol["st_shndx"] == "SHN_UNDEF" or not symbol.name:
                    continue
                address = int(symbol["st_value"]) & (~1 if arm else ~0)  # Thumb bit
                size = int(symbol["st_size"])
                binding = _BINDING_RANK.get(str(symbol["st_info"]["bind"]), 0)
                rank = (1 if size else 0, binding, table_rank)
                known = found.get(address)
                if known is None or rank > known[0]:
                    # "memcpy@@GLIBC_2.14": the version is not part of the function's name.
                    plain = symbol.name.split("@", 1)[0] or symbol.name
                    found[address] = (rank, FunctionSymbol(plain, address, size))
        ordered = sorted((item for _, item in found.values()), key=lambda item: item.address)
        return (
            array("Q", (item.address for item in ordered)),
            array("Q", (item.size for item in ordered)),
            [item.name for item in ordered],
        )

    def function_at(self, vaddr: int) -> FunctionSymbol | None:
        """The function symbol containing ``vaddr``; a size-0 symbol covers up to the next one."""
        if self._symbols is None:
            try:
                self._symbols = self._load_symbols()
            except ELF_ERRORS:
                self._symbols = (array("Q"), array("Q"), [])
        starts, sizes, names = self._symbols
        index = bisect.bisect_right(starts, vaddr) - 1
        if index < 0:
            return None
        if sizes[index] and vaddr - starts[index] >= sizes[index]:
            return None
        return FunctionSymbol(names[index], starts[index], sizes[index])


def load_image(path: Path) -> tuple[ElfImage, IO[bytes]]:
    """Open ``path`` as an ELF image (the caller keeps the stream open while it is used).

    Raises:
        OSError: the file cannot be opened.
        FormatError: it is not a readable ELF file.
    """
    stream = path.open("rb")
    try:
        return ElfImage(open_elf(stream)), stream
    except FormatError:
        stream.close()
        raise
    except ELF_ERRORS as exc:
        stream.close()
        raise FormatError(f"not a readable ELF file: {exc}") from exc
