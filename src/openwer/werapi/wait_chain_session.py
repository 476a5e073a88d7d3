"""One Wait Chain Traversal session (an ``HWCT``): synchronous, or asynchronous with a worker.

A synchronous session computes each chain on the caller's thread. An asynchronous one queues the
requests and computes them in order on a worker thread of its own, started on the first request,
handing each result to the session's callback there. :meth:`WaitChainSession.close` (what
``CloseThreadWaitChainSession`` does) cancels what is still queued, and a request being computed
when it is called ends with ``ERROR_CANCELLED`` as well; it returns only once every callback has
run, except when a callback itself closes the session (it cannot wait for itself: the worker
delivers the cancellations after that callback returns). A callback that raises is logged and
does not stop the worker. Thread-safe.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openwer.werapi.wait_chain_constants import ERROR_CANCELLED
from openwer.werapi.wait_chain_structs import WAITCHAIN_NODE_INFO

__all__ = ["ChainResult", "WaitChainCallback", "WaitChainSession"]

log = logging.getLogger("openwer")

WaitChainCallback = Callable[[int, Any, int, int, list[WAITCHAIN_NODE_INFO], bool], None]
"""``PWAITCHAINCALLBACK``: ``(WctHandle, Context, CallbackStatus, NodeCount, NodeInfoArray,
IsCycle)``."""


@dataclass(frozen=True, slots=True)
class ChainResult:
    """What ``GetThreadWaitChain`` answers: the error code, the node count (the count needed
    with ``ERROR_MORE_DATA``), the nodes and the cycle flag."""

    error: int
    node_count: int = 0
    nodes: tuple[WAITCHAIN_NODE_INFO, ...] = ()
    is_cycle: bool = False


CANCELLED = ChainResult(ERROR_CANCELLED)


@dataclass(frozen=True, slots=True)
class _Request:
    context: Any
    compute: Callable[[], ChainResult]


class WaitChainSession:
    """An open ``HWCT``; ``callback`` is set for an asynchronous session."""

    def __init__(self, handle: int, callback: WaitChainCallback | None) -> None:
        self.handle = handle
        self.callback = callback
        self._lock = threading.Lock()
        self._queue: deque[_Request] = deque()
        self._worker: threading.Thread | None = None
        self._closed = False

    @property
    def asynchronous(self) -> bool:
        """Whether results go to the callback on the session's worker thread."""
        return self.callback is not None

    def submit(self, context: Any, compute: Callable[[], ChainResult]) -> bool:
        """Queue one request of an asynchronous session; false once the session is closed."""
        with self._lock:
            if self._closed:
                return False
            self._queue.append(_Request(context, compute))
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name=f"openwer-wct-{self.handle:#x}", daemon=True
                )
                self._worker.start()
        return True

    def close(self) -> None:
        """Cancel queued and running requests and wait until their callbacks have run."""
        with self._lock:
            self._closed = True
            worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join()

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None
                    return
                request = self._queue.popleft()
                cancelled = self._closed
            result = CANCELLED if cancelled else request.compute()
            with self._lock:
                if self._closed:
                    # Closed while computing: the caller asked for no more results.
                    result = CANCELLED
            self._deliver(request.context, result)

    def _deliver(self, context: Any, result: ChainResult) -> None:
        if self.callback is None:
            return
        try:
            self.callback(
                self.handle,
                context,
                result.error,
                result.node_count,
                list(result.nodes),
                result.is_cycle,
            )
        except Exception:
            # Never break the host: a failing callback is the caller's bug, logged, not fatal.
            log.exception("openwer.werapi: wait chain callback raised")
