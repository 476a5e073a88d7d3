"""The hooks ``openwer.install()`` puts in place, each chaining to the one it replaced.

``sys.excepthook`` (main thread), ``threading.excepthook`` (worker threads) and
``sys.unraisablehook`` (``__del__``, finalizers). Each hook first makes the report durable, then
calls the previous hook, so the program's own behaviour (the traceback on stderr, its own
handlers) is unchanged, then finishes the report (module list, local dump, consent question,
recovery callback). A failure inside openwer is logged on the ``openwer`` logger and swallowed;
the previous hook always runs.

This module is light on purpose: it imports the report machinery only through
:class:`HookSet`'s ``sink``, which the installer loads in the background.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

__all__ = ["CrashSink", "HookSet", "install_hooks", "uninstall_hooks"]

log = logging.getLogger("openwer")

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]
ThreadHook = Callable[[threading.ExceptHookArgs], Any]
UnraisableHook = Callable[[Any], Any]


class CrashSink(Protocol):
    """Where the hooks send exceptions (the in-process reporter)."""

    def unhandled(
        self,
        exc: BaseException,
        *,
        thread: threading.Thread | None,
        context: dict[str, Any] | None = None,
    ) -> object:
        """Make a report durable; return a token for :meth:`finish`, or None to skip.

        ``thread`` is the worker thread that raised (None: the main thread or an asyncio loop);
        ``context`` is asyncio's exception context when the exception came from a loop.
        """
        ...

    def unraisable(self, exc: BaseException, *, message: str, obj_repr: str) -> object:
        """Make a non-critical report durable for an unraisable exception."""
        ...

    def finish(self, token: object, *, wait: bool) -> None:
        """Complete the report of ``token`` (now when ``wait``, else in the background)."""
        ...


@dataclass
class HookSet:
    """The hooks openwer installed and the ones they replaced (to chain and to uninstall)."""

    sink: Callable[[], CrashSink | None]
    previous_excepthook: ExceptHook
    previous_threading_hook: ThreadHook | None = None
    previous_unraisablehook: UnraisableHook | None = None
    excepthook: ExceptHook | None = None
    threading_hook: ThreadHook | None = None
    unraisablehook: UnraisableHook | None = None


def _safe_sink(hooks: HookSet) -> CrashSink | None:
    try:
        return hooks.sink()
    except Exception:
        log.exception("openwer: the crash reporter is not available")
        return None


def _make_excepthook(hooks: HookSet) -> ExceptHook:
    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        token = None
        # Ctrl-C is the user stopping the program, not a crash (WER does not report it either).
        if not issubclass(exc_type, KeyboardInterrupt):
            sink = _safe_sink(hooks)
            if sink is not None:
                try:
                    token = sink.unhandled(exc, thread=None)
                except Exception:
                    log.exception("openwer: reporting an unhandled exception failed")
        try:
            hooks.previous_excepthook(exc_type, exc, tb)
        finally:
            if token is not None:
                _finish(hooks, token, wait=True)

    return excepthook


def _make_threading_hook(hooks: HookSet) -> ThreadHook:
    def threading_hook(args: threading.ExceptHookArgs) -> None:
        token = None
        exc = args.exc_value
        if exc is not None and not issubclass(args.exc_type, SystemExit):
            sink = _safe_sink(hooks)
            if sink is not None:
                try:
                    token = sink.unhandled(exc, thread=args.thread)
                except Exception:
                    log.exception("openwer: reporting a thread's exception failed")
        try:
            previous = hooks.previous_threading_hook or threading.__excepthook__
            previous(args)
        finally:
            if token is not None:
                _finish(hooks, token, wait=False)

    return threading_hook


def _make_unraisablehook(hooks: HookSet) -> UnraisableHook:
    def unraisablehook(unraisable: Any) -> None:
        token = None
        exc = getattr(unraisable, "exc_value", None)
        if isinstance(exc, BaseException):
            sink = _safe_sink(hooks)
            if sink is not None:
                try:
                    token = sink.unraisable(
                        exc,
                        message=str(getattr(unraisable, "err_msg", None) or ""),
                        obj_repr=_short_repr(getattr(unraisable, "object", None)),
                    )
                except Exception:
                    log.exception("openwer: reporting an unraisable exception failed")
        try:
            previous = hooks.previous_unraisablehook or sys.__unraisablehook__
            previous(unraisable)
        finally:
            if token is not None:
                _finish(hooks, token, wait=False)

    return unraisablehook


def _short_repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        return f"<{type(value).__name__}: repr failed>"
    return text if len(text) <= 200 else text[:197] + "..."


def _finish(hooks: HookSet, token: object, *, wait: bool) -> None:
    sink = _safe_sink(hooks)
    if sink is None:
        return
    try:
        sink.finish(token, wait=wait)
    except Exception:
        log.exception("openwer: completing a report failed")


def install_hooks(
    sink: Callable[[], CrashSink | None], *, threads: bool, unraisable: bool
) -> HookSet:
    """Install the hooks, remembering the ones they replace; returns what was installed."""
    hooks = HookSet(sink=sink, previous_excepthook=sys.excepthook)
    hooks.excepthook = _make_excepthook(hooks)
    sys.excepthook = hooks.excepthook
    if threads:
        hooks.previous_threading_hook = threading.excepthook
        hooks.threading_hook = _make_threading_hook(hooks)
        threading.excepthook = hooks.threading_hook
    if unraisable:
        hooks.previous_unraisablehook = sys.unraisablehook
        hooks.unraisablehook = _make_unraisablehook(hooks)
        sys.unraisablehook = hooks.unraisablehook
    return hooks


def uninstall_hooks(hooks: HookSet) -> None:
    """Put back the previous hooks, where openwer's are still the ones installed."""
    if sys.excepthook is hooks.excepthook:
        sys.excepthook = hooks.previous_excepthook
    if hooks.threading_hook is not None and threading.excepthook is hooks.threading_hook:
        threading.excepthook = hooks.previous_threading_hook or threading.__excepthook__
    if hooks.unraisablehook is not None and sys.unraisablehook is hooks.unraisablehook:
        sys.unraisablehook = hooks.previous_unraisablehook or sys.__unraisablehook__
