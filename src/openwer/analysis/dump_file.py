"""Analyse a minidump file on disk: map it, parse it, find symbols, walk every thread.

The file is memory-mapped (read-only) rather than read, so a multi-gigabyte full-memory dump
costs only the pages the analysis touches. The mapping lives as long as the returned analysis
(its dump reads memory through it). Symbol files opened for the analysis are closed before
returning: the analysis holds every symbol it needs.
"""

from __future__ import annotations

import mmap
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from openwer.analysis.crash_analysis import CrashAnalysis, analyze_minidump
from openwer.analysis.elf_symbols import LocalElfSymbols
from openwer.analysis.module_symbols import ChainedSymbols, SymbolProvider
from openwer.analysis.stack_walker import WalkLimits
from openwer.analysis.symbol_directory import BreakpadSymbolDirectory
from openwer.formats.minidump import parse_minidump

__all__ = ["analyze_dump_file"]

_READ_WHOLE_BELOW: Final = 1 << 20  # small files are simply read; mmap cannot map empty ones


def analyze_dump_file(
    path: Path,
    symbol_paths: Sequence[Path] = (),
    *,
    local_binaries: bool = True,
    limits: WalkLimits | None = None,
) -> CrashAnalysis:
    """Parse and analyse the minidump at ``path``.

    Symbols come from ``symbol_paths`` (Breakpad stores or ``.sym`` files), then, if
    ``local_binaries``, from the ELF files at the modules' paths when their build ids match
    (with separate debug files under /usr/lib/debug).

    Raises:
        OSError: the file cannot be opened or read.
        FormatError: it is not a minidump (a damaged one is analysed, damage listed).
    """
    with path.open("rb") as stream:
        size = path.stat().st_size
        if size < _READ_WHOLE_BELOW:
            data: bytes | mmap.mmap = stream.read()
        else:
            data = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    dump = parse_minidump(data)
    local = LocalElfSymbols() if local_binaries else None
    providers: list[SymbolProvider] = [BreakpadSymbolDirectory(symbol_paths)]
    if local is not None:
        providers.append(local)
    try:
        return analyze_minidump(dump, ChainedSymbols(providers), limits)
    finally:
        if local is not None:
            local.close()
