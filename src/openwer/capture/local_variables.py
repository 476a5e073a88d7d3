"""``locals.json``: the local variables of the frames that raised, bounded and redacted.

Collected only when consent allows data beyond the signature (the caller decides). Holds user
data: never mark it anonymous.

* Frames: the innermost :data:`MAX_FRAMES` of the exception's traceback (for a group, its first
  leaf's, as the signature), innermost first.
* Variables: at most :data:`MAX_VARIABLES` per frame, in definition order; dunder names, modules,
  classes and functions are skipped (they are code, not state).
* Values: a bounded ``repr`` (:mod:`reprlib`: nested containers cut at 3 levels and 10 items)
  cut to :data:`MAX_REPR` characters. A variable, dict key or ``name=value`` pair inside a repr
  whose *name* looks secret (:mod:`~openwer.capture.redaction`) shows ``[redacted]``; its repr is
  never even computed.
* Time: after :data:`TIME_BUDGET` seconds in all, the remaining variables are left out. A single
  ``__repr__`` that never returns cannot be interrupted: that is the price of locals.

A ``repr`` that raises yields ``<repr failed: TypeError>``. Never raises; call it from the thread
that owns the frames (the frames of a traceback no longer run, so any thread will do).
"""

from __future__ import annotations

import reprlib
import time
import types
from collections.abc import Iterator
from itertools import islice

from openwer.capture.config import CaptureConfig
from openwer.capture.frames import FrameEntry, describe_frame
from openwer.capture.redaction import REDACTED, is_secret_name, redact_text
from openwer.capture.source_layout import SourceLayout

__all__ = [
    "LOCALS_FORMAT_VERSION",
    "MAX_FRAMES",
    "MAX_REPR",
    "MAX_VARIABLES",
    "TIME_BUDGET",
    "locals_document",
    "safe_repr",
]

LOCALS_FORMAT_VERSION = 1
MAX_FRAMES = 10
MAX_VARIABLES = 40
MAX_REPR = 200
TIME_BUDGET = 0.05  # seconds for every repr of one report

_CODE_TYPES = (
    types.ModuleType,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
)


class _SafeRepr(reprlib.Repr):
    """reprlib with failures contained and secret dict values blanked."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = 10
        self.maxfrozenset = self.maxdeque = self.maxarray = 10
        self.maxstring = MAX_REPR
        self.maxlong = 60
        self.maxother = 10 * MAX_REPR  # cut after redaction, by safe_repr

    def repr1(self, x: object, level: int) -> str:
        try:
            return super().repr1(x, level)
        except Exception as failure:
            return f"<repr failed: {type(failure).__name__}>"

    def repr_dict(self, x: dict[object, object], level: int) -> str:
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        pieces = []
        for key in islice(x, self.maxdict):
            shown = REDACTED
            if not (isinstance(key, str) and is_secret_name(key)):
                shown = self.repr1(x[key], level - 1)
            pieces.append(f"{self.repr1(key, level - 1)}: {shown}")
        if len(x) > self.maxdict:
            pieces.append("...")
        return "{" + ", ".join(pieces) + "}"

    def repr_instance(self, x: object, level: int) -> str:
        # The whole repr first, so redaction sees a name=value pair before it is cut.
        return redact_text(repr(x))[: self.maxother]


_REPR = _SafeRepr()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def safe_repr(value: object, limit: int = MAX_REPR) -> str:
    """Return a bounded, redacted ``repr`` of ``value``; never raises."""
    try:
        return _cut(redact_text(_REPR.repr(value)), limit)
    except BaseException as failure:  # SystemExit from a __repr__ is contained like the rest
        return f"<repr failed: {type(failure).__name__}>"


def _variables(frame: types.FrameType) -> Iterator[tuple[str, object]]:
    for name, value in dict(frame.f_locals).items():
        if not isinstance(name, str) or (name.startswith("__") and name.endswith("__")):
            continue
        try:
            if isinstance(value, _CODE_TYPES):
                continue
        except Exception:  # a proxy whose __class__ raises: still a value worth showing
            pass
        yield name, value


def locals_document(
    entries: list[FrameEntry],
    config: CaptureConfig,
    layout: SourceLayout,
    *,
    budget: float = TIME_BUDGET,
) -> tuple[dict[str, object], tuple[str, ...]]:
    """Return ``locals.json`` for the frames ``entries`` (outermost first) and notes.

    Shape: ``{"format": 1, "frames": [{"module", "function", "file", "line", "variables":
    {name: repr}, "omitted_variables"}…], "omitted_frames", "complete"}``, innermost first;
    ``complete`` is false when the time budget ran out.
    """
    notes: list[str] = []
    deadline = time.perf_counter() + budget
    frames: list[dict[str, object]] = []
    complete = True
    chosen = list(reversed(entries))[:MAX_FRAMES]
    for frame, line in chosen:
        info = describe_frame(frame, line, config, layout).to_json()
        del info["origin"], info["line_offset"]
        shown: dict[str, str] = {}
        omitted = 0
        try:
            for name, value in _variables(frame):
                if len(shown) >= MAX_VARIABLES or not complete:
                    omitted += 1
                    continue
                shown[name] = REDACTED if is_secret_name(name) else safe_repr(value)
                if time.perf_counter() > deadline:
                    complete = False
        except Exception as failure:
            notes.append(f"locals of {info['function']}: {type(failure).__name__}")
        info["variables"] = shown
        info["omitted_variables"] = omitted
        frames.append(info)
    if not complete:
        notes.append(f"locals: the {budget * 1000:.0f} ms budget ran out; the rest left out")
    document: dict[str, object] = {
        "format": LOCALS_FORMAT_VERSION,
        "frames": frames,
        "omitted_frames": max(0, len(entries) - len(chosen)),
        "complete": complete,
    }
    return document, tuple(notes)
