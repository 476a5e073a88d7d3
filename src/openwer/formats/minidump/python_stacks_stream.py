"""openwer's own minidump stream 0x4F570001: the Python stacks of the crashed process.

The writer (``openwer.formats.minidump_writer``, documented in docs/native.md) stores UTF-8 JSON::

    {"format": "openwer-python-stacks", "version": 1, "source": "faulthandler" | "py-spy",
     "fatal_error": "…" | null,
     "threads": [{"ident": 140…, "thread_id": 4242 | null, "name": "…" | null, "current": true,
                  "frames": [{"file": "app.py", "line": 12 | null, "function": "crash"}]}],
     "text": "…" | null}

:func:`parse_python_stacks` reads it leniently: fields of the wrong type are dropped, and a
payload that is not that JSON raises :class:`~openwer.errors.FormatError` (the caller records
it as damage). Frames are innermost first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from openwer.errors import FormatError

__all__ = [
    "MAX_PYTHON_STACKS_BYTES",
    "OPENWER_PYTHON_STACKS_STREAM",
    "PythonStackFrame",
    "PythonStacks",
    "PythonThreadStack",
    "parse_python_stacks",
]

OPENWER_PYTHON_STACKS_STREAM: Final = 0x4F570001
MAX_PYTHON_STACKS_BYTES: Final = 16 * 1024 * 1024
_MAX_THREADS: Final = 10_000
_MAX_FRAMES: Final = 10_000


@dataclass(frozen=True, slots=True)
class PythonStackFrame:
    """One Python frame."""

    file: str
    line: int | None
    function: str


@dataclass(frozen=True, slots=True)
class PythonThreadStack:
    """One Python thread: its ``threading`` ident, OS thread id if known, name and frames."""

    ident: int | None
    thread_id: int | None
    name: str | None
    current: bool
    frames: tuple[PythonStackFrame, ...]


@dataclass(frozen=True, slots=True)
class PythonStacks:
    """The stream's content."""

    source: str | None
    fatal_error: str | None
    threads: tuple[PythonThreadStack, ...]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _frame(item: Any) -> PythonStackFrame | None:
    if not isinstance(item, dict):
        return None
    return PythonStackFrame(
        _text(item.get("file")) or "???",
        _integer(item.get("line")),
        _text(item.get("function")) or "???",
    )


def _thread(item: Any) -> PythonThreadStack | None:
    if not isinstance(item, dict):
        return None
    raw_frames = item.get("frames")
    frames = raw_frames[:_MAX_FRAMES] if isinstance(raw_frames, list) else []
    return PythonThreadStack(
        _integer(item.get("ident")),
        _integer(item.get("thread_id")),
        _text(item.get("name")),
        item.get("current") is True,
        tuple(frame for frame in map(_frame, frames) if frame is not None),
    )


def parse_python_stacks(data: bytes) -> PythonStacks:
    """Read the stream's JSON.

    Raises:
        FormatError: the payload is too large, not UTF-8 JSON, or not an object.
    """
    if len(data) > MAX_PYTHON_STACKS_BYTES:
        raise FormatError(f"{len(data)} bytes of Python stacks; at most {MAX_PYTHON_STACKS_BYTES}")
    try:
        document = json.loads(data.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"the Python stacks are not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise FormatError("the Python stacks are not a JSON object")
    raw_threads = document.get("threads")
    threads = raw_threads[:_MAX_THREADS] if isinstance(raw_threads, list) else []
    return PythonStacks(
        _text(document.get("source")),
        _text(document.get("fatal_error")),
        tuple(thread for thread in map(_thread, threads) if thread is not None),
    )
