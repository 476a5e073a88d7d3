"""The BlobStore contract, run against every backend: memory, local folder, s3rver and moto."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
from s3_server_process import S3Endpoint, open_s3_store, running_moto, running_s3rver

from openwer.errors import InvalidArgumentError, NotFoundError, StoreError
from openwer.server.blobs import BlobInfo, BlobStore, LocalBlobStore, MemoryBlobStore

BACKENDS = ("memory", "local", "s3rver", "moto")
CAB = "application/vnd.ms-cab-compressed"

HOSTILE_KEYS: tuple[object, ...] = (
    "",
    "../x",
    "a/../../b",
    "./a",
    "/etc/passwd",
    "a//b",
    "a/",
    "a\x00b",
    "line\nbreak",
    "del\x7f",
    "c1\x85",
    "back\\slash",
    "\ud800",
    "k" * 1025,
    "é" * 513,
    "s" * 201,
    b"bytes",
    None,
)
ODD_BUT_VALID_KEYS = (
    "a b",
    "a+b",
    "a?b#c&d=e",
    "ü/é/日本語",
    "%2e%2e/x",
    "..a/b..",
    "~",
    ".hidden/.x",
    "CON",
    "x" * 200,
    "/".join(["y" * 200] * 5) + "/zzz",
)


@pytest.fixture(scope="module")
def s3rver_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """One s3rver process for this module."""
    with running_s3rver(tmp_path_factory.mktemp("s3rver") / "data") as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[S3Endpoint]:
    """One moto server for this module."""
    with running_moto() as endpoint:
        yield endpoint


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    """A fresh, empty store of each backend (S3: a new bucket)."""
    kind = request.param
    opened: BlobStore
    if kind == "memory":
        opened = MemoryBlobStore()
    elif kind == "local":
        opened = LocalBlobStore(tmp_path / "blobs")
    else:
        opened = open_s3_store(request.getfixturevalue(f"{kind}_endpoint"))
    yield opened
    opened.close()


def payload(size: int, seed: int = 0) -> bytes:
    """Deterministic, incompressible-looking bytes."""
    block = bytes((seed * 31 + i * 7) % 251 for i in range(4096))
    return (block * (size // len(block) + 1))[:size]


def assert_recent(moment: datetime) -> None:
    """``moment`` is aware UTC and about now."""
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


class OnlyRead:
    """A stream with nothing but ``read`` (like a socket or a request body)."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(min(size, 1000) if size > 0 else size)


class FailingStream(OnlyRead):
    """A stream that fails after its first chunk."""

    def __init__(self) -> None:
        super().__init__(b"x" * 10_000)
        self.calls = 0

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("client went away")
        return super().read(size)


def test_put_then_get_returns_the_bytes(store: BlobStore) -> None:
    """A stored blob reads back byte for byte, and its info describes it."""
    data = payload(70_000)
    info = store.put("bundles/r1.cab", data, content_type=CAB)
    assert (info.key, info.size) == ("bundles/r1.cab", len(data))
    assert_recent(info.created_at)
    assert store.get("bundles/r1.cab") == data
    assert store.exists("bundles/r1.cab")


def test_put_info_agrees_with_list(store: BlobStore) -> None:
    """list() reports the key, size and creation time that put() returned."""
    info = store.put("k", b"abc")
    [listed] = store.list()
    assert (listed.key, listed.size) == (info.key, info.size)
    assert abs(listed.created_at - info.created_at) <= timedelta(seconds=2)


def test_put_reads_a_stream_from_its_position(store: BlobStore) -> None:
    """A seekable stream is stored from its current position to the end."""
    stream = io.BytesIO(b"HEADERpayload")
    stream.seek(6)
    assert store.put("s", stream).size == 7
    assert store.get("s") == b"payload"


def test_put_reads_a_stream_that_only_reads(store: BlobStore) -> None:
    """A stream without seek or tell (a request body) is read to EOF."""
    data = payload(25_000, seed=3)
    assert store.put("r", cast(BinaryIO, OnlyRead(data))).size == len(data)
    assert store.get("r") == data


def test_empty_blob_round_trips(store: BlobStore) -> None:
    """A zero-byte blob is a blob."""
    assert store.put("empty", b"").size == 0
    assert store.get("empty") == b""
    assert store.exists("empty")
    with store.open("empty") as reader:
        assert reader.read() == b""


def test_repeat_put_of_the_same_bytes_returns_the_first_info(store: BlobStore) -> None:
    """Idempotent: the same upload twice stores once and answers the same."""
    first = store.put("same", b"bundle")
    assert store.put("same", b"bundle") == first
    assert store.total_size() == 6


def test_put_of_other_bytes_keeps_the_first(store: BlobStore) -> None:
    """First writer wins: a different blob under a taken key is not stored."""
    first = store.put("taken", b"first", content_type=CAB)
    again = store.put("taken", b"a longer second body", content_type="text/plain")
    assert again == first
    assert store.get("taken") == b"first"
    with store.open("taken") as reader:
        assert reader.content_type == CAB


def test_missing_blob_is_not_found(store: BlobStore) -> None:
    """get and open of a missing key raise NotFoundError; exists says False."""
    with pytest.raises(NotFoundError):
        store.get("missing")
    with pytest.raises(NotFoundError):
        store.open("missing")
    assert not store.exists("missing")


def test_delete_is_idempotent_and_frees_the_key(store: BlobStore) -> None:
    """Deleting twice is fine, and a deleted key can hold a new blob."""
    store.put("d", b"old")
    store.delete("d")
    store.delete("d")
    store.delete("never-existed")
    assert not store.exists("d")
    with pytest.raises(NotFoundError):
        store.get("d")
    store.put("d", b"new")
    assert store.get("d") == b"new"


