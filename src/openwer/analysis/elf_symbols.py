"""Symbols of local ELF binaries: for Linux dumps analysed where the crash happened.

:class:`LocalElfSymbols` opens the file at a module's path (and, if present, its separate debug
file ``/usr/lib/debug/.build-id/xx/yyyy.debug``), and uses it only if its GNU build id is the
one the dump recorded. :class:`ElfSymbols` then answers with function symbols (``.symtab``,
``.dynsym``), DWARF line information and CFI (``.eh_frame`` of the binary, ``.debug_frame`` of
either), all through pyelftools.

Files stay open for the provider's lifetime (:meth:`LocalElfSymbols.close`); one thread at a
time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Final

from openwer.analysis.cpu_registers import CPU_SPECS
from openwer.analysis.elf_cfi import ElfCallFrameInfo
from openwer.analysis.elf_image import ELF_ERRORS, ElfImage, build_id_matches, load_image
from openwer.analysis.elf_lines import ElfLineTable
from openwer.analysis.module_symbols import FunctionMatch, ModuleSymbols, WindowsFrameInfo
from openwer.formats.minidump import MinidumpModule

__all__ = ["DEFAULT_DEBUG_ROOTS", "ElfSymbols", "LocalElfSymbols"]

DEFAULT_DEBUG_ROOTS: Final = (Path("/usr/lib/debug"),)
_MACHINES: Final = {"EM_X86_64": "amd64", "EM_386": "x86", "EM_AARCH64": "arm64", "EM_ARM": "arm"}


class ElfSymbols:
    """A :class:`~openwer.analysis.module_symbols.ModuleSymbols` over a binary and its debug file.

    Module-relative offsets are turned into ELF addresses with the binary's first PT_LOAD.
    """

    source = "elf"

    def __init__(self, binary: ElfImage, debug: ElfImage | None) -> None:
        self._binary = binary
        self._debug = debug
        self._base = binary.image_vaddr
        self._cpu = _MACHINES.get(binary.machine)
        self._lines: list[ElfLineTable] | None = None
        self._cfi: ElfCallFrameInfo | None = None
        self._cfi_loaded = False

    def _line_tables(self) -> list[ElfLineTable]:
        if self._lines is None:
            self._lines = []
            for image in (self._debug, self._binary):
                try:
                    if image is not None and image.elf.has_dwarf_info():
                        dwarf = image.elf.get_dwarf_info()
                        if dwarf.has_debug_info:
                            self._lines.append(ElfLineTable(dwarf))
                except ELF_ERRORS:
                    continue
        return self._lines

    def function_at(self, offset: int) -> FunctionMatch | None:
        """The symbol covering ``offset`` and its DWARF source line."""
        vaddr = offset + self._base
        symbol = None
        for image in (self._debug, self._binary):
            if image is not None:
                symbol = image.function_at(vaddr)
                if symbol is not None:
                    break
        if symbol is None:
            return None
        for table in self._line_tables():
            line = table.line_at(vaddr)
            if line is not None:
                return FunctionMatch(
                    symbol.name,
                    symbol.address - self._base,
                    source_file=line.file,
                    source_line=line.line,
                    source_line_base=line.address - self._base,
                )
        return FunctionMatch(symbol.name, symbol.address - self._base, is_public=not symbol.size)

    def cfi_rules(self, offset: int) -> Mapping[str, str] | None:
        """The unwind rules at ``offset`` from ``.eh_frame`` / ``.debug_frame``."""
        if not self._cfi_loaded:
            self._cfi_loaded = True
            spec = CPU_SPECS.get(self._cpu or "")
            if spec is not None:
                infos = []
                for image in (self._binary, self._debug):
                    try:
                        if image is not None and image.elf.has_dwarf_info():
                            infos.append(image.elf.get_dwarf_info())
                    except ELF_ERRORS:
                        continue
                self._cfi = ElfCallFrameInfo(infos, spec)
        return self._cfi.rules_at(offset + self._base) if self._cfi else None

    def windows_frame_info(self, offset: int) -> WindowsFrameInfo | None:
        """ELF files have no Windows frame data."""
        return None


class LocalElfSymbols:
    """A :class:`~openwer.analysis.module_symbols.SymbolProvider` for modules whose binaries are
    on this machine, at the path the dump recorded, with the same build id."""

    def __init__(self, debug_roots: Sequence[Path] = DEFAULT_DEBUG_ROOTS) -> None:
        self._debug_roots = tuple(debug_roots)
        self._files = ExitStack()
        self._problems: list[str] = []
        self._cache: dict[tuple[str, bytes], ElfSymbols | None] = {}

    @property
    def problems(self) -> tuple[str, ...]:
        """Local files that exist but could not be read."""
        return tuple(self._problems)

    def close(self) -> None:
        """Close the files opened so far."""
        self._files.close()

    def _open(self, path: Path) -> ElfImage | None:
        try:
            image, stream = load_image(path)
        except FileNotFoundError:
            return None
        except ELF_ERRORS as exc:  # FormatError, OSError, or pyelftools on a damaged file
            self._problems.append(f"{path}: {exc}")
            return None
        self._files.callback(stream.close)
        return image

    def _debug_file(self, build_id: bytes) -> ElfImage | None:
        text = build_id.hex()
        for root in self._debug_roots:
            candidate = root / ".build-id" / text[:2] / f"{text[2:]}.debug"
            if candidate.is_file():
                image = self._open(candidate)
                if image is not None and image.build_id == build_id:
                    return image
        return None

    def symbols_for(self, module: MinidumpModule) -> ModuleSymbols | None:
        """The symbols of the local file at the module's path, if its build id matches."""
        recorded = module.code_view.build_id if module.code_view else None
        if not recorded or not module.name.startswith("/"):
            return None
        key = (module.name, recorded)
        if key not in self._cache:
            self._cache[key] = self._load(Path(module.name), recorded)
        return self._cache[key]

    def _load(self, path: Path, recorded: bytes) -> ElfSymbols | None:
        if not path.is_file():
            return None
        binary = self._open(path)
        if binary is None:
            return None
        if not build_id_matches(binary.build_id, recorded):
            local = binary.build_id.hex() if binary.build_id else "none"
            self._problems.append(
                f"{path}: build id {local} is not the dump's {recorded.hex()}; not used"
            )
            return None
        debug = self._debug_file(binary.build_id) if binary.build_id else None
        return ElfSymbols(binary, debug)
