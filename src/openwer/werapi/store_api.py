"""``WerStore*``: the report store functions of wer.dll (Windows 10 1703+), over openwer's stores.

``WerStoreOpen(E_STORE_USER_QUEUE)`` opens one area of one store; first/next iterate its keys,
oldest first, until ``HRESULT_FROM_WIN32(ERROR_NO_MORE_FILES)``. HRESULTs as wer-spec.md §1.13
documents them. Thread-safe; a store handle's iteration state is its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from openwer.errors import ReportNotFoundError
from openwer.formats.filetime import datetime_to_filetime
from openwer.report import ReportContext
from openwer.report.consent import consent_from_settings
from openwer.report.delivery import ArchivePolicy, deliver_stored_report
from openwer.store import ReportMetadata, ReportStore, StoreArea, StoreScope, open_store
from openwer.store.location import store_location
from openwer.types import Consent, HResult, StoreType, SubmitFlags, SubmitResult
from openwer.werapi.handles import HandleTable
from openwer.werapi.metadata_structs import (
    WER_REPORT_METADATA_V1,
    WER_REPORT_METADATA_V2,
    WER_REPORT_METADATA_V3,
    WER_REPORT_PARAMETER,
    WER_REPORT_SIGNATURE,
)
from openwer.werapi.report_api import report_context
from openwer.werapi.translation import hresult_of

__all__ = [
    "WerFreeString",
    "WerStoreClose",
    "WerStoreGetFirstReportKey",
    "WerStoreGetNextReportKey",
    "WerStoreGetReportCount",
    "WerStoreGetSizeOnDisk",
    "WerStoreOpen",
    "WerStorePurge",
    "WerStoreQueryReportMetadataV1",
    "WerStoreQueryReportMetadataV2",
    "WerStoreQueryReportMetadataV3",
    "WerStoreUploadReport",
]


@dataclass
class _OpenStore:
    store: ReportStore
    area: StoreArea
    pending: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_STORES: HandleTable[_OpenStore] = HandleTable(start=0x2000)
_VALID_TYPES = frozenset(int(t) for t in StoreType if t is not StoreType.INVALID)


def WerStoreOpen(repStoreType: int) -> tuple[int, int | None]:
    """Open a store area; E_INVALIDARG for a type outside 0..3. Returns ``(hr, handle)``."""
    if repStoreType not in _VALID_TYPES:
        return int(HResult.E_INVALIDARG), None
    scope, area = store_location(StoreType(repStoreType))
    try:
        opened = open_store(scope, report_context().paths)
    except Exception as exc:
        return hresult_of(exc), None
    return int(HResult.S_OK), _STORES.add(_OpenStore(opened, area))


def WerStoreClose(hReportStore: int | None) -> None:
    """Close a store handle (VOID: an unknown handle is ignored)."""
    _STORES.remove(hReportStore)


def WerFreeString(pwszStr: str | None) -> None:
    """Release a key string (nothing to do in Python; kept for ported code)."""


def WerStoreGetFirstReportKey(hReportStore: int | None) -> tuple[int, str | None]:
    """Return the oldest report key, or ERROR_NO_MORE_FILES for an empty store."""
    opened = _STORES.get(hReportStore)
    if opened is None:
        return int(HResult.E_INVALIDARG), None
    try:
        keys = opened.store.keys(opened.area)
    except Exception as exc:
        return hresult_of(exc), None
    with opened.lock:
        opened.pending = keys
        return _next(opened)


def WerStoreGetNextReportKey(hReportStore: int | None) -> tuple[int, str | None]:
    """Return the next key, or ERROR_NO_MORE_FILES at the end (or before a first call)."""
    opened = _STORES.get(hReportStore)
    if opened is None:
        return int(HResult.E_INVALIDARG), None
    with opened.lock:
        return _next(opened)


def _next(opened: _OpenStore) -> tuple[int, str | None]:
    if not opened.pending:
        return int(HResult.NO_MORE_FILES), None
    return int(HResult.S_OK), opened.pending.pop(0)


def _metadata(hReportStore: int | None, key: str | None) -> ReportMetadata | int:
    opened = _STORES.get(hReportStore)
    if opened is None or not key:
        return int(HResult.E_INVALIDARG)
    try:
        item = opened.store.get(key)
        if item.area is not opened.area:
            raise ReportNotFoundError(key)
        return opened.store.query_metadata(key)
    except ReportNotFoundError:
        return int(HResult.E_INVALIDARG)
    except Exception as exc:
        return hresult_of(exc)


def _fill_v1(target: WER_REPORT_METADATA_V1, data: ReportMetadata) -> None:
    parameters = [WER_REPORT_PARAMETER(p.name, p.value) for p in data.signature.parameters]
    parameters += [WER_REPORT_PARAMETER() for _ in range(10 - len(parameters))]
    target.Signature = WER_REPORT_SIGNATURE(data.signature.event_name, parameters)
    target.BucketId = data.bucket_id
    target.ReportId = data.report_id
    target.CreationTime = datetime_to_filetime(data.creation_time)
    target.SizeInBytes = data.size_in_bytes


def _fill_v2(target: WER_REPORT_METADATA_V2, data: ReportMetadata) -> int:
    """Fill the V2 part; return ERROR_INSUFFICIENT_BUFFER when ``FileNames`` does not fit."""
    _fill_v1(target, data)
    target.CabId = data.cab_id
    target.ReportStatus = data.report_status
    target.ReportIntegratorId = data.report_integrator_id
    target.NumberOfFiles = data.number_of_files
    names = "".join(f"{name}\0" for name in data.file_names) + "\0"
    if target.SizeOfFileNames < len(names):
        target.SizeOfFileNames = len(names)
        target.FileNames = None
        return int(HResult.WER_E_INSUFFICIENT_BUFFER)
    target.SizeOfFileNames = len(names)
    target.FileNames = names
    return int(HResult.S_OK)


def WerStoreQueryReportMetadataV1(
    hReportStore: int | None, pszReportKey: str | None
) -> tuple[int, WER_REPORT_METADATA_V1 | None]:
    """Return ``(hr, metadata)``; E_INVALIDARG for a bad handle or an unknown key."""
    data = _metadata(hReportStore, pszReportKey)
    if isinstance(data, int):
        return data, None
    result = WER_REPORT_METADATA_V1()
    _fill_v1(result, data)
    return int(HResult.S_OK), result


def WerStoreQueryReportMetadataV2(
    hReportStore: int | None,
    pszReportKey: str | None,
    pReportMetadata: WER_REPORT_METADATA_V2 | None = None,
) -> tuple[int, WER_REPORT_METADATA_V2 | None]:
    """Fill ``pReportMetadata`` (a new struct with room for every name when None).

    With ``SizeOfFileNames`` too small the call returns ``ERROR_INSUFFICIENT_BUFFER`` and sets
    ``SizeOfFileNames`` to the WCHARs needed, as WER's two-call protocol does.
    """
    data = _metadata(hReportStore, pszReportKey)
    if isinstance(data, int):
        return data, pReportMetadata
    target = pReportMetadata or WER_REPORT_METADATA_V2(SizeOfFileNames=1 << 30)
    return _fill_v2(target, data), target


def WerStoreQueryReportMetadataV3(
    hReportStore: int | None,
    pszReportKey: str | None,
    pReportMetadata: WER_REPORT_METADATA_V3 | None = None,
) -> tuple[int, WER_REPORT_METADATA_V3 | None]:
    """As V2, plus friendly name, application, description and the server's bucket ids."""
    data = _metadata(hReportStore, pszReportKey)
    if isinstance(data, int):
        return data, pReportMetadata
    target = pReportMetadata or WER_REPORT_METADATA_V3(SizeOfFileNames=1 << 30)
    hr = _fill_v2(target, data)
    target.FriendlyEventName = data.friendly_event_name
    target.ApplicationName = data.application_name
    target.ApplicationPath = data.application_path
    target.Description = data.description
    target.BucketIdString = data.bucket_id_string
    target.LegacyBucketId = data.legacy_bucket_id
    return hr, target


