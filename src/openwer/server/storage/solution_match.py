"""Regex solutions: one answer for many buckets, as WER's solution matcher does.

A pattern is searched (``re.search``) in the signature text ``"<event type>|P0|P1|…"`` of a hit's
bucket when the bucket has no solution of its own; the product's patterns are tried oldest first
and the first match wins. Patterns come from admins, yet they run inside ingest, so they are
bounded: at most :data:`MAX_PATTERN_LENGTH` characters, and a pattern that repeats a group which
itself repeats (``(a+)+``, ``(\\w*x)*``: the classic catastrophic-backtracking shape) is refused.
That check is a heuristic, not a proof; the signature text itself is short (≤ 11 × 260 chars).

:class:`PatternCache` keeps compiled patterns per product, keyed by the product's solutions
version (bumped by every solution change, in any process), so a change made through another
server process is seen on that process's next batch. Thread-safe.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openwer.errors import InvalidArgumentError
from openwer.formats.protocol import Solution

__all__ = [
    "MAX_PATTERN_LENGTH",
    "PatternCache",
    "PatternSolution",
    "compile_pattern",
    "first_match",
]

MAX_PATTERN_LENGTH = 500
# A group containing * or + (outside a character class, roughly) and then repeated by * + or {.
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)[*+{]")


@dataclass(frozen=True, slots=True)
class PatternSolution:
    """A compiled regex solution."""

    id: int
    pattern: re.Pattern[str]
    solution: Solution


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile an admin's solution pattern; raise ``InvalidArgumentError`` when it is refused."""
    if not pattern or len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidArgumentError(
            f"a solution pattern has 1 to {MAX_PATTERN_LENGTH} characters, not {len(pattern)}"
        )
    if _NESTED_REPEAT.search(pattern):
        raise InvalidArgumentError(
            f"solution pattern {pattern!r} repeats a repeated group (catastrophic backtracking)"
        )
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidArgumentError(f"solution pattern {pattern!r} is not a regex: {exc}") from exc


def first_match(patterns: Sequence[PatternSolution], text: str) -> Solution | None:
    """The solution of the first pattern found in ``text``, or ``None``."""
    for entry in patterns:
        if entry.pattern.search(text):
            return entry.solution
    return None


class PatternCache:
    """Compiled regex solutions per product, valid for one solutions version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[int, tuple[PatternSolution, ...]]] = {}

    def get(self, product_id: int, version: int) -> tuple[PatternSolution, ...] | None:
        """The patterns cached for ``product_id`` at ``version``, or ``None``."""
        with self._lock:
            entry = self._entries.get(product_id)
        if entry is None or entry[0] != version:
            return None
        return entry[1]

    def put(
        self, product_id: int, version: int, rows: Iterable[tuple[int, str, Solution]]
    ) -> tuple[PatternSolution, ...]:
        """Compile ``rows`` (id, pattern, solution) and cache them; return them.

        A stored pattern that no longer compiles (edited by hand) is skipped, never fatal.
        """
        compiled: list[PatternSolution] = []
        for solution_id, pattern, solution in rows:
            try:
                compiled.append(PatternSolution(solution_id, compile_pattern(pattern), solution))
            except InvalidArgumentError:
                continue
        result = tuple(compiled)
        with self._lock:
            self._entries[product_id] = (version, result)
        return result
