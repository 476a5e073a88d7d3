"""An in-memory transport for tests: records what it was sent and answers like a small server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from openwer.formats.bucket_id import compute_bucket_ids
from openwer.formats.protocol import DataRequest, Stage1Request, Stage1Response
from openwer.transport.base import BundleRequest, Stage1Outcome, UploadOutcome

__all__ = ["MemoryTransport", "ReceivedBundle"]


@dataclass(frozen=True, slots=True)
class ReceivedBundle:
    """A bundle the fake server received: the manifest bytes and each file's content."""

    report_id: str
    report_wer: bytes
    files: dict[str, bytes] = field(hash=False)


class MemoryTransport:
    """A fake :class:`~openwer.transport.base.Transport` with a tiny bucketing server inside.

    By default it answers every stage 1 with the client-side bucket ids and asks for a bundle the
    first time it sees a bucket, like a data-request policy of "first hit only". ``answer`` replaces
    that logic; ``online=False`` makes every call return ``RETRY_LATER``. Thread-safe.
    """

    def __init__(
        self,
        *,
        answer: Callable[[Stage1Request], Stage1Response] | None = None,
        online: bool = True,
        bundle_outcome: UploadOutcome = UploadOutcome.UPLOADED,
    ) -> None:
        self.online = online
        self.bundle_outcome = bundle_outcome
        self.stage1_requests: list[Stage1Request] = []
        self.bundles: list[ReceivedBundle] = []
        self.closed = False
        self._answer = answer or self._default_answer
        self._seen_buckets: set[str] = set()
        self._lock = threading.Lock()

    def _default_answer(self, request: Stage1Request) -> Stage1Response:
        ids = compute_bucket_ids(request.event_type, [p.value for p in request.signature])
        first = ids.bucket_id_string not in self._seen_buckets
        self._seen_buckets.add(ids.bucket_id_string)
        return Stage1Response(
            bucket_id=ids.bucket_id_string,
            legacy_bucket_id=ids.legacy_bucket_id,
            data_request=DataRequest() if first else None,
        )

    def send_stage1(self, request: Stage1Request) -> Stage1Outcome:
        """Record ``request`` and answer it (or ``RETRY_LATER`` when offline)."""
        with self._lock:
            if not self.online:
                return Stage1Outcome(UploadOutcome.RETRY_LATER, detail="offline")
            self.stage1_requests.append(request)
            response = self._answer(request)
        outcome = (
            UploadOutcome.UPLOADED if response.wants_bundle else UploadOutcome.NOTHING_MORE_WANTED
        )
        return Stage1Outcome(outcome, response)

    def send_bundle(self, request: BundleRequest) -> UploadOutcome:
        """Read the bundle's files into memory and record them."""
        with self._lock:
            if not self.online:
                return UploadOutcome.RETRY_LATER
            if self.bundle_outcome is UploadOutcome.UPLOADED:
                files = {name: path.read_bytes() for name, path in request.files}
                self.bundles.append(ReceivedBundle(request.report_id, request.report_wer, files))
            return self.bundle_outcome

    def close(self) -> None:
        """Mark the transport closed."""
        self.closed = True
