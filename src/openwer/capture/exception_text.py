"""``traceback.txt``: the traceback exactly as Python prints it, chained causes and groups included.

:func:`render_traceback` uses the :mod:`traceback` module (``TracebackException``), so the text
is what ``sys.excepthook`` writes to stderr: ``raise … from …`` causes, implicit contexts,
``ExceptionGroup`` trees (at most 15 members per group and 10 levels, Python's own defaults),
``__notes__`` and the "Did you mean" suggestions. It holds messages, which may be personal data:
never mark it anonymous.

Bounds, so that a pathological exception cannot stall a dying process: a traceback deeper than
1,000 frames keeps its innermost 1,000 (a line says how many were left out), and the text is cut
to 1 MiB. If the :mod:`traceback` module itself fails (an exception whose attributes raise
something other than what it guards against), a plain rendering of the frames and the type name
takes its place and the failure is reported.

Never raises; thread-safe (reads source lines through :mod:`linecache`, which is).
"""

from __future__ import annotations

import traceback

from openwer.capture.exception_chain import exception_traceback, qualified_type_name
from openwer.capture.frames import traceback_entries

__all__ = ["MAX_TEXT_BYTES", "MAX_TRACEBACK_FRAMES", "render_traceback"]

MAX_TRACEBACK_FRAMES = 1_000
MAX_TEXT_BYTES = 1024 * 1024
_HEAD_BYTES = 256 * 1024  # of a cut text, the start (where the chain begins) and the rest from
# the end (the exception that went unhandled)


def _depth(exc: BaseException, stop: int) -> int:
    count = 0
    tb = exception_traceback(exc)
    while tb is not None and count <= stop:
        count += 1
        tb = tb.tb_next
    return count


def _fallback(exc: BaseException) -> str:
    lines = ["Traceback (most recent call last):\n"]
    entries = traceback_entries(exception_traceback(exc))[-MAX_TRACEBACK_FRAMES:]
    for frame, line in entries:
        code = frame.f_code
        name = getattr(code, "co_qualname", code.co_name)
        lines.append(f'  File "{code.co_filename}", line {line}, in {name}\n')
    lines.append(f"{qualified_type_name(type(exc))}: <the message could not be rendered>\n")
    return "".join(lines)


def _bounded_bytes(text: str) -> tuple[bytes, bool]:
    data = text.encode("utf-8", "backslashreplace")
    if len(data) <= MAX_TEXT_BYTES:
        return data, False
    marker = f"\n[openwer: {len(data) - MAX_TEXT_BYTES} bytes of the traceback left out]\n"
    tail = MAX_TEXT_BYTES - _HEAD_BYTES
    return data[:_HEAD_BYTES] + marker.encode() + data[-tail:], True


def render_traceback(exc: BaseException) -> tuple[bytes, tuple[str, ...]]:
    """Return ``traceback.txt`` (UTF-8) for ``exc`` and notes on what degraded."""
    notes: list[str] = []
    try:
        depth = _depth(exc, MAX_TRACEBACK_FRAMES)
        limit = -MAX_TRACEBACK_FRAMES if depth > MAX_TRACEBACK_FRAMES else None
        rendered = traceback.TracebackException(
            type(exc), exc, exception_traceback(exc), limit=limit, compact=True
        )
        text = "".join(rendered.format())
        if limit is not None:
            total = len(traceback_entries(exception_traceback(exc)))
            omitted = total - MAX_TRACEBACK_FRAMES
            text = f"[openwer: the {omitted} outermost frames are left out]\n" + text
            notes.append(f"{omitted} outermost frames left out of a {total}-frame traceback")
    except BaseException as failure:  # even SystemExit from a hostile __str__ must not escape
        notes.append(f"the traceback module failed ({type(failure).__name__}); plain rendering")
        try:
            text = _fallback(exc)
        except Exception as second:
            notes.append(f"plain rendering failed too ({type(second).__name__})")
            text = "<the traceback could not be rendered>\n"
    data, cut = _bounded_bytes(text)
    if cut:
        notes.append("the traceback text was cut to 1 MiB")
    return data, tuple(notes)
