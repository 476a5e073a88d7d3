"""Breakpad ``.sym`` files: parse them and look addresses up.

Records read: ``MODULE``, ``INFO CODE_ID``, ``FILE``, ``FUNC`` with its line records,
``PUBLIC``, ``STACK CFI INIT`` / ``STACK CFI`` and ``STACK WIN``; ``INLINE`` and
``INLINE_ORIGIN`` are skipped. Lines that do not parse are skipped and counted (the first few
are kept in :attr:`BreakpadSymbols.warnings`), as Breakpad's own parser does.

Lookups are binary searches over sorted arrays, so a lookup costs O(log n) whatever the file's
size. Memory is about three times the number of records in machine words plus the names;
:func:`parse_symbol_file` refuses input beyond ``max_bytes``.

Thread-safe once built (read-only).
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from openwer.analysis.module_symbols import FunctionMatch, WindowsFrameInfo
from openwer.errors import FormatError

__all__ = [
    "DEFAULT_MAX_SYMBOL_BYTES",
    "BreakpadSymbols",
    "SymbolFileModule",
    "parse_cfi_rules",
    "parse_symbol_file",
]

DEFAULT_MAX_SYMBOL_BYTES: Final = 2 * 1024 * 1024 * 1024
_MAX_WARNINGS: Final = 10
_NESTED_LOOKBACK: Final = 32  # how many earlier ranges a nested-range lookup examines
_STACK_WIN_FRAME_DATA: Final = 4
_STACK_WIN_FPO: Final = 0


@dataclass(frozen=True, slots=True)
class SymbolFileModule:
    """The ``MODULE`` line: ``MODULE <os> <cpu> <debug id> <debug file>``."""

    os: str
    cpu: str
    debug_id: str
    debug_file: str


def parse_cfi_rules(text: str) -> dict[str, str]:
    """``.cfa: $rsp 8 + .ra: .cfa -8 + ^`` → ``{".cfa": "$rsp 8 +", ".ra": ".cfa -8 + ^"}``."""
    rules: dict[str, str] = {}
    name: str | None = None
    expression: list[str] = []
    for token in text.split():
        if token.endswith(":") and len(token) > 1:
            if name is not None:
                rules[name] = " ".join(expression)
            name, expression = token[:-1], []
        elif name is not None:
            expression.append(token)
    if name is not None:
        rules[name] = " ".join(expression)
    return rules


class _RangeTable:
    """Sorted (start, size) ranges with a payload index, looked up innermost-first."""

    def __init__(self, entries: list[tuple[int, int, int]]) -> None:
        entries.sort(key=lambda entry: (entry[0], -entry[1]))
        self.starts = array("Q", (start for start, _, _ in entries))
        self.sizes = array("Q", (size for _, size, _ in entries))
        self.payloads = array("q", (payload for _, _, payload in entries))

    def innermost(self, offset: int) -> int | None:
        """The payload of the latest-starting range containing ``offset``."""
        index = bisect.bisect_right(self.starts, offset) - 1
        for candidate in range(index, max(-1, index - _NESTED_LOOKBACK), -1):
            if offset - self.starts[candidate] < self.sizes[candidate]:
                return self.payloads[candidate]
        return None


class BreakpadSymbols:
    """One parsed ``.sym`` file (a :class:`~openwer.analysis.module_symbols.ModuleSymbols`)."""

    source = "breakpad"

    def __init__(self, builder: _Builder) -> None:
        self.module = builder.module
        self.code_id = builder.code_id
        self.warnings = tuple(builder.warnings)
        self.skipped_lines = builder.skipped
        self._files = builder.files
        functions = sorted(builder.functions, key=lambda f: f[0])
        self._func_starts = array("Q", (f[0] for f in functions))
        self._func_sizes = array("Q", (f[1] for f in functions))
        self._func_params = array("Q", (f[2] for f in functions))
        self._func_names = [f[3] for f in functions]
        self._func_lines: list[tuple[array[int], array[int], array[int], array[int]] | None] = []
        for function in functions:
            lines = sorted(function[4])
            self._func_lines.append(
                (
                    array("Q", (line[0] for line in lines)),
                    array("Q", (line[1] for line in lines)),
                    array("q", (line[2] for line in lines)),
                    array("q", (line[3] for line in lines)),
                )
                if lines
                else None
            )
        publics = sorted(builder.publics)
        self._public_starts = array("Q", (p[0] for p in publics))
        self._public_params = array("Q", (p[1] for p in publics))
        self._public_names = [p[2] for p in publics]
        self._cfi = _RangeTable([(a, s, i) for i, (a, s, _, _) in enumerate(builder.cfi)])
        self._cfi_records = builder.cfi
        self._stack_win = {
            kind: _RangeTable([(rva, size, i) for i, (rva, size, _) in enumerate(records)])
            for kind, records in builder.stack_win.items()
        }
        self._stack_win_records = {
            kind: [info for _, _, info in records] for kind, records in builder.stack_win.items()
        }

    @property
    def function_count(self) -> int:
        """How many FUNC records the file has."""
        return len(self._func_names)

    def _function_index(self, offset: int) -> int | None:
        index = bisect.bisect_right(self._func_starts, offset) - 1
        for candidate in range(index, max(-1, index - _NESTED_LOOKBACK), -1):
            if offset - self._func_starts[candidate] < self._func_sizes[candidate]:
                return candidate
        return None

    def function_at(self, offset: int) -> FunctionMatch | None:
        """The FUNC containing ``offset`` with its line, else the nearest PUBLIC below it."""
        index = self._function_index(offset)
        if index is not None:
            base = self._func_starts[index]
            name, params = self._func_names[index], self._func_params[index]
            lines = self._func_lines[index]
            if lines is not None:
                starts, sizes, numbers, files = lines
                line = bisect.bisect_right(starts, offset) - 1
                if line >= 0 and offset - starts[line] < sizes[line]:
                    return FunctionMatch(
                        name,
                        base,
                        params,
                        self._files.get(files[line]),
                        numbers[line],
                        starts[line],
                    )
            return FunctionMatch(name, base, params)
        public = bisect.bisect_right(self._public_starts, offset) - 1
        if public >= 0:
            return FunctionMatch(
                self._public_names[public],
                self._public_starts[public],
                self._public_params[public],
                is_public=True,
            )
        return None

    def cfi_rules(self, offset: int) -> Mapping[str, str] | None:
        """The STACK CFI rules in force at ``offset`` (INIT rules updated by later rows)."""
        index = self._cfi.innermost(offset)
        if index is None:
            return None
        _, _, init_rules, deltas = self._cfi_records[index]
        rules = parse_cfi_rules(init_rules)
        for address, delta in deltas:
            if address > offset:
                break
            rules.update(parse_cfi_rules(delta))
        return rules

    def windows_frame_info(self, offset: int) -> WindowsFrameInfo | None:
        """STACK WIN frame data (FRAME_DATA before FPO), else a FUNC's or PUBLIC's parameter
        size, as Breakpad's resolver answers."""
        for kind in (_STACK_WIN_FRAME_DATA, _STACK_WIN_FPO):
            table = self._stack_win.get(kind)
            if table is not None:
                index = table.innermost(offset)
                if index is not None:
                    return self._stack_win_records[kind][index]
        function = self._function_index(offset)
        if function is not None:
            return WindowsFrameInfo(-1, self._func_params[function], complete=False)
        public = bisect.bisect_right(self._public_starts, offset) - 1
        if public >= 0:
            return WindowsFrameInfo(-1, self._public_params[public], complete=False)
        return None


