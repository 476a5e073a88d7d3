"""``openwer.install()``: one call that turns every unhandled Python failure into a report.

Lifecycle: the first call installs the hooks (``sys.excepthook``, ``threading.excepthook``,
``sys.unraisablehook``, an asyncio exception handler for loops created afterwards, a watch on
``multiprocessing`` workers, an atexit flush), turns on lock owner tracking for hang detection
(docs/hangs.md) and starts loading the report machinery on a background thread, which then starts
the hang watchdog, so the call itself stays cheap; later calls only update the configuration.
:func:`uninstall` puts the previous hooks back. After ``fork()`` the child gets its own reporter
state (fresh locks, nothing pending), and a report finished in the parent is never written again.

Failure contract: misconfiguration (an invalid application name…) raises at ``install()``;
everything after that is logged on the ``openwer`` logger and swallowed — openwer never breaks the
host program. ``OPENWER_DISABLE_CAPTURE=1`` turns ``install()`` into a no-op;
``OPENWER_APP_NAME`` and ``OPENWER_APP_VERSION`` supply the names a call leaves out. Everything
else (consent, local dumps, exclusions, the server) comes from the settings files.

``native=True`` also protects the process against native crashes (segmentation faults in C
extensions, ``abort()``…): a crash handler process waits beside it and, at crash time only,
attaches and writes an APPCRASH report with a minidump and every thread's Python stack
(:mod:`openwer.native.crash_client`, docs/native.md). Off by default.

Thread safety: ``install()``, ``uninstall()`` and ``report_exception()`` may be called from any
thread.
"""

from __future__ import annotations

import _imp
import atexit
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openwer.capture.asyncio_hook import watch_asyncio
from openwer.capture.hooks import CrashSink, HookSet, install_hooks, uninstall_hooks
from openwer.capture.multiprocessing_hook import patch_after_fork, watch_multiprocessing

if TYPE_CHECKING:
    from openwer.capture.reporter import CrashReporter

__all__ = [
    "Installation",
    "current_reporter",
    "install",
    "installation",
    "report_exception",
    "uninstall",
    "wait_until_ready",
]

log = logging.getLogger("openwer")

_lock = threading.RLock()
_state: _State | None = None


@dataclass(frozen=True, slots=True)
class Installation:
    """What ``install()`` put in place."""

    app_name: str | None
    app_version: str | None
    threads: bool
    asyncio: bool
    unraisable: bool
    multiprocessing: bool
    native: bool = False
    hangs: bool = True


@dataclass
class _State:
    installation: Installation
    options: dict[str, Any]
    hooks: HookSet
    reporter: CrashReporter | None = None
    ready: threading.Event | None = None
    pid: int = 0


def _reporter() -> CrashSink | None:
    """The reporter, loading it now if the background warm-up has not finished."""
    state = _state
    if state is None:
        return None
    if state.reporter is None or state.pid != os.getpid():
        _load_reporter(state)
    return state.reporter


def _load_reporter(state: _State) -> None:
    # Lock order: the import lock, then ours (the warm-up thread takes them in this order too).
    _imp.acquire_lock()
    try:
        _load_reporter_locked(state)
    finally:
        _imp.release_lock()


def _load_reporter_locked(state: _State) -> None:
    with _lock:
        if state.reporter is not None and state.pid == os.getpid():
            return
        from openwer.capture.config import CaptureConfig
        from openwer.capture.reporter import CrashReporter

        options = state.options
        config = CaptureConfig.resolve(
            app_name=options["app_name"],
            app_version=options["app_version"],
            app_timestamp=options["app_timestamp"],
            app_packages=options["app_packages"],
        )
        state.reporter = CrashReporter(config)
        state.pid = os.getpid()


def _warm_up(state: _State) -> None:
    # Python's per-module import locks deadlock (or hand out half-initialised modules) when two
    # threads import a package and one of its submodules at once. Holding the global import lock
    # makes the warm-up one atomic import: other threads' imports simply wait for it (~0.1 s).
    _imp.acquire_lock()
    try:
        _load_reporter(state)
        if state.reporter is not None:
            state.reporter.warm_up()
            if state.installation.hangs:
                from openwer.capture.hang.control import start_hang_detection

                start_hang_detection(current_reporter)
    except Exception:
        log.exception("openwer: loading the crash reporter failed")
    finally:
        _imp.release_lock()
        if state.ready is not None:
            state.ready.set()


