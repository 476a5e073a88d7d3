"""What ``WerStoreQueryReportMetadataV1/V2/V3`` returns for a stored report (wer-spec.md §1.13).

:func:`build_report_metadata` maps a :class:`~openwer.store.entry.StoredReport` onto every field of
``WER_REPORT_METADATA_V3`` (which contains V1 and V2). Absent values take WER's empty forms: ``""``
for strings, 0 for numbers, the nil GUID for ``ReportIntegratorId``. Mapping to Report.wer keys
(§1.13): ``ReportId`` ↔ ``ReportIdentifier``, ``ReportIntegratorId`` ↔
``IntegratorReportIdentifier``, ``CabId`` ↔ ``Response.CabId``, ``ReportStatus`` ↔
``ReportStatus``, ``BucketIdString`` ↔ ``Response.BucketId``, ``LegacyBucketId`` ↔
``Response.LegacyBucketId``, ``CreationTime`` ↔ ``EventTime``. ``BucketId`` is openwer's client-side
hash of the signature (:func:`~openwer.formats.bucket_id.compute_bucket_ids`).

Pure; thread-safe.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from openwer.formats.bucket_id import compute_bucket_ids
from openwer.formats.report_manifest import parse_int, parse_uuid
from openwer.store.entry import StoredReport
from openwer.types import WER_MAX_PARAM_COUNT

__all__ = ["ReportMetadata", "ReportParameter", "ReportSignature", "build_report_metadata"]


@dataclass(frozen=True, slots=True)
class ReportParameter:
    """``WER_REPORT_PARAMETER``: one signature parameter (empty strings for an unset slot)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class ReportSignature:
    """``WER_REPORT_SIGNATURE``: the event name and parameters P0… in slot order (at most 10)."""

    event_name: str
    parameters: tuple[ReportParameter, ...]


@dataclass(frozen=True, slots=True)
class ReportMetadata:
    """``WER_REPORT_METADATA_V3``: the V1 fields, then V2's, then V3's.

    ``file_names`` are the report's files as Report.wer lists them (``File[n].Path``, else
    ``.CabName``), so an archive kept as parameters only still names the files it had.
    """

    # V1
    signature: ReportSignature
    bucket_id: uuid.UUID
    report_id: uuid.UUID
    creation_time: datetime
    size_in_bytes: int
    # V2
    cab_id: str
    report_status: int
    report_integrator_id: uuid.UUID
    number_of_files: int
    file_names: tuple[str, ...]
    # V3
    friendly_event_name: str
    application_name: str
    application_path: str
    description: str
    bucket_id_string: str
    legacy_bucket_id: int


def build_report_metadata(report: StoredReport) -> ReportMetadata:
    """Return the metadata of ``report``; never raises on odd Report.wer values."""
    manifest = report.manifest
    event_name = manifest.event_type or ""
    by_slot = {pair.index: pair for pair in manifest.signature if pair.index < WER_MAX_PARAM_COUNT}
    used = max(by_slot, default=-1) + 1
    parameters = tuple(
        ReportParameter(by_slot[i].name or "", by_slot[i].value or "")
        if i in by_slot
        else ReportParameter("", "")
        for i in range(used)
    )
    file_names = tuple(
        name for name in (entry.path or entry.cab_name for entry in manifest.files) if name
    )
    response = manifest.response
    return ReportMetadata(
        signature=ReportSignature(event_name, parameters),
        bucket_id=compute_bucket_ids(event_name, manifest.signature_values).bucket_id,
        report_id=report.report_id,
        creation_time=report.created_at,
        size_in_bytes=report.size_bytes,
        cab_id=response.cab_id or "",
        report_status=_unsigned(parse_int(manifest.report_status_raw), 32),
        report_integrator_id=parse_uuid(manifest.integrator_report_id) or uuid.UUID(int=0),
        number_of_files=len(file_names),
        file_names=file_names,
        friendly_event_name=manifest.friendly_event_name or "",
        application_name=manifest.app_name or "",
        application_path=manifest.app_path or "",
        description=manifest.report_description or "",
        bucket_id_string=response.bucket_id or "",
        legacy_bucket_id=_unsigned(parse_int(response.legacy_bucket_id), 64),
    )


def _unsigned(value: int | None, bits: int) -> int:
    # DWORD / ULONGLONG fields: a value that does not fit reads as WER's empty 0.
    return value if value is not None and 0 <= value < (1 << bits) else 0
