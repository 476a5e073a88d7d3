"""Translation of botocore's exceptions into openwer's tree, once, at the S3 boundary.

=======================================================  ==========================================
botocore                                                 openwer
=======================================================  ==========================================
``NoSuchKey`` / HTTP 404 of an object                    :class:`~openwer.errors.NotFoundError`
``AccessDenied``, ``InvalidAccessKeyId``,                :class:`~openwer.errors.AccessDeniedError`
``SignatureDoesNotMatch``, HTTP 403, no credentials
``NoSuchBucket``, connection refused, timeouts, 5xx,     :class:`~openwer.errors.StoreError`
anything else
=======================================================  ==========================================

Messages are one line with the action, the key, the bucket and endpoint, and the S3 error code;
they never contain credentials (for refused credentials the server's own message is not repeated
either, since some servers echo the access key id and the string they signed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from urllib3.exceptions import HTTPError

from openwer.errors import AccessDeniedError, NotFoundError, OpenwerError, StoreError
from openwer.server.blobs.blob_keys import describe_key

__all__ = ["error_code", "http_status", "translated_s3_errors"]

_DENIED = frozenset(
    {
        "403",
        "AccessDenied",
        "AllAccessDisabled",
        "ExpiredToken",
        "Forbidden",
        "InvalidAccessKeyId",
        "InvalidToken",
        "SignatureDoesNotMatch",
        "TokenRefreshRequired",
    }
)
_MISSING_OBJECT = frozenset({"404", "NoSuchKey", "NotFound"})
_MAX_MESSAGE = 200


def error_code(exc: ClientError) -> str:
    """The S3 error code of ``exc`` (``NoSuchKey``…), or the HTTP status as text."""
    response: dict[str, Any] = exc.response
    code = response.get("Error", {}).get("Code")
    return str(code) if code else str(http_status(exc))


def http_status(exc: ClientError) -> int:
    """The HTTP status of the answer that raised ``exc`` (0 when unknown)."""
    response: dict[str, Any] = exc.response
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


@contextlib.contextmanager
def translated_s3_errors(action: str, where: str, key: str | None = None) -> Iterator[None]:
    """Translate what the block raises; ``where`` names the bucket and endpoint for messages.

    A 404 is :class:`~openwer.errors.NotFoundError` only when ``key`` is given (an object
    operation) and S3 did not say the bucket is missing.
    """
    subject = f"blob {describe_key(key)} in {where}" if key is not None else where
    try:
        yield
    except OpenwerError:
        raise
    except ClientError as exc:
        raise _client_error(exc, action, subject, key) from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise AccessDeniedError(
            f"no usable S3 credentials to {action} {subject}: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or pass them explicitly)"
        ) from exc
    except ReadTimeoutError as exc:
        raise StoreError(f"S3 did not answer in time to {action} {subject}") from exc
    except BotoConnectionError as exc:
        raise StoreError(f"cannot reach S3 to {action} {subject}: {_short(exc)}") from exc
    except (BotoCoreError, HTTPError, OSError) as exc:
        raise StoreError(f"S3 failed to {action} {subject}: {_short(exc)}") from exc


def _client_error(exc: ClientError, action: str, subject: str, key: str | None) -> OpenwerError:
    code = error_code(exc)
    if code in _DENIED or http_status(exc) == 403:
        return AccessDeniedError(f"S3 refused to {action} {subject} ({code}): check credentials")
    if key is not None and code in _MISSING_OBJECT:
        return NotFoundError(f"no blob {describe_key(key)}")
    if code == "NoSuchBucket":
        return StoreError(f"cannot {action} {subject}: the bucket does not exist")
    message = exc.response.get("Error", {}).get("Message") or ""
    detail = f"{code}: {message}" if message else code
    return StoreError(f"S3 failed to {action} {subject} ({_short(detail)})")


def _short(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"
