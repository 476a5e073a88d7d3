"""Blob keys, content types and the reader, checked without any backend."""

from __future__ import annotations

import io

import pytest

from openwer.errors import InvalidArgumentError, StoreError
from openwer.server.blobs import BlobInfo, BlobReader, MemoryBlobStore, check_blob_key
from openwer.server.blobs.blob_keys import (
    MAX_KEY_BYTES,
    MAX_SEGMENT_BYTES,
    check_blob_prefix,
    check_content_type,
    describe_key,
)
from openwer.server.blobs.local_layout import HEADER_SIZE, decode_header, encode_header


def test_longest_valid_key_is_accepted() -> None:
    """A key of exactly MAX_KEY_BYTES in segments of MAX_SEGMENT_BYTES is valid."""
    segment = "s" * MAX_SEGMENT_BYTES
    key = "/".join([segment] * 5) + "/" + "t" * (MAX_KEY_BYTES - 5 * (MAX_SEGMENT_BYTES + 1))
    assert len(key.encode()) == MAX_KEY_BYTES
    assert check_blob_key(key) == key


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("a" * 1025, "1025 bytes"),
        ("../etc/passwd", "'..' segment"),
        ("a/./b", "'.' or '..'"),
        ("/abs", "leading"),
        ("a\x00b", "control character"),
        ("tab\there", "control character"),
        ("a\\b", "backslash"),
        ("\udc80", "not valid Unicode"),
        ("s" * 201, "segment over 200"),
    ],
)
def test_invalid_keys_say_why(key: str, reason: str) -> None:
    """Each broken rule has its own message."""
    with pytest.raises(InvalidArgumentError, match=reason):
        check_blob_key(key)


def test_messages_shorten_long_keys() -> None:
    """A 1 KiB key is shortened in messages."""
    with pytest.raises(InvalidArgumentError) as caught:
        check_blob_key("k" * 2000)
    assert len(str(caught.value)) < 200
    assert describe_key("short") == "'short'"


def test_prefixes_may_be_empty_or_partial() -> None:
    """A prefix may be empty, end with '/' or stop mid-segment, but not hold NUL or be long."""
    for prefix in ("", "bundles/", "bund", "a/b/"):
        assert check_blob_prefix(prefix) == prefix
    for bad in ("x\x00", "x" * 1025, 42):
        with pytest.raises(InvalidArgumentError):
            check_blob_prefix(bad)


def test_content_types_are_media_types() -> None:
    """Printable ASCII with a slash passes; newlines (header injection) do not."""
    assert check_content_type("application/vnd.ms-cab-compressed")
    for bad in ("", "text/plain\nX: y", "plain", 7):
        with pytest.raises(InvalidArgumentError):
            check_content_type(bad)


def test_local_header_round_trips_and_refuses_garbage() -> None:
    """The local file header keeps key and content type; anything else is refused."""
    header = encode_header("ü/key", "text/plain")
    assert len(header) == HEADER_SIZE
    assert decode_header(header) == ("ü/key", "text/plain")
    for bad in (b"", b"x" * HEADER_SIZE, b"OWBLOB1\n\xff\xff" + bytes(HEADER_SIZE)):
        with pytest.raises(ValueError, match="blob header"):
            decode_header(bad)


def test_reader_reads_exactly_the_declared_size() -> None:
    """read(n) may be short, read() returns the rest, then b''; iteration yields chunks."""
    source = io.BytesIO(b"0123456789")
    info = BlobInfo("k", 10, MemoryBlobStore().put("k", b"").created_at)
    reader = BlobReader(info, "text/plain", source.read, source.close)
    assert reader.read(0) == b""
    assert reader.read(3) == b"012"
    assert reader.read() == b"3456789"
    assert reader.read() == b""
    assert list(reader) == []
    assert "size=10" in repr(reader)
    reader.close()
    assert source.closed


def test_reader_refuses_a_short_stream() -> None:
    """A source that ends early raises StoreError with the byte counts."""
    source = io.BytesIO(b"0123")
    info = BlobInfo("k", 10, MemoryBlobStore().put("k", b"").created_at)
    with (
        BlobReader(info, "text/plain", source.read, source.close) as reader,
        pytest.raises(StoreError, match="after 4 of 10"),
    ):
        reader.read()


def test_memory_store_uses_its_clock() -> None:
    """MemoryBlobStore stamps blobs with the clock it was given."""
    moment = MemoryBlobStore().put("k", b"").created_at
    store = MemoryBlobStore(clock=lambda: moment)
    assert store.put("x", b"1").created_at == moment
    assert "1 blobs" in repr(store)
