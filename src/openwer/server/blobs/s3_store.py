"""Blobs in a bucket of any S3-compatible store (AWS S3, MinIO, Garage, SeaweedFS, s3rver…).

It speaks through botocore's synchronous client (the core that boto3 and aiobotocore wrap; the
``[s3]`` extra installs it) with an ``endpoint_url``, SigV4 signatures and nothing vendor
specific, so any server that implements CreateBucket, HeadObject, PutObject, GetObject,
DeleteObject and ListObjectsV2 works; ``If-None-Match: *`` on PutObject (conditional writes) is
used where the server honours it. Tested against s3rver (a real server process) and moto (also
with IAM authentication, which verifies signatures); MinIO, Garage and SeaweedFS are the
production targets that could not be exercised here.

Size limit: one ``PutObject`` per blob, so at most :data:`MAX_OBJECT_SIZE` (5 GiB, S3's limit for
a single PUT); multipart upload is not implemented (report bundles are megabytes). A stream is
first copied into a spooled temporary file (memory up to 8 MiB, then disk), which gives S3 a
content length and a signed payload hash, and keeps the caller's stream errors apart from S3's.

Failures and retries: every request has a connect timeout, a read timeout (per socket read) and
at most ``max_attempts`` attempts with botocore's standard backoff, so a dead endpoint fails in
about ``max_attempts × connect_timeout`` plus a few seconds of backoff, never hangs.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from openwer.errors import InvalidArgumentError, StoreError
from openwer.server.blobs.blob_data import iter_blob_chunks
from openwer.server.blobs.blob_keys import (
    DEFAULT_CONTENT_TYPE,
    check_blob_key,
    check_blob_prefix,
    check_content_type,
)
from openwer.server.blobs.blob_reader import BlobReader
from openwer.server.blobs.blob_store import BlobData, BlobInfo
from openwer.server.blobs.s3_errors import error_code, http_status, translated_s3_errors
from openwer.server.blobs.s3_location import (
    AddressingStyle,
    S3Location,
    check_bucket_name,
    check_endpoint,
)

__all__ = ["MAX_OBJECT_SIZE", "S3BlobStore"]

MAX_OBJECT_SIZE = 5 * 1024**3
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_BUCKET_MISSING = frozenset({"404", "NoSuchBucket", "NotFound"})
_BUCKET_OURS = frozenset({"BucketAlreadyOwnedByYou"})
_log = logging.getLogger(__name__)


class S3BlobStore:
    """Blobs in one S3 bucket; thread-safe, and shareable by many processes and machines.

    Credentials: ``access_key_id``/``secret_access_key`` (and ``session_token``) when given,
    else botocore's standard chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
    ``AWS_PROFILE`` and the shared files, container and instance roles). They are handed to
    botocore and not kept on this object; ``repr`` and every message omit them.

    Construction does no network I/O; the first call checks the bucket (creating it when
    ``create_bucket`` is true) and fails with a clear error when it is missing or refused.
    Objects in the bucket whose keys are not valid blob keys (written by other tools) are
    skipped by :meth:`list` but counted by :meth:`total_size`.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        create_bucket: bool = False,
        addressing_style: AddressingStyle = "auto",
        connect_timeout: float = 2.0,
        read_timeout: float = 20.0,
        max_attempts: int = 3,
        max_connections: int = 32,
    ) -> None:
        """Prepare a client for ``bucket`` (see the class docstring); no request is sent yet.

        Raises:
            InvalidArgumentError: a bad bucket name, endpoint, or half a key pair.
            StoreError: botocore cannot be configured (an unknown ``AWS_PROFILE``, say).
        """
        self.bucket = check_bucket_name(bucket)
        self.endpoint_url = None if endpoint_url is None else check_endpoint(endpoint_url)
        if (access_key_id is None) != (secret_access_key is None):
            raise InvalidArgumentError("give both access_key_id and secret_access_key, or neither")
        if max_attempts < 1 or connect_timeout <= 0 or read_timeout <= 0:
            raise InvalidArgumentError("timeouts must be positive and max_attempts at least 1")
        self._where = f"bucket {self.bucket!r} at {self.endpoint_url or 'AWS S3'}"
        self._create = create_bucket
        self._bucket_lock = threading.Lock()
        self._bucket_ready = False
        self._closed = False
        style = addressing_style
        if style == "auto":
            style = "path" if self.endpoint_url else "virtual"
        config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            s3={"addressing_style": style},
            signature_version="s3v4",
            # Newer botocore adds CRC32 trailers by default, which many S3-compatible servers
            # (s3rver, older MinIO and Ceph) reject; send and check them only where required.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            max_pool_connections=max_connections,
            user_agent_extra="openwer",
        )
        with translated_s3_errors("configure a client for", self._where):
            session = botocore.session.Session()
            self.region = str(region or session.get_config_variable("region") or "us-east-1")
            self._client: Any = session.create_client(
                "s3",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                aws_session_token=session_token,
                config=config,
            )

    @classmethod
    def from_location(
        cls,
        location: S3Location,
        *,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
    ) -> S3BlobStore:
        """A store for a parsed ``s3://`` URL, with optional explicit credentials."""
        return cls(
            location.bucket,
            endpoint_url=location.endpoint_url,
            region=location.region,
            create_bucket=location.create_bucket,
            addressing_style=location.addressing_style,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            session_token=session_token,
        )

    def put(
        self, key: str, data: BlobData, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> BlobInfo:
        """Store ``data`` unless ``key`` is taken (``If-None-Match: *``); return the blob's info."""
        self._check_open()
        check_blob_key(key)
        check_content_type(content_type)
        self._ensure_bucket()
        existing = self._head(key)
        if existing is not None:
            return existing
        body, size = _spooled(data)
        try:
            with translated_s3_errors("store", self._where, key):
                try:
                    response = self._client.put_object(
                        Bucket=self.bucket,
                        Key=key,
                        Body=body,
                        ContentType=content_type,
                        IfNoneMatch="*",
                    )
                except ClientError as exc:
                    # 412: someone stored the key first; 409: a concurrent conditional write.
                    if http_status(exc) not in (409, 412):
                        raise
                    winner = self._head(key)
                    if winner is None:
                        raise
                    return winner
        finally:
            if not isinstance(body, bytes):
                body.close()
        return BlobInfo(key, size, _stored_at(response))

    def get(self, key: str) -> bytes:
        """Return the blob's bytes."""
        with self.open(key) as reader:
            return reader.read()

    def open(self, key: str) -> BlobReader:
        """Open the blob for streaming (one GetObject; close the reader to free the connection)."""
        self._check_open()
        check_blob_key(key)
        self._ensure_bucket()
        with translated_s3_errors("read", self._where, key):
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        body = response["Body"]
        info = BlobInfo(key, int(response["ContentLength"]), _utc(response["LastModified"]))

        def read(size: int) -> bytes:
            with translated_s3_errors("read", self._where, key):
                return bytes(body.read(None if size < 0 else size))

        content_type = str(response.get("ContentType") or DEFAULT_CONTENT_TYPE)
        return BlobReader(info, content_type, read, body.close)

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a blob (one HeadObject)."""
        self._check_open()
        check_blob_key(key)
        self._ensure_bucket()
        return self._head(key) is not None

    def delete(self, key: str) -> None:
        """Remove the blob if present (DeleteObject is idempotent in S3)."""
        self._check_open()
        check_blob_key(key)
        self._ensure_bucket()
        with translated_s3_errors("delete", self._where, key):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Iterate over the blobs whose keys start with ``prefix`` (ListObjectsV2, paginated)."""
        self._check_open()
        check_blob_prefix(prefix)
        return self._iter_infos(prefix)

    def total_size(self) -> int:
        """Sum of the sizes of every object in the bucket (lists it: one request per 1,000)."""
        self._check_open()
        return sum(int(item["Size"]) for item in self._iter_objects(""))

    def close(self) -> None:
        """Close the connection pool; idempotent."""
        if not self._closed:
            self._closed = True
            self._client.close()

    def __repr__(self) -> str:
        return f"S3BlobStore({self._where})"

    def _iter_infos(self, prefix: str) -> Iterator[BlobInfo]:
        for item in self._iter_objects(prefix):
            key = str(item["Key"])
            try:
                check_blob_key(key)
            except InvalidArgumentError:
                _log.warning("skipping object %r in %s: not a blob key", key[:80], self._where)
                continue
            yield BlobInfo(key, int(item["Size"]), _utc(item["LastModified"]))

    def _iter_objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        self._ensure_bucket()
        paginator = self._client.get_paginator("list_objects_v2")
        with translated_s3_errors("list", self._where):
            pages = iter(paginator.paginate(Bucket=self.bucket, Prefix=prefix))
        while True:
            with translated_s3_errors("list", self._where):
                page = next(pages, None)
            if page is None:
                return
            yield from page.get("Contents", ())

    def _head(self, key: str) -> BlobInfo | None:
        with translated_s3_errors("look up", self._where, key):
            try:
                response = self._client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if http_status(exc) == 404:
                    return None
                raise
        return BlobInfo(key, int(response["ContentLength"]), _utc(response["LastModified"]))

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if not self._bucket_ready:  # another thread may have done it meanwhile
                self._check_bucket()
                self._bucket_ready = True

    def _check_bucket(self) -> None:
        with translated_s3_errors("open", self._where):
            try:
                # ListObjectsV2 rather than HeadBucket: its answer has a body, so a refusal says
                # why (InvalidAccessKeyId, SignatureDoesNotMatch…) and the message can tell.
                self._client.list_objects_v2(Bucket=self.bucket, MaxKeys=1)
            except ClientError as exc:
                if error_code(exc) not in _BUCKET_MISSING:
                    raise
                if not self._create:
                    raise StoreError(
                        f"S3 {self._where} does not exist; create it, or open the store with "
                        "create=true"
                    ) from exc
                self._create_bucket()

    def _create_bucket(self) -> None:
        options: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self._client.create_bucket(**options)
        except ClientError as exc:
            if error_code(exc) not in _BUCKET_OURS:
                raise
        _log.info("created S3 %s", self._where)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the blob store for {self._where} is closed")


def _spooled(data: BlobData) -> tuple[bytes | BinaryIO, int]:
    """``data`` as a body S3 can sign: bytes as they are, streams copied into a spooled file."""
    if isinstance(data, bytes):
        size = len(data)
        body: bytes | BinaryIO = data
    else:
        spool: Any = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        try:
            size = 0
            for chunk in iter_blob_chunks(data):  # the caller's errors propagate as they are
                try:
                    spool.write(chunk)
                except OSError as exc:
                    raise StoreError(f"cannot spool a blob for S3: {exc.strerror}") from exc
                size += len(chunk)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        body = spool
    if size > MAX_OBJECT_SIZE:
        if not isinstance(body, bytes):
            body.close()
        raise InvalidArgumentError(
            f"a blob of {size} bytes exceeds the S3 backend's limit of {MAX_OBJECT_SIZE} "
            "(one PutObject; multipart upload is not implemented)"
        )
    return body, size


def _stored_at(response: dict[str, Any]) -> datetime:
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    for name in ("last-modified", "date"):
        value = headers.get(name)
        if value:
            try:
                return _utc(parsedate_to_datetime(str(value)))
            except (TypeError, ValueError):
                continue
    return datetime.now(UTC)


def _utc(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise StoreError(f"S3 answered a timestamp that is not one: {str(value)[:40]!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