def WerStoreGetReportCount(hReportStore: int | None) -> tuple[int, int | None]:
    """Return ``(hr, count)`` of the reports in the store area."""
    opened = _STORES.get(hReportStore)
    if opened is None:
        return int(HResult.E_INVALIDARG), None
    try:
        return int(HResult.S_OK), opened.store.count(opened.area)
    except Exception as exc:
        return hresult_of(exc), None


def WerStoreGetSizeOnDisk(hReportStore: int | None) -> tuple[int, int | None]:
    """Return ``(hr, bytes)`` the store area's reports take on disk."""
    opened = _STORES.get(hReportStore)
    if opened is None:
        return int(HResult.E_INVALIDARG), None
    try:
        return int(HResult.S_OK), opened.store.size_on_disk(opened.area)
    except Exception as exc:
        return hresult_of(exc), None


def WerStorePurge() -> int:
    """Purge the user store: every queued and archived report (WER leaves its scope unsaid)."""
    try:
        open_store(StoreScope.USER, report_context().paths).purge(None)
    except Exception as exc:
        return hresult_of(exc)
    return int(HResult.S_OK)


def WerStoreUploadReport(
    hReportStore: int | None, pszReportKey: str | None, dwFlags: int
) -> tuple[int, SubmitResult | None]:
    """Send a queued report now, under the settings' consent; returns ``(hr, submit_result)``.

    Without a configured server the report stays queued (``WerReportQueued``); without consent
    (``DefaultConsent`` 1, always ask) it is not sent (``WerReportCancelled``).
    """
    opened = _STORES.get(hReportStore)
    if opened is None or not pszReportKey:
        return int(HResult.E_INVALIDARG), None
    try:
        return int(HResult.S_OK), _upload(opened.store, pszReportKey, SubmitFlags(dwFlags))
    except ReportNotFoundError:
        return int(HResult.E_INVALIDARG), None
    except Exception as exc:
        return hresult_of(exc), None


def _upload(store: ReportStore, key: str, flags: SubmitFlags) -> SubmitResult:
    context: ReportContext = report_context()
    settings = context.settings
    item = store.get(key)
    if item.area is not StoreArea.QUEUE:
        return (
            SubmitResult.REPORT_UPLOADED
            if item.manifest.response.bucket_id
            else (SubmitResult.REPORT_FAILED)
        )
    consent_key = item.manifest.consent_key or item.manifest.event_type or ""
    effective = consent_from_settings(Consent.NOT_ASKED, settings, consent_key)
    if not effective.allows_parameters:
        return SubmitResult.REPORT_CANCELLED
    if context.transport is None:
        return SubmitResult.REPORT_QUEUED
    return deliver_stored_report(
        store,
        key,
        context.transport,
        effective,
        flags,
        throttle=store.throttle,
        bypass_throttling=settings.bypass_data_throttling,
        archive=ArchivePolicy(
            keep=not settings.disable_archive, parameters_only=int(settings.configure_archive) == 1
        ),
    )
