"""Bearer authentication: ingest keys (one product each) and admin tokens (every product).

``Authorization: Bearer <secret>``. A missing header, another scheme or an unknown or revoked
secret is refused with 401 and one body, ``{"error": "..."}``, whatever the reason, so a caller
cannot tell an unknown key from a revoked one. Authorization is by scope: an ingest key only
ever reaches its own product (``Scope.products([product.id])``); admin tokens get
``Scope.everything()``.

Verified secrets are cached for ``ttl`` seconds (by SHA-256 of the secret, never the secret
itself) so stage 1 does not pay a database read per request: a revoked or rotated key stops
working within ``ttl`` (default 10 s). Failures are not cached.

Routes depend on :class:`RequestAuthenticator`, the role; :class:`Authenticator` plays it, and
wrappers such as :class:`~openwer.server.rate_limit.RateLimitedAuthenticator` add to it.

Thread safety: one :class:`Authenticator` per app, used from the event loop; the storage look-ups
run in worker threads.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from starlette.requests import Request

from openwer.server.http_errors import HttpError
from openwer.server.storage import AdminRepository, AdminTokenRow, IngestRepository, ProductRow

__all__ = ["Authenticator", "RequestAuthenticator", "bearer_secret", "secret_digest"]

T = TypeVar("T")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="openwer"'}
_MAX_CACHED = 4096
_MAX_SECRET = 512


def bearer_secret(request: Request) -> str | None:
    """The secret of an ``Authorization: Bearer`` header, or ``None``."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > _MAX_SECRET:
        return None
    return secret


def secret_digest(secret: str) -> bytes:
    """SHA-256 of a secret: how caches and rate limits name a key without keeping it."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


class RequestAuthenticator(Protocol):
    """Who a request comes from, as the routes ask it.

    Refusals are :class:`HttpError` (401; 429 from a rate limit); a storage failure during a
    look-up raises :class:`~openwer.errors.StoreError` (503).

    Used from the event loop only (the methods are coroutines); implementations do their
    blocking look-ups in worker threads.
    """

    async def product(self, request: Request) -> ProductRow:
        """The product of the request's ingest key; 401 without a valid key."""
        ...

    async def optional_product(self, request: Request) -> ProductRow | None:
        """Like :meth:`product`, but ``None`` when the request carries no key at all."""
        ...

    async def admin(self, request: Request) -> AdminTokenRow:
        """The request's admin token; 401 without a valid one."""
        ...


class Authenticator:
    """Checks ingest keys and admin tokens against storage, with a short positive cache."""

    def __init__(
        self,
        ingest: IngestRepository,
        admin: AdminRepository,
        *,
        ttl: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ingest = ingest
        self._admin = admin
        self._ttl = ttl
        self._clock = clock
        self._products: dict[bytes, tuple[float, ProductRow]] = {}
        self._tokens: dict[bytes, tuple[float, AdminTokenRow]] = {}

    async def product(self, request: Request) -> ProductRow:
        """The product of the request's ingest key; :class:`HttpError` 401 otherwise."""
        return await self._check(
            request, self._products, self._ingest.verify_ingest_key, "ingest key"
        )

    async def optional_product(self, request: Request) -> ProductRow | None:
        """Like :meth:`product`, but ``None`` when the request carries no key at all."""
        if request.headers.get("authorization") is None:
            return None
        return await self.product(request)

    async def admin(self, request: Request) -> AdminTokenRow:
        """The request's admin token; :class:`HttpError` 401 otherwise."""
        return await self._check(
            request, self._tokens, self._admin.verify_admin_token, "admin token"
        )

    async def _check(
        self,
        request: Request,
        cache: dict[bytes, tuple[float, T]],
        verify: Callable[[str], T | None],
        what: str,
    ) -> T:
        secret = bearer_secret(request)
        if secret is None:
            raise HttpError(401, f"missing {what} (Authorization: Bearer …)", _CHALLENGE)
        digest = secret_digest(secret)
        now = self._clock()
        hit = cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = await asyncio.to_thread(verify, secret)
        if found is None:
            cache.pop(digest, None)
            raise HttpError(401, f"unknown or revoked {what}", _CHALLENGE)
        if len(cache) >= _MAX_CACHED:
            cache.clear()
        cache[digest] = (now + self._ttl, found)
        return found
