"""What one thread's stack walk reads: its stack memory, the modules and their symbols.

Memory reads are confined to the thread's stack (as Breakpad's and rust-minidump's walkers
confine them), so a frame pointer or CFI rule that points elsewhere fails cleanly instead of
reading unrelated memory. Symbols are fetched from the provider once per module and cached for
the whole analysis (:class:`SymbolCache`).

Not thread-safe: one walk at a time per environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openwer.analysis.module_symbols import ModuleSymbols, SymbolProvider
from openwer.formats.minidump import Minidump, MinidumpModule

__all__ = ["StackMemory", "SymbolCache", "WalkEnvironment"]


@dataclass(frozen=True, slots=True)
class StackMemory:
    """Reads inside ``[start, end)`` of the dump's memory, or nothing if there is no stack."""

    dump: Minidump
    start: int
    end: int

    @classmethod
    def for_thread(cls, dump: Minidump, stack_start: int, stack_pointer: int | None) -> StackMemory:
        """The memory range holding the thread's stack descriptor (or its stack pointer)."""
        for address in (stack_start, stack_pointer):
            if address is None:
                continue
            memory = dump.memory.find(address)
            if memory is not None:
                return cls(dump, memory.start, memory.end)
        return cls(dump, 0, 0)

    def read_word(self, address: int, width: int) -> int | None:
        """A little-endian word of ``width`` bytes at ``address``, if inside the stack."""
        if address < self.start or address + width > self.end:
            return None
        return self.dump.memory.read_uint(address, width)


@dataclass
class SymbolCache:
    """Each module's symbols, fetched once from the provider."""

    provider: SymbolProvider
    _cache: dict[int, ModuleSymbols | None] = field(default_factory=dict)

    @property
    def loaded(self) -> frozenset[int]:
        """The indexes of the modules whose symbols were asked for."""
        return frozenset(self._cache)

    def get(self, index: int, module: MinidumpModule) -> ModuleSymbols | None:
        """The symbols of the dump's ``index``-th module."""
        if index not in self._cache:
            self._cache[index] = self.provider.symbols_for(module)
        return self._cache[index]


@dataclass
class WalkEnvironment:
    """A dump, one thread's stack memory and the symbols, as the unwinders see them."""

    dump: Minidump
    stack: StackMemory
    symbols: SymbolCache
    word: int
    _indexes: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._indexes = {id(module): i for i, module in enumerate(self.dump.modules)}

    def read_word(self, address: int) -> int | None:
        """A pointer-sized word of the stack."""
        return self.stack.read_word(address, self.word)

    def module_at(self, address: int) -> tuple[int, MinidumpModule] | None:
        """The module holding ``address`` and its index in the module list."""
        module = self.dump.module_at(address)
        if module is None:
            return None
        return self._indexes[id(module)], module

    def symbols_at(self, address: int) -> tuple[ModuleSymbols, int] | None:
        """The symbols of the module holding ``address`` and the module-relative offset."""
        found = self.module_at(address)
        if found is None:
            return None
        index, module = found
        symbols = self.symbols.get(index, module)
        return (symbols, address - module.base) if symbols is not None else None

    def instruction_seems_valid(self, address: int) -> bool:
        """Whether a scanned word looks like a return address (Breakpad's heuristic).

        It must point into a module; if that module has symbols, the byte before it (inside
        the call) must fall in a function of them.
        """
        lookup = address - 1
        if lookup <= 0:
            return False
        found = self.module_at(lookup)
        if found is None:
            return False
        index, module = found
        symbols = self.symbols.get(index, module)
        if symbols is None:
            return True
        function = symbols.function_at(lookup - module.base)
        return function is not None and bool(function.name)
