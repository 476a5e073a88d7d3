"""S3BlobStore beyond the contract: credentials, dead endpoints, buckets, persistence, races."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from blob_store_workers import WORKERS, RaceSpec, race_payload, run_race
from s3_server_process import (
    S3Endpoint,
    free_port,
    new_bucket_name,
    open_s3_store,
    running_moto,
    running_s3rver,
    running_signing_moto,
)

from openwer.errors import AccessDeniedError, InvalidArgumentError, NotFoundError, StoreError
from openwer.server.blobs import S3BlobStore, open_blob_store

SECRET = "not-the-secret-0123456789"


@pytest.fixture(scope="module")
def s3rver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """One s3rver process for this module."""
    with running_s3rver(tmp_path_factory.mktemp("s3rver") / "data") as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def moto() -> Iterator[S3Endpoint]:
    """One moto server for this module."""
    with running_moto() as endpoint:
        yield endpoint


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An environment with no AWS credentials, profiles or instance metadata."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture(scope="module")
def signing_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """A moto server process that verifies SigV4 signatures (s3rver does not)."""
    with running_signing_moto(tmp_path_factory.mktemp("moto-auth")) as endpoint:
        yield endpoint


def test_wrong_secret_is_access_denied(signing_moto: S3Endpoint) -> None:
    """A wrong secret is refused by a signature-checking server; no message shows it."""
    bucket = new_bucket_name()
    right = open_s3_store(signing_moto, bucket)
    right.put("k", b"v")
    wrong = open_s3_store(signing_moto, bucket, secret_access_key=SECRET, create_bucket=False)
    for call in (lambda: wrong.get("k"), lambda: wrong.put("k2", b"v")):
        with pytest.raises(AccessDeniedError, match="check credentials") as caught:
            call()
        assert SECRET not in str(caught.value)
    assert SECRET not in repr(wrong)
    assert right.get("k") == b"v"


def test_unknown_access_key_is_access_denied(s3rver: S3Endpoint) -> None:
    """s3rver refuses an access key id it does not know: AccessDeniedError."""
    store = open_s3_store(s3rver, access_key_id="NOBODY", secret_access_key=SECRET)
    with pytest.raises(AccessDeniedError, match="InvalidAccessKeyId"):
        store.exists("k")


def test_credentials_come_from_the_environment(
    s3rver: S3Endpoint, aws_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An s3:// URL with no credentials uses AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."""
    aws_env.setenv("AWS_ACCESS_KEY_ID", s3rver.access_key_id)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", s3rver.secret_access_key)
    url = f"s3://{new_bucket_name()}?endpoint={s3rver.url}&region=us-east-1&create=true"
    store = open_blob_store(url, tmp_path)
    assert isinstance(store, S3BlobStore)
    store.put("from-env", b"ok")
    assert store.get("from-env") == b"ok"
    store.close()


