"""The one exception tree of openwer.

Every error openwer raises on purpose derives from :class:`OpenwerError`. Errors that correspond to
a WER failure carry the HRESULT WER returns in that case (``hresult``), which is how
:mod:`openwer.werapi` turns the Pythonic API's exceptions back into Win32 return codes. Foreign
exceptions (``OSError``, ``UnicodeDecodeError``, ``tomllib.TOMLDecodeError``…) are translated once,
at the boundary where they occur, with ``raise … from exc``.

::

    OpenwerError
    ├── InvalidArgumentError            E_INVALIDARG
    │   ├── LengthExceededError         WER_E_LENGTH_EXCEEDED
    │   ├── ParameterGapError           E_INVALIDARG (P0..Px must all be set)
    │   └── ReportClosedError           E_INVALIDARG (closed or unknown handle)
    ├── InvalidStateError               WER_E_INVALID_STATE
    ├── LimitReachedError               WER_E_INSUFFICIENT_BUFFER (registration tables full)
    ├── NotFoundError                   WER_E_NOT_FOUND
    │   ├── ReportNotFoundError         a store key or report folder that does not exist
    │   ├── ExclusionNotFoundError      ENVVAR_NOT_FOUND (removing an application not excluded)
    │   └── FileNotFoundForReportError  FILE_NOT_FOUND (WerReportAddFile of a missing file)
    ├── AccessDeniedError               E_ACCESSDENIED
    ├── FormatError                     bytes that are not what they claim (Report.wer, CAB, XML…)
    ├── StoreError                      a report store that cannot be used
    ├── SettingsError                   an invalid settings file or value (names file and key)
    ├── TransportError                  a transport that failed (the HTTP one comes later)
    └── TraceError                      ptrace or a process-memory read refused or failed (errno)
"""

from __future__ import annotations

from typing import ClassVar

from openwer.types import HResult

__all__ = [
    "AccessDeniedError",
    "ExclusionNotFoundError",
    "FileNotFoundForReportError",
    "FormatError",
    "InvalidArgumentError",
    "InvalidStateError",
    "LengthExceededError",
    "LimitReachedError",
    "NotFoundError",
    "OpenwerError",
    "ParameterGapError",
    "ReportClosedError",
    "ReportNotFoundError",
    "SettingsError",
    "StoreError",
    "TraceError",
    "TransportError",
]


class OpenwerError(Exception):
    """Root of every error openwer raises on purpose.

    ``hresult`` is the HRESULT the Win32 API returns for this failure (``E_FAIL`` unless a
    subclass says otherwise).
    """

    hresult: ClassVar[int] = HResult.E_FAIL


class InvalidArgumentError(OpenwerError, ValueError):
    """An argument is missing, empty or outside its documented domain."""

    hresult: ClassVar[int] = HResult.E_INVALIDARG


class LengthExceededError(InvalidArgumentError):
    """A string is longer than WER allows (parameter value, name, event name…)."""

    hresult: ClassVar[int] = HResult.WER_E_LENGTH_EXCEEDED


class ParameterGapError(InvalidArgumentError):
    """The contiguity rule is broken: Px is set but some of P0..Px-1 is not."""


class ReportClosedError(InvalidArgumentError):
    """The report was closed (or the handle never existed)."""


class InvalidStateError(OpenwerError):
    """The call is not allowed now (for example while the process is in recovery)."""

    hresult: ClassVar[int] = HResult.WER_E_INVALID_STATE


class LimitReachedError(OpenwerError):
    """A per-process table is full (registered files, metadata, additional processes)."""

    hresult: ClassVar[int] = HResult.WER_E_INSUFFICIENT_BUFFER


class NotFoundError(OpenwerError, LookupError):
    """The thing named does not exist."""

    hresult: ClassVar[int] = HResult.WER_E_NOT_FOUND


class ReportNotFoundError(NotFoundError):
    """No report with that store key, folder or path."""


class ExclusionNotFoundError(NotFoundError):
    """The application is not in the exclusion list (``WerRemoveExcludedApplication``)."""

    hresult: ClassVar[int] = HResult.ENVVAR_NOT_FOUND


class FileNotFoundForReportError(NotFoundError):
    """A file given to a report does not exist."""

    hresult: ClassVar[int] = HResult.FILE_NOT_FOUND


class AccessDeniedError(OpenwerError, PermissionError):
    """The caller may not write there (the machine store or machine settings, typically)."""

    hresult: ClassVar[int] = HResult.E_ACCESSDENIED


class FormatError(OpenwerError, ValueError):
    """Bytes that cannot be read as the format they claim to be."""


class StoreError(OpenwerError):
    """A report store that cannot be used (unwritable root, full disk…)."""


class SettingsError(OpenwerError, ValueError):
    """An invalid settings file or value; the message names the file, key and allowed values."""


class TransportError(OpenwerError):
    """A transport failed to deliver a report."""


class TraceError(OpenwerError):
    """A ptrace request, or a read of another process's memory, was refused or failed.

    ``errno`` is the system's error number (``EPERM``: not allowed to trace; ``ESRCH``: the thread
    is gone or not stopped), or 0 when there is none.
    """

    def __init__(self, message: str, errno: int = 0) -> None:
        super().__init__(message)
        self.errno = errno
