"""Deciding, tick by tick, what is hung: one episode per hang, and when it ends.

Each :meth:`HangDetector.tick` looks at the program once (``sys._current_frames()``, the wait
registry, heartbeats, asyncio probes, CPU times) and returns the hangs that just began and the
episodes that just ended. Watched, in this order (a thread already part of an episode is not
reported again):

1. **asyncio loops** (:mod:`~openwer.capture.hang.loop_probe`): a probe overdue by the threshold;
2. **heartbeat loops** (:mod:`~openwer.capture.hang.heartbeat`): no heartbeat for the threshold;
3. **the main thread** (unless ``Hang.IgnoreMainThread``, or it heartbeats, or runs a probed
   loop): its Python stack unchanged for the threshold, sampled at least three times (and, when
   busy, by a burst of twenty quick looks), and then
   either *busy* (it used the CPU: spinning in Python or inside one C call) or *blocked* in a wait
   chain that is a hang (:meth:`~openwer.capture.hang.python_chains.PythonChain.is_hang`: a
   deadlock, or a wait longer than the threshold on a lock someone holds). A main thread that is
   merely idle — sleeping, reading input, waiting on a condition, a queue, a child process — is
   not hung;
4. **deadlocks** anywhere: threads whose tracked waits form a cycle, each wait older than the
   threshold;
5. **asyncio task cycles**: tasks awaiting each other, unchanged for the threshold.

An episode ends when its subject moves again: the main thread's stack changes, a heartbeat
arrives, the probe runs, a wait of the cycle ends. Stateful; use it from one thread (the
watchdog's). Never raises out of :meth:`tick` for a problem in one subject: that subject is
skipped and logged.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from openwer.capture.frames import FrameEntry
from openwer.capture.hang.asyncio_chains import current_task, task_chains, task_frames
from openwer.capture.hang.chain_extension import extend_chain
from openwer.capture.hang.hang_event import HangEvent, HangKind, HangSource
from openwer.capture.hang.heartbeat import (
    forget_dead_heartbeats,
    heartbeat_threads,
    last_heartbeats,
)
from openwer.capture.hang.loop_probe import LoopProbe, probed_loops
from openwer.capture.hang.program_look import (
    ProgramLook,
    SampleTrack,
    StuckPosition,
    busy_threads,
    stack_of,
)
from openwer.capture.hang.thread_sampling import (
    Activity,
    burst,
    classify,
)
from openwer.capture.hang.waits import snapshot
from openwer.capture.source_layout import current_layout
from openwer.formats.wait_chain import WaitChain

__all__ = ["Episode", "EpisodeKey", "HangDetector", "TickResult"]

log = logging.getLogger("openwer")

EpisodeKey = tuple[Hashable, ...]
"""``("main",)``, ``("heartbeat", ident)``, ``("loop", id)``, ``("deadlock", threads)``,
``("tasks", task ids)``."""

_MIN_SAMPLES = 3
_OWN_THREAD_PREFIX = "openwer-"


@dataclass
class Episode:
    """One hang from detection to its end; ``filed`` is set by whoever stores its report."""

    key: EpisodeKey
    started: float  # monotonic: when the subject stopped making progress
    threads: frozenset[int]
    marker: object  # what must change for the episode to end
    filed: object = None


@dataclass
class TickResult:
    """What one tick found: hangs that began (with their episodes) and episodes that ended."""

    began: list[tuple[HangEvent, Episode]] = field(default_factory=list)
    ended: list[Episode] = field(default_factory=list)


class HangDetector:
    """See the module docstring. ``own_ident`` is the watchdog's thread (never watched)."""

    def __init__(
        self,
        threshold_s: float,
        *,
        watch_main_thread: bool = True,
        own_ident: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold_s = threshold_s
        self.tick_s = min(1.0, max(0.01, threshold_s / 5))
        self.watch_main_thread = watch_main_thread
        self.own_ident = own_ident
        self.clock = clock
        self._main: SampleTrack | None = None
        self._silent: dict[EpisodeKey, SampleTrack] = {}
        self._episodes: dict[EpisodeKey, Episode] = {}
        self._task_cycles: dict[frozenset[int], float] = {}
        self._last_task_scan = 0.0

    # -- one tick ----------------------------------------------------------------------------
    def tick(self) -> TickResult:
        """Look once; return what began and what ended."""
        look = self._look()
        result = TickResult()
        for key, episode in list(self._episodes.items()):
            if self._has_ended(episode, look):
                del self._episodes[key]
                result.ended.append(episode)
                if key == ("main",):
                    self._main = None  # judge what it does next afresh
        probes = probed_loops()
        beats = last_heartbeats()
        for check, subjects in (
            (self._check_loop, probes),
            (self._check_heartbeat, list(beats.items())),
        ):
            for subject in subjects:
                self._guarded(check, subject, look, result)
        if self.watch_main_thread:
            busy_elsewhere = {p.ident for p in probes} | set(beats)
            self._guarded(self._check_main, busy_elsewhere, look, result)
        self._guarded(self._scan_deadlocks, None, look, result)
        if look.now - self._last_task_scan >= self.threshold_s / 2:
            self._last_task_scan = look.now
            self._guarded(self._scan_task_cycles, probes, look, result)
        return result

    def _guarded(
        self,
        check: Callable[[Any, ProgramLook, TickResult], None],
        subject: Any,
        look: ProgramLook,
        result: TickResult,
    ) -> None:
        try:
            check(subject, look, result)
        except Exception:
            log.exception("openwer: a hang check failed")

    def _look(self) -> ProgramLook:
        frames = sys._current_frames()
        threads = {t.ident: t for t in threading.enumerate() if t.ident is not None}
        own = {
            ident
            for ident, thread in threads.items()
            if ident == self.own_ident or thread.name.startswith(_OWN_THREAD_PREFIX)
        }
        if self.own_ident is not None:
            own.add(self.own_ident)
        for ident in own:
            frames.pop(ident, None)
            threads.pop(ident, None)
        waits = {k: v for k, v in snapshot().items() if k not in own}
        alive: dict[int, int | None] = dict.fromkeys(frames)
        alive.update({ident: t.native_id for ident, t in threads.items()})
        forget_dead_heartbeats(alive)
        return ProgramLook(self.clock(), frames, threads, waits)

    def _covered(self) -> set[int]:
        covered: set[int] = set()
        for episode in self._episodes.values():
            covered |= episode.threads
        return covered

    def _has_ended(self, episode: Episode, look: ProgramLook) -> bool:
        kind = episode.key[0]
        if kind == "main":
            ident = threading.main_thread().ident
            if ident is None or ident not in look.frames:
                return True
            assert isinstance(episode.marker, StuckPosition)
            return episode.marker.moved_on(look.sample(ident))
        if kind == "heartbeat":
            beat = (
                last_heartbeats().get(episode.key[1]) if isinstance(episode.key[1], int) else None
            )
            return beat is None or beat != episode.marker
        if kind == "loop":
            probe = next((p for p in probed_loops() if id(p) == episode.key[1]), None)
            return probe is None or probe.last_run != episode.marker
        if kind == "deadlock":
            assert isinstance(episode.marker, dict)
            return any(look.waits.get(t) != r for t, r in episode.marker.items())
        return False  # asyncio task cycles end in _scan_task_cycles

    # -- subjects ----------------------------------------------------------------------------
    def _silence(
        self, key: EpisodeKey, marker: object, since: float, ident: int, look: ProgramLook
    ) -> SampleTrack:
        track = self._silent.get(key)
        if track is None or track.marker != marker:
            track = self._silent[key] = SampleTrack(marker, since)
        track.samples.append(look.sample(ident))
        return track

    def _check_loop(self, probe: LoopProbe, look: ProgramLook, result: TickResult) -> None:
        key = ("loop", id(probe))
        due = probe.last_run + probe.period
        late = look.now - due
        if late <= self.tick_s:
            self._silent.pop(key, None)
            return
        track = self._silence(key, probe.last_run, due, probe.ident, look)
        if key in self._episodes or probe.ident in self._covered():
            return
        if late < self.threshold_s or len(track.samples) < 2:
            return
        details = {}
        loop = probe.loop_ref()
        current = _current_task_name(loop)
        if current:
            details["HangLoopTask"] = current
        extra = task_chains(loop, probe.native_id, current_layout()).chains if loop else ()
        self._begin(
            result,
            key,
            HangSource.ASYNCIO_LOOP,
            probe.ident,
            track,
            probe.last_run,
            look,
            extra_chains=extra,
            details=details,
        )

    def _check_heartbeat(
        self, item: tuple[int, float], look: ProgramLook, result: TickResult
    ) -> None:
        ident, beat = item
        key = ("heartbeat", ident)
        silent = look.now - beat
        if silent <= self.tick_s or ident not in look.frames:
            self._silent.pop(key, None)
            return
        track = self._silence(key, beat, beat, ident, look)
        if key in self._episodes or ident in self._covered():
            return
        if silent < self.threshold_s or len(track.samples) < 2:
            return
        known = heartbeat_threads().get(ident)
        details = {"HangHeartbeatName": known.name} if known is not None and known.name else {}
        self._begin(result, key, HangSource.HEARTBEAT, ident, track, beat, look, details=details)

    def _check_main(self, elsewhere: set[int], look: ProgramLook, result: TickResult) -> None:
        ident = threading.main_thread().ident
        frame = look.frames.get(ident) if ident is not None else None
        if ident is None or frame is None or ident in elsewhere:
            self._main = None
            return
        sample = look.sample(ident)
        track = self._main
        if track is None or track.marker != sample.stack:
            track = self._main = SampleTrack(sample.stack, look.now)
        track.samples.append(sample)
        if ("main",) in self._episodes or ident in self._covered():
            return
        if look.now - track.since < self.threshold_s or len(track.samples) < _MIN_SAMPLES:
            return
        activity, _ = classify(track.samples)
        if activity is Activity.BLOCKED:
            if ident not in look.waits:
                return  # idle: sleeping, reading, waiting for a child… not a hang
            if not look.chain(ident).is_hang(self.threshold_s):
                return
        else:
            # A few looks a tick apart may all have caught a loop that calls functions in its
            # own frame; a burst of looks tells it from one that never leaves its function.
            extra = burst(lambda: sys._current_frames().get(ident))
            if any(seen.stack != track.marker for seen in extra):
                self._main = None
                return
            track.samples.extend(extra)
        marker = StuckPosition(sample, activity)
        self._begin(result, ("main",), HangSource.MAIN_THREAD, ident, track, marker, look)

    def _scan_deadlocks(self, _: None, look: ProgramLook, result: TickResult) -> None:
        covered = self._covered()
        for ident, record in sorted(look.waits.items(), key=lambda item: item[1][3]):
            if ident in covered or look.now - record[3] < self.threshold_s:
                continue
            found = look.chain(ident)
            cycle = found.cycle_threads()
            if not cycle or not found.is_hang(self.threshold_s) or cycle & covered:
                continue
            # The cycle's oldest waiter is the hung thread (the first to block).
            first = min(cycle, key=lambda t: look.waits[t][3] if t in look.waits else look.now)
            track = SampleTrack(None, look.waits[first][3] if first in look.waits else look.now)
            marker = {t: look.waits.get(t) for t in cycle}
            self._begin(
                result, ("deadlock", cycle), HangSource.DEADLOCK, first, track, marker, look
            )
            covered |= cycle

    def _scan_task_cycles(
        self, probes: list[LoopProbe], look: ProgramLook, result: TickResult
    ) -> None:
        present: set[frozenset[int]] = set()
        for probe in probes:
            loop = probe.loop_ref()
            if loop is None:
                continue
            found = task_chains(loop, probe.native_id, current_layout())
            for chain, cycle in found.cycles:
                key = frozenset(id(task) for task in cycle)
                present.add(key)
                first_seen = self._task_cycles.setdefault(key, look.now)
                episode_key = ("tasks", key)
                if episode_key in self._episodes or look.now - first_seen < self.threshold_s:
                    continue
                stacks = tuple(_entries(task_frames(task)) for task in cycle)
                event = HangEvent(
                    HangSource.ASYNCIO_TASKS,
                    HangKind.DEADLOCK,
                    probe.ident,
                    look.now - first_seen,
                    None,
                    2,
                    (chain,),
                    stacks,
                )
                episode = Episode(episode_key, first_seen, frozenset(), key)
                self._episodes[episode_key] = episode
                result.began.append((event, episode))
        for key in list(self._task_cycles):
            if key not in present:
                del self._task_cycles[key]
                ended = self._episodes.pop(("tasks", key), None)
                if ended is not None:
                    result.ended.append(ended)

    # -- a hang begins ------------------------------------------------------------------------
    def _begin(
        self,
        result: TickResult,
        key: EpisodeKey,
        source: HangSource,
        ident: int,
        track: SampleTrack,
        marker: object,
        look: ProgramLook,
        *,
        extra_chains: tuple[WaitChain, ...] = (),
        details: dict[str, str] | None = None,
    ) -> None:
        if key[0] != "deadlock" and look.chain(ident).cycle_threads() & self._covered():
            return  # it waits on a deadlock already reported: one report per hang
        activity, ratio = classify(track.samples)
        if activity is Activity.BUSY_NATIVE:  # or a Python loop the ticks always caught at a call
            extra = burst(lambda: sys._current_frames().get(ident))
            activity, ratio = classify([*track.samples, *extra])
        if isinstance(marker, StuckPosition):
            marker.activity = activity
        busy = busy_threads(look)
        if ident not in busy and track.samples:
            busy[ident] = activity is not Activity.BLOCKED
        hung = look.chain(ident, busy)
        hung_chain = extend_chain(hung.chain)  # into other processes, when it leaves this one
        if hung_chain.is_cycle:
            kind = HangKind.DEADLOCK
        else:
            kind = {
                Activity.BLOCKED: HangKind.BLOCKED,
                Activity.BUSY_PYTHON: HangKind.BUSY_PYTHON,
                Activity.BUSY_NATIVE: HangKind.BUSY_NATIVE,
            }[activity]
        signature_threads = sorted(hung.cycle_threads()) or [ident]
        stacks = tuple(stack_of(look, t) for t in signature_threads)
        others = [look.chain(other, busy).chain for other in sorted(look.frames) if other != ident]
        chains = (hung_chain, *others, *extra_chains)
        event = HangEvent(
            source,
            kind,
            ident,
            max(0.0, look.now - track.since),
            ratio,
            len(track.samples),
            chains,
            stacks,
            dict(details or {}),
        )
        episode = Episode(key, track.since, frozenset(hung.threads) | {ident}, marker)
        self._episodes[key] = episode
        result.began.append((event, episode))
        cycle = hung.cycle_threads()
        if cycle and key[0] != "deadlock":
            # The deadlock itself outlives this subject's episode (the main thread's join may
            # time out): remember it, so the scan does not report it a second time.
            waits = {t: look.waits.get(t) for t in cycle}
            self._episodes[("deadlock", cycle)] = Episode(
                ("deadlock", cycle), track.since, cycle, waits
            )

    def finish(self) -> list[Episode]:
        """At exit: the episodes whose subject has moved on since the last tick (the main
        thread, running the exit handlers, always has)."""
        look = self._look()
        ended = [e for e in self._episodes.values() if self._has_ended(e, look)]
        for episode in ended:
            self._episodes.pop(episode.key, None)
        return ended

    def after_fork(self) -> None:
        """In a forked child: forget the parent's samples and episodes."""
        self._main = None
        self._silent.clear()
        self._episodes.clear()
        self._task_cycles.clear()


def _entries(frames: list[FrameType]) -> tuple[FrameEntry, ...]:
    return tuple((frame, frame.f_lineno) for frame in frames)


def _current_task_name(loop: Any) -> str:
    try:
        task = current_task(loop)
        return str(task.get_name()) if task is not None else ""
    except Exception:
        return ""