def install(
    app_name: str | None = None,
    app_version: str | None = None,
    *,
    app_timestamp: int | None = None,
    app_packages: Sequence[str] = (),
    threads: bool = True,
    asyncio: bool = True,
    unraisable: bool = True,
    multiprocessing: bool = True,
    native: bool = False,
    hangs: bool = True,
) -> Installation | None:
    """Report every unhandled exception of this program; idempotent and cheap.

    Args:
        app_name: The application's name (P0); default: ``OPENWER_APP_NAME``, else the script's
            name or ``-m`` module.
        app_version: Its version (P1); default: ``OPENWER_APP_VERSION``, else the version of
            the distribution of that name.
        app_timestamp: Its build time in Unix seconds (P2), if known.
        app_packages: Module prefixes that are application code even when installed in
            site-packages (they decide the faulting frame).
        threads, asyncio, unraisable, multiprocessing: which sources to watch.
        hangs: Detect hangs and track lock owners (docs/hangs.md; ``Hang.*`` settings apply).
        native: Also capture native crashes (SIGSEGV, SIGABRT…) with a minidump, through a
            crash handler process that attaches only when the process crashes. Skipped when a
            tracer already holds the process (``openwer run`` captures it then).

    Returns:
        What was installed, or None when ``OPENWER_DISABLE_CAPTURE=1``.

    Raises:
        InvalidArgumentError: an invalid application name, version or package name.
    """
    global _state
    if os.environ.get("OPENWER_DISABLE_CAPTURE", "") not in ("", "0"):
        return None
    # The environment fills what the call leaves out (handy for wrappers and containers).
    if app_name is None:
        app_name = os.environ.get("OPENWER_APP_NAME") or None
    if app_version is None:
        app_version = os.environ.get("OPENWER_APP_VERSION") or None
    _check_options(app_name, app_version, app_timestamp, app_packages)
    options: dict[str, Any] = {
        "app_name": app_name,
        "app_version": app_version,
        "app_timestamp": app_timestamp,
        "app_packages": tuple(app_packages),
    }
    installation = Installation(
        app_name, app_version, threads, asyncio, unraisable, multiprocessing, native, hangs
    )
    if hangs:
        # Imported before taking _lock: an import may wait for an earlier warm-up thread, which
        # holds the import lock and may be waiting for _lock.
        from openwer.capture.hang.control import begin_lock_tracking
    with _lock:
        if _state is not None:
            _state.options = options
            _state.installation = installation
            _state.reporter = None  # rebuilt with the new configuration
            _start_warm_up(_state)
        else:
            hooks = install_hooks(_reporter, threads=threads, unraisable=unraisable)
            _state = _State(installation, options, hooks, pid=os.getpid())
            if asyncio:
                watch_asyncio(_on_asyncio_exception)
            if multiprocessing:
                watch_multiprocessing(_on_worker_exception)
            if hangs:
                begin_lock_tracking()
            atexit.register(_flush_at_exit)
            _start_warm_up(_state)
    if native:  # outside the lock: the warm-up thread takes the import lock, then ours
        _protect_natively(app_name, app_version)
    return installation


def _protect_natively(app_name: str | None, app_version: str | None) -> None:
    """Start the native crash handler (names as P0/P1 of the Python reports); never raises."""
    try:
        import sys

        from openwer.capture.application import (
            application_path,
            default_app_name,
            main_namespace,
        )
        from openwer.native.crash_client import protect

        name = app_name or default_app_name(sys.argv, main_namespace())
        protect(name, app_version or "0.0.0.0", application_path(sys.argv))
    except Exception:
        log.exception("openwer: native crash protection failed")


def _check_options(
    app_name: str | None,
    app_version: str | None,
    app_timestamp: int | None,
    app_packages: Sequence[str],
) -> None:
    """Refuse what can never make a valid signature (cheap checks; defaults come later)."""
    from openwer.errors import InvalidArgumentError

    for label, value in (("app_name", app_name), ("app_version", app_version)):
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise InvalidArgumentError(f"{label} must be a non-empty string")
        if len(value) >= 260 or any(ch in value for ch in "\r\n\0"):
            raise InvalidArgumentError(f"{label} must be one line under 260 characters")
    if app_timestamp is not None and (
        not isinstance(app_timestamp, int) or not 0 <= app_timestamp <= 0xFFFFFFFF
    ):
        raise InvalidArgumentError("app_timestamp must be Unix seconds that fit 32 bits")
    if isinstance(app_packages, str):
        raise InvalidArgumentError("app_packages must be a sequence of module names, not a str")
    for package in app_packages:
        if not isinstance(package, str) or not all(
            part.isidentifier() for part in package.split(".")
        ):
            raise InvalidArgumentError(f"app_packages: {package!r} is not a module name")


