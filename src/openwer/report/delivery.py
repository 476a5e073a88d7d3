"""Delivering a stored report: stage 1, stage 2 when asked and allowed, then the archive.

Used by :func:`~openwer.report.submission.submit_report` for reports sent at once, by
``WerStoreUploadReport`` and by the queue uploader. The order makes every step safe to repeat if
the process dies between two of them: the report stays in the queue until the last step, the
server's answer is written into the report (``Response.*``, ``State[n]``
``Transport.DoneStage1``) before stage 2, and uploads are idempotent by report id.

Thread-safe as long as two deliveries do not work on the same report key at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from openwer.formats.protocol import SignatureParameter, Stage1Request, Stage1Response
from openwer.formats.report_manifest import ReportManifest
from openwer.formats.report_wer import WerDocument, serialize_report_wer
from openwer.report.consent import EffectiveConsent
from openwer.store import DataThrottle, ReportStore, StoreArea
from openwer.transport.base import BundleRequest, Transport, UploadOutcome
from openwer.types import ConsentLevel, FileFlags, SubmitFlags, SubmitResult
from openwer.version import __version__

__all__ = ["ArchivePolicy", "deliver_stored_report", "response_values", "stage1_request"]

_DONE_STAGE1 = "Transport.DoneStage1"


@dataclass(frozen=True, slots=True)
class ArchivePolicy:
    """What happens to a report once it has been sent."""

    keep: bool = True
    parameters_only: bool = True


def stage1_request(
    manifest: ReportManifest, consent: ConsentLevel, *, machine_id: str | None = None
) -> Stage1Request:
    """Build stage 1 from a stored report: signature and dynamic signature, nothing personal.

    ``client`` carries a few non-identifying facts (the openwer version and the OS version);
    ``app_version`` is the signature's "Application Version" when there is one (the server's
    "fixed in version" logic needs it).
    """
    app_version = next(
        (p.value for p in manifest.signature if (p.name or "").lower() == "application version"),
        None,
    )
    os_version = next(
        (p.value for p in manifest.dynamic_signature if (p.name or "").lower() == "os version"),
        None,
    )
    client = [("openwer", __version__)]
    if os_version:
        client.append(("os_version", os_version))
    return Stage1Request(
        report_id=manifest.report_id or "",
        event_type=manifest.event_type or "",
        report_type=manifest.report_type or 0,
        signature=tuple(
            SignatureParameter(p.name or f"P{p.index}", p.value or "") for p in manifest.signature
        ),
        dynamic_signature=tuple(
            SignatureParameter(p.name or "", p.value or "") for p in manifest.dynamic_signature
        ),
        consent=consent,
        client=tuple(client),
        machine_id=machine_id,
        app_version=app_version or None,
    )


def response_values(document: WerDocument, response: Stage1Response) -> dict[str, str | None]:
    """The Report.wer keys that record the server's stage-1 answer."""
    manifest = ReportManifest.from_document(document)
    updates: dict[str, str | None] = {
        "Response.BucketId": response.bucket_id.replace("-", ""),
        "Response.BucketTable": str(response.bucket_table),
        "Response.LegacyBucketId": str(response.legacy_bucket_id),
        "Response.type": "4",
    }
    if response.solution is not None:
        updates["Response.Solution"] = response.solution.message
        updates["Response.SolutionUrl"] = response.solution.url
    done = [p for p in manifest.state if (p.name or "").lower() == _DONE_STAGE1.lower()]
    if done:
        updates[f"State[{done[0].index}].Value"] = "1"
    else:
        index = max((p.index for p in manifest.state), default=-1) + 1
        updates[f"State[{index}].Key"] = _DONE_STAGE1
        updates[f"State[{index}].Value"] = "1"
    return updates


def deliver_stored_report(
    store: ReportStore,
    key: str,
    transport: Transport,
    consent: EffectiveConsent,
    flags: SubmitFlags,
    *,
    throttle: DataThrottle,
    bypass_throttling: bool,
    archive: ArchivePolicy,
    machine_id: str | None = None,
) -> SubmitResult:
    """Send the queued report ``key`` and archive it when done.

    Returns ``REPORT_UPLOADED`` (stage 1 only), ``REPORT_UPLOADED_CAB`` (with the bundle),
    ``THROTTLED`` (the server wanted a bundle this client already sent for the bucket),
    ``REPORT_QUEUED`` (the server is unreachable; the report stays queued) or
    ``REPORT_FAILED`` (the server refused it for good; it goes to the archive).

    Raises:
        ReportNotFoundError: no such report.
        StoreError: the store cannot be written.
    """
    stored = store.get(key)
    manifest = stored.manifest
    first = transport.send_stage1(stage1_request(manifest, consent.level, machine_id=machine_id))
    if first.outcome is UploadOutcome.RETRY_LATER or first.response is None:
        if first.outcome is UploadOutcome.FAILED_PERMANENTLY:
            _finish(store, key, archive, flags)
            return SubmitResult.REPORT_FAILED
        return SubmitResult.REPORT_QUEUED
    response = first.response
    document = stored.document.with_values(response_values(stored.document, response))
    stored = store.update_document(key, document)
    result = SubmitResult.REPORT_UPLOADED
    request = response.data_request
    if request is not None:
        files = tuple(
            (entry.cab_name or entry.path or "", stored.folder / (entry.path or ""))
            for entry in stored.manifest.files
            if entry.path
            and (stored.folder / entry.path).is_file()
            and consent.allows_file(bool((entry.flags or 0) & FileFlags.ANONYMOUS_DATA))
        )
        may_send_data = consent.allows_file(anonymous=True)
        throttled = (
            not request.explicit
            and not bypass_throttling
            and not flags & SubmitFlags.BYPASS_DATA_THROTTLING
            and throttle.has_uploaded_cab(response.bucket_id)
        )
        if not may_send_data:
            result = SubmitResult.REPORT_UPLOADED
        elif throttled:
            result = SubmitResult.THROTTLED
        else:
            outcome = transport.send_bundle(
                BundleRequest(
                    report_id=manifest.report_id or "",
                    report_wer=serialize_report_wer(stored.document),
                    files=files,
                    upload_url=response.upload_url,
                )
            )
            if outcome is UploadOutcome.RETRY_LATER:
                return SubmitResult.REPORT_QUEUED
            if outcome is UploadOutcome.UPLOADED:
                throttle.record_cab_uploaded(response.bucket_id)
                result = SubmitResult.REPORT_UPLOADED_CAB
    _finish(store, key, archive, flags)
    return result


def _finish(store: ReportStore, key: str, archive: ArchivePolicy, flags: SubmitFlags) -> None:
    if not archive.keep or flags & SubmitFlags.NO_ARCHIVE:
        store.delete(key)
        return
    parameters_only = archive.parameters_only or bool(flags & SubmitFlags.ARCHIVE_PARAMETERS_ONLY)
    if store.get(key).area is StoreArea.QUEUE:
        store.archive(key, parameters_only=parameters_only)
