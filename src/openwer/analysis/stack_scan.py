"""Stack scanning: find the next word on the stack that looks like a return address.

A word qualifies when it points into a module and, if that module has symbols, into a function
of them (Breakpad's and rust-minidump's rule), and when the dump holds the code before it, that
code ends with a call (see :mod:`openwer.analysis.call_sites`). The number of words examined is
bounded by the caller, so scanning never runs long whatever the stack holds.
"""

from __future__ import annotations

from openwer.analysis.call_sites import follows_call
from openwer.analysis.walk_environment import WalkEnvironment

__all__ = ["looks_like_return_address", "scan_for_return_address"]


def looks_like_return_address(env: WalkEnvironment, address: int, cpu: str) -> bool:
    """Whether a word found on the stack is plausibly a return address."""
    if not env.instruction_seems_valid(address):
        return False
    return follows_call(env.dump.memory, address, cpu) is not False


def scan_for_return_address(
    env: WalkEnvironment, start: int, words: int, cpu: str
) -> tuple[int, int] | None:
    """The first plausible return address in ``words`` words from ``start``: (where, value)."""
    for index in range(words):
        location = start + index * env.word
        value = env.read_word(location)
        if value is None:
            return None
        if looks_like_return_address(env, value, cpu):
            return location, value
    return None
