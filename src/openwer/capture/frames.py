"""Python frames described the way signatures and anonymous attachments need them.

A :class:`FrameInfo` holds what is stable about a frame: its module's dotted name, the qualified
name of its function, its line and the line's offset from the function's first line, its file
relative to the ``sys.path`` folder it came from, and its *origin*: application code, a library
(an installed distribution) or the standard library, as docs/events.md defines them. Nothing in
it is an absolute path, an address or an id, except :attr:`FrameInfo.folder`, which is kept for
distribution lookups and never published.

Pure functions over frame objects; they read ``f_globals`` and code objects only (no source
files, no ``repr`` of user objects) and never raise. Thread-safe (memos are GIL-protected dicts).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from types import CodeType, FrameType, TracebackType

from openwer.capture.application import MAIN_MODULE_NAMES, main_module_name
from openwer.capture.config import CaptureConfig
from openwer.capture.distributions import distribution_of_module
from openwer.capture.source_layout import FileLocation, SourceLayout

__all__ = [
    "FrameEntry",
    "FrameInfo",
    "FrameOrigin",
    "bounded",
    "describe_frame",
    "module_of",
    "origin_of",
    "stack_entries",
    "traceback_entries",
]

# A frame and the line it was at (None when the interpreter does not know).
FrameEntry = tuple[FrameType, int | None]

_MAX_WALK = 1_000_000  # a guard against a corrupted chain: far beyond any recursion limit
_MEMO_LIMIT = 50_000


class FrameOrigin(Enum):
    """Whose code a frame runs (docs/events.md, "Faulting frame")."""

    APPLICATION = "application"
    LIBRARY = "library"
    STDLIB = "stdlib"


@dataclass(frozen=True, slots=True)
class FrameInfo:
    """One frame, described without paths, addresses or ids (except ``folder``, kept private).

    ``line`` is 0 when unknown; ``file`` is relative to ``folder`` (the ``sys.path`` folder it was
    imported from) or a pseudo file name (``<frozen runpy>``, ``<string>``).
    """

    module: str
    function: str
    line: int
    first_line: int
    file: str
    origin: FrameOrigin
    folder: str | None = None

    @property
    def line_offset(self) -> int:
        """The line's offset from the function's first line (0 when either is unknown)."""
        return max(0, self.line - self.first_line) if self.line and self.first_line else 0

    def to_json(self) -> dict[str, object]:
        """The frame as stack.json and threads.json write it (no folder: it is absolute)."""
        return {
            "module": self.module,
            "function": self.function,
            "file": self.file,
            "line": self.line,
            "line_offset": self.line_offset,
            "origin": self.origin.value,
        }


def traceback_entries(tb: TracebackType | None) -> list[FrameEntry]:
    """Return a traceback's frames with their lines, outermost first (most recent call last)."""
    entries: list[FrameEntry] = []
    while tb is not None and len(entries) < _MAX_WALK:
        entries.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return entries


def stack_entries(frame: FrameType | None) -> list[FrameEntry]:
    """Return the stack ending at ``frame``, outermost first."""
    entries: list[FrameEntry] = []
    while frame is not None and len(entries) < _MAX_WALK:
        entries.append((frame, frame.f_lineno))
        frame = frame.f_back
    entries.reverse()
    return entries


def bounded(
    entries: list[FrameEntry], limit: int, *, outer: int = 20
) -> tuple[list[FrameEntry], int]:
    """Keep at most ``limit`` entries: the ``outer`` outermost and the innermost rest.

    Returns the kept entries and how many were dropped from between them (0: none). A deep
    recursion keeps both how it started and where it ended.
    """
    if len(entries) <= limit:
        return entries, 0
    inner = limit - outer
    return entries[:outer] + entries[-inner:], len(entries) - limit


def _module_from_location(location: FileLocation) -> str:
    if location.pseudo or location.root is None:
        return location.relative
    name = location.relative.rsplit(".", 1)[0].replace("/", ".")
    return name.removesuffix(".__init__")


def module_of(globals_: dict[str, object], location: FileLocation) -> str:
    """Return the dotted module name of code running with ``globals_`` from ``location``.

    ``__main__`` is renamed as docs/events.md says (its spec's name or its file's stem); code
    whose globals have no string ``__name__`` (``exec`` with a bare dict) is named by its file.
    """
    name = dict.get(globals_, "__name__")
    if isinstance(name, str) and name:
        if name in MAIN_MODULE_NAMES:
            return main_module_name(globals_)
        return name
    return _module_from_location(location)


_origin_memo: dict[tuple[str, FileLocation, CaptureConfig], FrameOrigin] = {}


def origin_of(module: str, location: FileLocation, config: CaptureConfig) -> FrameOrigin:
    """Classify code as docs/events.md's "Faulting frame" paragraph says.

    Standard library: a frozen stdlib module or a file in the stdlib folders outside any
    ``site-packages``. Application: a module of ``config.app_packages``, a module of the
    application's own distribution, or any file outside ``site-packages``/``dist-packages``
    (scripts, a source checkout, ``<string>``). Library: everything else.
    """
    key = (module, location, config)
    known = _origin_memo.get(key)
    if known is not None:
        return known
    frozen = location.pseudo and location.relative.startswith("<frozen ")
    if location.in_stdlib or (frozen and module.split(".", 1)[0] in sys.stdlib_module_names):
        origin = FrameOrigin.STDLIB
    elif config.is_application_module(module) or not location.in_site_packages:
        origin = FrameOrigin.APPLICATION
    else:
        found = distribution_of_module(module, location.root)
        is_app = found is not None and found.normalized_name == config.app_distribution
        origin = FrameOrigin.APPLICATION if is_app else FrameOrigin.LIBRARY
    if len(_origin_memo) < _MEMO_LIMIT:
        _origin_memo[key] = origin
    return origin


def _function_name(code: CodeType) -> str:
    qualname = getattr(code, "co_qualname", None)
    if isinstance(qualname, str) and qualname:
        return qualname
    return code.co_name or "<unknown>"


def describe_frame(
    frame: FrameType, line: int | None, config: CaptureConfig, layout: SourceLayout
) -> FrameInfo:
    """Describe one frame (see :class:`FrameInfo`)."""
    code = frame.f_code
    location = layout.locate(code.co_filename)
    module = module_of(frame.f_globals, location)
    return FrameInfo(
        module=module,
        function=_function_name(code),
        line=line if isinstance(line, int) and line > 0 else 0,
        first_line=code.co_firstlineno,
        file=location.relative,
        origin=origin_of(module, location, config),
        folder=location.root,
    )
