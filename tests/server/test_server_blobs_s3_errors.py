"""The S3 boundary: botocore failures become openwer errors, whatever the server answers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError
from s3_server_process import S3Endpoint, open_s3_store, running_moto
from urllib3.exceptions import ProtocolError

from openwer.errors import (
    AccessDeniedError,
    InvalidArgumentError,
    NotFoundError,
    OpenwerError,
    StoreError,
)
from openwer.server.blobs import s3_store
from openwer.server.blobs.s3_errors import translated_s3_errors


@pytest.fixture(scope="module")
def moto() -> Iterator[S3Endpoint]:
    """One moto server for this module."""
    with running_moto() as endpoint:
        yield endpoint


def client_error(code: str, status: int, message: str = "") -> ClientError:
    """A ClientError as botocore raises it for an S3 error answer."""
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "PutObject")


def translate(exc: BaseException, key: str | None = "k") -> OpenwerError:
    """What translated_s3_errors turns ``exc`` into."""
    with pytest.raises(OpenwerError) as caught, translated_s3_errors("store", "bucket 'b'", key):
        raise exc
    return caught.value


@pytest.mark.parametrize(
    ("exc", "expected", "text"),
    [
        (client_error("NoSuchKey", 404), NotFoundError, "no blob 'k'"),
        (client_error("404", 404), NotFoundError, "no blob"),
        (client_error("SignatureDoesNotMatch", 403, "sig"), AccessDeniedError, "check credentials"),
        (client_error("InvalidAccessKeyId", 403), AccessDeniedError, "InvalidAccessKeyId"),
        (client_error("Weird", 403), AccessDeniedError, "Weird"),
        (client_error("NoSuchBucket", 404), StoreError, "bucket does not exist"),
        (client_error("InternalError", 500, "We encountered an error"), StoreError, "Internal"),
        (client_error("", 503), StoreError, "503"),
        (EndpointConnectionError(endpoint_url="http://h:1"), StoreError, "cannot reach S3"),
        (ParamValidationError(report="bad"), StoreError, "S3 failed to store"),
        (ProtocolError("connection broken"), StoreError, "connection broken"),
        (ConnectionResetError(104, "reset"), StoreError, "reset"),
    ],
)
def test_botocore_failures_are_translated(
    exc: BaseException, expected: type[OpenwerError], text: str
) -> None:
    """Each kind of failure maps to its openwer error, with a one-line message."""
    error = translate(exc)
    assert type(error) is expected
    assert text in str(error)
    assert "\n" not in str(error)
    assert error.__cause__ is exc


def test_a_404_without_a_key_is_not_a_missing_blob() -> None:
    """Bucket-level 404s are StoreError, never NotFoundError."""
    assert type(translate(client_error("NoSuchKey", 404), key=None)) is StoreError


def test_long_server_messages_are_shortened() -> None:
    """A server's chatty message is cut to one short line."""
    error = translate(client_error("InternalError", 500, "word\n" * 500))
    assert len(str(error)) < 300


def test_openwer_errors_pass_through() -> None:
    """An openwer error raised inside the block is not translated again."""
    original = AccessDeniedError("mine")
    assert translate(original) is original


def test_a_put_that_loses_a_conditional_race_returns_the_winner(
    moto: S3Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When another writer lands between HEAD and PUT, the 412 answer yields the winner's info."""
    store = open_s3_store(moto)
    winner = store.put("k", b"first")
    real_head = store._head
    calls: list[str] = []

    def head_missing_once(key: str) -> Any:
        calls.append(key)
        return None if len(calls) == 1 else real_head(key)

    monkeypatch.setattr(store, "_head", head_missing_once)
    assert store.put("k", b"second, longer") == winner
    assert len(calls) == 2
    assert store.get("k") == b"first"


def test_oversized_blobs_are_refused_before_upload(
    moto: S3Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blob over the single-PUT limit raises InvalidArgumentError and stores nothing."""
    monkeypatch.setattr(s3_store, "MAX_OBJECT_SIZE", 10)
    store = open_s3_store(moto)
    for data in (b"x" * 11, io.BytesIO(b"y" * 11)):
        with pytest.raises(InvalidArgumentError, match="multipart"):
            store.put("big", data)
    assert not store.exists("big")


def test_server_failure_at_first_use_is_a_store_error(
    moto: S3Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 500 from the bucket check raises StoreError naming the code, and is retried later."""
    store = open_s3_store(moto)
    real = store._client.list_objects_v2

    def failing(**kwargs: Any) -> Any:
        raise client_error("InternalError", 500, "try again")

    monkeypatch.setattr(store._client, "list_objects_v2", failing)
    with pytest.raises(StoreError, match="InternalError"):
        store.exists("k")
    monkeypatch.setattr(store._client, "list_objects_v2", real)
    assert not store.exists("k")
