"""What went wrong while a report was built: recorded in the report instead of raised.

House rule 4 (partial beats nothing): each collector of the capture engine runs inside
:meth:`CaptureProblems.guard`, which swallows whatever the collector raises, even a
``KeyboardInterrupt`` that lands mid-capture, and notes it, so the rest of the report is still
built. The notes become ``capture-problems.txt`` and the ``CaptureProblems`` Report.wer value.

Lifecycle: one instance per report being built; not thread-safe (one builder thread uses it).
Never raises.
"""

from __future__ import annotations

import traceback
from types import TracebackType

__all__ = ["CaptureProblems"]

_MAX_NOTES = 100
_MAX_NOTE_LENGTH = 2_000


def _describe(exc: BaseException) -> str:
    kind = type(exc).__name__
    try:
        message = str(exc)
    except Exception:
        message = "<str() failed>"
    where = ""
    try:
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        if last:
            where = f" (at {last[0].name}, {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})"
    except Exception:
        pass  # where it failed is a nicety
    return f"{kind}: {message}{where}" if message else f"{kind}{where}"


class CaptureProblems:
    """The notes of one report's capture (see the module docstring)."""

    def __init__(self) -> None:
        self._notes: list[str] = []

    @property
    def notes(self) -> tuple[str, ...]:
        """Every note, in the order they were made."""
        return tuple(self._notes)

    def __bool__(self) -> bool:
        return bool(self._notes)

    def note(self, section: str, detail: str) -> None:
        """Record that ``section`` degraded, with a one-line ``detail``."""
        if len(self._notes) < _MAX_NOTES:
            self._notes.append(f"{section}: {detail}"[:_MAX_NOTE_LENGTH].replace("\n", " "))

    def extend(self, section: str, details: tuple[str, ...]) -> None:
        """Record several details of one section."""
        for detail in details:
            self.note(section, detail)

    def guard(self, section: str) -> _Guard:
        """Return a context manager that records and swallows anything raised in ``section``."""
        return _Guard(self, section)

    def text(self) -> str:
        """The notes as ``capture-problems.txt`` holds them, one per line."""
        return "".join(f"{note}\n" for note in self._notes)

    def summary(self, limit: int = 500) -> str:
        """A one-line summary for the ``CaptureProblems`` Report.wer value."""
        sections = dict.fromkeys(note.split(":", 1)[0] for note in self._notes)
        text = f"{len(self._notes)}: " + ", ".join(sections)
        return text[:limit]


class _Guard:
    def __init__(self, problems: CaptureProblems, section: str) -> None:
        self._problems = problems
        self._section = section

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None:
            return False
        try:
            self._problems.note(self._section, _describe(exc))
        except Exception:
            self._problems.note(self._section, "failed")
        return True  # swallowed: the capture goes on without this section
