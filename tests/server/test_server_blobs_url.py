"""open_blob_store and s3:// URLs: every accepted form, and clear refusals of the rest."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import openwer.server.blobs as blobs
from openwer.errors import InvalidArgumentError, StoreError
from openwer.server.blobs import (
    LocalBlobStore,
    MemoryBlobStore,
    S3BlobStore,
    S3Location,
    open_blob_store,
    parse_s3_url,
)

SECRET = "hunter2-secret-value"


def test_default_is_a_blobs_folder_in_the_data_dir(tmp_path: Path) -> None:
    """None or an empty value opens <data_dir>/blobs, creating it."""
    for value in (None, "", "  "):
        store = open_blob_store(value, tmp_path)
        assert isinstance(store, LocalBlobStore)
        assert store.root == tmp_path / "blobs"
    assert (tmp_path / "blobs").is_dir()


def test_bare_paths_are_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Absolute paths are used as given, relative ones below data_dir, ~ is expanded."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cases = {
        str(tmp_path / "abs"): tmp_path / "abs",
        "relative/blobs": tmp_path / "data" / "relative" / "blobs",
        "~/blobs": tmp_path / "home" / "blobs",
        "./a:b": tmp_path / "data" / "a:b",
    }
    for value, expected in cases.items():
        store = open_blob_store(value, tmp_path / "data")
        assert isinstance(store, LocalBlobStore)
        assert store.root == expected, value


def test_file_urls_are_folders(tmp_path: Path) -> None:
    """file:///path and file://localhost/path open that folder, percent-decoded."""
    for url in (f"file://{tmp_path}/with%20space", f"file://localhost{tmp_path}/with%20space"):
        store = open_blob_store(url, tmp_path / "unused")
        assert isinstance(store, LocalBlobStore)
        assert store.root == tmp_path / "with space"


def test_memory_url_is_the_fake(tmp_path: Path) -> None:
    """memory:// opens a MemoryBlobStore."""
    assert isinstance(open_blob_store("memory://", tmp_path), MemoryBlobStore)
    assert isinstance(open_blob_store("MEMORY:", tmp_path), MemoryBlobStore)


def test_s3_url_opens_an_s3_store_without_network(tmp_path: Path) -> None:
    """An s3:// URL gives an S3BlobStore; nothing is contacted until first use."""
    store = open_blob_store("s3://reports?endpoint=http://127.0.0.1:9&region=eu-west-1", tmp_path)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.endpoint_url, store.region) == (
        "reports",
        "http://127.0.0.1:9",
        "eu-west-1",
    )
    assert "reports" in repr(store)
    store.close()
    store.close()


def test_s3_url_fields_are_parsed() -> None:
    """Every s3:// parameter lands in S3Location, with defaults for the missing ones."""
    assert parse_s3_url("s3://my.bucket-1") == S3Location("my.bucket-1")
    assert parse_s3_url("s3://b-1/?endpoint=https://s3.example.org/&create=YES") == S3Location(
        "b-1", endpoint_url="https://s3.example.org", create_bucket=True
    )
    parsed = parse_s3_url("s3://bkt?region=us-west-2&create=0&addressing=virtual")
    assert parsed == S3Location(
        "bkt", region="us-west-2", create_bucket=False, addressing_style="virtual"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/blobs",
        "gs://bucket",
        "s3://",
        "s3://Bad_Bucket",
        "s3://ab",
        "s3://192.168.1.1",
        "s3://bucket..name",
        "s3://bucket:9000",
        "s3://bucket/some/prefix",
        "s3://bucket#fragment",
        "s3://bucket?endpoint=ftp://host",
        "s3://bucket?endpoint=http://",
        "s3://bucket?endpoint=http://host/path",
        "s3://bucket?endpoint=http://host:99999",
        "s3://bucket?region=Not A Region",
        "s3://bucket?create=maybe",
        "s3://bucket?addressing=sideways",
        "s3://bucket?region=a&region=b",
        "s3://bucket?a=1&&b",
        "file://otherhost/srv/blobs",
        "file:relative/blobs",
        "file:///srv/blobs?x=1",
        "file:///srv/%00blobs",
        "memory://something",
        "/srv/blobs\x00evil",
    ],
)
def test_bad_urls_are_refused_clearly(url: str, tmp_path: Path) -> None:
    """Unsupported or malformed values raise InvalidArgumentError with a message."""
    with pytest.raises(InvalidArgumentError) as caught:
        open_blob_store(url, tmp_path)
    assert len(str(caught.value)) > 20


@pytest.mark.parametrize(
    "url",
    [
        f"s3://user:{SECRET}@bucket",
        f"s3://bucket?secret_access_key={SECRET}",
        f"s3://bucket?aws_secret_access_key={SECRET}&region=x",
        f"s3://bucket?endpoint=http://key:{SECRET}@host:9000",
    ],
)
def test_credentials_in_urls_are_refused_without_echo(url: str, tmp_path: Path) -> None:
    """Credentials in a URL are refused, and the message does not repeat them."""
    with pytest.raises(InvalidArgumentError) as caught:
        open_blob_store(url, tmp_path)
    assert SECRET not in str(caught.value)
    assert "AWS_ACCESS_KEY_ID" in str(caught.value) or "credentials" in str(caught.value)


def test_missing_s3_extra_is_a_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without botocore an s3:// URL raises StoreError naming the extra to install."""
    monkeypatch.setitem(sys.modules, "openwer.server.blobs.s3_store", None)
    with pytest.raises(StoreError, match=r"openwer\[s3\]"):
        open_blob_store("s3://bucket", tmp_path)


def test_package_loads_s3_lazily() -> None:
    """openwer.server.blobs exposes S3BlobStore on demand and nothing unknown."""
    assert blobs.S3BlobStore is S3BlobStore
    with pytest.raises(AttributeError):
        _ = blobs.NoSuchThing
    assert set(blobs.__all__) <= set(dir(blobs))
