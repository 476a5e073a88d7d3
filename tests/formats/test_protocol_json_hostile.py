"""Hostile stage-1 bodies: each is refused with a FormatError that says why."""

from __future__ import annotations

import json

import pytest

from openwer.errors import FormatError
from openwer.formats.protocol_json import (
    MAX_STAGE1_RESPONSE_BYTES,
    stage1_request_from_json,
    stage1_response_from_json,
)

GOOD = (
    b'{"protocol":1,"report_id":"b0e0a37d-af49-4d6d-a411-f0946870c9dd","event_type":"APPCRASH",'
    b'"report_type":2,"signature":[{"name":"P0","value":"a"}],"consent":2}'
)


def test_the_reference_body_is_valid() -> None:
    """The body the hostile variants start from is itself accepted."""
    assert stage1_request_from_json(GOOD).event_type == "APPCRASH"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"not JSON"),
        (b"   ", r"not JSON"),
        (b"\x89PNG\r\n\x1a\n", r"the body is not UTF-8"),
        (b"\xef\xbb\xbf" + GOOD, r"not JSON \(Unexpected UTF-8 BOM"),
        (GOOD.decode().encode("utf-16"), r"the body is not UTF-8"),
        (b"{", r"not JSON"),
        (GOOD[:-1], r"not JSON"),
        (GOOD + b"{}", r"not JSON \(Extra data"),
        (b"null", r"the body must be a JSON object, not null"),
        (b"[1]", r"the body must be a JSON object, not an array"),
        (b'"text"', r"the body must be a JSON object, not a string"),
        (b"42", r"the body must be a JSON object, not a number"),
        (b"{'protocol': 1}", r"not JSON"),
        (b'{"protocol":NaN}', r"NaN is not a JSON number"),
        (b'{"protocol":-Infinity}', r"-Infinity is not a JSON number"),
        (b'{"protocol":1,"x":' + b"9" * 21 + b"}", r"a number of 21 characters; the limit is 20"),
        (b'{"protocol":1,"x":-' + b"9" * 20 + b"}", r"a number of 21 characters"),
        (b'{"protocol":1,"protocol":1}', r"duplicate key 'protocol' in an object"),
        (
            GOOD.replace(b'"value":"a"', b'"value":"a","value":"b"'),
            r"duplicate key 'value' in an object",
        ),
        (GOOD.replace(b'"a"', b'"\\u0000"'), r"signature\[0\]\.value contains a control"),
        (GOOD.replace(b'"a"', b'"\\ud800"'), r"signature\[0\]\.value contains .* lone surrogate"),
        (GOOD.replace(b'"a"', b'"\\udfff\\ud800"'), r"lone surrogate"),
        (GOOD.replace(b'"a"', b'"\x01"'), r"not JSON \(Invalid control character"),
        (b"[" * 100_000, r"the body is \d+ bytes; the limit is 65536"),
        (b"[" * 60_000 + b"]" * 60, r"not JSON|nested too deeply|65536"),
        (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, r"nested too deeply|limit is 65536"),
        (b'{"protocol":1,"x":' + b"[" * 3000 + b"]" * 3000 + b"}", r"nested too deeply"),
    ],
    ids=lambda value: None if isinstance(value, bytes) else value[:30],
)
def test_refused_bodies(data: bytes, message: str) -> None:
    """Malformed, ambiguous or oversized bodies give a FormatError with a clear reason."""
    with pytest.raises(FormatError, match=r"^stage 1 request: .*(" + message + ")"):
        stage1_request_from_json(data)


def test_deep_unknown_field_is_refused_past_eight_levels() -> None:
    """Ignored fields may nest, but not beyond eight levels from the top of the body."""
    body = json.loads(GOOD)
    body["future"] = [[[[[[["seven levels"]]]]]]]
    assert stage1_request_from_json(json.dumps(body).encode()).event_type == "APPCRASH"
    body["future"] = [[[[[[[["eight levels"]]]]]]]]
    with pytest.raises(FormatError, match=r"'future' is nested deeper than 8 levels"):
        stage1_request_from_json(json.dumps(body).encode())


def test_deep_unknown_field_inside_a_parameter_is_refused() -> None:
    """A parameter's ignored fields count from the top of the body too."""
    body = json.loads(GOOD)
    body["signature"][0]["x"] = [[[[[[{"y": 1}]]]]]]
    with pytest.raises(FormatError, match=r"'x' is nested deeper than 8 levels"):
        stage1_request_from_json(json.dumps(body).encode())


def test_deep_unknown_field_inside_a_response_object_is_refused() -> None:
    """Ignored fields of a data request or solution are bounded too."""
    deep: object = 1
    for _ in range(8):
        deep = [deep]
    for field, value in (
        ("data_request", {"dump_type": 2, "x": deep}),
        ("solution", {"message": "m", "x": deep}),
    ):
        body = {
            "protocol": 1,
            "bucket_id": "b0e0a37d-af49-4d6d-a411-f0946870c9dd",
            "legacy_bucket_id": 1,
            field: value,
        }
        with pytest.raises(FormatError, match=r"'x' is nested deeper than 8 levels"):
            stage1_response_from_json(json.dumps(body).encode())


def test_response_body_limit() -> None:
    """A response over 64 KiB is refused (a hostile server cannot exhaust the client)."""
    data = b'{"protocol":1,"pad":"' + b"x" * MAX_STAGE1_RESPONSE_BYTES + b'"}'
    with pytest.raises(FormatError, match=r"^stage 1 response: the body is"):
        stage1_response_from_json(data)


def test_a_duplicate_among_thousands_of_keys_is_found() -> None:
    """A duplicate far from its twin, among thousands of keys, is still found."""
    keys = ",".join(f'"k{i}":{i}' for i in range(5000))
    data = ("{" + keys + ',"k0":1}').encode()
    with pytest.raises(FormatError, match=r"duplicate key 'k0'"):
        stage1_request_from_json(data)
