"""Breakpad symbol stores: ``DIR/<debug file>/<debug id>/<debug file without .pdb>.sym``.

The layout ``minidump_stackwalk``, ``symupload`` and Sentry's symbol sources share: for a module
whose PDB is ``c:\\test_app.pdb`` with debug id ``5A98…1``, the file is
``DIR/test_app.pdb/5A98…1/test_app.sym``; for an ELF module ``/lib/libc.so.6``,
``DIR/libc.so.6/<id>/libc.so.6.sym``. A ``.sym`` file may also be named directly; it is used for
the module its ``MODULE`` line names.

The directory and file names come from the dump, which is untrusted: only the last path
component is used, and names that could leave the symbol directory are refused. A file found
but unusable (not a symbol file, another module's, too large) is reported in :attr:`problems`.

One thread at a time (it caches what it parses).
"""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Sequence
from pathlib import Path

from openwer.analysis.breakpad_symbols import (
    DEFAULT_MAX_SYMBOL_BYTES,
    BreakpadSymbols,
    parse_symbol_file,
)
from openwer.analysis.module_symbols import ModuleSymbols
from openwer.errors import FormatError
from openwer.formats.minidump import MinidumpModule

__all__ = ["BreakpadSymbolDirectory", "symbol_file_name"]


def symbol_file_name(debug_file: str) -> str | None:
    """``test_app.pdb`` → ``test_app.sym``; ``libc.so.6`` → ``libc.so.6.sym``; None if the
    name is not a safe single path component."""
    name = posixpath.basename(ntpath.basename(debug_file))
    if name in ("", ".", "..") or "\x00" in name:
        return None
    stem = name[:-4] if name.lower().endswith(".pdb") else name
    return stem + ".sym"


class BreakpadSymbolDirectory:
    """A :class:`~openwer.analysis.module_symbols.SymbolProvider` over symbol directories and
    ``.sym`` files (see the module docstring)."""

    def __init__(self, paths: Sequence[Path], *, max_bytes: int = DEFAULT_MAX_SYMBOL_BYTES) -> None:
        self._directories = [path for path in paths if not path.is_file()]
        self._files = [path for path in paths if path.is_file()]
        self._max_bytes = max_bytes
        self._problems: list[str] = []
        self._parsed: dict[Path, BreakpadSymbols | None] = {}
        self._file_ids: dict[str, Path] | None = None

    @property
    def problems(self) -> tuple[str, ...]:
        """Symbol files that were found but could not be used."""
        return tuple(self._problems)

    def symbols_for(self, module: MinidumpModule) -> ModuleSymbols | None:
        """The module's Breakpad symbols, if a store or a named file has them."""
        debug_file, debug_id = module.debug_file, module.debug_id
        if not debug_file or not debug_id:
            return None
        directory = posixpath.basename(ntpath.basename(debug_file))
        file_name = symbol_file_name(debug_file)
        if file_name is None:
            return None
        for root in self._directories:
            for identifier in dict.fromkeys((debug_id, debug_id.upper())):
                path = root / directory / identifier / file_name
                if path.is_file():
                    return self._load(path, debug_id)
        named = self._named_files().get(debug_id.upper())
        return self._load(named, debug_id) if named is not None else None

    def _named_files(self) -> dict[str, Path]:
        if self._file_ids is None:
            self._file_ids = {}
            for path in self._files:
                try:
                    with path.open("rb") as stream:
                        words = stream.readline(4096).decode("utf-8", "replace").split()
                except OSError as exc:
                    self._problems.append(f"{path}: {exc.strerror or exc}")
                    continue
                if len(words) >= 4 and words[0] == "MODULE":
                    self._file_ids.setdefault(words[3].upper(), path)
                else:
                    self._problems.append(f"{path}: not a Breakpad symbol file")
        return self._file_ids

    def _load(self, path: Path, debug_id: str) -> BreakpadSymbols | None:
        if path in self._parsed:
            return self._parsed[path]
        symbols = None
        try:
            with path.open("rb") as stream:
                symbols = parse_symbol_file(stream, max_bytes=self._max_bytes)
            if symbols.module is not None and symbols.module.debug_id.upper() != debug_id.upper():
                self._problems.append(
                    f"{path}: its MODULE line names debug id {symbols.module.debug_id}, "
                    f"not {debug_id}"
                )
                symbols = None
        except FormatError as exc:
            self._problems.append(f"{path}: {exc}")
        except OSError as exc:
            self._problems.append(f"{path}: {exc.strerror or exc}")
        self._parsed[path] = symbols
        return symbols