def _start_warm_up(state: _State) -> None:
    state.ready = threading.Event()
    thread = threading.Thread(target=_warm_up, args=(state,), name="openwer-warm-up", daemon=True)
    thread.start()


def _on_asyncio_exception(exc: BaseException, context: dict[str, Any]) -> None:
    sink = _reporter()
    if sink is not None:
        token = sink.unhandled(exc, thread=None, context=context)
        if token is not None:
            sink.finish(token, wait=False)


def _on_worker_exception(exc: BaseException) -> None:
    sink = _reporter()
    if sink is not None:
        token = sink.unhandled(exc, thread=None)
        if token is not None:
            sink.finish(token, wait=True)  # the worker process ends right after


def report_exception(exc: BaseException | None = None, *, wait: bool = False) -> str | None:
    """File a non-critical report (``PythonNonFatalException``) for a handled exception.

    ``exc`` defaults to the exception being handled (``sys.exception()``). Works whether or not
    :func:`install` was called (without it, the application is named as by default). Returns the
    report's store key, or None when nothing was stored (disabled, excluded, no exception, or
    openwer failed — which is logged, never raised).
    """
    import sys

    target = exc if exc is not None else sys.exc_info()[1]
    if target is None:
        return None
    try:
        sink = _reporter()
        if sink is None:
            install()
            sink = _reporter()
        if sink is None:
            return None
        from openwer.capture.reporter import CrashReporter

        assert isinstance(sink, CrashReporter)
        return sink.report_handled(target, wait=wait)
    except Exception:
        log.exception("openwer: report_exception failed")
        return None


def wait_until_ready(timeout_s: float | None = None) -> bool:
    """Wait until the background warm-up has loaded the reporter; False on timeout.

    Not needed for correctness (a crash before then loads it on the spot); benchmarks and tests
    use it to measure the warm path.
    """
    state = _state
    if state is None or state.ready is None:
        return False
    return state.ready.wait(timeout_s)


def current_reporter() -> CrashReporter | None:
    """The reporter the hooks use (loaded on demand), for diagnostics and benchmarks."""
    sink = _reporter()
    from openwer.capture.reporter import CrashReporter

    return sink if isinstance(sink, CrashReporter) else None


def installation() -> Installation | None:
    """What :func:`install` put in place, or None."""
    state = _state
    return None if state is None else state.installation


def uninstall() -> None:
    """Put back the hooks openwer replaced (loops that exist keep their handler)."""
    global _state
    with _lock:
        if _state is None:
            return
        hangs = _state.installation.hangs
        uninstall_hooks(_state.hooks)
        if _state.installation.native:
            from openwer.native.crash_client import unprotect

            unprotect()
        try:
            atexit.unregister(_flush_at_exit)
        finally:
            _state = None
    if hangs:
        # Outside _lock: stopping waits for the watchdog thread, which may need _lock to load
        # the reporter. (Loaded by install(): this import takes no lock.)
        from openwer.capture.hang.control import stop_hang_detection

        stop_hang_detection()


def _flush_at_exit() -> None:
    state = _state
    if state is None or state.pid != os.getpid() or state.reporter is None:
        return
    try:
        state.reporter.flush(timeout_s=2.0)
    except Exception:
        log.exception("openwer: finishing reports at exit failed")


def _before_fork() -> None:
    # A fork while the warm-up thread is importing would leave the child waiting forever on a
    # module lock owned by a thread that does not exist there: let the warm-up finish first.
    state = _state
    if state is None or state.ready is None or state.ready.is_set():
        return
    if threading.current_thread().name == "openwer-warm-up":
        return
    state.ready.wait(10.0)


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.RLock()  # the parent may have held it at fork time
    state = _state
    if state is None:
        return
    if state.reporter is not None:
        state.reporter.after_fork()
    state.pid = os.getpid()
    patch_after_fork()
    if state.installation.hangs:
        from openwer.capture.hang.control import hang_detection_after_fork

        hang_detection_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