def test_missing_credentials_are_access_denied(
    s3rver: S3Endpoint, aws_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No credentials anywhere raises AccessDeniedError that says where to put them."""
    store = open_blob_store(f"s3://{new_bucket_name()}?endpoint={s3rver.url}", tmp_path)
    with pytest.raises(AccessDeniedError, match="AWS_ACCESS_KEY_ID"):
        store.exists("k")


def test_unreachable_endpoint_fails_fast(tmp_path: Path) -> None:
    """Nothing listening: a StoreError naming the endpoint, after bounded retries."""
    url = f"http://127.0.0.1:{free_port()}"
    store = S3BlobStore(
        new_bucket_name(), endpoint_url=url, access_key_id="a", secret_access_key=SECRET
    )
    started = time.monotonic()
    with pytest.raises(StoreError, match="cannot reach S3") as caught:
        store.put("k", b"v")
    assert time.monotonic() - started < 8
    assert url in str(caught.value)
    assert not isinstance(caught.value, NotFoundError | AccessDeniedError)


def test_silent_endpoint_times_out(tmp_path: Path) -> None:
    """A server that accepts but never answers gives a StoreError after the read timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        held: list[socket.socket] = []
        accepting = threading.Thread(target=lambda: held.extend(_accept(listener, 2)), daemon=True)
        accepting.start()
        store = S3BlobStore(
            new_bucket_name(),
            endpoint_url=f"http://127.0.0.1:{port}",
            access_key_id="a",
            secret_access_key=SECRET,
            read_timeout=0.3,
            max_attempts=2,
        )
        started = time.monotonic()
        with pytest.raises(StoreError, match="did not answer in time"):
            store.exists("k")
        assert time.monotonic() - started < 6
        for connection in held:
            connection.close()


def _accept(listener: socket.socket, count: int) -> list[socket.socket]:
    listener.settimeout(10)
    connections = []
    try:
        for _ in range(count):
            connections.append(listener.accept()[0])
    except OSError:
        pass
    return connections


def test_missing_bucket_is_a_store_error_not_a_missing_blob(s3rver: S3Endpoint) -> None:
    """Without create=true a missing bucket raises StoreError naming the bucket."""
    bucket = new_bucket_name()
    store = open_s3_store(s3rver, bucket, create_bucket=False)
    for call in (lambda: store.get("k"), lambda: store.exists("k"), store.total_size):
        with pytest.raises(StoreError, match=bucket) as caught:
            call()
        assert not isinstance(caught.value, NotFoundError)


def test_bucket_deleted_under_the_store_is_a_store_error(moto: S3Endpoint) -> None:
    """A bucket that vanishes after the first check gives StoreError, not NotFoundError."""
    store = open_s3_store(moto)
    store.exists("k")
    store._client.delete_bucket(Bucket=store.bucket)
    with pytest.raises(StoreError, match="does not exist") as caught:
        store.get("k")
    assert not isinstance(caught.value, NotFoundError)


def test_two_stores_creating_one_bucket_both_work(s3rver: S3Endpoint) -> None:
    """create=true is safe when the bucket already exists (another server created it)."""
    bucket = new_bucket_name()
    first, second = open_s3_store(s3rver, bucket), open_s3_store(s3rver, bucket)
    first.put("a", b"1")
    second.put("b", b"2")
    assert {info.key for info in first.list()} == {"a", "b"}


def test_blobs_survive_an_s3rver_restart(tmp_path: Path) -> None:
    """s3rver persists to its folder: a blob put before a restart reads back after it."""
    data_dir, bucket, port = tmp_path / "data", new_bucket_name(), free_port()
    with running_s3rver(data_dir, port) as endpoint:
        open_s3_store(endpoint, bucket).put("kept.cab", b"bundle bytes")
    with running_s3rver(data_dir, port) as endpoint:
        store = open_s3_store(endpoint, bucket, create_bucket=False)
        assert store.get("kept.cab") == b"bundle bytes"


def test_region_other_than_us_east_1_creates_its_bucket(moto: S3Endpoint) -> None:
    """A bucket in another region is created with its location constraint."""
    store = open_s3_store(moto, region="eu-west-3")
    store.put("k", b"v")
    location = store._client.get_bucket_location(Bucket=store.bucket)
    assert location["LocationConstraint"] == "eu-west-3"


def test_list_skips_objects_that_are_not_blob_keys(moto: S3Endpoint) -> None:
    """Foreign objects with invalid keys are skipped by list but counted by total_size."""
    store = open_s3_store(moto)
    store.put("good", b"12")
    store._client.put_object(Bucket=store.bucket, Key="bad//key", Body=b"345")
    assert [info.key for info in store.list()] == ["good"]
    assert store.total_size() == 5


def test_invalid_construction_arguments_are_refused() -> None:
    """Half a key pair, a bad bucket or endpoint, or silly timeouts raise InvalidArgumentError."""
    attempts: list[dict[str, Any]] = [
        {"bucket": "ok-bucket", "access_key_id": "only-half"},
        {"bucket": "Bad_Bucket"},
        {"bucket": "ok-bucket", "endpoint_url": "ftp://host"},
        {"bucket": "ok-bucket", "max_attempts": 0},
        {"bucket": "ok-bucket", "read_timeout": 0},
    ]
    for options in attempts:
        with pytest.raises(InvalidArgumentError):
            S3BlobStore(**options)


@pytest.mark.parametrize("server", ["s3rver", "moto"])
def test_processes_racing_on_keys_agree(server: str, request: pytest.FixtureRequest) -> None:
    """Processes putting the same keys at once all succeed and end with one writer's blob."""
    # moto honours If-None-Match, so every writer is told the winner's size. s3rver ignores it
    # and writes objects in place, so simultaneous PUTs can leave a mix of bodies there (an
    # s3rver defect, seen in this test): for it only the size is checked.
    endpoint: S3Endpoint = request.getfixturevalue(server)
    bucket = new_bucket_name()
    store = open_s3_store(endpoint, bucket)
    store.exists("create-the-bucket")
    keys = tuple(f"race/{index}" for index in range(20))
    answers = run_race(RaceSpec(keys=keys, endpoint=endpoint, bucket=bucket))
    for key in keys:
        stored = store.get(key)
        payloads = [race_payload(worker, key) for worker in range(WORKERS)]
        assert len(stored) in {len(payload) for payload in payloads}, key
        if endpoint.atomic_puts:
            assert stored in payloads, key
        if endpoint.conditional_writes:
            assert {sizes[key] for sizes in answers.values()} == {len(stored)}, key
