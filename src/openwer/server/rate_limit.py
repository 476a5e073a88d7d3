"""Per-key rate limits for the ingest endpoints: token buckets, wrapped around authentication.

:class:`TokenBuckets` keeps one token bucket per key: ``burst`` tokens, refilled at ``rate``
tokens per second; a request takes one token or, when none is left, is told how long to wait.
:class:`RateLimitedAuthenticator` wraps a
:class:`~openwer.server.auth.RequestAuthenticator`: once a request is authenticated it takes a
token from the bucket of its ingest key (SHA-256 of the secret, never the secret) or, for an
MS-CER2 report sent without a key, of its client address, and a request over the limit is
refused with 429, ``{"error": …}`` and ``Retry-After`` (whole seconds, at least 1) before its
body is read, so nothing is stored. Admin requests are not limited.

:func:`rate_limited` is what ``create_app`` calls: with ``rate_limit_per_key = 0`` (the default)
it returns the authenticator unchanged, so a server without limits pays nothing for them.

What the limits are and are not:

* per server process: N servers behind a load balancer let a key through at up to N times the
  rate (the buckets are not shared);
* only requests that authenticate are counted: an unknown key is refused with 401 before it
  could take a bucket from a real one (guessing a 256-bit key is not a rate problem);
* MS-CER2 reports without a key are counted per client address as the ASGI server sees it:
  behind a reverse proxy every client shares the proxy's address unless the ASGI server is told
  to trust the proxy's ``X-Forwarded-For``;
* memory is bounded: at most ``max_keys`` buckets are kept and the least recently used one is
  dropped for a new key. A dropped bucket comes back full, which is what an idle bucket would
  be anyway; only more than ``max_keys`` keys (or addresses) busy at once can earn a key a fresh
  burst early.

Thread safety: :meth:`TokenBuckets.take` may be called from any thread; it holds a lock for a
few dictionary operations (O(1)) and never across an ``await``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from openwer.errors import InvalidArgumentError
from openwer.server.auth import RequestAuthenticator, bearer_secret, secret_digest
from openwer.server.config import ServerConfig
from openwer.server.http_errors import HttpError
from openwer.server.storage import AdminTokenRow, ProductRow

__all__ = [
    "DEFAULT_MAX_KEYS",
    "RateLimitedAuthenticator",
    "Throttled",
    "TokenBuckets",
    "rate_limited",
]

DEFAULT_MAX_KEYS = 65_536
"""Buckets kept at most (about 150 bytes each: some 10 MB when full)."""

BucketKey = bytes | str
"""An ingest key's SHA-256 digest (``bytes``) or ``"addr:<client address>"`` (``str``)."""


@dataclass(frozen=True, slots=True)
class Throttled:
    """A request over its key's limit: retry in ``retry_after`` whole seconds (at least 1)."""

    retry_after: int


class TokenBuckets:
    """One token bucket per key, at most ``max_keys`` of them (least recently used dropped).

    Args:
        rate: tokens added per second to every bucket (> 0).
        burst: tokens a bucket holds at most, and a new key starts with (>= 1).
        max_keys: buckets kept at most.
        clock: monotonic seconds (tests pass a fake).

    Raises:
        InvalidArgumentError: a value out of range.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (rate > 0 and math.isfinite(rate)) or burst < 1 or max_keys < 1:
            raise InvalidArgumentError(
                f"a token bucket needs rate > 0, burst >= 1 and max_keys >= 1, not "
                f"{rate}, {burst}, {max_keys}"
            )
        self.rate = rate
        self.burst = burst
        self._max_keys = max_keys
        self._clock = clock
        # key -> (tokens left, when they were counted); the order is least recently used first.
        self._buckets: OrderedDict[BucketKey, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: BucketKey) -> Throttled | None:
        """Take one token from ``key``'s bucket: ``None`` when the request may go on, else how
        long to wait (no token is taken then)."""
        now = self._clock()
        with self._lock:
            counted = self._buckets.get(key)
            if counted is None:
                if len(self._buckets) >= self._max_keys:
                    self._buckets.popitem(last=False)
                self._buckets[key] = (self.burst - 1.0, now)
                return None
            self._buckets.move_to_end(key)
            tokens, then = counted
            # max(): a clock that steps back (a fake one, or threads reading the clock in one
            # order and taking the lock in another) must not take tokens away.
            tokens = min(float(self.burst), tokens + max(0.0, now - then) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
        return Throttled(max(1, math.ceil((1.0 - tokens) / self.rate)))

    def __len__(self) -> int:
        """How many buckets are kept now."""
        return len(self._buckets)


class RateLimitedAuthenticator:
    """A :class:`~openwer.server.auth.RequestAuthenticator` that limits ingest requests.

    Authentication is the wrapped authenticator's; then the request takes a token of its key's
    bucket (see the module docstring) or is refused with :class:`HttpError` 429.
    """

    def __init__(self, inner: RequestAuthenticator, buckets: TokenBuckets) -> None:
        self._inner = inner
        self.buckets = buckets

    async def product(self, request: Request) -> ProductRow:
        """The product of the request's ingest key, within the key's rate limit."""
        product = await self._inner.product(request)
        self._take(_key_of(request))
        return product

    async def optional_product(self, request: Request) -> ProductRow | None:
        """Like :meth:`product`; a request without a key is limited by its client address."""
        product = await self._inner.optional_product(request)
        self._take(_key_of(request))
        return product

    async def admin(self, request: Request) -> AdminTokenRow:
        """The request's admin token (admin requests are not limited)."""
        return await self._inner.admin(request)

    def _take(self, key: BucketKey) -> None:
        throttled = self.buckets.take(key)
        if throttled is not None:
            raise HttpError(
                429,
                f"rate limit exceeded ({self.buckets.rate:g} requests/s per ingest key); "
                f"retry in {throttled.retry_after} s",
                {"Retry-After": str(throttled.retry_after)},
            )


def _key_of(request: Request) -> BucketKey:
    secret = bearer_secret(request)
    if secret is not None:
        return secret_digest(secret)
    client = request.client
    return f"addr:{client.host if client is not None else 'unknown'}"


def rate_limited(
    auth: RequestAuthenticator,
    config: ServerConfig,
    *,
    max_keys: int = DEFAULT_MAX_KEYS,
    clock: Callable[[], float] = time.monotonic,
) -> RequestAuthenticator:
    """``auth`` limited as ``config`` says, or ``auth`` itself when limits are off.

    ``rate_limit_burst = 0`` means one second's worth of requests (at least 1).
    """
    rate = config.rate_limit_per_key
    if rate <= 0:
        return auth
    burst = config.rate_limit_burst or max(1, math.ceil(rate))
    return RateLimitedAuthenticator(auth, TokenBuckets(rate, burst, max_keys=max_keys, clock=clock))
