"""Report the exceptions asyncio hands to a loop's exception handler.

Every event loop created after :func:`watch_asyncio` gets openwer's exception handler, which files
a report for ``context["exception"]`` (a task whose exception was never retrieved, a callback that
raised) and then calls the loop's default handler, so the usual log line still appears. A program
that sets its own handler with ``loop.set_exception_handler`` replaces openwer's: it handles those
exceptions itself.

Importing asyncio costs tens of milliseconds, so openwer does not import it: when asyncio is not
loaded yet, :func:`~openwer.capture.import_patch.patch_on_import` patches
``BaseEventLoop.__init__`` the moment ``asyncio.base_events`` is first imported. Never raises into
the host.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from openwer.capture.import_patch import patch_on_import

__all__ = ["watch_asyncio"]

log = logging.getLogger("openwer")

_TARGET = "asyncio.base_events"
_MARK = "_openwer_patched"
_lock = threading.Lock()
_on_exception: Callable[[BaseException, dict[str, Any]], None] | None = None


def _handler(loop: Any, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    if isinstance(exc, BaseException) and _on_exception is not None:
        try:
            _on_exception(exc, context)
        except Exception:  # never break the loop
            log.exception("openwer: reporting an asyncio exception failed")
    loop.default_exception_handler(context)


def _patch(module: ModuleType) -> None:
    loop_class = getattr(module, "BaseEventLoop", None)
    if loop_class is None or getattr(loop_class, _MARK, False):
        return
    original_init = loop_class.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        try:
            self.set_exception_handler(_handler)
        except Exception:
            log.exception("openwer: could not set the asyncio exception handler")

    __init__.__wrapped__ = original_init  # type: ignore[attr-defined]
    loop_class.__init__ = __init__
    setattr(loop_class, _MARK, True)


def watch_asyncio(on_exception: Callable[[BaseException, dict[str, Any]], None]) -> None:
    """Give every event loop created from now on openwer's exception handler.

    Idempotent; the latest ``on_exception`` is used. Loops that exist already keep their handler.
    """
    global _on_exception
    with _lock:
        _on_exception = on_exception
    patch_on_import(_TARGET, _patch)
