"""The report being built: WER's ``HREPORT`` as a Python object.

Lifecycle: create a :class:`Report` (``WerReportCreate``), set parameters, UI strings and files,
then :meth:`Report.submit` it (``WerReportSubmit``) any number of times, and :meth:`Report.close`
it (``WerReportCloseHandle``); a closed report raises :class:`ReportClosedError` on every call.
Use it as a context manager to close it automatically.

Failure contract: every method validates its arguments with WER's rules and raises a typed
:class:`~openwer.errors.OpenwerError` whose ``hresult`` is what WER returns in that case.
Thread-safe: one lock guards the report's state.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from openwer.errors import (
    FileNotFoundForReportError,
    InvalidArgumentError,
    LengthExceededError,
    ReportClosedError,
)
from openwer.report.information import ReportInformation
from openwer.report.parameters import Parameter, validate_event_type, validate_parameter
from openwer.store import StoreScope
from openwer.types import (
    MAX_PATH,
    WER_MAX_DESCRIPTION_LENGTH,
    WER_MAX_SIGNATURE_NAME_LENGTH,
    Consent,
    FileFlags,
    FileType,
    ReportType,
    SubmitFlags,
    SubmitResult,
    UIOption,
)

if TYPE_CHECKING:
    from openwer.report.context import ReportContext

__all__ = ["Report", "ReportContent", "ReportFile"]

_MAX_UI_TEXT = WER_MAX_DESCRIPTION_LENGTH


@dataclass(frozen=True, slots=True)
class ReportFile:
    """A file attached to a report: from disk (``source``) or made in memory (``data``).

    ``name`` is the file's name in the report folder and the bundle (``File[n].CabName``).
    """

    name: str
    file_type: FileType
    flags: FileFlags
    source: Path | None = None
    data: bytes | None = None

    @property
    def is_anonymous(self) -> bool:
        """True when the file is marked as free of personal data (``WER_FILE_ANONYMOUS_DATA``)."""
        return bool(self.flags & FileFlags.ANONYMOUS_DATA)


@dataclass(frozen=True, slots=True)
class ReportContent:
    """A consistent, immutable snapshot of a report's content."""

    report_id: uuid.UUID
    event_type: str
    report_type: int
    information: ReportInformation
    parameters: tuple[Parameter, ...]
    dynamic_signature: tuple[tuple[int, str, str], ...]
    ui: tuple[tuple[int, str], ...]
    files: tuple[ReportFile, ...]
    extra: tuple[tuple[str, str], ...]


