"""Regex solutions limited to one event type, written as plain stored patterns.

A regex solution is searched in a bucket's signature text ``"<event type>|P0|P1|…"`` (see
:mod:`openwer.server.storage.solution_match`). An admin may limit it to one event type; storage
keeps only the pattern, so the limit is written into the pattern itself::

    <leading global flags>\\A(?=<escaped event type>\\|)(?s:.*?)(?:<pattern>)

which matches exactly when the text starts with ``<event type>|`` and ``<pattern>`` is found
anywhere in it (``^`` and ``\\A`` inside ``<pattern>`` still mean the start of the text, and
its group numbers are unchanged: every added group is non-capturing). Python only allows global
flags such as ``(?i)`` at the very start, so a pattern's leading flags are moved before the
prefix. :func:`split_scoped_pattern` reads such a pattern back into its event type and the
pattern the admin wrote, so answers show what was asked for.

Pure; thread-safe.
"""

from __future__ import annotations

import re

from openwer.errors import InvalidArgumentError
from openwer.server.storage.solution_match import MAX_PATTERN_LENGTH, compile_pattern

__all__ = ["scoped_pattern", "split_scoped_pattern"]

_LEADING_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))+")
_SCOPED = re.compile(
    r"((?:\(\?[aiLmsux]+\))*)"  # leading global flags
    r"\\A\(\?=((?:[^\\]|\\.)+?)\\\|\)"  # \A(?=<escaped event type>\|)
    r"\(\?s:\.\*\?\)\(\?:(.*)\)\Z",  # (?s:.*?)(?:<pattern>)
    re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def scoped_pattern(pattern: str, event_type: str | None) -> str:
    """The pattern to store for ``pattern`` limited to ``event_type`` (unchanged when ``None``).

    Raises:
        InvalidArgumentError: ``pattern`` is refused by ``compile_pattern`` (not a regex, too
            long, catastrophic backtracking), or the scoped pattern is longer than storage keeps.
    """
    compile_pattern(pattern)
    if event_type is None:
        return pattern
    flags = _LEADING_FLAGS.match(pattern)
    lead = flags.group(0) if flags else ""
    rest = pattern[len(lead) :]
    # In verbose mode a trailing "# comment" would swallow the closing parenthesis.
    end = "\n)" if "x" in lead else ")"
    scoped = f"{lead}\\A(?={re.escape(event_type)}\\|)(?s:.*?)(?:{rest}{end}"
    if len(scoped) > MAX_PATTERN_LENGTH:
        raise InvalidArgumentError(
            f"the pattern limited to event type {event_type!r} is {len(scoped)} characters;"
            f" the limit is {MAX_PATTERN_LENGTH}"
        )
    compile_pattern(scoped)
    return scoped


def split_scoped_pattern(stored: str) -> tuple[str | None, str]:
    """The event type and pattern :func:`scoped_pattern` was given; ``(None, stored)`` for a
    pattern without an event type."""
    found = _SCOPED.match(stored)
    if found is None:
        return None, stored
    lead, escaped, rest = found.groups()
    if "x" in lead:
        rest = rest.removesuffix("\n")
    return _ESCAPE.sub(r"\1", escaped), lead + rest
