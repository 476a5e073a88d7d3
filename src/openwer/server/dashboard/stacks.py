"""The stacks of a report, read from its bundle: Python exceptions and threads, native frames.

The client writes (docs/events.md) ``stack.json`` (every exception of the chain with its frames
and the faulting frame), ``threads.json`` (the Python stack of every thread) and
``traceback.txt`` (the traceback as Python prints it). Native frames come from the bundle's
minidump (an APPCRASH or hang report's ``minidump.mdmp``), walked here without symbols (the
server has no binaries: frame pointers and stack scanning, bounded; ``openwer analyze`` with
``--symbols`` does better offline); a bundle may also carry ``native-stacks.json``
(``{"threads": [{"name", "crashed", "frames": [{"module", "function", "offset", "file",
"line"}]}]}``), which is preferred when present. The page lists the dump files either way.

Everything here reads data that came from the network: documents are bounded (200 exceptions or
threads, 500 frames each, 8 MiB per file), wrong types are skipped, and a document that does not
parse yields nothing rather than an error. Pure; thread-safe.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from openwer.server.dashboard.stored_bundles import StoredBundle

__all__ = ["Frame", "NativeThread", "PythonException", "PythonThread", "ReportStacks", "stacks_of"]

_MAX_ITEMS = 200
_MAX_FRAMES = 500
_MAX_FILE = 8 * 1024 * 1024
_MAX_TEXT = 400
_MAX_TRACEBACK = 256 * 1024
_DUMP_SUFFIXES = (".mdmp", ".dmp", ".hdmp")
_MAX_DUMP = 16 * 1024 * 1024  # a bigger (heap/full) dump is left to `openwer analyze`
_MAX_NATIVE_THREADS = 32
# Without symbols the walk falls back to scanning, whose frames grow less certain the deeper
# they go: the top of the stack is what a reader needs here.
_NATIVE_FRAMES = 24

log = logging.getLogger("openwer.server.dashboard")


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame, outermost first in its stack. ``origin`` is ``application``, ``library``,
    ``stdlib`` or ``native``; ``faulting`` marks the frame the signature names; ``found_by`` is how
    a native frame was found (``context``, ``frame_pointer``, ``scan``…)."""

    module: str
    function: str
    file: str
    line: int | None
    origin: str
    faulting: bool = False
    found_by: str = ""


@dataclass(frozen=True, slots=True)
class PythonException:
    """One exception of the chain and how it hangs from its parent."""

    index: int
    type: str
    relation: str
    parent: int | None
    frames: tuple[Frame, ...]
    omitted_frames: int


@dataclass(frozen=True, slots=True)
class PythonThread:
    """One thread's Python stack at capture time."""

    name: str
    main: bool
    crashed: bool
    daemon: bool
    frames: tuple[Frame, ...]
    omitted_frames: int


@dataclass(frozen=True, slots=True)
class NativeThread:
    """One thread's native frames."""

    name: str
    crashed: bool
    frames: tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class ReportStacks:
    """What a bundle says about where the program was."""

    exceptions: tuple[PythonException, ...]
    threads: tuple[PythonThread, ...]
    traceback: str | None
    native_threads: tuple[NativeThread, ...]
    dump_files: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """True when the bundle holds no stack at all."""
        return not (self.exceptions or self.threads or self.traceback or self.native_threads)


