"""kernel32's ``WerRegister*`` functions over this process's :class:`~openwer.report.Registry`.

HRESULT returns as WER documents them: ``E_INVALIDARG``, ``WER_E_LENGTH_EXCEEDED``,
``HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)`` when a table is full, ``WER_E_NOT_FOUND`` when
unregistering something unknown, ``WER_E_INVALID_STATE`` while the process is in recovery.
Thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable

from openwer.report import process_registry
from openwer.types import HResult
from openwer.werapi.translation import hresult_of

__all__ = [
    "WerRegisterAdditionalProcess",
    "WerRegisterCustomMetadata",
    "WerRegisterExcludedMemoryBlock",
    "WerRegisterFile",
    "WerRegisterMemoryBlock",
    "WerUnregisterAdditionalProcess",
    "WerUnregisterCustomMetadata",
    "WerUnregisterExcludedMemoryBlock",
    "WerUnregisterFile",
    "WerUnregisterMemoryBlock",
]


def _call(action: Callable[[], None]) -> int:
    try:
        action()
    except Exception as exc:
        return hresult_of(exc)
    return int(HResult.S_OK)


def WerRegisterFile(pwzFile: str | None, regFileType: int, dwFlags: int) -> int:
    """Collect a file with every report of this process."""
    return _call(lambda: process_registry().register_file(pwzFile or "", regFileType, dwFlags))


def WerUnregisterFile(pwzFilePath: str | None) -> int:
    """Stop collecting a file; WER_E_NOT_FOUND if it was not registered."""
    return _call(lambda: process_registry().unregister_file(pwzFilePath or ""))


def WerRegisterMemoryBlock(pvAddress: int | None, dwSize: int) -> int:
    """Add a memory block (≤ 64 KiB) to heap-or-larger dumps."""
    return _call(lambda: process_registry().register_memory_block(pvAddress or 0, dwSize))


def WerUnregisterMemoryBlock(pvAddress: int | None) -> int:
    """Remove a memory block; WER_E_NOT_FOUND if it was not registered."""
    return _call(lambda: process_registry().unregister_memory_block(pvAddress or 0))


def WerRegisterExcludedMemoryBlock(address: int | None, size: int) -> int:
    """Keep a memory block out of dumps."""
    return _call(
        lambda: process_registry().register_memory_block(address or 0, size, excluded=True)
    )


def WerUnregisterExcludedMemoryBlock(address: int | None) -> int:
    """Stop excluding a memory block."""
    return _call(lambda: process_registry().unregister_memory_block(address or 0, excluded=True))


def WerRegisterCustomMetadata(key: str | None, value: str | None) -> int:
    """Add a metadata pair to every report (at most 8)."""
    if key is None or value is None:
        return int(HResult.E_INVALIDARG)
    return _call(lambda: process_registry().register_metadata(key, value))


def WerUnregisterCustomMetadata(key: str | None) -> int:
    """Remove a metadata pair."""
    return _call(lambda: process_registry().unregister_metadata(key or ""))


def WerRegisterAdditionalProcess(processId: int, captureExtraInfoForThreadId: int = 0) -> int:
    """Dump another process with a crash of this one (at most 4)."""
    return _call(
        lambda: process_registry().register_additional_process(
            processId, captureExtraInfoForThreadId
        )
    )


def WerUnregisterAdditionalProcess(processId: int) -> int:
    """Remove an additional process."""
    return _call(lambda: process_registry().unregister_additional_process(processId))
