"""Turning the Pythonic API's exceptions into the HRESULTs the Win32 API returns."""

from __future__ import annotations

import logging

from openwer.errors import OpenwerError
from openwer.types import HResult

__all__ = ["hresult_of"]

log = logging.getLogger("openwer")


def hresult_of(exc: BaseException) -> int:
    """Return the HRESULT WER gives for ``exc`` (``E_FAIL`` for anything unforeseen)."""
    if isinstance(exc, OpenwerError):
        return int(exc.hresult)
    if isinstance(exc, MemoryError):
        return int(HResult.E_OUTOFMEMORY)
    if isinstance(exc, PermissionError):
        return int(HResult.E_ACCESSDENIED)
    if isinstance(exc, FileNotFoundError):
        return int(HResult.FILE_NOT_FOUND)
    log.warning("openwer.werapi: unexpected %s translated to E_FAIL", type(exc).__name__)
    return int(HResult.E_FAIL)
