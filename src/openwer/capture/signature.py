"""The signature of a Python exception: docs/events.md's P0–P8, the heart of bucketing.

:func:`python_signature` is a pure, deterministic function of the exception, the configuration
and the installed files: the same bug gives the same nine values in every run, on every machine,
from every install path; two bugs give different ones. It reads code objects, module globals
and metadata folder names; it never formats a message, calls ``repr`` or reads a source file.

For an exception group the signature describes its first leaf exception (depth first): its
type is P8 and the faulting frame is searched in the leaf's traceback, then in the tracebacks of
the groups around it.

Never raises: what cannot be read degrades to docs/events.md's "unknown" values, and
:attr:`PythonSignature.problems` says what. Thread-safe.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass

from openwer.capture.application import clean_text
from openwer.capture.config import UNKNOWN_VERSION, CaptureConfig
from openwer.capture.distributions import distribution_of_module
from openwer.capture.exception_chain import (
    as_exception,
    exception_traceback,
    is_group,
    qualified_type_name,
)
from openwer.capture.frames import (
    FrameEntry,
    FrameInfo,
    FrameOrigin,
    describe_frame,
    traceback_entries,
)
from openwer.capture.source_layout import SourceLayout, current_layout
from openwer.formats.bucket_id import BucketIds, compute_bucket_ids
from openwer.types import WER_MAX_PARAM_LENGTH

__all__ = [
    "NON_FATAL_EVENT",
    "PARAMETER_NAMES",
    "UNHANDLED_EVENT",
    "UNKNOWN",
    "PythonSignature",
    "fit_parameter",
    "python_signature",
    "signature_entries",
]

UNHANDLED_EVENT = "PythonUnhandledException"
NON_FATAL_EVENT = "PythonNonFatalException"

PARAMETER_NAMES = (
    "Application Name",
    "Application Version",
    "Application Timestamp",
    "Faulting Module",
    "Faulting Module Version",
    "Faulting Module Timestamp",
    "Function",
    "Line Offset",
    "Exception Type",
)

UNKNOWN = "unknown"  # P3/P6 without a frame, as WER names an unknown fault module
_NO_TIMESTAMP = "00000000"
_MAX_GROUP_DEPTH = 100


@dataclass(frozen=True, slots=True)
class PythonSignature:
    """The nine ``(name, value)`` pairs P0–P8 in slot order and the frame they describe.

    ``faulting_frame`` is None when the exception has no traceback; ``problems`` notes what
    could not be read.
    """

    parameters: tuple[tuple[str, str], ...]
    faulting_frame: FrameInfo | None
    problems: tuple[str, ...] = ()

    @property
    def values(self) -> tuple[str, ...]:
        """The nine values, P0 first."""
        return tuple(value for _, value in self.parameters)

    def bucket_ids(self, event_type: str = UNHANDLED_EVENT) -> BucketIds:
        """The bucket ids client and server give this signature under ``event_type``."""
        return compute_bucket_ids(event_type, self.values)


def fit_parameter(value: str) -> str:
    """Make ``value`` a valid, stable parameter value.

    Control characters become ``?``; a value longer than 259 characters becomes ``sha1:`` and
    the first 32 hex digits of its SHA-1, as CLR20r3 hashes long names.
    """
    text = clean_text(value)
    if len(text) < WER_MAX_PARAM_LENGTH:
        return text
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False)
    return "sha1:" + digest.hexdigest()[:32]


def signature_entries(exc: BaseException) -> tuple[BaseException, list[FrameEntry]]:
    """Return the exception the signature describes and the frames to search, outermost first.

    That is ``exc`` itself, or for an exception group its first leaf (depth first), with the
    groups' frames before the leaf's.
    """
    current = exc
    entries = traceback_entries(exception_traceback(current))
    seen = {id(current)}
    for _ in range(_MAX_GROUP_DEPTH):
        if not is_group(current):
            break
        members = BaseExceptionGroup.__dict__["exceptions"].__get__(current)
        first = as_exception(members[0]) if type(members) is tuple and members else None
        if first is None or id(first) in seen:
            break
        seen.add(id(first))
        current = first
        entries.extend(traceback_entries(exception_traceback(current)))
    return current, entries


def _faulting_frame(
    entries: list[FrameEntry], config: CaptureConfig, layout: SourceLayout
) -> FrameInfo | None:
    innermost: FrameInfo | None = None
    for frame, line in reversed(entries):
        info = describe_frame(frame, line, config, layout)
        if innermost is None:
            innermost = info
        if info.origin is FrameOrigin.APPLICATION:
            return info
    return innermost


def _module_version(frame: FrameInfo, config: CaptureConfig) -> str:
    if frame.origin is FrameOrigin.STDLIB:
        return platform.python_version()
    found = distribution_of_module(frame.module, frame.folder)
    if found is not None:
        return found.version
    return config.app_version if frame.origin is FrameOrigin.APPLICATION else UNKNOWN_VERSION


def python_signature(
    exc: BaseException, config: CaptureConfig, *, layout: SourceLayout | None = None
) -> PythonSignature:
    """Return the signature P0–P8 of ``exc`` (docs/events.md).

    ``layout`` defaults to the current ``sys.path``'s.
    """
    problems: list[str] = []
    subject: BaseException = exc
    frame: FrameInfo | None = None
    try:
        layout = layout or current_layout()
        subject, entries = signature_entries(exc)
        frame = _faulting_frame(entries, config, layout)
    except Exception as failure:  # keep the application part and the type: still a bucket
        problems.append(f"faulting frame: {type(failure).__name__}")
    try:
        exception_type = qualified_type_name(type(subject))
    except Exception as failure:
        problems.append(f"exception type: {type(failure).__name__}")
        exception_type = UNKNOWN
    if frame is None:
        module, version, timestamp, function, offset = (
            UNKNOWN,
            UNKNOWN_VERSION,
            _NO_TIMESTAMP,
            UNKNOWN,
            0,
        )
    else:
        module, function, offset = frame.module, frame.function, frame.line_offset
        try:
            version = _module_version(frame, config)
        except Exception as failure:
            problems.append(f"module version: {type(failure).__name__}")
            version = UNKNOWN_VERSION
        is_app = frame.origin is FrameOrigin.APPLICATION
        timestamp = config.app_timestamp_hex if is_app else _NO_TIMESTAMP
    values = (
        config.app_name,
        config.app_version,
        config.app_timestamp_hex,
        module,
        version,
        timestamp,
        function,
        f"{offset:04x}",
        exception_type,
    )
    parameters = tuple(
        (name, fit_parameter(value)) for name, value in zip(PARAMETER_NAMES, values, strict=True)
    )
    return PythonSignature(parameters, frame, tuple(problems))