class _Builder:
    """Accumulates records while a file is read."""

    def __init__(self) -> None:
        self.module: SymbolFileModule | None = None
        self.code_id: str | None = None
        self.files: dict[int, str] = {}
        self.functions: list[tuple[int, int, int, str, list[tuple[int, int, int, int]]]] = []
        self.publics: list[tuple[int, int, str]] = []
        self.cfi: list[tuple[int, int, str, list[tuple[int, str]]]] = []
        self.stack_win: dict[int, list[tuple[int, int, WindowsFrameInfo]]] = {}
        self.warnings: list[str] = []
        self.skipped = 0
        self._lines: list[tuple[int, int, int, int]] | None = None

    def warn(self, number: int, message: str) -> None:
        self.skipped += 1
        if len(self.warnings) < _MAX_WARNINGS:
            self.warnings.append(f"line {number}: {message}")

    def record(self, number: int, line: str) -> None:
        keyword, _, rest = line.partition(" ")
        if keyword == "FUNC":
            self._func(rest)
        elif keyword == "PUBLIC":
            self._public(rest)
        elif keyword == "FILE":
            index, _, name = rest.partition(" ")
            self.files[int(index, 10)] = name
        elif keyword == "STACK":
            self._stack(rest)
        elif keyword == "MODULE":
            parts = rest.split(" ", 3)
            if len(parts) == 4:
                self.module = SymbolFileModule(*parts)
        elif keyword == "INFO":
            parts = rest.split()
            if len(parts) >= 2 and parts[0] == "CODE_ID":
                self.code_id = parts[1]
        elif keyword in ("INLINE", "INLINE_ORIGIN"):
            pass
        elif self._lines is not None:
            address, size, source_line, file_number = line.split(maxsplit=3)
            self._lines.append(
                (int(address, 16), int(size, 16), int(source_line, 10), int(file_number, 10))
            )
        else:
            self.warn(number, "not a record Breakpad symbol files have")

    def _func(self, rest: str) -> None:
        if rest.startswith("m "):
            rest = rest[2:]
        address, size, params, name = rest.split(" ", 3)
        self._lines = []
        self.functions.append((int(address, 16), int(size, 16), int(params, 16), name, self._lines))

    def _public(self, rest: str) -> None:
        self._lines = None
        if rest.startswith("m "):
            rest = rest[2:]
        address, params, name = rest.split(" ", 2)
        self.publics.append((int(address, 16), int(params, 16), name))

    def _stack(self, rest: str) -> None:
        self._lines = None
        kind, _, rest = rest.partition(" ")
        if kind == "CFI":
            if rest.startswith("INIT "):
                address, size, rules = rest[5:].split(" ", 2)
                self.cfi.append((int(address, 16), int(size, 16), rules, []))
            elif self.cfi:
                address, rules = rest.split(" ", 1)
                self.cfi[-1][3].append((int(address, 16), rules))
            else:
                raise ValueError("STACK CFI before any STACK CFI INIT")
        elif kind == "WIN":
            fields = rest.split(" ", 10)
            if len(fields) < 11:
                raise ValueError("STACK WIN with too few fields")
            values = [int(field, 16) for field in fields[:10]]
            frame_type, rva, code_size = values[0], values[1], values[2]
            has_program = values[9] != 0
            info = WindowsFrameInfo(
                frame_type,
                parameter_size=values[5],
                saved_register_size=values[6],
                local_size=values[7],
                program_string=fields[10] if has_program else None,
                allocates_base_pointer=not has_program and int(fields[10], 16) != 0,
            )
            if code_size:
                self.stack_win.setdefault(frame_type, []).append((rva, code_size, info))
        else:
            raise ValueError(f"unknown STACK record {kind!r}")


def parse_symbol_file(
    lines: Iterable[bytes], *, max_bytes: int = DEFAULT_MAX_SYMBOL_BYTES
) -> BreakpadSymbols:
    """Parse a Breakpad symbol file from its lines (e.g. an open binary file).

    Raises:
        FormatError: the input is larger than ``max_bytes``, or has no ``MODULE`` line before
            its first record (it is not a Breakpad symbol file).
    """
    builder = _Builder()
    total = 0
    for number, raw in enumerate(lines, 1):
        total += len(raw)
        if total > max_bytes:
            raise FormatError(f"symbol file larger than {max_bytes} bytes")
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            continue
        if builder.module is None and not line.startswith("MODULE "):
            raise FormatError("not a Breakpad symbol file: it does not start with MODULE")
        try:
            builder.record(number, line)
        except (ValueError, IndexError) as exc:
            builder.warn(number, str(exc) or "malformed")
    if builder.module is None:
        raise FormatError("not a Breakpad symbol file: it has no MODULE line")
    return BreakpadSymbols(builder)
