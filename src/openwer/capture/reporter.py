"""The in-process crash reporter: from an exception to a durable report, then the rest.

Two phases, because a crash must be on disk before anything can go wrong:

1. :meth:`CrashReporter.unhandled` / :meth:`~CrashReporter.unraisable` build the report (the
   signature, ``traceback.txt``, ``stack.json``, ``threads.json``, locals when consent allows) and
   queue it with ``WER_SUBMIT_QUEUE``: nothing is asked and nothing leaves the machine on the
   crash path. For a crash that ends the process the ``openwer run`` supervisor is told the crash
   is reported.
2. :meth:`CrashReporter.finish` adds what takes longer — every loaded module with its
   distribution and version (``LoadedModule[n]`` and ``modules.json``) — writes the local dump
   (``LocalDumps``), asks for consent on an interactive terminal when the settings say "always
   ask" (a "don't send" archives the report, as WER files refused reports), and runs the
   application's recovery callback. For a crash of the main thread this happens before the hook
   returns (the process is ending); otherwise on a background thread that :meth:`flush` waits
   for at exit.

Failure contract: nothing here raises into the host; failures are logged on the ``openwer``
logger. An exception is reported once even when several hooks see it. Thread-safe; after
``fork()`` call :meth:`after_fork` in the child.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from openwer.capture.config import CaptureConfig
from openwer.capture.consent_prompt import make_terminal_prompt
from openwer.capture.loaded_modules import loaded_modules_details
from openwer.capture.local_dump import write_local_dump
from openwer.capture.recovery import run_recovery_after_report
from openwer.capture.report_builder import (
    MODULES_FILE,
    ExceptionKind,
    build_exception_report,
    prepare_capture,
)
from openwer.capture.restart import mark_crash_reported
from openwer.report import ConsentAnswer, Report, ReportContext
from openwer.report.consent import consent_from_settings
from openwer.store import StagedFile, StoreArea
from openwer.transport.http import transport_from_settings
from openwer.types import Consent, ConsentLevel, FileType, SubmitFlags
from openwer.uploader.queue_upload import upload_queue

__all__ = ["CaptureToken", "CrashReporter", "attach_loaded_modules"]

log = logging.getLogger("openwer")

_REPORTED = "_openwer_reported"


@dataclass
class CaptureToken:
    """A report made durable by phase 1, waiting for phase 2."""

    exc: BaseException
    kind: ExceptionKind
    context: ReportContext
    report: Report
    durable_after_s: float
    ends_process: bool
    consent_must_ask: bool
    done: threading.Event = field(default_factory=threading.Event)


class CrashReporter:
    """Files reports for the exceptions the hooks hand it."""

    def __init__(self, config: CaptureConfig) -> None:
        self.config = config
        self._local = threading.local()
        self._lock = threading.Lock()
        self._pending: list[threading.Thread] = []
        self._uploading: threading.Thread | None = None
        self.durable_timings: list[float] = []  # seconds from hook entry to durable report

    # -- lifecycle -------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Fill the caches the crash path uses, then send what earlier runs queued."""
        prepare_capture(self.config)
        self.upload_in_background()

    def upload_in_background(self) -> None:
        """Drain the queue on a daemon thread when a server is configured.

        Daemon on purpose: an upload never delays the interpreter's exit; a pass cut short
        leaves its reports queued (every step is safe to repeat). At most one pass at a time.
        """
        with self._lock:
            if self._uploading is not None and self._uploading.is_alive():
                return
            worker = threading.Thread(target=self._upload, name="openwer-upload", daemon=True)
            self._uploading = worker
        worker.start()

    def _upload(self) -> None:
        self._local.busy = True
        try:
            context = ReportContext.from_environment()
            settings = context.settings
            transport = transport_from_settings(settings.server_url, settings.server_key)
            if transport is None:
                return
            try:
                upload_queue(
                    ReportContext(paths=context.paths, settings=settings, transport=transport)
                )
            finally:
                transport.close()
        except Exception:
            log.exception("openwer: uploading queued reports failed")
        finally:
            self._local.busy = False

    def after_fork(self) -> None:
        """In a forked child: fresh locks, nothing pending from the parent."""
        self._lock = threading.Lock()
        self._local = threading.local()
        self._pending = []
        self._uploading = None

    def flush(self, timeout_s: float = 2.0) -> None:
        """Wait (at most ``timeout_s`` in all) for reports still being completed."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            pending, self._pending = self._pending, []
        for thread in pending:
            thread.join(max(0.0, deadline - time.monotonic()))

    # -- phase 1 -----------------------------------------------------------------------------
    def unhandled(
        self,
        exc: BaseException,
        *,
        thread: threading.Thread | None,
        context: dict[str, Any] | None = None,
    ) -> CaptureToken | None:
        """Report an exception nobody caught; see the module docstring."""
        if context is not None:
            kind = ExceptionKind.ASYNCIO
        elif thread is not None and thread is not threading.main_thread():
            kind = ExceptionKind.THREAD
        else:
            kind = ExceptionKind.MAIN_THREAD
        extra = None if context is None else _asyncio_context(context)
        return self._capture(exc, kind, thread=thread, extra=extra)

    def unraisable(self, exc: BaseException, *, message: str, obj_repr: str) -> CaptureToken | None:
        """Report an exception Python could not raise (``__del__``, finalizers)."""
        extra = {"message": message, "object": obj_repr}
        return self._capture(exc, ExceptionKind.UNRAISABLE, thread=None, extra=extra)

    def report_handled(self, exc: BaseException, *, wait: bool) -> str | None:
        """Report a handled exception (``openwer.report_exception``); return the store key."""
        token = self._capture(exc, ExceptionKind.HANDLED, thread=None, extra=None)
        if token is None:
            return None
        self.finish(token, wait=wait)
        return token.report.stored_key

    def _capture(
        self,
        exc: BaseException,
        kind: ExceptionKind,
        *,
        thread: threading.Thread | None,
        extra: dict[str, str] | None,
    ) -> CaptureToken | None:
        started = time.perf_counter()
        if getattr(self._local, "busy", False) or getattr(exc, _REPORTED, False):
            return None  # openwer failing inside its own hook, or a second hook for one exception
        # An exception type with __slots__ and no __dict__ cannot be marked: dedupe is best effort.
        with contextlib.suppress(Exception):
            setattr(exc, _REPORTED, True)
        self._local.busy = True
        try:
            context = ReportContext.from_environment()
            consent = consent_from_settings(Consent.NOT_ASKED, context.settings, kind.event_type)
            report = build_exception_report(
                exc,
                kind,
                self.config,
                include_locals=consent.level >= ConsentLevel.PARAMETERS_AND_SAFE_DATA
                and not consent.must_ask,
                thread=thread,
                context=extra,
            )
            # Crash reports carry the registered data, as WER's OS crash reports always do.
            flags = SubmitFlags.QUEUE | SubmitFlags.ADD_REGISTERED_DATA
            report.submit(Consent.NOT_ASKED, flags, context=context)
            elapsed = time.perf_counter() - started
            self.durable_timings.append(elapsed)
            ends_process = kind is ExceptionKind.MAIN_THREAD
            if ends_process:
                mark_crash_reported(report.stored_key)
            return CaptureToken(exc, kind, context, report, elapsed, ends_process, consent.must_ask)
        except Exception:
            log.exception("openwer: could not report %s", type(exc).__name__)
            return None
        finally:
            self._local.busy = False

    # -- phase 2 -----------------------------------------------------------------------------
    def finish(self, token: object, *, wait: bool) -> None:
        """Complete a report (now when ``wait``, else on a background thread)."""
        if not isinstance(token, CaptureToken):
            return
        if wait:
            self._complete(token)
            return
        worker = threading.Thread(
            target=self._complete, args=(token,), name="openwer-report", daemon=True
        )
        with self._lock:
            self._pending = [t for t in self._pending if t.is_alive()]
            self._pending.append(worker)
        worker.start()

    def _complete(self, token: CaptureToken) -> None:
        self._local.busy = True
        try:
            self._add_loaded_modules(token)
            if token.kind is not ExceptionKind.HANDLED and token.kind is not (
                ExceptionKind.UNRAISABLE
            ):
                app = self.config.app_name
                write_local_dump(
                    token.exc, self.config, token.context.settings.local_dumps_for(app)
                )
            if token.ends_process:
                if token.consent_must_ask:
                    self._ask_consent(token)
                run_recovery_after_report()
            else:
                self.upload_in_background()  # the process goes on: send it now
        except Exception:
            log.exception("openwer: completing the report failed")
        finally:
            self._local.busy = False
            token.done.set()

    def _add_loaded_modules(self, token: CaptureToken) -> None:
        attach_loaded_modules(token.report, token.context, self.config)

    def _ask_consent(self, token: CaptureToken) -> None:
        prompt = make_terminal_prompt(token.context.settings)
        key, scope = token.report.stored_key, token.report.stored_scope
        if prompt is None or key is None or scope is None:
            return  # not interactive: the report waits in the queue, as WER queues it
        content = token.report.content()
        title = content.information.friendly_event_name or content.event_type
        answer = prompt(title, dict(content.ui))
        refused = answer in (ConsentAnswer.DONT_SEND, ConsentAnswer.NEVER)
        # The answer is recorded in the report (Consent=WerConsentApproved/Denied) so the
        # uploader knows this report may go even while the settings still say "always ask".
        store = token.context.store(scope)
        stored = store.get(key)
        verdict = Consent.DENIED if refused else Consent.APPROVED
        store.update_document(key, stored.document.with_values({"Consent": str(int(verdict))}))
        if refused and stored.area is StoreArea.QUEUE:
            store.archive(key, parameters_only=True)


def attach_loaded_modules(report: Report, context: ReportContext, config: CaptureConfig) -> None:
    """Add ``LoadedModule[n]`` and ``modules.json`` to a report already in the store (the slow
    path of every capture report); nothing when the report was not stored."""
    key, scope = report.stored_key, report.stored_scope
    if key is None or scope is None:
        return
    details = loaded_modules_details(config)
    store = context.store(scope)
    stored = store.get(key)
    index = max((entry.index for entry in stored.manifest.files), default=-1) + 1
    values: dict[str, str | None] = dict(details.report_wer_values())
    values.update(
        {
            f"File[{index}].CabName": MODULES_FILE,
            f"File[{index}].Path": MODULES_FILE,
            f"File[{index}].Flags": "0",
            f"File[{index}].Type": str(int(FileType.OTHER)),
        }
    )
    document = stored.document.with_values(values)
    store.attach_files(key, document, (StagedFile(MODULES_FILE, details.json_bytes()),))


def _asyncio_context(context: dict[str, Any]) -> dict[str, str]:
    shown: dict[str, str] = {}
    for name in ("message", "task", "future", "handle"):
        value = context.get(name)
        if value is not None:
            try:
                shown[name] = str(value)[:1000]
            except Exception:
                shown[name] = f"<{type(value).__name__}>"
    return shown
