"""What the stack walker and the symbolizer ask of one module's symbols, whatever their source.

Two sources implement :class:`ModuleSymbols`: Breakpad ``.sym`` files
(:mod:`openwer.analysis.breakpad_symbols`) and local ELF binaries
(:mod:`openwer.analysis.elf_symbols`). Addresses are module-relative offsets. Unwind rules are
given in Breakpad's ``STACK CFI`` syntax whatever their origin (ELF CFI is translated), so one
evaluator serves both.

A :class:`SymbolProvider` finds a module's symbols. Providers are used from one thread at a time
(they cache what they load); the symbols they return are read-only and thread-safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from openwer.formats.minidump import MinidumpModule

__all__ = [
    "ChainedSymbols",
    "FunctionMatch",
    "InMemorySymbols",
    "ModuleSymbols",
    "NoSymbols",
    "SymbolProvider",
    "WindowsFrameInfo",
]


@dataclass(frozen=True, slots=True)
class FunctionMatch:
    """The function (or public symbol) an address falls in, and its source line if known.

    Attributes:
        name: the function's name.
        base: the function's start, module-relative.
        parameter_size: bytes of stack parameters (Windows x86), 0 if unknown.
        source_file, source_line: the source location of the address, if known.
        source_line_base: where that line's code starts, module-relative.
        is_public: True for a PUBLIC (export) symbol without line information.
    """

    name: str
    base: int
    parameter_size: int = 0
    source_file: str | None = None
    source_line: int | None = None
    source_line_base: int | None = None
    is_public: bool = False


@dataclass(frozen=True, slots=True)
class WindowsFrameInfo:
    """A ``STACK WIN`` record (MSVC frame data), or only a parameter size from a FUNC/PUBLIC.

    ``complete`` is False when only ``parameter_size`` is known (Breakpad's
    VALID_PARAMETER_SIZE); the x86 walker then falls back to CFI or the frame pointer.
    """

    type: int
    parameter_size: int
    saved_register_size: int = 0
    local_size: int = 0
    program_string: str | None = None
    allocates_base_pointer: bool = False
    complete: bool = True


class ModuleSymbols(Protocol):
    """Symbols and unwind information of one module (module-relative addresses).

    Implementations are immutable once built; every method is safe to call from any thread and
    returns None (never raises) when it has no answer.
    """

    @property
    def source(self) -> str:
        """Where the symbols come from, for display (``breakpad``, ``elf``)."""
        ...

    def function_at(self, offset: int) -> FunctionMatch | None:
        """The function or public symbol covering ``offset``."""
        ...

    def cfi_rules(self, offset: int) -> Mapping[str, str] | None:
        """The unwind rules at ``offset`` (register → postfix expression, ``.cfa``/``.ra``)."""
        ...

    def windows_frame_info(self, offset: int) -> WindowsFrameInfo | None:
        """The x86 Windows frame data at ``offset`` (None outside Windows x86 symbols)."""
        ...


class SymbolProvider(Protocol):
    """Finds the symbols of a dump's modules.

    Lifecycle: created for one analysis (or shared by several, since results are cached per
    module identity); nothing to close. Failure contract: a module whose symbols are missing
    or unreadable gives None, and the reason is kept in :attr:`problems` for display.
    Thread safety: one thread at a time.
    """

    @property
    def problems(self) -> tuple[str, ...]:
        """Symbol files that were found but could not be used, one line each."""
        ...

    def symbols_for(self, module: MinidumpModule) -> ModuleSymbols | None:
        """The module's symbols, or None."""
        ...


class NoSymbols:
    """A provider with no symbols at all (the walker then uses frame pointers and scanning)."""

    @property
    def problems(self) -> tuple[str, ...]:
        """Always empty."""
        return ()

    def symbols_for(self, module: MinidumpModule) -> ModuleSymbols | None:
        """Always None."""
        return None


class ChainedSymbols:
    """Asks several providers in turn; the first with symbols for a module wins."""

    def __init__(self, providers: Sequence[SymbolProvider]) -> None:
        self._providers = tuple(providers)

    @property
    def problems(self) -> tuple[str, ...]:
        """Every provider's problems."""
        return tuple(problem for provider in self._providers for problem in provider.problems)

    def symbols_for(self, module: MinidumpModule) -> ModuleSymbols | None:
        """The first provider's symbols for the module."""
        for provider in self._providers:
            found = provider.symbols_for(module)
            if found is not None:
                return found
        return None


class InMemorySymbols:
    """Symbols handed over in memory, keyed by debug id or by module file name (for tests and
    for callers that fetched symbol files themselves)."""

    def __init__(self, symbols: Mapping[str, ModuleSymbols]) -> None:
        self._symbols = dict(symbols)

    @property
    def problems(self) -> tuple[str, ...]:
        """Always empty."""
        return ()

    def symbols_for(self, module: MinidumpModule) -> ModuleSymbols | None:
        """The symbols registered under the module's debug id, else under its file name."""
        if module.debug_id and module.debug_id in self._symbols:
            return self._symbols[module.debug_id]
        return self._symbols.get(module.basename)
