"""``threads.json``: the Python stack of every thread at the moment of the capture.

Frames only (:class:`~openwer.capture.frames.FrameInfo`: module, function, relative file, line):
no locals, no thread idents (a pthread ident is an address), so the file is anonymous. Threads
are listed main thread first, then in the order :mod:`threading` knows them, then threads
started outside :mod:`threading`. Each says whether it is the thread doing the capture
(``current``; its innermost ``openwer.*`` frames, the capture machinery itself, are left out) and
whether it is the one that crashed (``crashed``). openwer's own threads (named ``openwer-…``)
are left out unless they are the capturing or the crashed one.

Bounded: at most :data:`MAX_THREADS` threads and :data:`MAX_FRAMES_PER_THREAD` frames each (the
20 outermost and the innermost rest). Reads ``sys._current_frames()``, which CPython makes safe
from any thread; other threads keep running while their frames are described, so a stack is a
snapshot of each frame's current line, as ``faulthandler`` and ``py-spy`` give. Never raises.
"""

from __future__ import annotations

import sys
import threading

from openwer.capture.application import clean_text
from openwer.capture.config import CaptureConfig
from openwer.capture.frames import FrameEntry, bounded, describe_frame, stack_entries
from openwer.capture.source_layout import SourceLayout

__all__ = [
    "MAX_FRAMES_PER_THREAD",
    "MAX_THREADS",
    "THREADS_FORMAT_VERSION",
    "thread_stacks_document",
]

THREADS_FORMAT_VERSION = 1
MAX_THREADS = 100
MAX_FRAMES_PER_THREAD = 200
_MAX_NAME = 100
_OWN_PREFIX = "openwer."
_OWN_THREAD_PREFIX = "openwer-"


def _trim_capture_frames(
    entries: list[FrameEntry], config: CaptureConfig, layout: SourceLayout
) -> list[FrameEntry]:
    end = len(entries)
    while end > 0:
        frame, line = entries[end - 1]
        if not describe_frame(frame, line, config, layout).module.startswith(_OWN_PREFIX):
            break
        end -= 1
    return entries[:end]


def _is_own(thread: threading.Thread | None) -> bool:
    return thread is not None and thread.name.startswith(_OWN_THREAD_PREFIX)


def thread_stacks_document(
    config: CaptureConfig,
    layout: SourceLayout,
    *,
    crashed: threading.Thread | None = None,
) -> tuple[dict[str, object], tuple[str, ...]]:
    """Return ``threads.json`` (and notes on threads that could not be described).

    Shape: ``{"format": 1, "threads": [{"name", "main", "current", "crashed", "daemon",
    "native_id", "frames", "omitted_frames"}…], "omitted_threads"}``; frames outermost first.
    """
    notes: list[str] = []
    frames_by_ident = sys._current_frames()
    known = {t.ident: t for t in threading.enumerate() if t.ident is not None}
    main_ident = threading.main_thread().ident
    current_ident = threading.get_ident()
    crashed_ident = crashed.ident if crashed is not None else None
    order = [main_ident, *known, *frames_by_ident]
    threads: list[dict[str, object]] = []
    seen: set[int] = set()
    for ident in order:
        if ident is None or ident in seen or ident not in frames_by_ident:
            continue
        seen.add(ident)
        if len(threads) >= MAX_THREADS:
            continue
        thread = known.get(ident)
        if _is_own(thread) and ident not in (current_ident, crashed_ident):
            continue  # openwer's own workers (upload, warm-up, watchdog) are not the program's
        try:
            entries = stack_entries(frames_by_ident[ident])
            if ident == current_ident:
                entries = _trim_capture_frames(entries, config, layout)
            kept, omitted = bounded(entries, MAX_FRAMES_PER_THREAD)
            frames = [describe_frame(f, line, config, layout).to_json() for f, line in kept]
        except Exception as failure:
            notes.append(f"a thread's stack could not be described: {type(failure).__name__}")
            frames, omitted = [], 0
        threads.append(
            {
                "name": clean_text(thread.name)[:_MAX_NAME] if thread is not None else None,
                "main": ident == main_ident,
                "current": ident == current_ident,
                "crashed": ident == crashed_ident,
                "daemon": thread.daemon if thread is not None else None,
                "native_id": thread.native_id if thread is not None else None,
                "frames": frames,
                "omitted_frames": omitted,
            }
        )
    document: dict[str, object] = {
        "format": THREADS_FORMAT_VERSION,
        "threads": threads,
        "omitted_threads": max(0, len(seen) - len(threads)),
    }
    return document, tuple(notes)
