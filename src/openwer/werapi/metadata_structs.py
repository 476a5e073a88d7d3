"""``WER_REPORT_METADATA_V1/V2/V3`` and their parts, with the Win32 field names.

Mutable like the C structs they mirror: ``WerStoreQueryReportMetadataV2/V3`` follow WER's two-call
protocol on the caller's struct (first ``SizeOfFileNames = 0`` → ``ERROR_INSUFFICIENT_BUFFER`` and
the size needed, then a call with a large enough size fills ``FileNames``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

__all__ = [
    "WER_REPORT_METADATA_V1",
    "WER_REPORT_METADATA_V2",
    "WER_REPORT_METADATA_V3",
    "WER_REPORT_PARAMETER",
    "WER_REPORT_SIGNATURE",
]

_NIL = uuid.UUID(int=0)


@dataclass
class WER_REPORT_PARAMETER:
    """One signature parameter (``Name[129]``, ``Value[260]``)."""

    Name: str = ""
    Value: str = ""


@dataclass
class WER_REPORT_SIGNATURE:
    """The event name and the ten parameter slots."""

    EventName: str = ""
    Parameters: list[WER_REPORT_PARAMETER] = field(
        default_factory=lambda: [WER_REPORT_PARAMETER() for _ in range(10)]
    )


@dataclass
class WER_REPORT_METADATA_V1:
    """V1: signature, bucket id (hash of the signature), report id, creation time, size."""

    Signature: WER_REPORT_SIGNATURE = field(default_factory=WER_REPORT_SIGNATURE)
    BucketId: uuid.UUID = _NIL
    ReportId: uuid.UUID = _NIL
    CreationTime: int = 0
    """A FILETIME (UTC)."""
    SizeInBytes: int = 0


@dataclass
class WER_REPORT_METADATA_V2(WER_REPORT_METADATA_V1):
    """V2 adds the cab id, status, integrator id and the file list (two-call protocol)."""

    CabId: str = ""
    ReportStatus: int = 0
    ReportIntegratorId: uuid.UUID = _NIL
    NumberOfFiles: int = 0
    SizeOfFileNames: int = 0
    """In WCHARs: every name with its NUL plus the final NUL of the double-NUL list."""
    FileNames: str | None = None
    """The double-NUL-terminated list (``"a\\0b\\0\\0"``), or None until a call fills it."""


@dataclass
class WER_REPORT_METADATA_V3(WER_REPORT_METADATA_V2):
    """V3 adds display names, paths and the server's bucket ids."""

    FriendlyEventName: str = ""
    ApplicationName: str = ""
    ApplicationPath: str = ""
    Description: str = ""
    BucketIdString: str = ""
    LegacyBucketId: int = 0
