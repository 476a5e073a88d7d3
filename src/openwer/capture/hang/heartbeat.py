"""``openwer.heartbeat()``: a loop says "I am still making progress".

Call :func:`heartbeat` once per iteration of any loop that must stay responsive (a Qt or Tk
timer, a game loop, a worker loop): from its first call on, the calling thread is watched, and
if no heartbeat arrives for the hang threshold (``Hang.ThresholdMs``, 5 s by default) the
watchdog files one ``AppHangB1`` report for it. :func:`heartbeat_pause` stops watching the thread
until its next heartbeat (before a legitimate long wait, such as a worker waiting for work). A
thread that heartbeats is judged by its heartbeats only, the main thread included.

Cheap enough for every iteration (a clock read and a dictionary write, about 0.1 µs), safe to
call before ``install()`` or with hang detection off (it only records), from any thread. Never
raises.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

__all__ = [
    "HeartbeatThread",
    "forget_dead_heartbeats",
    "heartbeat",
    "heartbeat_pause",
    "heartbeat_threads",
    "heartbeats_after_fork",
    "last_heartbeats",
]

_beats: dict[int, float] = {}  # thread ident → monotonic time of its last heartbeat
_threads: dict[int, HeartbeatThread] = {}  # thread ident → who it is
_get_ident = threading.get_ident
_monotonic = time.monotonic


class HeartbeatThread:
    """A thread that heartbeats: its native id (told apart from a later thread with the same
    ident) and the name it gave."""

    __slots__ = ("name", "native_id")

    def __init__(self, native_id: int, name: str | None) -> None:
        self.native_id = native_id
        self.name = name


def heartbeat(name: str | None = None) -> None:
    """Tell the hang watchdog that the calling thread's loop is making progress.

    ``name`` labels the loop in reports (``HangSource`` details); give it once or every time.
    """
    ident = _get_ident()
    if name is not None or ident not in _threads:
        _threads[ident] = HeartbeatThread(threading.get_native_id(), name)
    _beats[ident] = _monotonic()


def heartbeat_pause() -> None:
    """Stop watching the calling thread until it heartbeats again."""
    ident = _get_ident()
    _beats.pop(ident, None)
    _threads.pop(ident, None)


def last_heartbeats() -> dict[int, float]:
    """A copy of thread ident → monotonic time of its last heartbeat."""
    return _beats.copy()


def heartbeat_threads() -> dict[int, HeartbeatThread]:
    """A copy of thread ident → the heartbeating thread's identity."""
    return _threads.copy()


def forget_dead_heartbeats(alive: Mapping[int, int | None]) -> None:
    """Drop threads that ended: ``alive`` maps living threads' idents to native ids (or None
    when unknown); a thread whose ident was reused by a new one is dropped too."""
    for ident, known in list(_threads.items()):
        native_id = alive.get(ident, -1)
        if native_id == -1 or (native_id is not None and native_id != known.native_id):
            _beats.pop(ident, None)
            _threads.pop(ident, None)


def heartbeats_after_fork() -> None:
    """In a forked child only the forking thread lives on: keep its heartbeat only."""
    ident = _get_ident()
    beat, known = _beats.get(ident), _threads.get(ident)
    _beats.clear()
    _threads.clear()
    if beat is not None and known is not None:
        _beats[ident] = beat
        _threads[ident] = HeartbeatThread(threading.get_native_id(), known.name)
