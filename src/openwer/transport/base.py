"""The Transport seam: how a report's two stages reach a collection server.

A transport is created by a composition root (the submit path, the uploader), used for any number
of reports and closed with :meth:`Transport.close`. Its methods never raise for network trouble:
they return an :class:`UploadOutcome` naming what happened, so callers decide from a value (queue
for later, give up, archive). They raise only :class:`~openwer.errors.TransportError` for misuse.
Implementations must be safe to call from several threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from openwer.formats.protocol import Stage1Request, Stage1Response

__all__ = ["BundleRequest", "Stage1Outcome", "Transport", "UploadOutcome"]


class UploadOutcome(Enum):
    """What one upload attempt came to."""

    UPLOADED = "uploaded"
    """The server took it (and, for stage 1, answered)."""
    NOTHING_MORE_WANTED = "nothing-more-wanted"
    """Stage 1 was taken and the server wants no bundle."""
    RETRY_LATER = "retry-later"
    """The server or network is unavailable now; keep the report queued."""
    FAILED_PERMANENTLY = "failed-permanently"
    """The server refused the report for good (bad key, invalid report); do not retry."""


@dataclass(frozen=True, slots=True)
class Stage1Outcome:
    """The result of stage 1: an outcome, the server's answer when there is one, and why not."""

    outcome: UploadOutcome
    response: Stage1Response | None = None
    retry_after_s: float | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BundleRequest:
    """Stage 2: the report bundle to upload (Report.wer and the files the server asked for).

    ``files`` pairs each file's name inside the bundle (``File[n].CabName``) with its path.
    """

    report_id: str
    report_wer: bytes
    files: tuple[tuple[str, Path], ...]
    upload_url: str | None = None


class Transport(Protocol):
    """Sends reports to a collection server in two stages."""

    def send_stage1(self, request: Stage1Request) -> Stage1Outcome:
        """Send the signature; return the server's answer or why there is none."""
        ...

    def send_bundle(self, request: BundleRequest) -> UploadOutcome:
        """Upload the bundle the server asked for; idempotent by report id."""
        ...

    def close(self) -> None:
        """Release connections; the transport must not be used afterwards."""
        ...
