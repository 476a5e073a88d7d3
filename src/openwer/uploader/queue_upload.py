"""Draining the report queue to the collection server: one bounded pass.

A pass takes the queued reports oldest first and delivers each with
:func:`~openwer.report.delivery.deliver_stored_report` (stage 1, the bundle when the server asks
and consent allows, the server's answer written into the report, then the archive). It never
sends what consent does not allow: a report waiting for the user's answer ("always ask") stays
queued, one the user refused is archived unsent. It stops at the first sign that the server is
unreachable (the rest would fail the same way), when its deadline passes, or on battery power
unless told otherwise.

Concurrency: one pass per store at a time (a lock file beside the queue); a second pass started
meanwhile returns ``BUSY`` at once. Every step is safe to repeat, so a pass killed at any instant
loses nothing and a retried report is not counted twice (the server is idempotent by report id).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from openwer.platform.file_lock import FileLock, LockMode, LockOutcome
from openwer.platform.power import on_battery
from openwer.report import ReportContext
from openwer.report.consent import EffectiveConsent, consent_from_settings
from openwer.report.delivery import ArchivePolicy, deliver_stored_report
from openwer.store import ReportStore, StoreArea, StoreScope
from openwer.types import Consent, ConsentLevel, SubmitFlags, SubmitResult

__all__ = ["PassOutcome", "ReportUpload", "UploadSummary", "upload_queue"]

log = logging.getLogger("openwer")


class PassOutcome(Enum):
    """How a pass ended."""

    COMPLETED = "completed"  # every queued report was considered
    SERVER_UNREACHABLE = "server-unreachable"  # stopped early; the rest stays queued
    DEADLINE = "deadline"  # out of time; the rest stays queued
    BUSY = "busy"  # another pass holds the store
    ON_BATTERY = "on-battery"  # skipped to spare the battery
    NO_SERVER = "no-server"  # no Server.Url configured


@dataclass(frozen=True, slots=True)
class ReportUpload:
    """What happened to one report in a pass."""

    key: str
    result: SubmitResult
    bucket_id: str | None = None
    solution: str | None = None
    solution_url: str | None = None


@dataclass(frozen=True, slots=True)
class UploadSummary:
    """The reports a pass handled and how it ended."""

    outcome: PassOutcome
    uploads: tuple[ReportUpload, ...] = field(default=())
    waiting_for_consent: int = 0

    @property
    def sent(self) -> int:
        """Reports whose stage 1 reached the server."""
        sent_results = (
            SubmitResult.REPORT_UPLOADED,
            SubmitResult.REPORT_UPLOADED_CAB,
            SubmitResult.THROTTLED,
        )
        return sum(1 for upload in self.uploads if upload.result in sent_results)


def _consent_of(context: ReportContext, consent_key: str, recorded: int | None) -> EffectiveConsent:
    """The report's own answer (the user said send/don't send) wins over the settings."""
    api = Consent.NOT_ASKED
    if recorded in (int(Consent.APPROVED), int(Consent.DENIED)):
        api = Consent(recorded)
    return consent_from_settings(api, context.settings, consent_key)


def _upload_store(
    store: ReportStore,
    context: ReportContext,
    deadline: float,
    flags: SubmitFlags,
) -> UploadSummary:
    uploads: list[ReportUpload] = []
    waiting = 0
    settings = context.settings
    archive = ArchivePolicy(
        keep=not settings.disable_archive, parameters_only=int(settings.configure_archive) == 1
    )
    assert context.transport is not None
    for key in store.keys(StoreArea.QUEUE):
        if time.monotonic() >= deadline:
            return UploadSummary(PassOutcome.DEADLINE, tuple(uploads), waiting)
        try:
            manifest = store.get(key).manifest
        except Exception:
            continue  # gone since the listing (another process archived or deleted it)
        consent = _consent_of(
            context, manifest.consent_key or manifest.event_type or "", manifest.consent
        )
        if consent.denied or consent.level == ConsentLevel.NONE:
            if archive.keep:
                store.archive(key, parameters_only=True)
            else:
                store.delete(key)
            uploads.append(ReportUpload(key, SubmitResult.REPORT_CANCELLED))
            continue
        if not consent.allows_parameters:
            waiting += 1  # "always ask" and nobody answered yet: it waits, as in WER
            continue
        result = deliver_stored_report(
            store,
            key,
            context.transport,
            consent,
            flags,
            throttle=store.throttle,
            bypass_throttling=settings.bypass_data_throttling,
            archive=archive,
        )
        uploads.append(_describe(store, key, result))
        if result is SubmitResult.REPORT_QUEUED:
            return UploadSummary(PassOutcome.SERVER_UNREACHABLE, tuple(uploads), waiting)
    return UploadSummary(PassOutcome.COMPLETED, tuple(uploads), waiting)


def _describe(store: ReportStore, key: str, result: SubmitResult) -> ReportUpload:
    try:
        response = store.get(key).manifest.response
    except Exception:
        return ReportUpload(key, result)
    other = {name.lower(): value for name, value in response.other}
    upload = ReportUpload(
        key, result, response.bucket_id, other.get("solution"), other.get("solutionurl")
    )
    if upload.solution:
        log.warning(
            "openwer: a solution is known for %s: %s %s",
            key,
            upload.solution,
            upload.solution_url or "",
        )
    return upload


def upload_queue(
    context: ReportContext,
    *,
    scopes: Sequence[StoreScope] = (StoreScope.USER,),
    deadline_s: float = 10.0,
    flags: SubmitFlags = SubmitFlags.NONE,
    battery: Callable[[], bool] = on_battery,
) -> UploadSummary:
    """Make one pass over the queues of ``scopes``; never raises for the server's trouble.

    Raises:
        StoreError, AccessDeniedError: a store cannot be read or written.
    """
    if context.transport is None:
        return UploadSummary(PassOutcome.NO_SERVER)
    if not flags & SubmitFlags.BYPASS_POWER_THROTTLING and battery():
        return UploadSummary(PassOutcome.ON_BATTERY)
    deadline = time.monotonic() + deadline_s
    uploads: list[ReportUpload] = []
    waiting = 0
    outcome = PassOutcome.COMPLETED
    for scope in scopes:
        store = context.store(scope)
        root = (
            context.paths.user_store_root
            if scope is StoreScope.USER
            else context.paths.machine_store_root
        )
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = FileLock(root / "uploader.lock", mode=LockMode.EXCLUSIVE)
        if lock.acquire(blocking=False) is LockOutcome.BUSY:
            return UploadSummary(PassOutcome.BUSY, tuple(uploads), waiting)
        try:
            store.recover()
            summary = _upload_store(store, context, deadline, flags)
        finally:
            lock.release()
        uploads.extend(summary.uploads)
        waiting += summary.waiting_for_consent
        if summary.outcome is not PassOutcome.COMPLETED:
            outcome = summary.outcome
            break
    return UploadSummary(outcome, tuple(uploads), waiting)
