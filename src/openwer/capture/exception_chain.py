"""An exception with everything chained to it: causes, contexts and exception-group members.

:func:`walk_chain` lists them as Python prints them (an explicit ``__cause__``, else an
unsuppressed ``__context__``; the members of a ``BaseExceptionGroup``), safely: cyclic chains
are visited once, the walk is bounded, and attributes that raise when read are noted instead.
:func:`stack_document` turns the walk into ``stack.json``: per exception its qualified type name
and frames (:class:`~openwer.capture.frames.FrameInfo`), without messages, paths or addresses.
:func:`qualified_type_name` names an exception type as P8 and these documents do.

Pure functions; never raise; safe from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from types import TracebackType
from typing import cast

from openwer.capture.application import MAIN_MODULE_NAMES, main_module_name, main_namespace
from openwer.capture.config import CaptureConfig
from openwer.capture.frames import (
    FrameInfo,
    bounded,
    describe_frame,
    traceback_entries,
)
from openwer.capture.source_layout import SourceLayout

__all__ = [
    "MAX_CHAIN_LENGTH",
    "MAX_FRAMES_PER_EXCEPTION",
    "STACK_FORMAT_VERSION",
    "ChainLink",
    "Relation",
    "as_exception",
    "exception_traceback",
    "is_group",
    "qualified_type_name",
    "stack_document",
    "walk_chain",
]

STACK_FORMAT_VERSION = 1
MAX_CHAIN_LENGTH = 64  # exceptions described per report (causes, contexts, group members)
MAX_FRAMES_PER_EXCEPTION = 200  # the 20 outermost and 180 innermost frames of deeper stacks


class Relation(Enum):
    """How an exception of the chain relates to its parent."""

    ROOT = "root"
    CAUSE = "cause"  # raise ... from parent-side exception: __cause__
    CONTEXT = "context"  # raised while handling it: __context__
    MEMBER = "member"  # one of a BaseExceptionGroup's exceptions


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One exception of the chain; ``parent`` is the index of the link it hangs from."""

    exception: BaseException
    relation: Relation
    parent: int | None


def qualified_type_name(kind: type) -> str:
    """Return ``module.QualName`` of an exception type; builtins have no module.

    A type defined in ``__main__`` takes the main module's name (docs/events.md, P3), so a
    script and ``-m`` name it alike.
    """
    try:
        qualname = kind.__qualname__
        if not isinstance(qualname, str) or not qualname:
            qualname = kind.__name__
    except Exception:
        qualname = type.__dict__["__name__"].__get__(kind)
    try:
        module = kind.__module__
    except Exception:
        module = None
    if not isinstance(module, str) or module == "builtins" or not module:
        return str(qualname)
    if module in MAIN_MODULE_NAMES:
        module = main_module_name(main_namespace())
    return f"{module}.{qualname}"


def exception_traceback(exc: BaseException) -> TracebackType | None:
    """Return ``exc.__traceback__``, read past any ``__getattribute__`` the class overrides."""
    value = BaseException.__dict__["__traceback__"].__get__(exc)
    return value if isinstance(value, TracebackType) else None


def _read(exc: BaseException, name: str, notes: list[str]) -> object:
    # Read through the built-in descriptors: a class that overrides __getattribute__ (or a
    # property of the same name) cannot make the walk raise or lie.
    owner = BaseExceptionGroup if name == "exceptions" else BaseException
    try:
        return owner.__dict__[name].__get__(exc)
    except Exception as failure:
        kind = qualified_type_name(type(exc))
        notes.append(f"{kind}.{name} could not be read: {type(failure).__name__}")
        return None


def as_exception(value: object) -> BaseException | None:
    """Return ``value`` if it is an exception, else None.

    Tests ``type(value)``: ``isinstance`` falls back to ``value.__class__``, which an exception
    that overrides ``__getattribute__`` can make raise.
    """
    return cast(BaseException, value) if issubclass(type(value), BaseException) else None


def is_group(value: object) -> bool:
    """True for a ``BaseExceptionGroup`` (tested on ``type(value)``, as :func:`as_exception`)."""
    return issubclass(type(value), BaseExceptionGroup)


def _members(exc: BaseException, notes: list[str]) -> list[BaseException]:
    if not is_group(exc):
        return []
    members = _read(exc, "exceptions", notes)
    if type(members) is not tuple:
        return []
    return [m for m in map(as_exception, members) if m is not None]


def walk_chain(
    exc: BaseException, limit: int = MAX_CHAIN_LENGTH
) -> tuple[list[ChainLink], int, tuple[str, ...]]:
    """List ``exc`` and what is chained to it, depth first, ``exc`` first.

    Returns the links (at most ``limit``), how many more exceptions were left out, and notes on
    attributes that could not be read.
    """
    notes: list[str] = []
    links: list[ChainLink] = []
    seen: set[int] = set()
    pending: list[tuple[BaseException, Relation, int | None]] = [(exc, Relation.ROOT, None)]
    left_out = 0
    while pending:
        current, relation, parent = pending.pop()
        if id(current) in seen:
            continue  # a cycle (a.__context__ = b, b.__context__ = a) is walked once
        seen.add(id(current))
        if len(links) >= limit:
            left_out += 1
            continue
        index = len(links)
        links.append(ChainLink(current, relation, parent))
        children: list[tuple[BaseException, Relation, int | None]] = []
        cause = as_exception(_read(current, "__cause__", notes))
        if cause is not None:
            children.append((cause, Relation.CAUSE, index))
        elif not _read(current, "__suppress_context__", notes):
            context = as_exception(_read(current, "__context__", notes))
            if context is not None:
                children.append((context, Relation.CONTEXT, index))
        children.extend((m, Relation.MEMBER, index) for m in _members(current, notes))
        pending.extend(reversed(children))  # a stack: the first child is walked first
    return links, left_out, tuple(notes)


def _frames_json(
    tb: TracebackType | None, config: CaptureConfig, layout: SourceLayout
) -> tuple[list[dict[str, object]], int]:
    kept, omitted = bounded(traceback_entries(tb), MAX_FRAMES_PER_EXCEPTION)
    return [describe_frame(f, line, config, layout).to_json() for f, line in kept], omitted


def stack_document(
    exc: BaseException,
    config: CaptureConfig,
    layout: SourceLayout,
    faulting_frame: FrameInfo | None,
) -> tuple[dict[str, object], tuple[str, ...]]:
    """Return ``stack.json`` of ``exc`` (and notes on what could not be read).

    Shape: ``{"format": 1, "exceptions": [{"index", "type", "relation", "parent", "frames",
    "omitted_frames"}…], "omitted_exceptions", "faulting_frame"}``; frames are outermost first
    and ``omitted_frames`` counts those dropped between the outermost 20 and the innermost rest.
    """
    links, left_out, notes = walk_chain(exc)
    described: list[dict[str, object]] = []
    for index, link in enumerate(links):
        frames, omitted = _frames_json(exception_traceback(link.exception), config, layout)
        described.append(
            {
                "index": index,
                "type": qualified_type_name(type(link.exception)),
                "relation": link.relation.value,
                "parent": link.parent,
                "frames": frames,
                "omitted_frames": omitted,
            }
        )
    document: dict[str, object] = {
        "format": STACK_FORMAT_VERSION,
        "exceptions": described,
        "omitted_exceptions": left_out,
        "faulting_frame": faulting_frame.to_json() if faulting_frame is not None else None,
    }
    return document, notes
