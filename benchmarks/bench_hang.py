"""What hang detection costs a program: the watchdog on a CPU-bound workload, and lock tracking.

Figures, each measured side by side in one run, none asserted:

* **watchdog overhead**: a CPU-bound workload (pure Python, a function call per iteration, about
  a second) in this process, alternating rounds without a watchdog, with one at the default 5 s
  threshold (a look per second) and at 0.5 s (ten looks per second); the best round of each (the
  machine's noise only ever adds time);
* **lock tracking**: ``with lock: pass`` and ``lock.acquire(); lock.release()`` on an untracked
  ``_thread`` lock / ``RLock`` against openwer's tracked ones, and a ``queue.Queue`` put + get
  made with tracking off and on, in this process, interleaved rounds, best round per variant;
  nanoseconds per pair and the ratio;
* one watchdog look (:meth:`HangDetector.tick` with nine threads, nothing hung) in microseconds,
  hence the share of a core the watchdog takes at one and at ten looks per second;
* ``openwer.heartbeat()`` per call.

Run: ``.venv/bin/python benchmarks/bench_hang.py [--rounds N]``.
"""

from __future__ import annotations

import _thread
import argparse
import threading
import time
from collections.abc import Callable
from typing import Any

from openwer.capture.hang.hang_detector import HangDetector
from openwer.capture.hang.heartbeat import heartbeat
from openwer.capture.hang.tracked_locks import TrackedLock, TrackedRLock
from openwer.capture.hang.watchdog import Watchdog


def _step(value: int) -> int:
    return (value * 31 + 7) % 1000003


def _workload(iterations: int = 15_000_000) -> float:
    """Seconds a CPU-bound loop (a function call per iteration) takes."""
    value = 1
    started = time.perf_counter()
    for _ in range(iterations):
        value = _step(value)
    return time.perf_counter() - started


def watchdog_overhead(rounds: int) -> dict[str, float]:
    """Best workload seconds with no watchdog and with one at a 5 s and a 0.5 s threshold,
    interleaved in this process (the watchdog files nothing: its reporter is absent)."""
    variants: dict[str, float | None] = {"no watchdog": None, "5 s": 5.0, "0.5 s": 0.5}
    times: dict[str, list[float]] = {name: [] for name in variants}
    _workload()  # warm up
    for _ in range(rounds):
        for name, threshold in variants.items():
            watchdog = None if threshold is None else Watchdog(threshold, lambda: None)
            if watchdog is not None:
                watchdog.start()
                time.sleep(0.05)
            try:
                times[name].append(_workload())
            finally:
                if watchdog is not None:
                    watchdog.stop()
    return {name: min(values) for name, values in times.items()}


def tick_cost(ticks: int = 2000) -> float:
    """Microseconds one watchdog look takes (threads sampled, waits scanned), nothing hung."""
    detector = HangDetector(5.0)
    workers = [threading.Thread(target=time.sleep, args=(3,), daemon=True) for _ in range(8)]
    for worker in workers:
        worker.start()
    started = time.perf_counter()
    for _ in range(ticks):
        detector.tick()
    return (time.perf_counter() - started) / ticks * 1e6


def _pair_with(lock: Any, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        with lock:
            pass
    return (time.perf_counter() - started) / n * 1e9


def _pair_calls(lock: Any, n: int) -> float:
    acquire, release = lock.acquire, lock.release
    started = time.perf_counter()
    for _ in range(n):
        acquire()
        release()
    return (time.perf_counter() - started) / n * 1e9


def _queue_pairs(tracked: bool, n: int) -> float:
    """Nanoseconds per queue.Queue put + get (its mutex and conditions tracked or not)."""
    import queue

    from openwer.capture.hang.lock_tracking import install_lock_tracking, uninstall_lock_tracking

    if tracked:
        install_lock_tracking()
    try:
        channel: queue.Queue[int] = queue.Queue()
    finally:
        uninstall_lock_tracking()
    put, get = channel.put, channel.get
    started = time.perf_counter()
    for item in range(n):
        put(item)
        get()
    return (time.perf_counter() - started) / n * 1e9


def _empty(n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        pass
    return (time.perf_counter() - started) / n * 1e9


def lock_costs(rounds: int, n: int = 300_000) -> dict[str, float]:
    """Best nanoseconds per acquire/release pair (the empty loop's cost taken off)."""
    variants: dict[str, Callable[[], float]] = {
        "Lock with": lambda: _pair_with(_thread.allocate_lock(), n),
        "TrackedLock with": lambda: _pair_with(TrackedLock(), n),
        "Lock acquire/release": lambda: _pair_calls(_thread.allocate_lock(), n),
        "TrackedLock acquire/release": lambda: _pair_calls(TrackedLock(), n),
        "RLock with": lambda: _pair_with(_thread.RLock(), n),
        "TrackedRLock with": lambda: _pair_with(TrackedRLock(), n),
        "queue.Queue put+get": lambda: _queue_pairs(False, n // 4),
        "tracked queue.Queue put+get": lambda: _queue_pairs(True, n // 4),
    }
    best = {name: float("inf") for name in variants}
    for _ in range(rounds):
        for name, measure in variants.items():
            best[name] = min(best[name], measure() - _empty(n))
    return best


def heartbeat_cost(n: int = 500_000) -> float:
    """Nanoseconds per openwer.heartbeat() call (best of 5)."""
    results = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(n):
            heartbeat()
        results.append((time.perf_counter() - started) / n * 1e9 - _empty(n))
    return min(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    best = watchdog_overhead(args.rounds)
    base = best["no watchdog"]
    print("CPU-bound workload (best of rounds):")
    for name, value in best.items():
        print(f"  {name:12s} {value * 1000:8.1f} ms   {100 * (value - base) / base:+6.2f} %")
    look = tick_cost()
    print(
        f"one watchdog look (9 threads): {look:.0f} us = {look / 1e4:.4f} % of a core at one "
        f"look per second (5 s threshold), {look / 1e3:.3f} % at ten (0.5 s)"
    )

    costs = lock_costs(args.rounds)
    print("Lock acquire/release pair (best round, ns, empty loop subtracted):")
    pairs = (
        ("Lock with", "TrackedLock with"),
        ("Lock acquire/release", "TrackedLock acquire/release"),
        ("RLock with", "TrackedRLock with"),
        ("queue.Queue put+get", "tracked queue.Queue put+get"),
    )
    for raw, tracked in pairs:
        added = costs[tracked] - costs[raw]
        ratio = costs[tracked] / costs[raw]
        print(
            f"  {raw:22s} {costs[raw]:6.0f} ns   tracked {costs[tracked]:6.0f} ns   "
            f"+{added:5.0f} ns  x{ratio:.2f}"
        )
    beat = heartbeat_cost()
    print(f"openwer.heartbeat(): {beat:.0f} ns per call")

    default = 100 * (best["5 s"] - base) / base
    fast = 100 * (best["0.5 s"] - base) / base
    lock_added = costs["TrackedLock with"] - costs["Lock with"]
    print(
        f"SUMMARY watchdog overhead {default:+.2f} % (5 s threshold), {fast:+.2f} % (0.5 s) on a "
        f"CPU-bound workload, one look {look:.0f} us; tracked Lock with-block "
        f"{costs['TrackedLock with']:.0f} ns vs {costs['Lock with']:.0f} ns untracked "
        f"(+{lock_added:.0f} ns, "
        f"x{costs['TrackedLock with'] / costs['Lock with']:.2f}); heartbeat {beat:.0f} ns"
    )


if __name__ == "__main__":
    main()
