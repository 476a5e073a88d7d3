"""Recover a caller's registers from CFI rules (Breakpad ``STACK CFI`` syntax).

Breakpad's semantics: ``.cfa`` is computed from the callee's registers, then ``.ra`` and every
named register from those registers plus ``.cfa``; the caller's stack pointer is the CFA and its
program counter the return address. Callee-saved registers without a rule keep their value; any
other register without a rule is unknown in the caller. A rule that cannot be evaluated leaves
its register unknown; a missing or failing ``.cfa`` or ``.ra`` fails the whole step.
"""

from __future__ import annotations

from collections.abc import Mapping

from openwer.analysis.cpu_registers import CpuSpec
from openwer.analysis.postfix import ReadWord, evaluate_expression
from openwer.analysis.stack_frame import FrameTrust
from openwer.analysis.unwind_step import WalkFrame
from openwer.analysis.walk_environment import WalkEnvironment

__all__ = ["caller_registers_from_cfi", "cfi_caller"]


def caller_registers_from_cfi(
    rules: Mapping[str, str], callee: Mapping[str, int], spec: CpuSpec, read_word: ReadWord
) -> dict[str, int] | None:
    """The caller's registers, or None if the CFA or the return address cannot be computed."""
    cfa_rule, ra_rule = rules.get(".cfa"), rules.get(".ra")
    if cfa_rule is None or ra_rule is None:
        return None
    names: dict[str, int] = {}
    for register, value in callee.items():
        names[register] = value
        names["$" + register] = value
    for alias, register in spec.aliases.items():
        if register in callee:
            names[alias] = names["$" + alias] = callee[register]
    cfa = evaluate_expression(cfa_rule, names, read_word, spec.bits)
    if cfa is None:
        return None
    names[".cfa"] = cfa
    return_address = evaluate_expression(ra_rule, names, read_word, spec.bits)
    if return_address is None:
        return None
    caller = {name: value for name, value in callee.items() if name in spec.callee_saved}
    for register, rule in rules.items():
        if register in (".cfa", ".ra"):
            continue
        result = evaluate_expression(rule, names, read_word, spec.bits)
        name = spec.canonical(register)
        if result is None:
            caller.pop(name, None)
        else:
            caller[name] = result
    caller[spec.sp] = cfa
    caller[spec.pc] = return_address
    return caller


def cfi_caller(last: WalkFrame, env: WalkEnvironment, spec: CpuSpec) -> WalkFrame | None:
    """The caller by the CFI of the module holding the last frame's instruction, if any."""
    lookup = last.lookup_address(spec)
    if lookup is None or spec.sp not in last.registers:
        return None
    found = env.symbols_at(lookup)
    if found is None:
        return None
    symbols, offset = found
    rules = symbols.cfi_rules(offset)
    if rules is None:
        return None
    caller = caller_registers_from_cfi(rules, last.registers, spec, env.read_word)
    if caller is None:
        return None
    return WalkFrame(caller, FrameTrust.CFI)
