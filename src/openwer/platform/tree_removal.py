"""Remove a directory entry and everything under it without ever following a symlink."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

__all__ = ["remove_entry"]


def remove_entry(path: Path) -> None:
    """Remove ``path``: unlink a file or symlink, delete a directory tree.

    A symlink, at the top or anywhere below, is removed as a link; its target is never touched
    (``shutil.rmtree`` uses the ``openat``-based walk that resists symlink races on Linux).
    Safe from any thread; concurrent removal of the same tree is tolerated.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        OSError: something could not be removed (permissions, a busy mount point).
    """
    mode = os.lstat(path).st_mode
    if stat.S_ISDIR(mode):
        shutil.rmtree(path, onerror=_ignore_missing)
    else:
        os.unlink(path)


def _ignore_missing(
    function: object, path: str, exc_info: tuple[type[BaseException], BaseException, object]
) -> None:
    # Another remover got there first: the goal, an absent entry, is reached.
    if not isinstance(exc_info[1], FileNotFoundError):
        raise exc_info[1]
