"""``WerReportSubmit``: decide what happens to a report, then do it.

The decision (:func:`plan_submission`) is a pure function of the settings, the consent, the flags
and whether a server is reachable, returning a :class:`SubmitPlan`; :func:`submit_report` carries
the plan out against a store and a transport. The rules, in WER's order:

1. ``Disabled`` or an excluded application → ``WerDisabled``; nothing is written.
2. ``WerConsentDenied`` → the report goes to the archive (as WER files reports whose upload was
   denied) → ``WerReportCancelled``. A per-event consent of 0 → archive → ``WerDisabled``.
3. Asked to queue (``WER_SUBMIT_QUEUE``, ``ForceQueue``, ``WerSetFlags(QUEUE)``), consent still to
   be asked without a way to ask, or no server reachable → the queue → ``WerReportQueued``;
   ``DisableQueue`` makes that ``WerDisabledQueue``. With ``WER_SUBMIT_NO_QUEUE`` such a report is
   discarded instead (``WerReportCancelled`` without consent, ``WerReportFailed`` offline).
4. Otherwise it is sent now (stage 1, stage 2 if the server asks, consent allows and the data
   throttle does not stop it) and archived: ``WerReportUploaded``, ``WerReportUploadedCab`` or
   ``WerThrottled``.

``WER_SUBMIT_OUTOFPROCESS_ASYNC`` runs the whole submission on a background thread and returns
``WerReportAsync`` at once. UI-only flags (``SHOW_DEBUG``, ``NO_CLOSE_UI``, ``START_MINIMIZED``)
have no effect without a window; recovery and restart flags are honoured by the capture layer.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from openwer.platform.system_info import os_facts
from openwer.report.consent import EffectiveConsent, consent_from_settings
from openwer.report.context import ConsentAnswer, ReportContext
from openwer.report.delivery import ArchivePolicy, deliver_stored_report
from openwer.report.document import ProcessFacts, build_document, default_application_path
from openwer.report.parameters import check_contiguous
from openwer.report.report import ReportFile
from openwer.store import NewReport, StagedFile, StoreScope
from openwer.types import (
    Consent,
    ConsentLevel,
    FileFlags,
    FileType,
    RegisterFileType,
    SubmitFlags,
    SubmitResult,
)

if TYPE_CHECKING:
    from openwer.report.report import Report

__all__ = ["SubmitAction", "SubmitInputs", "SubmitPlan", "plan_submission", "submit_report"]

log = logging.getLogger("openwer")


class SubmitAction(Enum):
    """What the submission does with the report."""

    REFUSE = "refuse"  # write nothing
    ARCHIVE = "archive"  # keep a record, send nothing
    QUEUE = "queue"  # keep it for later
    SEND = "send"  # send now, then archive
    DISCARD = "discard"  # NO_QUEUE and cannot send now


@dataclass(frozen=True, slots=True)
class SubmitInputs:
    """Everything the decision depends on, as plain values."""

    flags: SubmitFlags
    consent: EffectiveConsent
    disabled: bool = False
    excluded: bool = False
    force_queue: bool = False
    disable_queue: bool = False
    server_reachable: bool = False
    can_ask: bool = False


@dataclass(frozen=True, slots=True)
class SubmitPlan:
    """The decision: an action, the result it ends with when it is final, and whether to ask."""

    action: SubmitAction
    result: SubmitResult | None = None
    ask_consent: bool = False


def plan_submission(inputs: SubmitInputs) -> SubmitPlan:
    """Decide what to do with a report (pure; see the module docstring for the rules)."""
    flags, consent = inputs.flags, inputs.consent
    if inputs.disabled or inputs.excluded:
        return SubmitPlan(SubmitAction.REFUSE, SubmitResult.DISABLED)
    if consent.denied:
        return SubmitPlan(SubmitAction.ARCHIVE, SubmitResult.REPORT_CANCELLED)
    if consent.level == ConsentLevel.NONE:
        return SubmitPlan(SubmitAction.ARCHIVE, SubmitResult.DISABLED)
    no_queue = bool(flags & SubmitFlags.NO_QUEUE)
    wants_queue = bool(flags & SubmitFlags.QUEUE) or inputs.force_queue
    if consent.must_ask and inputs.can_ask and not wants_queue:
        return SubmitPlan(SubmitAction.SEND, ask_consent=True)
    if no_queue:
        if consent.must_ask:
            return SubmitPlan(SubmitAction.DISCARD, SubmitResult.REPORT_CANCELLED)
        if not inputs.server_reachable:
            return SubmitPlan(SubmitAction.DISCARD, SubmitResult.REPORT_FAILED)
        return SubmitPlan(SubmitAction.SEND)
    if wants_queue or consent.must_ask or not inputs.server_reachable:
        if inputs.disable_queue:
            return SubmitPlan(SubmitAction.REFUSE, SubmitResult.DISABLED_QUEUE)
        return SubmitPlan(SubmitAction.QUEUE, SubmitResult.REPORT_QUEUED)
    return SubmitPlan(SubmitAction.SEND)


def submit_report(
    report: Report,
    consent: Consent,
    flags: SubmitFlags,
    *,
    context: ReportContext | None = None,
    machine_store: bool = False,
) -> SubmitResult:
    """Submit ``report`` as ``WerReportSubmit`` does; see the module docstring.

    Raises:
        ReportClosedError, ParameterGapError, InvalidArgumentError, StoreError, SettingsError.
    """
    content = report.content()
    check_contiguous(content.parameters)
    ctx = context or ReportContext.from_environment()
    if flags & SubmitFlags.OUTOFPROCESS_ASYNC:
        worker = threading.Thread(
            target=_submit_quietly,
            args=(report, consent, flags & ~SubmitFlags.OUTOFPROCESS_ASYNC, ctx, machine_store),
            name="openwer-submit",
            daemon=False,
        )
        worker.start()
        return SubmitResult.REPORT_ASYNC
    return _submit(report, consent, flags, ctx, machine_store)


def _submit_quietly(
    report: Report, consent: Consent, flags: SubmitFlags, ctx: ReportContext, machine: bool
) -> None:
    try:
        _submit(report, consent, flags, ctx, machine)
    except Exception:  # an asynchronous submission has no caller to raise to
        log.exception("openwer: asynchronous submission failed")


def _submit(
    report: Report, consent: Consent, flags: SubmitFlags, ctx: ReportContext, machine: bool
) -> SubmitResult:
    content = report.content()
    settings = ctx.settings
    info = content.information
    consent_key = info.consent_key or content.event_type
    app_path = info.application_path or default_application_path()
    app_name = info.application_name or app_path.rsplit("/", 1)[-1]
    effective = consent_from_settings(consent, settings, consent_key)
    plan = plan_submission(
        SubmitInputs(
            flags=flags,
            consent=effective,
            disabled=settings.disabled,
            excluded=settings.is_excluded(app_name),
            force_queue=settings.force_queue,
            disable_queue=settings.disable_queue,
            server_reachable=ctx.transport is not None,
            can_ask=ctx.prompt is not None and not settings.dont_show_ui,
        )
    )
    if plan.action is SubmitAction.REFUSE:
        return plan.result or SubmitResult.DISABLED
    if plan.ask_consent:
        effective, plan = _ask(ctx, content.event_type, dict(content.ui), effective, flags)
    archive_disabled = settings.disable_archive or bool(flags & SubmitFlags.NO_ARCHIVE)
    if plan.action is SubmitAction.DISCARD:
        return plan.result or SubmitResult.REPORT_FAILED
    if plan.action is SubmitAction.ARCHIVE and archive_disabled:
        return plan.result or SubmitResult.REPORT_CANCELLED
    files = _files_for(report, flags, ctx)
    document = build_document(
        content,
        event_time=ctx.clock(),
        consent=int(consent),
        facts=ProcessFacts(app_path, info.process_id or os.getpid(), os_facts()),
        files=files,
    )
    scope = StoreScope.MACHINE if machine or settings.force_admin_queue else StoreScope.USER
    store = ctx.store(scope)
    staged = tuple(_stage(f) for f in files)
    if plan.action is SubmitAction.ARCHIVE:
        stored = store.add(NewReport(document, staged))
        report.remember_stored(scope, stored.key)
        parameters_only = settings.configure_archive == 1 or bool(
            flags & SubmitFlags.ARCHIVE_PARAMETERS_ONLY
        )
        store.archive(stored.key, parameters_only=parameters_only)
        _delete_sources(files)
        return plan.result or SubmitResult.REPORT_CANCELLED
    stored = store.add(NewReport(document, staged))
    report.remember_stored(scope, stored.key)
    _delete_sources(files)
    if plan.action is SubmitAction.QUEUE:
        return plan.result or SubmitResult.REPORT_QUEUED
    assert ctx.transport is not None  # SEND is planned only with a transport
    result = deliver_stored_report(
        store,
        stored.key,
        ctx.transport,
        effective,
        flags,
        throttle=store.throttle,
        bypass_throttling=settings.bypass_data_throttling,
        archive=ArchivePolicy(
            keep=not archive_disabled, parameters_only=settings.configure_archive == 1
        ),
    )
    if flags & SubmitFlags.NO_QUEUE and result is SubmitResult.REPORT_QUEUED:
        store.delete(stored.key)  # never queued: it could not be sent now
        return SubmitResult.REPORT_FAILED
    return result


def _ask(
    ctx: ReportContext,
    event_type: str,
    ui: dict[int, str],
    effective: EffectiveConsent,
    flags: SubmitFlags,
) -> tuple[EffectiveConsent, SubmitPlan]:
    assert ctx.prompt is not None
    try:
        answer = ctx.prompt(event_type, ui)
    except Exception:
        log.exception("openwer: the consent prompt failed; the report is queued")
        return effective, SubmitPlan(SubmitAction.QUEUE, SubmitResult.REPORT_QUEUED)
    if answer in (ConsentAnswer.DONT_SEND, ConsentAnswer.NEVER):
        denied = EffectiveConsent(ConsentLevel.NONE, denied=True)
        return denied, SubmitPlan(SubmitAction.ARCHIVE, SubmitResult.REPORT_CANCELLED)
    granted = EffectiveConsent(ConsentLevel.ALL_DATA)
    return granted, plan_submission(
        SubmitInputs(flags=flags, consent=granted, server_reachable=ctx.transport is not None)
    )


def _files_for(report: Report, flags: SubmitFlags, ctx: ReportContext) -> list[ReportFile]:
    files = list(report.files())
    if not flags & SubmitFlags.ADD_REGISTERED_DATA:
        return files
    registered = ctx.registry.snapshot()
    names = {f.name.lower() for f in files}
    for item in registered.files:
        if not item.path.is_file():
            continue  # WER skips registered files that are gone and still sends the report
        name = item.path.name
        while name.lower() in names:
            name = f"registered-{name}"
        names.add(name.lower())
        kind = (
            FileType.USER_DOCUMENT
            if item.file_type is RegisterFileType.USER_DOCUMENT
            else FileType.OTHER
        )
        files.append(ReportFile(name, kind, item.flags, source=item.path))
    if registered.metadata or registered.processes or registered.memory_blocks:
        payload = {
            "metadata": dict(registered.metadata),
            "additional_processes": [
                {"process_id": p.process_id, "thread_id": p.thread_id} for p in registered.processes
            ],
            "memory_blocks": [
                {"address": b.address, "size": b.size, "excluded": b.excluded}
                for b in registered.memory_blocks
            ],
        }
        data = json.dumps(payload, indent=2, sort_keys=True).encode()
        files.append(
            ReportFile("RegisteredData.json", FileType.OTHER, FileFlags.ANONYMOUS_DATA, data=data)
        )
    return files


def _stage(attached: ReportFile) -> StagedFile:
    if attached.data is not None:
        return StagedFile(attached.name, attached.data)
    assert attached.source is not None
    return StagedFile(attached.name, attached.source)


def _delete_sources(files: list[ReportFile]) -> None:
    for attached in files:
        if attached.source is not None and attached.flags & FileFlags.DELETE_WHEN_DONE:
            try:
                attached.source.unlink()
            except OSError:
                log.warning("openwer: could not delete %s after submission", attached.source)
