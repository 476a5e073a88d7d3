"""Waiting for a server the benchmarks started (``openwer serve``, Bugsink) to answer HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

__all__ = ["wait_until_answering"]


def wait_until_answering(
    answers: Callable[[], bool], gone: Callable[[], bool], interval: float, limit: float = 60
) -> bool:
    """Ask ``answers()`` every ``interval`` seconds until it says yes (True), or the server is
    ``gone()`` or ``limit`` seconds have passed (False). An HTTP error means "not yet": the
    server may not be listening yet."""
    deadline = time.monotonic() + limit
    while True:
        try:
            if answers():
                return True
        except httpx.HTTPError:
            pass
        if gone() or time.monotonic() > deadline:
            return False
        time.sleep(interval)