def test_list_filters_by_prefix(store: BlobStore) -> None:
    """list(prefix) yields exactly the keys that start with it."""
    for key in ("a/1", "a/2", "ab", "b/1"):
        store.put(key, key.encode())
    assert {info.key for info in store.list("a/")} == {"a/1", "a/2"}
    assert {info.key for info in store.list("a")} == {"a/1", "a/2", "ab"}
    assert {info.key for info in store.list()} == {"a/1", "a/2", "ab", "b/1"}
    assert list(store.list("zzz")) == []
    assert all(isinstance(info, BlobInfo) and info.size == 3 for info in store.list("a/"))


def test_total_size_follows_puts_and_deletes(store: BlobStore) -> None:
    """total_size is the sum of the stored blobs' sizes."""
    assert store.total_size() == 0
    store.put("one", b"1" * 100)
    store.put("two", b"2" * 250)
    store.put("two", b"ignored")
    assert store.total_size() == 350
    store.delete("one")
    assert store.total_size() == 250


def test_open_streams_in_chunks(store: BlobStore) -> None:
    """open() gives a reader with the info, the content type and the bytes in chunks."""
    data = payload(600_000, seed=5)
    store.put("big", data, content_type=CAB)
    with store.open("big") as reader:
        assert reader.info.size == len(data)
        assert reader.content_type == CAB
        head = reader.read(10)
        rest = b"".join(reader)
    assert head + rest == data


def test_large_blob_round_trips_through_streams(store: BlobStore) -> None:
    """An 9 MiB bundle goes in as a stream and comes out whole (spooled to disk on S3)."""
    data = payload(9 * 1024 * 1024, seed=7)
    assert store.put("large.cab", io.BytesIO(data)).size == len(data)
    with store.open("large.cab") as reader:
        assert b"".join(reader) == data


def test_hostile_keys_are_refused_everywhere(store: BlobStore) -> None:
    """Traversal, NUL, control characters and oversized keys raise InvalidArgumentError."""
    for key in HOSTILE_KEYS:
        bad = cast(str, key)
        with pytest.raises(InvalidArgumentError):
            store.put(bad, b"x")
        with pytest.raises(InvalidArgumentError):
            store.get(bad)
        with pytest.raises(InvalidArgumentError):
            store.open(bad)
        with pytest.raises(InvalidArgumentError):
            store.exists(bad)
        with pytest.raises(InvalidArgumentError):
            store.delete(bad)
    assert list(store.list()) == []


def test_odd_but_valid_keys_round_trip(store: BlobStore) -> None:
    """Keys with spaces, URL syntax, Unicode and maximal lengths are stored faithfully."""
    for index, key in enumerate(ODD_BUT_VALID_KEYS):
        store.put(key, f"value {index}".encode())
    for index, key in enumerate(ODD_BUT_VALID_KEYS):
        assert store.get(key) == f"value {index}".encode(), key
    assert {info.key for info in store.list()} == set(ODD_BUT_VALID_KEYS)
    assert {info.key for info in store.list("ü/")} == {"ü/é/日本語"}


def test_a_key_and_keys_below_it_coexist(store: BlobStore) -> None:
    """'p' and 'p/q' are independent blobs (no file/folder clash)."""
    store.put("p", b"parent")
    store.put("p/q", b"child")
    assert (store.get("p"), store.get("p/q")) == (b"parent", b"child")


def test_bad_arguments_are_refused(store: BlobStore) -> None:
    """Bad content types, prefixes and data raise InvalidArgumentError and store nothing."""
    for content_type in ("", "text/plain\r\nX-Evil: 1", "no-slash", "tëxt/plain", "a/" * 200):
        with pytest.raises(InvalidArgumentError):
            store.put("k", b"x", content_type=content_type)
    with pytest.raises(InvalidArgumentError):
        store.list("a\x00")
    with pytest.raises(InvalidArgumentError):
        store.put("k", cast(Any, "text, not bytes"))
    assert not store.exists("k")


def test_a_failing_caller_stream_stores_nothing(store: BlobStore) -> None:
    """An error from the caller's stream propagates unchanged and leaves no blob."""
    with pytest.raises(RuntimeError, match="client went away"):
        store.put("partial", cast(BinaryIO, FailingStream()))
    assert not store.exists("partial")
    assert store.total_size() == 0


def test_closed_store_refuses_calls(store: BlobStore) -> None:
    """After close() every call raises StoreError; close() again is fine."""
    store.put("k", b"v")
    store.close()
    store.close()
    calls = (
        lambda: store.put("k2", b"v"),
        lambda: store.get("k"),
        lambda: store.open("k"),
        lambda: store.exists("k"),
        lambda: store.delete("k"),
        lambda: store.list(),
        store.total_size,
    )
    for call in calls:
        with pytest.raises(StoreError):
            call()


def test_closed_reader_refuses_reads(store: BlobStore) -> None:
    """A reader raises StoreError when read after close."""
    store.put("k", b"value")
    reader = store.open("k")
    reader.close()
    reader.close()
    with pytest.raises(StoreError):
        reader.read()


def test_threads_store_many_blobs_at_once(store: BlobStore) -> None:
    """Eight threads putting and reading distinct and shared keys all succeed."""
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for index in range(4):
                key = f"t/{worker}/{index}"
                store.put(key, payload(1000 + index, seed=worker))
                assert store.get(key) == payload(1000 + index, seed=worker)
                store.put("t/shared", b"shared")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(list(store.list("t/"))) == 8 * 4 + 1
    assert store.get("t/shared") == b"shared"
