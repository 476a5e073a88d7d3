"""Opaque handles for the Win32-style API: small integers mapped to Python objects.

Handle values are never reused within a process, so a stale handle is always detected. The table
is thread-safe.
"""

from __future__ import annotations

import itertools
import threading
from typing import Generic, TypeVar

__all__ = ["HandleTable"]

T = TypeVar("T")


class HandleTable(Generic[T]):
    """Maps handle numbers to objects; 0/None is never a valid handle."""

    def __init__(self, start: int) -> None:
        self._objects: dict[int, T] = {}
        self._numbers = itertools.count(start)
        self._lock = threading.Lock()

    def add(self, item: T) -> int:
        """Register ``item`` and return its new handle."""
        with self._lock:
            handle = next(self._numbers)
            self._objects[handle] = item
            return handle

    def get(self, handle: object) -> T | None:
        """Return the object of ``handle``, or None for an unknown or closed handle."""
        if not isinstance(handle, int) or isinstance(handle, bool):
            return None
        with self._lock:
            return self._objects.get(handle)

    def remove(self, handle: object) -> T | None:
        """Forget ``handle``; return its object, or None if it was not open."""
        if not isinstance(handle, int) or isinstance(handle, bool):
            return None
        with self._lock:
            return self._objects.pop(handle, None)
