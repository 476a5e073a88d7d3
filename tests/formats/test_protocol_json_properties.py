"""Property tests of the stage-1 JSON codec: total on any bytes, lossless on every valid message."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openwer.errors import FormatError
from openwer.formats.protocol import (
    DataRequest,
    SignatureParameter,
    Solution,
    Stage1Request,
    Stage1Response,
)
from openwer.formats.protocol_json import (
    stage1_request_from_json,
    stage1_request_to_json,
    stage1_response_from_json,
    stage1_response_to_json,
)
from openwer.types import ConsentLevel, DumpType

# No example database: failing examples are not replayed from .hypothesis/ between runs.
PROPERTY = settings(max_examples=300, database=None, deadline=None)

# Text the protocol allows: no control character but tab, no surrogate.
_chars = st.characters(exclude_categories=("Cc", "Cs")) | st.just("\t")
_guids = st.uuids().map(str)
_parameters = st.builds(
    SignatureParameter, st.text(_chars, max_size=128), st.text(_chars, max_size=259)
)
_short = st.text(_chars, min_size=1, max_size=128)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=20,
)

_requests = st.builds(
    Stage1Request,
    report_id=_guids,
    event_type=st.text(_chars, min_size=1, max_size=64),
    report_type=st.integers(0, 2**31 - 1),
    signature=st.lists(_parameters, max_size=10).map(tuple),
    dynamic_signature=st.lists(_parameters, max_size=6).map(tuple),
    consent=st.sampled_from([c for c in ConsentLevel if c is not ConsentLevel.NONE]),
    client=st.dictionaries(_short, st.text(_chars, max_size=259), max_size=16).map(
        lambda facts: tuple(facts.items())
    ),
    machine_id=st.none() | st.text(_chars, max_size=128),
    product=st.none() | _short,
    app_version=st.none() | st.text(_chars, max_size=128),
)
_urls = st.sampled_from(["/api/v1/reports/x/bundle", "https://example.invalid/u?a=1", None])
_responses = st.builds(
    Stage1Response,
    bucket_id=_guids,
    legacy_bucket_id=st.integers(0, 2**63 - 1),
    bucket_table=st.integers(0, 2**31 - 1),
    data_request=st.none()
    | st.builds(
        DataRequest,
        st.sampled_from([d for d in DumpType if d is not DumpType.MAX]),
        st.lists(st.text(_chars, min_size=1, max_size=259), max_size=5).map(tuple),
        st.booleans(),
    ),
    upload_url=_urls,
    solution=st.none()
    | st.builds(Solution, st.text(_chars, min_size=1, max_size=300), _urls.filter(bool)),
    extra=st.dictionaries(_short, st.text(_chars, max_size=100), max_size=5).map(
        lambda pairs: tuple(pairs.items())
    ),
)


@PROPERTY
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_request_or_a_format_error(data: bytes) -> None:
    """Arbitrary bytes never raise anything but FormatError."""
    with contextlib.suppress(FormatError):
        stage1_request_from_json(data)


@PROPERTY
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_response_or_a_format_error(data: bytes) -> None:
    """Arbitrary bytes never raise anything but FormatError from the response parser either."""
    with contextlib.suppress(FormatError):
        stage1_response_from_json(data)


_REQUEST_FIELDS = [
    "protocol",
    "report_id",
    "event_type",
    "report_type",
    "signature",
    "dynamic_signature",
    "consent",
    "client",
    "machine_id",
    "product",
    "app_version",
]


@PROPERTY
@given(_requests, st.sampled_from(_REQUEST_FIELDS), _json)
def test_any_value_in_any_request_field(message: Stage1Request, field: str, value: Any) -> None:
    """Replacing any field of a valid request by any JSON value gives a request or FormatError."""
    body = json.loads(stage1_request_to_json(message))
    body[field] = value
    with contextlib.suppress(FormatError):
        stage1_request_from_json(json.dumps(body).encode())


@PROPERTY
@given(_requests)
def test_request_round_trip(message: Stage1Request) -> None:
    """Every valid request survives serialize → parse unchanged."""
    assert stage1_request_from_json(stage1_request_to_json(message)) == message


@PROPERTY
@given(_responses)
def test_response_round_trip(response: Stage1Response) -> None:
    """Every valid response survives serialize → parse unchanged."""
    assert stage1_response_from_json(stage1_response_to_json(response)) == response


@PROPERTY
@given(_responses, st.sampled_from(["data_request", "solution", "extra", "upload_url"]), _json)
def test_any_value_in_any_response_field(response: Stage1Response, field: str, value: Any) -> None:
    """Replacing a response field by any JSON value gives a response or FormatError."""
    body = json.loads(stage1_response_to_json(response))
    body[field] = value
    with contextlib.suppress(FormatError):
        stage1_response_from_json(json.dumps(body).encode())
