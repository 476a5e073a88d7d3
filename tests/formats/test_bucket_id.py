"""Client-side bucket ids: a stable SHA-256 of the event type and the signature values."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openwer.formats.bucket_id import BucketIds, compute_bucket_ids

# The zh-CN Task Manager crash of the corpus (DownPower/website Report.wer), P0..P7.
TASKMGR = (
    "taskmgr.exe",
    "10.0.22000.1761",
    "06221210",
    "taskmgr.exe",
    "10.0.22000.1761",
    "06221210",
    "c0000005",
    "000000000004b519",
)


def test_known_value_is_pinned() -> None:
    """The ids of one signature are fixed forever: clients and servers must agree on them."""
    ids = compute_bucket_ids("APPCRASH", TASKMGR)
    assert ids == BucketIds(uuid.UUID("658d815a-b15e-85d1-bde8-f0f7e50da8ce"), 2735011624098837096)
    assert ids.bucket_id_string == "658d815a-b15e-85d1-bde8-f0f7e50da8ce"


def test_ids_follow_the_documented_definition() -> None:
    """The GUID is SHA-256 bytes 0-15 with version/variant bits set; legacy is bytes 16-23."""
    key = "\x1f".join(f"{len(p)}:{p}" for p in ("appcrash", *TASKMGR)).encode("utf-8")
    digest = hashlib.sha256(key).digest()
    ids = compute_bucket_ids("APPCRASH", TASKMGR)
    version_and_variant = (0xF << 76) | (0x3 << 62)
    assert ids.bucket_id.int & ~version_and_variant == (
        int.from_bytes(digest[:16], "big") & ~version_and_variant
    )
    assert ids.legacy_bucket_id == int.from_bytes(digest[16:24], "big") & (2**63 - 1)


def test_deterministic() -> None:
    """The same input always gives the same ids (no salt, no clock, no process state)."""
    assert compute_bucket_ids("APPCRASH", TASKMGR) == compute_bucket_ids("APPCRASH", list(TASKMGR))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("APPCRASH", TASKMGR), ("APPCRASH", (*TASKMGR[:-1], "000000000004b51a"))),
        (("APPCRASH", TASKMGR), ("BEX64", TASKMGR)),
        (("APPCRASH", TASKMGR), ("APPCRASH", TASKMGR[:-1])),
        (("APPCRASH", ("a", "b")), ("APPCRASH", ("b", "a"))),
        (("APPCRASH", ("ab", "c")), ("APPCRASH", ("a", "bc"))),
        (("APPCRASH", ()), ("APPCRASH", ("",))),
        (("APPCRASH", ("x",)), ("APPCRASH", ("X",))),
    ],
    ids=["value", "event-type", "one-fewer", "order", "split", "empty-param", "value-case"],
)
def test_different_signatures_give_different_ids(
    first: tuple[str, tuple[str, ...]], second: tuple[str, tuple[str, ...]]
) -> None:
    """Changing a value, the event type, the count, the order or the split changes both ids."""
    one, two = compute_bucket_ids(*first), compute_bucket_ids(*second)
    assert one.bucket_id != two.bucket_id
    assert one.legacy_bucket_id != two.legacy_bucket_id


@pytest.mark.parametrize("event_type", ["appcrash", "AppCrash", "APPCRASH", "aPpCrAsH"])
def test_event_type_is_case_insensitive(event_type: str) -> None:
    """WER event names are case-insensitive, so the event type's case does not split buckets."""
    assert compute_bucket_ids(event_type, TASKMGR) == compute_bucket_ids("APPCRASH", TASKMGR)


def test_parameter_names_are_not_part_of_the_bucket() -> None:
    """Localized parameter names do not split buckets: only values go in (zh-CN = en-US)."""
    # compute_bucket_ids takes values only; the same values from an English and a Chinese
    # report (different Sig[n].Name) therefore share a bucket.
    english = {"Application Name": "taskmgr.exe", "Application Version": "10.0.22000.1761"}
    chinese = {"应用程序名": "taskmgr.exe", "应用程序版本": "10.0.22000.1761"}
    assert compute_bucket_ids("APPCRASH", list(english.values())) == compute_bucket_ids(
        "APPCRASH", list(chinese.values())
    )


def test_non_ascii_values_are_hashed_as_utf8() -> None:
    """Non-ASCII values hash as UTF-8, so the same text gives the same ids on every platform."""
    parts = ("moapphang", "praid:MicrosoftEdge", "已停止响应")
    key = "\x1f".join(f"{len(p)}:{p}" for p in parts).encode("utf-8")
    ids = compute_bucket_ids("MoAppHang", ["praid:MicrosoftEdge", "已停止响应"])
    digest = hashlib.sha256(key).digest()
    assert ids.legacy_bucket_id == int.from_bytes(digest[16:24], "big") & (2**63 - 1)


@settings(database=None)
@given(st.text(max_size=64), st.lists(st.text(max_size=64), max_size=10))
def test_ids_have_the_documented_shape(event_type: str, values: list[str]) -> None:
    """The GUID is an RFC 9562 version-8 UUID; the legacy id is a non-negative signed 64-bit int."""
    ids = compute_bucket_ids(event_type, values)
    assert ids.bucket_id.version == 8
    assert ids.bucket_id.variant == uuid.RFC_4122
    assert 0 <= ids.legacy_bucket_id < 2**63
    assert uuid.UUID(ids.bucket_id_string) == ids.bucket_id
    assert ids.bucket_id_string == ids.bucket_id_string.lower()
    assert compute_bucket_ids(event_type, values) == ids


def test_values_cannot_imitate_the_separator() -> None:
    """A value holding the 0x1F separator does not collide with two values."""
    assert compute_bucket_ids("A", ["a\x1fb"]) != compute_bucket_ids("A", ["a", "b"])
    assert compute_bucket_ids("A", ["1:a"]) != compute_bucket_ids("A", ["", "a"])
