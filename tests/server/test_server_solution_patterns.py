"""Regex solutions limited to one event type: stored as one pattern, read back as given."""

from __future__ import annotations

import re

import pytest

from openwer.errors import InvalidArgumentError
from openwer.server.solution_patterns import scoped_pattern, split_scoped_pattern

TEXT = "PythonUnhandledException|app|1.0|parse"


@pytest.mark.parametrize(
    ("pattern", "event_type", "matches"),
    [
        (r"\|parse$", "PythonUnhandledException", True),
        (r"\|parse$", "APPCRASH", False),
        ("^app", "PythonUnhandledException", False),  # ^ is still the start of the text
        ("(?i)PARSE", "PythonUnhandledException", True),  # leading flags keep working
        ("(?x) parse  # a comment", "PythonUnhandledException", True),
        (r"(\d)\.0\|", "PythonUnhandledException", True),
        ("x|parse", "PythonUnhandledException", True),  # alternation stays inside the scope
        ("x|parse", "Python", False),
    ],
)
def test_scoped_patterns_match_like_the_pattern_within_the_event_type(
    pattern: str, event_type: str, matches: bool
) -> None:
    """The stored pattern matches iff the event type is the text's and the pattern is found;
    reading it back gives what was asked for."""
    stored = scoped_pattern(pattern, event_type)
    assert bool(re.search(stored, TEXT)) is matches
    assert split_scoped_pattern(stored) == (event_type, pattern)


def test_event_types_are_escaped() -> None:
    """An event type with regex characters is taken literally and read back."""
    stored = scoped_pattern("x", "A.B|C #1")
    assert re.search(stored, "A.B|C #1|x")
    assert not re.search(stored, "AxB|C #1|x")
    assert split_scoped_pattern(stored) == ("A.B|C #1", "x")


def test_plain_patterns_are_kept() -> None:
    """Without an event type the pattern is stored and read back unchanged."""
    assert scoped_pattern("parse", None) == "parse"
    assert split_scoped_pattern("parse") == (None, "parse")


@pytest.mark.parametrize(
    ("pattern", "event_type"),
    [("(", None), ("(a+)+", "E"), ("a" * 501, None), ("a" * 490, "E" * 20), ("", "E")],
)
def test_refused_patterns(pattern: str, event_type: str | None) -> None:
    """Not a regex, nested repeats, too long (with the event type): InvalidArgumentError."""
    with pytest.raises(InvalidArgumentError):
        scoped_pattern(pattern, event_type)
