"""Slowing down password guessing: exponential backoff per user name and client address.

Each (name, address) pair counts its consecutive failed sign-ins. The first
:attr:`ThrottlePolicy.free_failures` cost nothing, so a typo (or two) never gets in the way of
the correct password that follows; after that, each failure makes the pair wait
``base_delay * 2**(extra failures - 1)`` seconds (capped at ``max_delay``) before the next
attempt is even checked. A success clears the pair. Keying by name *and* address means a
guesser elsewhere cannot lock a user out, and one address cannot hammer many names without each
of them backing off.

The counters live in the process (a bounded map: the oldest pairs are forgotten first, and a
pair forgets its failures ``forget_after`` seconds after the last one). Several server
processes each keep their own: the backoff still applies per process.

Thread safety: every method takes the throttle's lock; share one instance per app.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LoginThrottle", "ThrottlePolicy"]


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How failures slow down later attempts (seconds)."""

    free_failures: int = 3
    base_delay: float = 1.0
    max_delay: float = 300.0
    forget_after: float = 3600.0
    max_entries: int = 10_000

    def delay_after(self, failures: int) -> float:
        """The wait imposed after ``failures`` consecutive failures."""
        extra = failures - self.free_failures
        if extra <= 0:
            return 0.0
        return float(min(self.max_delay, self.base_delay * 2 ** min(extra - 1, 30)))


@dataclass(slots=True)
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Counts failed sign-ins per (user name, client address); see the module docstring."""

    def __init__(
        self,
        policy: ThrottlePolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy = policy or ThrottlePolicy()
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], _Failures] = OrderedDict()

    def retry_after(self, name: str, address: str) -> float:
        """Seconds to wait before this pair may try again (0: it may try now)."""
        key = _key(name, address)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return 0.0
            if now - entry.last >= self._policy.forget_after:
                del self._entries[key]
                return 0.0
            return max(0.0, entry.last + self._policy.delay_after(entry.count) - now)

    def failed(self, name: str, address: str) -> float:
        """Record a failure; return the wait it imposes on the next attempt."""
        key = _key(name, address)
        now = self._clock()
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is None or now - entry.last >= self._policy.forget_after:
                entry = _Failures(0, now)
            entry.count += 1
            entry.last = now
            self._entries[key] = entry  # most recent last: the oldest are forgotten first
            while len(self._entries) > self._policy.max_entries:
                self._entries.popitem(last=False)
            return self._policy.delay_after(entry.count)

    def succeeded(self, name: str, address: str) -> None:
        """Forget the pair's failures."""
        with self._lock:
            self._entries.pop(_key(name, address), None)


def _key(name: str, address: str) -> tuple[str, str]:
    # Names are compared as typed, but a guesser varying the case must not get fresh counters.
    return (name.strip().casefold()[:256], address)
