"""The postfix expressions of Breakpad symbol files (``STACK CFI`` rules, ``STACK WIN`` programs).

A CFI rule is one expression (``.cfa -8 + ^``); a STACK WIN program string is a sequence of
assignments (``$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =``). Tokens are numbers
(decimal, or hex with ``0x``), register and variable names, the binary operators ``+ - * / %``
and ``@`` (align down), ``^`` (read a word of memory) and ``=`` (assign). Arithmetic wraps at
the word size, as the unwound machine's does.

Evaluation is bounded: at most :data:`MAX_TOKENS` tokens and a stack of at most
:data:`MAX_STACK` values, so a hostile symbol file cannot make it loop or grow. Any error (an
unknown name, a stack underflow, division by zero, unreadable memory) makes the evaluation
return None rather than raise.

Thread-safe: nothing is shared between evaluations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Final

__all__ = ["MAX_STACK", "MAX_TOKENS", "evaluate_assignments", "evaluate_expression"]

MAX_TOKENS: Final = 256
MAX_STACK: Final = 64

ReadWord = Callable[[int], "int | None"]

_BINARY: Final = frozenset("+-*/%@")


def _tokens(text: str) -> list[str]:
    """Whitespace-separated tokens; ``=$eip`` is two (MSVC 2010 /LTCG glues them together)."""
    tokens: list[str] = []
    for token in text.split():
        if len(token) > 1 and token[0] == "=":
            tokens.extend(("=", token[1:]))
        else:
            tokens.append(token)
    return tokens


def _number(token: str) -> int | None:
    try:
        return int(token, 0)
    except ValueError:
        try:
            return int(token, 10)  # "08" is decimal in Breakpad files; int(..., 0) refuses it
        except ValueError:
            return None


class _Machine:
    """One evaluation: a value stack over a dictionary of names."""

    def __init__(
        self, names: MutableMapping[str, int], read_word: ReadWord, word_bits: int
    ) -> None:
        self.names = names
        self.read_word = read_word
        self.mask = (1 << word_bits) - 1
        self.stack: list[int | str] = []

    def value(self, item: int | str) -> int | None:
        if isinstance(item, int):
            return item
        return self.names.get(item)

    def pop_value(self) -> int | None:
        return self.value(self.stack.pop()) if self.stack else None

    def step(self, token: str) -> bool:
        """Apply one token; False if the program is invalid at this point."""
        if token in _BINARY:
            right, left = self.pop_value(), self.pop_value()
            if right is None or left is None:
                return False
            result = _apply(token, left, right)
            if result is None:
                return False
            self.stack.append(result & self.mask)
        elif token == "^":
            address = self.pop_value()
            if address is None:
                return False
            word = self.read_word(address)
            if word is None:
                return False
            self.stack.append(word)
        elif token == "=":
            if len(self.stack) < 2:
                return False
            value, name = self.value(self.stack.pop()), self.stack.pop()
            if value is None or not isinstance(name, str):
                return False
            self.names[name] = value
        else:
            number = _number(token)
            self.stack.append(token if number is None else number & self.mask)
        return len(self.stack) <= MAX_STACK


def _apply(operator: str, left: int, right: int) -> int | None:
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if right == 0:
        return None
    if operator == "/":
        return left // right
    if operator == "%":
        return left % right
    # "@": align left down to a multiple of right (a power of two in practice).
    return left & ~(right - 1)


def evaluate_expression(
    expression: str, names: Mapping[str, int], read_word: ReadWord, word_bits: int
) -> int | None:
    """The value of one expression (a CFI rule), or None if it cannot be evaluated."""
    tokens = _tokens(expression)
    if not tokens or len(tokens) > MAX_TOKENS:
        return None
    machine = _Machine(dict(names), read_word, word_bits)
    for token in tokens:
        if not machine.step(token):
            return None
    if len(machine.stack) != 1:
        return None
    return machine.pop_value()


def evaluate_assignments(
    program: str, names: MutableMapping[str, int], read_word: ReadWord, word_bits: int
) -> set[str] | None:
    """Run a STACK WIN program, assigning into ``names``; return the names it assigned.

    Returns None if the program is invalid or reads memory the dump does not hold (``names``
    may then hold some of its assignments).
    """
    tokens = _tokens(program)
    if not tokens or len(tokens) > MAX_TOKENS:
        return None
    assigned: set[str] = set()
    machine = _Machine(names, read_word, word_bits)
    for token in tokens:
        if token == "=" and len(machine.stack) >= 2 and isinstance(machine.stack[-2], str):
            assigned.add(str(machine.stack[-2]))
        if not machine.step(token):
            return None
    return assigned if not machine.stack else None