class Report:
    """A report under construction, then submitted to the local store and the server."""

    def __init__(
        self,
        event_type: str,
        report_type: ReportType | int = ReportType.NON_CRITICAL,
        information: ReportInformation | None = None,
    ) -> None:
        """Create a report (``WerReportCreate``).

        ``report_type`` is not validated, as on Windows (Wine-verified: any value succeeds).

        Raises:
            InvalidArgumentError: empty event type.
            LengthExceededError: event type longer than 64 characters.
        """
        self._event_type = validate_event_type(event_type)
        self._report_type = int(report_type)
        self._information = information or ReportInformation()
        self._report_id = uuid.uuid4()
        self._parameters: dict[int, Parameter] = {}
        self._dynamic: dict[int, tuple[str, str]] = {}
        self._ui: dict[int, str] = {}
        self._files: list[ReportFile] = []
        self._extra: dict[str, str] = {}
        self._closed = False
        self._stored: tuple[StoreScope, str] | None = None
        self._lock = threading.RLock()

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> Report:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._closed:
            self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ReportClosedError("the report is closed")

    # -- properties ------------------------------------------------------------------------
    @property
    def event_type(self) -> str:
        """The event type name (``APPCRASH``, ``PythonUnhandledException``…)."""
        return self._event_type

    @property
    def report_type(self) -> int:
        """The ``WER_REPORT_TYPE`` number given at creation."""
        return self._report_type

    @property
    def report_id(self) -> uuid.UUID:
        """The report's GUID (``ReportIdentifier``), fixed at creation."""
        return self._report_id

    @property
    def information(self) -> ReportInformation:
        """The ``WER_REPORT_INFORMATION`` given at creation (or empty defaults)."""
        return self._information

    @property
    def stored_key(self) -> str | None:
        """The store key of the report's folder after a submission stored it, else None."""
        return self._stored[1] if self._stored else None

    @property
    def stored_scope(self) -> StoreScope | None:
        """Which store the last submission put the report in, else None."""
        return self._stored[0] if self._stored else None

    def remember_stored(self, scope: StoreScope, key: str) -> None:
        """Record where a submission stored the report (called by the submission)."""
        with self._lock:
            self._stored = (scope, key)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The signature parameters set so far, by slot."""
        with self._lock:
            return tuple(self._parameters[i] for i in sorted(self._parameters))

    # -- building --------------------------------------------------------------------------
    def set_parameter(self, index: int, value: str, name: str | None = None) -> None:
        """Set signature parameter ``index`` (``WerReportSetParameter``); the name defaults to P<n>.

        Raises:
            ReportClosedError, InvalidArgumentError, LengthExceededError: as WER.
        """
        parameter = validate_parameter(index, value, name)
        with self._lock:
            self._check_open()
            self._parameters[index] = parameter

    def set_dynamic_parameter(self, index: int, name: str, value: str) -> None:
        """Set a ``DynamicSig[index]`` entry: context that does not change the bucket.

        Indices 1 and 2 are filled by openwer (OS version, locale) unless set here.

        Raises:
            InvalidArgumentError: a negative index.
            LengthExceededError: value of 260 characters or more, name over 128.
        """
        if index < 0:
            raise InvalidArgumentError("dynamic signature indices start at 0")
        if len(value) >= MAX_PATH or len(name) > WER_MAX_SIGNATURE_NAME_LENGTH:
            raise LengthExceededError("dynamic signature entries follow the parameter limits")
        with self._lock:
            self._check_open()
            self._dynamic[index] = (name, value)

    def set_ui_option(self, option: UIOption | int, value: str) -> None:
        """Replace one UI string (``WerReportSetUIOption``), kept as ``UI[n]``.

        Raises:
            InvalidArgumentError: an option outside 1..10 or an empty value.
            LengthExceededError: a value longer than 512 characters.
        """
        try:
            ui_option = UIOption(option)
        except ValueError as exc:
            raise InvalidArgumentError(f"invalid UI option {option}") from exc
        if ui_option is UIOption.MAX:
            raise InvalidArgumentError("WerUIMax is not a UI option")
        if not value:
            raise InvalidArgumentError("a UI string must not be empty")
        if len(value) > _MAX_UI_TEXT:
            raise LengthExceededError(f"UI strings may be at most {_MAX_UI_TEXT} characters")
        with self._lock:
            self._check_open()
            self._ui[int(ui_option)] = value

    def add_file(
        self,
        path: str | os.PathLike[str],
        file_type: FileType | int,
        flags: FileFlags | int = FileFlags.NONE,
    ) -> None:
        """Attach a file from disk (``WerReportAddFile``); it is copied when the report is stored.

        Environment variables and ``~`` in the path are expanded. Only the low 16 bits of
        ``flags`` are kept, as WER keeps them.

        Raises:
            InvalidArgumentError: empty path or a file type outside 1..10.
            LengthExceededError: a path longer than MAX_PATH (260).
            FileNotFoundForReportError: the file does not exist (``ERROR_FILE_NOT_FOUND``).
        """
        text = os.fspath(path)
        if not text:
            raise InvalidArgumentError("the file path must not be empty")
        expanded = os.path.expandvars(os.path.expanduser(text))
        if len(expanded) > MAX_PATH:
            raise LengthExceededError(f"the path is {len(expanded)} characters; WER allows 260")
        kind = _file_type(file_type)
        source = Path(expanded).absolute()
        if not source.is_file():
            raise FileNotFoundForReportError(f"{source} does not exist")
        with self._lock:
            self._check_open()
            self._files.append(
                ReportFile(self._unique_name(source.name), kind, _file_flags(flags), source=source)
            )

    def add_file_bytes(
        self,
        name: str,
        data: bytes,
        file_type: FileType | int = FileType.OTHER,
        flags: FileFlags | int = FileFlags.NONE,
    ) -> None:
        """Attach a file made in memory (a traceback, a JSON document) under ``name``.

        Raises:
            InvalidArgumentError: a name that is empty, has a path separator or is ``.``/``..``.
        """
        if not name or "/" in name or "\\" in name or "\0" in name or name in (".", ".."):
            raise InvalidArgumentError(f"invalid file name {name!r}")
        kind = _file_type(file_type)
        with self._lock:
            self._check_open()
            self._files.append(
                ReportFile(self._unique_name(name), kind, _file_flags(flags), data=bytes(data))
            )

    def set_value(self, key: str, value: str) -> None:
        """Set a further Report.wer key (``AppSessionGuid``, ``TargetAppId``…) verbatim.

        Raises:
            InvalidArgumentError: a key with ``=``, a line break, or one openwer writes itself.
        """
        if not key or "=" in key or any(ch in key + value for ch in "\r\n"):
            raise InvalidArgumentError(f"invalid Report.wer key or value for {key!r}")
        if key.split("[", 1)[0].lower() in _RESERVED_KEYS:
            raise InvalidArgumentError(f"{key} is written by openwer; use the matching method")
        with self._lock:
            self._check_open()
            self._extra[key] = value

    def _unique_name(self, name: str) -> str:
        taken = {f.name.lower() for f in self._files} | {"report.wer"}
        if name.lower() not in taken:
            return name
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, ""
        for number in range(1, 10_000):
            candidate = f"{stem}-{number}{dot}{suffix}"
            if candidate.lower() not in taken:
                return candidate
        raise InvalidArgumentError("too many files with the same name")

    # -- snapshot and lifecycle -------------------------------------------------------------
    def content(self) -> ReportContent:
        """Return an immutable snapshot of the report.

        Raises:
            ReportClosedError: the report is closed.
        """
        with self._lock:
            self._check_open()
            return ReportContent(
                report_id=self._report_id,
                event_type=self._event_type,
                report_type=self._report_type,
                information=self._information,
                parameters=tuple(self._parameters[i] for i in sorted(self._parameters)),
                dynamic_signature=tuple((i, *self._dynamic[i]) for i in sorted(self._dynamic)),
                ui=tuple(sorted(self._ui.items())),
                files=tuple(self._files),
                extra=tuple(self._extra.items()),
            )

    def files(self) -> Iterator[ReportFile]:
        """Iterate over the attached files."""
        with self._lock:
            return iter(tuple(self._files))

    def submit(
        self,
        consent: Consent | int = Consent.NOT_ASKED,
        flags: SubmitFlags | int = SubmitFlags.NONE,
        *,
        context: ReportContext | None = None,
        machine_store: bool = False,
    ) -> SubmitResult:
        """Submit the report (``WerReportSubmit``): queue, upload, archive or discard it.

        The decision follows WER: settings (``Disabled``, exclusions, ``ForceQueue``,
        ``DisableQueue``, archive settings), consent (API and settings), flags and whether a
        server is reachable. ``context`` supplies settings, stores and transport (default: this
        machine's). ``machine_store`` sends the report to the machine store.

        Raises:
            ReportClosedError: the report is closed.
            ParameterGapError: the signature breaks the contiguity rule.
            InvalidArgumentError: ``consent`` outside 1..4.
            StoreError: the store cannot be written.
        """
        from openwer.report.submission import submit_report

        if consent not in _VALID_CONSENTS:
            raise InvalidArgumentError(f"consent must be 1..4 (WER_CONSENT), not {consent}")
        return submit_report(
            self, Consent(consent), SubmitFlags(flags), context=context, machine_store=machine_store
        )

    def close(self) -> None:
        """Free the report (``WerReportCloseHandle``).

        Raises:
            ReportClosedError: already closed (WER answers E_INVALIDARG).
        """
        with self._lock:
            self._check_open()
            self._closed = True


_VALID_CONSENTS = frozenset(int(c) for c in Consent if c is not Consent.MAX)

_RESERVED_KEYS = frozenset(
    {
        "version",
        "eventtype",
        "reporttype",
        "reportidentifier",
        "sig",
        "dynamicsig",
        "ui",
        "file",
        "consent",
        "consentkey",
        "friendlyeventname",
        "appname",
        "apppath",
        "reportdescription",
    }
)


def _file_type(file_type: FileType | int) -> FileType:
    try:
        kind = FileType(file_type)
    except ValueError as exc:
        raise InvalidArgumentError(f"invalid file type {file_type}") from exc
    if kind is FileType.MAX:
        raise InvalidArgumentError("WerFileTypeMax is not a file type")
    return kind


def _file_flags(flags: FileFlags | int) -> FileFlags:
    # WER keeps only the low word; the high word is reserved for its internal bits.
    return FileFlags(int(flags) & 0xFFFF)
