"""ELF call frame information (``.eh_frame``, ``.debug_frame``) as Breakpad ``STACK CFI`` rules.

pyelftools decodes the FDEs; each row is translated the way ``dump_syms`` writes it, so one
evaluator (:mod:`openwer.analysis.cfi_unwind`) serves both sources:

- CFA = register + offset → ``.cfa: <reg> <offset> +`` (a DWARF expression CFA is not supported:
  the walker then falls back to the frame pointer or scanning);
- ``offset(N)`` → ``.cfa N + ^``; ``val_offset(N)`` → ``.cfa N +``; ``register(R)`` → ``R``;
  ``same_value`` → the register itself; expressions are skipped;
- the return-address column becomes ``.ra``; when it has no rule (a leaf on arm64) the return
  address is still in the link register (on x86 and amd64 such a row is unusable); when it is
  ``undefined`` (``_start``) the stack ends, so ``.ra`` is 0.

FDEs are indexed by start address once per file (about 0.3 s for glibc); a row is decoded when
asked for.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any, Final

from elftools.dwarf.callframe import FDE, CFARule, RegisterRule
from elftools.dwarf.dwarfinfo import DWARFInfo

from openwer.analysis.cpu_registers import CpuSpec
from openwer.analysis.elf_image import ELF_ERRORS

__all__ = ["ElfCallFrameInfo"]

_MAX_FDES: Final = 2_000_000


class ElfCallFrameInfo:
    """The FDEs of one file's ``.eh_frame`` and ``.debug_frame`` (not thread-safe while loading)."""

    def __init__(self, dwarf_infos: list[DWARFInfo], spec: CpuSpec) -> None:
        self._spec = spec
        entries: list[tuple[int, int, FDE]] = []
        for dwarf in dwarf_infos:
            loaders = []
            if dwarf.has_EH_CFI():
                loaders.append(dwarf.EH_CFI_entries)
            if dwarf.has_CFI():
                loaders.append(dwarf.CFI_entries)
            for loader in loaders:
                try:
                    for entry in loader():
                        if isinstance(entry, FDE) and len(entries) < _MAX_FDES:
                            start = int(entry["initial_location"])
                            entries.append((start, int(entry["address_range"]), entry))
                except ELF_ERRORS:
                    continue
        entries.sort(key=lambda item: (item[0], -item[1]))
        self._starts = [start for start, _, _ in entries]
        self._entries = entries

    def _fde_at(self, vaddr: int) -> FDE | None:
        index = bisect.bisect_right(self._starts, vaddr) - 1
        for candidate in range(index, max(-1, index - 8), -1):
            start, size, fde = self._entries[candidate]
            if start <= vaddr < start + size:
                return fde
        return None

    def _name(self, register: int) -> str | None:
        return self._spec.dwarf.get(register)

    def _rule(self, register: int, rule: RegisterRule) -> str | None:
        kind, argument = rule.type, rule.arg
        if kind == RegisterRule.OFFSET:
            return f".cfa {argument} + ^"
        if kind == RegisterRule.VAL_OFFSET:
            return f".cfa {argument} +"
        if kind == RegisterRule.REGISTER:
            return self._name(argument) if isinstance(argument, int) else None
        if kind == RegisterRule.SAME_VALUE:
            return self._name(register)
        return None

    def rules_at(self, vaddr: int) -> Mapping[str, str] | None:
        """The unwind rules in force at ``vaddr``, or None if no FDE covers it."""
        fde = self._fde_at(vaddr)
        if fde is None:
            return None
        try:
            decoded = fde.get_decoded()
            cie = fde.cie
            if cie is None:
                return None
            return_register = int(cie["return_address_register"])
        except ELF_ERRORS:
            return None
        row: dict[Any, Any] | None = None
        for candidate in decoded.table:
            if int(candidate["pc"]) > vaddr:
                break
            row = candidate
        if row is None:
            return None
        cfa = row.get("cfa")
        if not isinstance(cfa, CFARule) or cfa.expr is not None:
            return None
        if cfa.reg is None or cfa.offset is None:
            return None
        cfa_register = self._name(int(cfa.reg))
        if cfa_register is None:
            return None
        rules = {".cfa": f"{cfa_register} {int(cfa.offset)} +"}
        return_rule = row.get(return_register)
        if return_rule is None:
            if self._spec.link is None:
                return None  # x86's return address is never left in a register
            rules[".ra"] = self._name(return_register) or "0"
        elif return_rule.type == RegisterRule.UNDEFINED:
            rules[".ra"] = "0"
        else:
            translated = self._rule(return_register, return_rule)
            if translated is None:
                return None
            rules[".ra"] = translated
        for register, rule in row.items():
            if not isinstance(register, int) or register == return_register:
                continue
            name, translated = self._name(register), self._rule(register, rule)
            if name is not None and translated is not None:
                rules[name] = translated
        return rules
