"""Report the exceptions asyncio hands to a loop's exception handler.

Every event loop created after :func:`watch_asyncio` gets openwer's exception handler, which files
a report for ``context["exception"]`` (a task whose exception was never retrieved, a callback that
raised) and then calls the loop's default handler, so the usual log line still appears. A program
that sets its own handler with ``loop.set_exception_handler`` replaces openwer's: it handles those
exceptions itself.

Importing asyncio costs tens of milliseconds, so openwer does not import it: when asyncio is not
loaded yet, a one-shot import hook patches ``BaseEventLoop.__init__`` the moment
``asyncio.base_events`` is first imported. Never raises into the host.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

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


class _PatchingLoader:
    """Runs the real loader, then patches the module it made.

    A plain class on purpose: ``importlib.abc`` costs milliseconds to import, and the import
    system only needs these two methods.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._inner.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        try:
            _patch(module)
        except Exception:
            log.exception("openwer: could not patch asyncio")


class _AsyncioFinder:
    """Finds nothing itself; wraps the loader of ``asyncio.base_events`` once, then leaves."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _TARGET:
            return None
        _remove_finder()
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader)  # type: ignore[assignment]
        return spec


_finder = _AsyncioFinder()


def _remove_finder() -> None:
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(_finder)


def watch_asyncio(on_exception: Callable[[BaseException, dict[str, Any]], None]) -> None:
    """Give every event loop created from now on openwer's exception handler.

    Idempotent; the latest ``on_exception`` is used. Loops that exist already keep their handler.
    """
    global _on_exception
    with _lock:
        _on_exception = on_exception
        module = sys.modules.get(_TARGET)
        if module is not None:
            _patch(module)
        elif _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
