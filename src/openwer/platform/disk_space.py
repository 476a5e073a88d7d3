"""How much space a file system has left for an unprivileged writer."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["free_bytes"]


def free_bytes(path: Path) -> int:
    """Return the bytes an unprivileged process may still write on the file system of ``path``.

    Uses ``f_bavail`` (space not reserved for root), as ``df`` reports it. Thread-safe.

    Raises:
        OSError: ``path`` does not exist or the file system cannot be queried.
    """
    result = os.statvfs(path)
    return result.f_bavail * result.f_frsize
