"""The one place where ``OSError`` from a store's files becomes an openwer error."""

from __future__ import annotations

import errno

from openwer.errors import AccessDeniedError, OpenwerError, StoreError

__all__ = ["translate_os_error"]

_DENIED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def translate_os_error(exc: OSError, action: str) -> OpenwerError:
    """Return the openwer error for ``exc`` raised while doing ``action`` (a short phrase).

    Permission problems and read-only file systems become
    :class:`~openwer.errors.AccessDeniedError`; everything else (a full disk, I/O errors)
    :class:`~openwer.errors.StoreError`. The message names the action, the path and the cause.
    """
    where = f" ({exc.filename})" if exc.filename else ""
    cause = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        cause = "the disk is full"
    message = f"cannot {action}{where}: {cause}"
    if exc.errno in _DENIED:
        return AccessDeniedError(message)
    return StoreError(message)
