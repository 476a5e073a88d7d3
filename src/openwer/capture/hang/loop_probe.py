"""The asyncio lag probe: does each running event loop still get to run its callbacks in time?

While hang detection is on, every ``asyncio`` event loop (``BaseEventLoop`` and its subclasses:
the selector loops of Linux and macOS) that enters ``run_forever`` (which ``asyncio.run`` and
``run_until_complete`` use) schedules a tiny callback every *period* (a quarter of the hang
threshold). Each run notes the time; the watchdog reads it, and a loop whose probe is overdue by
the threshold is hung: some callback or coroutine step is blocking it. Idle loops are fine: the
probe wakes them on time. Loops of other implementations (uvloop) are not probed.

``asyncio`` is never imported for this: :func:`watch_loops` (at ``install()``) patches
``run_forever`` when the program imports ``asyncio`` itself
(:func:`~openwer.capture.import_patch.patch_on_import`), and notes a loop already running in
the calling thread; loops are registered from then on, and probed once :func:`start_loop_probes`
(the watchdog) says so.

Thread safety: a probe state is written by its loop's thread and read by the watchdog under the
GIL; registration is one dictionary operation. Never raises into the loop.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import weakref
from types import ModuleType
from typing import Any

from openwer.capture.import_patch import patch_on_import

__all__ = [
    "LoopProbe",
    "loop_probes_after_fork",
    "probed_loops",
    "start_loop_probes",
    "stop_loop_probes",
    "watch_loops",
]

log = logging.getLogger("openwer")

_TARGET = "asyncio.base_events"
_MARK = "_openwer_probed"
_probes: dict[int, LoopProbe] = {}  # id(loop) → probe, while the loop runs
_period = 1.25
_enabled = False


class LoopProbe:
    """One running loop: its thread, and when the probe last ran (``time.monotonic()``)."""

    __slots__ = ("handle", "ident", "last_run", "loop_ref", "native_id")

    def __init__(self, loop: Any) -> None:
        self.loop_ref: weakref.ref[Any] = weakref.ref(loop)
        self.ident = threading.get_ident()
        self.native_id = threading.get_native_id()
        self.last_run = time.monotonic()
        self.handle: Any = None

    @property
    def period(self) -> float:
        """Seconds between two probe runs."""
        return _period


def _probe(probe: LoopProbe) -> None:
    probe.last_run = time.monotonic()
    loop = probe.loop_ref()
    if loop is not None and _enabled and _probes.get(id(loop)) is probe:
        probe.handle = loop.call_later(_period, _probe, probe)


def _begin(loop: Any) -> LoopProbe | None:
    try:
        probe = LoopProbe(loop)
        if _enabled:
            probe.handle = loop.call_soon(_probe, probe)
    except Exception:  # a closed or running loop: run_forever is about to say so itself
        return None
    _probes[id(loop)] = probe
    return probe


def _end(loop: Any, probe: LoopProbe | None) -> None:
    if probe is None:
        return
    if _probes.get(id(loop)) is probe:
        del _probes[id(loop)]
    handle = probe.handle
    if handle is not None:
        try:
            handle.cancel()
        except Exception:
            log.exception("openwer: could not cancel the asyncio hang probe")


def _patch(module: ModuleType) -> None:
    loop_class = getattr(module, "BaseEventLoop", None)
    if loop_class is None or getattr(loop_class, _MARK, False):
        return
    original = loop_class.run_forever

    def run_forever(self: Any) -> None:
        probe = _begin(self)
        try:
            original(self)
        finally:
            _end(self, probe)

    run_forever.__wrapped__ = original  # type: ignore[attr-defined]
    run_forever.__doc__ = original.__doc__
    loop_class.run_forever = run_forever
    setattr(loop_class, _MARK, True)


def watch_loops() -> None:
    """Register every loop that runs from now on, and one running in this thread already."""
    patch_on_import(_TARGET, _patch)
    events = sys.modules.get("asyncio.events")
    running = getattr(events, "_get_running_loop", None)
    loop = running() if callable(running) else None
    if loop is not None and id(loop) not in _probes:
        _probes[id(loop)] = LoopProbe(loop)


def start_loop_probes(period_s: float) -> None:
    """Probe every registered loop every ``period_s`` seconds, from now on."""
    global _period, _enabled
    _period = period_s
    _enabled = True
    watch_loops()
    for probe in list(_probes.values()):
        loop = probe.loop_ref()
        if loop is None or probe.handle is not None:
            continue
        probe.last_run = time.monotonic()
        try:
            probe.handle = loop.call_soon_threadsafe(_probe, probe)
        except Exception:  # closed meanwhile
            _probes.pop(id(loop), None)


def stop_loop_probes() -> None:
    """Stop probing (running loops drop their probe at its next run)."""
    global _enabled
    _enabled = False
    _probes.clear()


def probed_loops() -> list[LoopProbe]:
    """The loops being probed now (running loops only)."""
    found = []
    for key, probe in list(_probes.items()):
        loop = probe.loop_ref()
        if loop is None:
            _probes.pop(key, None)
        elif probe.handle is not None and loop.is_running():
            found.append(probe)
    return found


def loop_probes_after_fork() -> None:
    """In a forked child: only a loop of the forking thread can still be running."""
    ident = threading.get_ident()
    for key, probe in list(_probes.items()):
        if probe.ident != ident:
            _probes.pop(key, None)