def _document(bundle: StoredBundle, name: str) -> dict[str, Any] | None:
    member = bundle.file(name)
    if member is None or len(member.data) > _MAX_FILE:
        return None
    try:
        loaded = json.loads(member.data.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _text(value: Any, default: str = "") -> str:
    return value[:_MAX_TEXT] if isinstance(value, str) else default


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _items(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value[:_MAX_ITEMS] if isinstance(item, dict)]


def _frame(raw: dict[str, Any], faulting: tuple[str, str, int | None] | None) -> Frame:
    module, function = _text(raw.get("module"), "?"), _text(raw.get("function"), "?")
    line = _int(raw.get("line"))
    return Frame(
        module=module,
        function=function,
        file=_text(raw.get("file")),
        line=line,
        origin=_text(raw.get("origin"), "unknown"),
        faulting=faulting == (module, function, line),
    )


def _frames(value: Any, faulting: tuple[str, str, int | None] | None = None) -> tuple[Frame, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(_frame(f, faulting) for f in value[:_MAX_FRAMES] if isinstance(f, dict))


def _faulting(document: dict[str, Any]) -> tuple[str, str, int | None] | None:
    raw = document.get("faulting_frame")
    if not isinstance(raw, dict):
        return None
    return (_text(raw.get("module"), "?"), _text(raw.get("function"), "?"), _int(raw.get("line")))


def _exceptions(bundle: StoredBundle) -> tuple[PythonException, ...]:
    document = _document(bundle, "stack.json")
    if document is None:
        return ()
    faulting = _faulting(document)
    found = []
    for position, raw in enumerate(_items(document.get("exceptions"))):
        index = _int(raw.get("index"))
        found.append(
            PythonException(
                index=position if index is None else index,
                type=_text(raw.get("type"), "?"),
                relation=_text(raw.get("relation"), "root"),
                parent=_int(raw.get("parent")),
                frames=_frames(raw.get("frames"), faulting),
                omitted_frames=_int(raw.get("omitted_frames")) or 0,
            )
        )
    return tuple(found)


def _threads(bundle: StoredBundle) -> tuple[PythonThread, ...]:
    document = _document(bundle, "threads.json")
    if document is None:
        return ()
    threads = [
        PythonThread(
            name=_text(raw.get("name"), "(unnamed)"),
            main=raw.get("main") is True,
            crashed=raw.get("crashed") is True,
            daemon=raw.get("daemon") is True,
            frames=_frames(raw.get("frames")),
            omitted_frames=_int(raw.get("omitted_frames")) or 0,
        )
        for raw in _items(document.get("threads"))
    ]
    threads.sort(key=lambda t: (not t.crashed, not t.main, t.name))  # the crashed thread first
    return tuple(threads)


def _native(bundle: StoredBundle) -> tuple[NativeThread, ...]:
    document = _document(bundle, "native-stacks.json")
    if document is None:
        return _walked_minidump(bundle)
    threads = []
    for raw in _items(document.get("threads")):
        frames = tuple(
            Frame(
                module=_text(f.get("module"), "?"),
                function=_text(f.get("function"))
                or (f"+{f['offset']:#x}" if _int(f.get("offset")) is not None else "?"),
                file=_text(f.get("file")),
                line=_int(f.get("line")),
                origin="native",
            )
            for f in _items(raw.get("frames"))[:_MAX_FRAMES]
        )
        threads.append(
            NativeThread(_text(raw.get("name"), "(unnamed)"), raw.get("crashed") is True, frames)
        )
    return tuple(threads)


def _walked_minidump(bundle: StoredBundle) -> tuple[NativeThread, ...]:
    """The bundle's minidump walked without symbols; crashed thread first. Never raises."""
    dump_file = next(
        (f for f in bundle.files if f.name.casefold().endswith((".mdmp", ".dmp"))), None
    )
    if dump_file is None or len(dump_file.data) > _MAX_DUMP:
        return ()
    from openwer.analysis.analysis_document import analysis_document
    from openwer.analysis.crash_analysis import analyze_minidump
    from openwer.analysis.stack_walker import WalkLimits
    from openwer.formats.minidump import parse_minidump

    limits = WalkLimits(max_frames=_NATIVE_FRAMES, max_total_frames=2_000)
    try:
        document = analysis_document(analyze_minidump(parse_minidump(dump_file.data), None, limits))
    except Exception as exc:  # bytes from the network: a page never fails on them
        log.info("minidump %s not walked: %s", dump_file.name, exc)
        return ()
    threads = []
    for raw in _items(document.get("threads"))[:_MAX_NATIVE_THREADS]:
        frames = tuple(
            Frame(
                module=_text(f.get("module"), "?"),
                function=_text(f.get("function")) or _offset(f.get("module_offset")),
                file="",
                line=None,
                origin="native",
                found_by=_text(f.get("trust")),
            )
            # innermost first in the dump; pages list stacks outermost first
            for f in reversed(_items(raw.get("frames"))[:_NATIVE_FRAMES])
        )
        name = _text(raw.get("name")) or f"thread {_int(raw.get('id'))}"
        threads.append(NativeThread(name, raw.get("crashed") is True, frames))
    threads.sort(key=lambda t: not t.crashed)
    return tuple(threads)


def _offset(value: Any) -> str:
    offset = _int(value)
    return "?" if offset is None else f"+{offset:#x}"


def _traceback(bundle: StoredBundle) -> str | None:
    member = bundle.file("traceback.txt")
    if member is None:
        return None
    text = member.data[:_MAX_TRACEBACK].decode("utf-8", "replace")
    return text + ("\n…" if len(member.data) > _MAX_TRACEBACK else "")


def stacks_of(bundle: StoredBundle) -> ReportStacks:
    """Every stack the bundle holds (see the module docstring)."""
    return ReportStacks(
        exceptions=_exceptions(bundle),
        threads=_threads(bundle),
        traceback=_traceback(bundle),
        native_threads=_native(bundle),
        dump_files=tuple(
            f.name for f in bundle.files if f.name.casefold().endswith(_DUMP_SUFFIXES)
        ),
    )
