"""Durable file writes: create-exclusive and fsync, replace-by-rename, directory fsync.

These are the building blocks of every "visible whole or not at all" write in openwer: write the
bytes into a name nobody reads, fsync them, ``rename`` into place, fsync the directory so the
rename itself survives a power cut. ``rename`` within one file system is atomic, so a reader sees
the old file or the new one, never a mix, even if the writer is SIGKILLed at any instant.

All functions are safe to call from any thread and from many processes at once. They raise
``OSError`` unchanged (callers translate it once, at their boundary), and never leave a partial
file under the final name.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

__all__ = [
    "copy_new_file",
    "fsync_directory",
    "rename_durably",
    "replace_file",
    "write_new_file",
]

_CHUNK = 1024 * 1024
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW


def fsync_directory(path: Path) -> None:
    """Flush the entries of directory ``path`` (new, renamed or removed names) to disk.

    Raises:
        OSError: the directory cannot be opened or synced.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_new_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Create ``path`` (which must not exist), write ``data`` and fsync it.

    The file is created with ``O_EXCL | O_NOFOLLOW``, so an existing file or a planted symlink is
    never written through. On failure the partial file is removed. The directory entry itself is
    not synced: callers publish the file (or its folder) by a rename and sync that.

    Raises:
        OSError: ``FileExistsError`` when ``path`` exists, ``ENOSPC`` on a full disk, and so on.
    """
    descriptor = os.open(path, _CREATE_FLAGS, mode)
    try:
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
        os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        _unlink_quietly(path)
        raise
    os.close(descriptor)


def copy_new_file(source: Path, destination: Path, *, mode: int = 0o600) -> int:
    """Copy ``source`` into the new file ``destination`` and fsync it; return the bytes copied.

    ``destination`` must not exist (``O_EXCL | O_NOFOLLOW``). The copy uses ``sendfile`` where the
    kernel allows it. On failure the partial destination is removed.

    Raises:
        OSError: ``FileNotFoundError`` for a missing source, ``FileExistsError`` for an existing
            destination, ``ENOSPC`` on a full disk, and so on.
    """
    source_descriptor = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        descriptor = os.open(destination, _CREATE_FLAGS, mode)
        try:
            copied = _copy_descriptor(source_descriptor, descriptor)
            os.fsync(descriptor)
        except BaseException:
            os.close(descriptor)
            _unlink_quietly(destination)
            raise
        os.close(descriptor)
    finally:
        os.close(source_descriptor)
    return copied


def _copy_descriptor(source: int, destination: int) -> int:
    copied = 0
    try:
        while True:
            sent = os.sendfile(destination, source, copied, _CHUNK)
            if sent == 0:
                return copied
            copied += sent
    except OSError as exc:
        # sendfile refuses some sources (pipes, odd file systems): fall back to read/write.
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP) or copied:
            raise
    while chunk := os.read(source, _CHUNK):
        view = memoryview(chunk)
        while view:
            written = os.write(destination, view)
            view = view[written:]
        copied += len(chunk)
    return copied


def replace_file(path: Path, data: bytes, *, temp_path: Path, mode: int = 0o600) -> None:
    """Atomically replace (or create) ``path`` with ``data``.

    The bytes go to ``temp_path`` first (a new file on the same file system, typically in a
    staging directory whose leftovers a recovery pass removes), are fsynced, renamed over ``path``,
    and the directories involved are fsynced. Readers see the old content or the new, never a mix.

    Raises:
        OSError: the write, the rename or a sync failed; ``temp_path`` is removed on failure.
    """
    write_new_file(temp_path, data, mode=mode)
    try:
        rename_durably(temp_path, path)
    except BaseException:
        _unlink_quietly(temp_path)
        raise


def rename_durably(source: Path, destination: Path) -> None:
    """``os.rename`` ``source`` to ``destination`` and fsync both parent directories.

    Renaming a directory onto an existing non-empty directory fails (``ENOTEMPTY``/``EEXIST``),
    which callers use as an atomic "does not exist yet" check.

    Raises:
        OSError: the rename failed (nothing changed) or a sync failed (the rename happened).
    """
    os.rename(source, destination)
    fsync_directory(destination.parent)
    if source.parent != destination.parent:
        fsync_directory(source.parent)


def _unlink_quietly(path: Path) -> None:
    # Best effort: the caller is already failing with the original error.
    with contextlib.suppress(OSError):
        os.unlink(path)
