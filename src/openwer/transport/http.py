"""The HTTP transport: protocol v1 (docs/protocol.md) to an ``openwer serve`` collection server.

Stage 1 is ``POST /api/v1/reports`` with the JSON signature; stage 2 is ``PUT`` of the report
bundle (a Microsoft CAB) to the URL the server named. Every call is bounded: a per-request timeout,
a few retries with exponential backoff and full jitter for network errors and 5xx answers, and the
server's ``Retry-After`` honoured only while it fits the call's deadline — otherwise the outcome is
``RETRY_LATER`` with the delay the server asked for, and the report stays queued. Answers that
will not change on a retry (a bad key, a body the server refuses) are ``FAILED_PERMANENTLY``.

Lifecycle: create one per upload pass (or per process), call :meth:`HttpTransport.close` when done.
Thread-safe (the underlying ``httpx.Client`` is). ``httpx`` is imported when a transport is made,
so importing openwer stays cheap.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from openwer.errors import FormatError, InvalidArgumentError
from openwer.formats.cab_bundle import build_bundle
from openwer.formats.protocol import Stage1Request
from openwer.formats.protocol_json import stage1_request_to_json, stage1_response_from_json
from openwer.transport.base import BundleRequest, Stage1Outcome, UploadOutcome
from openwer.version import __version__

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpTransport", "RetryPolicy", "transport_from_settings"]

log = logging.getLogger("openwer")

_PERMANENT = frozenset({400, 401, 403, 404, 405, 409, 410, 413, 415, 422})
_RETRY_AFTER_STATUSES = frozenset({429, 503})


class RetryPolicy:
    """How often and how long to retry one call (frozen after construction)."""

    __slots__ = ("attempts", "base_delay_s", "deadline_s", "max_delay_s", "timeout_s")

    def __init__(
        self,
        *,
        attempts: int = 3,
        base_delay_s: float = 0.25,
        max_delay_s: float = 4.0,
        timeout_s: float = 5.0,
        deadline_s: float = 10.0,
    ) -> None:
        if attempts < 1 or timeout_s <= 0 or deadline_s <= 0:
            raise InvalidArgumentError("a retry policy needs attempts ≥ 1 and positive times")
        self.attempts = attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.timeout_s = timeout_s
        self.deadline_s = deadline_s

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff before retry number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


class HttpTransport:
    """A :class:`~openwer.transport.base.Transport` speaking protocol v1 over HTTP(S)."""

    def __init__(
        self,
        server_url: str,
        key: str | None,
        *,
        policy: RetryPolicy | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Prepare a transport for ``server_url`` (``http://`` or ``https://``).

        Raises:
            InvalidArgumentError: the URL is not http(s).
        """
        if not server_url.startswith(("http://", "https://")):
            raise InvalidArgumentError(f"the server URL must be http:// or https://: {server_url}")
        import httpx

        self._base = server_url.rstrip("/")
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        headers = {"User-Agent": f"openwer/{__version__}"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = client or httpx.Client(
            headers=headers, timeout=self._policy.timeout_s, follow_redirects=False
        )
        if client is not None:
            self._client.headers.update(headers)

    def send_stage1(self, request: Stage1Request) -> Stage1Outcome:
        """POST the signature; return the server's answer or why there is none."""
        try:
            body = stage1_request_to_json(request)
        except FormatError as exc:
            return Stage1Outcome(UploadOutcome.FAILED_PERMANENTLY, detail=f"invalid report: {exc}")
        outcome, response, retry_after, detail = self._call(
            "POST",
            f"{self._base}/api/v1/reports",
            content=body,
            content_type="application/json",
        )
        if outcome is not UploadOutcome.UPLOADED or response is None:
            return Stage1Outcome(outcome, retry_after_s=retry_after, detail=detail)
        try:
            answer = stage1_response_from_json(response)
        except FormatError as exc:
            # A server that answers nonsense may be mid-upgrade: try again later.
            return Stage1Outcome(UploadOutcome.RETRY_LATER, detail=f"invalid answer: {exc}")
        done = UploadOutcome.UPLOADED if answer.wants_bundle else UploadOutcome.NOTHING_MORE_WANTED
        return Stage1Outcome(done, answer)

    def send_bundle(self, request: BundleRequest) -> UploadOutcome:
        """Build the CAB and PUT it where the server asked; idempotent by report id."""
        try:
            files = [(name, path.read_bytes()) for name, path in request.files]
            data = build_bundle(request.report_wer, files)
        except (OSError, FormatError) as exc:
            log.warning("openwer: cannot build the bundle of %s: %s", request.report_id, exc)
            return UploadOutcome.FAILED_PERMANENTLY
        target = request.upload_url or f"/api/v1/reports/{request.report_id}/bundle"
        if not target.startswith(("http://", "https://")):
            target = self._base + (target if target.startswith("/") else "/" + target)
        elif not target.startswith(self._base + "/"):
            # Never send a bundle (and the key) to a host other than the configured server.
            log.warning("openwer: refusing a bundle URL outside the server: %s", target)
            return UploadOutcome.FAILED_PERMANENTLY
        outcome, _, _, detail = self._call(
            "PUT", target, content=data, content_type="application/vnd.ms-cab-compressed"
        )
        if outcome is UploadOutcome.FAILED_PERMANENTLY:
            log.warning(
                "openwer: the server refused the bundle of %s: %s", request.report_id, detail
            )
        return outcome

    def _call(
        self, method: str, url: str, *, content: bytes, content_type: str
    ) -> tuple[UploadOutcome, bytes | None, float | None, str]:
        import httpx

        deadline = time.monotonic() + self._policy.deadline_s
        detail = ""
        for attempt in range(1, self._policy.attempts + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                reply = self._client.request(
                    method,
                    url,
                    content=content,
                    headers={"Content-Type": content_type},
                    timeout=min(self._policy.timeout_s, remaining),
                )
            except httpx.HTTPError as exc:
                detail = f"{type(exc).__name__}: {exc}"
            else:
                if 200 <= reply.status_code < 300:
                    return UploadOutcome.UPLOADED, reply.content, None, ""
                detail = f"HTTP {reply.status_code}: {reply.text[:200]}"
                if reply.status_code in _PERMANENT:
                    return UploadOutcome.FAILED_PERMANENTLY, None, None, detail
                if reply.status_code in _RETRY_AFTER_STATUSES:
                    wait = _retry_after(reply.headers.get("Retry-After"))
                    if wait is not None:
                        if wait > deadline - time.monotonic():
                            return UploadOutcome.RETRY_LATER, None, wait, detail
                        self._sleep(wait)
                        continue
            if attempt < self._policy.attempts:
                pause = min(self._policy.backoff(attempt), max(0.0, deadline - time.monotonic()))
                self._sleep(pause)
        return UploadOutcome.RETRY_LATER, None, None, detail or "deadline reached"

    def close(self) -> None:
        """Close the connections."""
        self._client.close()


def transport_from_settings(server_url: str | None, key: str | None) -> HttpTransport | None:
    """The transport the settings ask for (``Server.Url``, ``Server.Key``), or None without one."""
    if not server_url:
        return None
    return HttpTransport(server_url, key)
