"""HTTP errors of the collection server, translated once.

Every error answer is ``{"error": "<message>"}`` with the status docs/protocol.md lists. Routes
raise :class:`HttpError` for what only HTTP knows (a missing key, a body over its limit) and let
openwer's own exceptions through; :data:`EXCEPTION_HANDLERS`, installed by ``create_app``, maps
them in one place:

=============================  ======
``HttpError``                  its own status
``FormatError``                400 (the parser's message is the error text)
``InvalidArgumentError``       400
``AccessDeniedError``          403
``NotFoundError``              404
``InvalidStateError``          409 (the change conflicts with the state: a merged bucket)
``StoreError``                 503 with ``Retry-After: 5``
anything else                  500 ``internal error`` (the traceback goes to the log only)
=============================  ======

Stateless and thread-safe.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from openwer.errors import (
    AccessDeniedError,
    FormatError,
    InvalidArgumentError,
    InvalidStateError,
    NotFoundError,
    StoreError,
)

__all__ = ["EXCEPTION_HANDLERS", "HttpError", "error_response", "read_body"]

log = logging.getLogger("openwer.server")


class HttpError(Exception):
    """An answer other than success, decided by a route: ``status`` and a one-line message."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The one error body: ``{"error": message}``."""
    return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The request body, refusing more than ``limit`` bytes (413) before reading it all.

    A ``Content-Length`` over the limit is refused without reading; a chunked body is counted
    as it arrives and refused as soon as it passes the limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HttpError(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise HttpError(413, f"the {what} is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"the {what} is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpError)
    return error_response(exc.status, exc.message, exc.headers)


async def _openwer_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, FormatError | InvalidArgumentError):
        return error_response(400, str(exc))
    if isinstance(exc, AccessDeniedError):
        return error_response(403, str(exc))
    if isinstance(exc, NotFoundError):
        return error_response(404, str(exc))
    if isinstance(exc, InvalidStateError):
        return error_response(409, str(exc))
    if isinstance(exc, StoreError):
        log.error("storage unavailable on %s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "storage temporarily unavailable", {"Retry-After": "5"})
    return await _internal_error(request, exc)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal error")


EXCEPTION_HANDLERS = {
    HttpError: _http_error,
    FormatError: _openwer_error,
    InvalidArgumentError: _openwer_error,
    AccessDeniedError: _openwer_error,
    NotFoundError: _openwer_error,
    InvalidStateError: _openwer_error,
    StoreError: _openwer_error,
    Exception: _internal_error,
}
