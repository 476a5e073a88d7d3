"""``concurrent.futures``: a thread blocked in ``Future.result()`` waits for the thread running it.

With tracking on, ``Future.result`` and ``Future.exception`` record the future as what the
calling thread waits for, and a ``ThreadPoolExecutor`` worker that starts running a future
notes its ``Thread`` as the runner (``_openwer_runner``). The wait chain then goes from the waiting
thread through the future to the worker and on to whatever the worker waits for: the classic
executor deadlock (a task waiting for a task queued behind it, or for a lock its submitter
holds) shows as a cycle. Futures run elsewhere (``ProcessPoolExecutor``) have no runner thread.

Applied when the program imports ``concurrent.futures`` (never imported for this); undone by
:func:`untrack_futures`. Never raises anything ``Future`` would not.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import ModuleType
from typing import Any

from openwer.capture.hang.waits import begin_wait, caller_site, end_wait
from openwer.capture.import_patch import patch_on_import

__all__ = ["RUNNER_ATTRIBUTE", "track_futures", "untrack_futures"]

log = logging.getLogger("openwer")

RUNNER_ATTRIBUTE = "_openwer_runner"
_TARGET = "concurrent.futures._base"
_WORKER_MODULE = "concurrent.futures.thread"
_originals: dict[str, Any] = {}
_patched: list[Any] = []


def _patch(module: ModuleType) -> None:
    future_class: Any = getattr(module, "Future", None)
    if future_class is None or _originals:
        return
    result, exception = future_class.result, future_class.exception
    set_running = future_class.set_running_or_notify_cancel

    def tracked_result(self: Any, timeout: float | None = None) -> Any:
        code, lasti = caller_site(1)
        previous = begin_wait(self, code, lasti)
        try:
            return result(self, timeout)
        finally:
            end_wait(previous)

    def tracked_exception(self: Any, timeout: float | None = None) -> Any:
        code, lasti = caller_site(1)
        previous = begin_wait(self, code, lasti)
        try:
            return exception(self, timeout)
        finally:
            end_wait(previous)

    def tracked_set_running(self: Any) -> bool:
        running: bool = set_running(self)
        if running and sys._getframe(1).f_globals.get("__name__") == _WORKER_MODULE:
            setattr(self, RUNNER_ATTRIBUTE, threading.current_thread())
        return running

    replacements: tuple[tuple[str, Any, Any], ...] = (
        ("result", result, tracked_result),
        ("exception", exception, tracked_exception),
        ("set_running_or_notify_cancel", set_running, tracked_set_running),
    )
    for name, original, replacement in replacements:
        replacement.__doc__ = original.__doc__
        replacement.__wrapped__ = original
        _originals[name] = original
        setattr(future_class, name, replacement)
    _patched.append(future_class)


def track_futures() -> None:
    """Track futures from now on (once ``concurrent.futures`` is imported)."""
    patch_on_import(_TARGET, _patch)


def untrack_futures() -> None:
    """Put ``Future``'s methods back."""
    for future_class in _patched:
        for name, original in _originals.items():
            try:
                setattr(future_class, name, original)
            except Exception:
                log.exception("openwer: could not restore Future.%s", name)
    _patched.clear()
    _originals.clear()
