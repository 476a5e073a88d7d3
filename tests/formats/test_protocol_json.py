"""Protocol v1's JSON bodies: the documented shape, round trips and each field's rules."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from openwer.errors import FormatError
from openwer.formats.protocol import (
    DataRequest,
    SignatureParameter,
    Solution,
    Stage1Request,
    Stage1Response,
)
from openwer.formats.protocol_json import (
    MAX_STAGE1_REQUEST_BYTES,
    PROTOCOL_VERSION,
    stage1_request_from_json,
    stage1_request_to_json,
    stage1_response_from_json,
    stage1_response_to_json,
)
from openwer.types import ConsentLevel, DumpType, ReportType

REPORT_ID = "b0e0a37d-af49-4d6d-a411-f0946870c9dd"
BUCKET_ID = "6f9619ff-8b86-d011-b42d-00c04fc964ff"

REQUEST = Stage1Request(
    report_id=REPORT_ID,
    event_type="PythonException",
    report_type=ReportType.APPLICATION_CRASH,
    signature=(
        SignatureParameter("Application Name", "app.py"),
        SignatureParameter("Application Version", "1.2.3"),
        SignatureParameter("Exception Type", "builtins.KeyError"),
    ),
    dynamic_signature=(SignatureParameter("OS Version", "6.1.0-18-amd64"),),
    consent=ConsentLevel.PARAMETERS_AND_SAFE_DATA,
    client=(("os", "Linux"), ("python", "3.11.7"), ("openwer", "0.1.0")),
    machine_id=None,
    product="inventory",
    app_version="1.2.3",
)

RESPONSE = Stage1Response(
    bucket_id=BUCKET_ID,
    legacy_bucket_id=1234567890123,
    bucket_table=1,
    data_request=DataRequest(DumpType.MINI_DUMP, ("traceback.txt", "stack.json"), explicit=True),
    upload_url=f"/api/v1/reports/{REPORT_ID}/bundle",
    solution=Solution("Fixed in 1.2.4", "https://example.invalid/kb/1"),
)


def _request_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(stage1_request_to_json(REQUEST))
    body.update(changes)
    return body


def _response_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(stage1_response_to_json(RESPONSE))
    body.update(changes)
    return body


def _encode(body: object) -> bytes:
    return json.dumps(body).encode()


def test_request_wire_shape_is_the_documented_one() -> None:
    """The request body is one flat object with exactly the documented fields."""
    body = json.loads(stage1_request_to_json(REQUEST))
    assert body == {
        "protocol": 1,
        "report_id": REPORT_ID,
        "event_type": "PythonException",
        "report_type": 2,
        "signature": [
            {"name": "Application Name", "value": "app.py"},
            {"name": "Application Version", "value": "1.2.3"},
            {"name": "Exception Type", "value": "builtins.KeyError"},
        ],
        "dynamic_signature": [{"name": "OS Version", "value": "6.1.0-18-amd64"}],
        "consent": 3,
        "client": {"os": "Linux", "python": "3.11.7", "openwer": "0.1.0"},
        "machine_id": None,
        "product": "inventory",
        "app_version": "1.2.3",
    }


def test_response_wire_shape_is_the_documented_one() -> None:
    """The response body carries the bucket, the data request, the upload URL and the solution."""
    body = json.loads(stage1_response_to_json(RESPONSE))
    assert body == {
        "protocol": 1,
        "bucket_id": BUCKET_ID,
        "legacy_bucket_id": 1234567890123,
        "bucket_table": 1,
        "data_request": {
            "dump_type": 2,
            "files": ["traceback.txt", "stack.json"],
            "explicit": True,
        },
        "upload_url": f"/api/v1/reports/{REPORT_ID}/bundle",
        "solution": {"message": "Fixed in 1.2.4", "url": "https://example.invalid/kb/1"},
    }


def test_request_round_trip() -> None:
    """A request survives serialize → parse unchanged, enums included."""
    parsed = stage1_request_from_json(stage1_request_to_json(REQUEST))
    assert parsed == REQUEST
    assert parsed.consent is ConsentLevel.PARAMETERS_AND_SAFE_DATA


def test_response_round_trip() -> None:
    """A response survives serialize → parse unchanged, data request and solution included."""
    parsed = stage1_response_from_json(stage1_response_to_json(RESPONSE))
    assert parsed == RESPONSE
    assert parsed.data_request is not None
    assert parsed.data_request.dump_type is DumpType.MINI_DUMP


def test_response_extra_round_trips() -> None:
    """Server extras travel as a string object and come back as ordered pairs."""
    response = Stage1Response(BUCKET_ID, 1, extra=(("status", "investigating"), ("a", "b")))
    body = json.loads(stage1_response_to_json(response))
    assert body["extra"] == {"status": "investigating", "a": "b"}
    assert stage1_response_from_json(stage1_response_to_json(response)) == response


def test_minimal_response_takes_defaults() -> None:
    """Only protocol, bucket_id and legacy_bucket_id are required in a response."""
    data = _encode({"protocol": 1, "bucket_id": BUCKET_ID, "legacy_bucket_id": 7})
    assert stage1_response_from_json(data) == Stage1Response(BUCKET_ID, 7)


def test_minimal_request_takes_defaults() -> None:
    """The optional request fields default to empty and null."""
    body = {
        "protocol": 1,
        "report_id": REPORT_ID,
        "event_type": "APPCRASH",
        "report_type": 2,
        "signature": [],
        "consent": 2,
    }
    assert stage1_request_from_json(_encode(body)) == Stage1Request(REPORT_ID, "APPCRASH", 2, ())


def test_ids_are_normalized_to_lower_case() -> None:
    """Upper-case GUIDs are accepted and returned lower-case (one report, one key)."""
    request = stage1_request_from_json(_encode(_request_body(report_id=REPORT_ID.upper())))
    assert request.report_id == REPORT_ID
    response = stage1_response_from_json(_encode(_response_body(bucket_id=BUCKET_ID.upper())))
    assert response.bucket_id == BUCKET_ID


def test_unknown_fields_are_ignored() -> None:
    """Fields this version does not know are ignored at every level (forward compatible)."""
    body = _request_body(future={"nested": [1, 2, {"x": None}]}, flag=True)
    body["signature"][0]["hint"] = "ignored"
    assert stage1_request_from_json(_encode(body)) == REQUEST
    reply = _response_body(new_field=[1])
    reply["data_request"]["priority"] = 5
    reply["solution"]["kind"] = "kb"
    assert stage1_response_from_json(_encode(reply)) == RESPONSE


def test_limits_at_the_edge_are_accepted() -> None:
    """Ten parameters, a 259-character value, 128-character names and 64-character events pass."""
    signature = [{"name": "n" * 128, "value": "v" * 259} for _ in range(10)]
    body = _request_body(signature=signature, event_type="E" * 64)
    request = stage1_request_from_json(_encode(body))
    assert len(request.signature) == 10
    assert request.event_type == "E" * 64


def test_tabs_and_non_ascii_text_are_accepted() -> None:
    """A tab and any printable Unicode are allowed in values; the body is UTF-8."""
    body = _request_body(signature=[{"name": "Nom", "value": "a\tb é 漢字 🙂"}])
    data = json.dumps(body, ensure_ascii=False).encode()
    assert stage1_request_from_json(data).signature[0].value == "a\tb é 漢字 🙂"


def test_serialized_body_is_compact_utf8() -> None:
    """The body is compact JSON written in UTF-8, not ASCII escapes."""
    request = Stage1Request(REPORT_ID, "APPCRASH", 2, (SignatureParameter("Nom", "été"),))
    data = stage1_request_to_json(request)
    assert "été".encode() in data
    assert b", " not in data
    assert b": " not in data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"protocol": 2}, r"unknown protocol version 2; this side speaks 1"),
        ({"protocol": "1"}, r"protocol must be a number, not a string"),
        ({"protocol": True}, r"protocol must be a number, not a boolean"),
        ({"report_id": "not-a-guid"}, r"report_id must be a GUID"),
        ({"report_id": "{" + REPORT_ID + "}"}, r"report_id must be a GUID"),
        ({"report_id": REPORT_ID.replace("-", "")}, r"report_id must be a GUID"),
        ({"report_id": 5}, r"report_id must be a GUID"),
        ({"event_type": ""}, r"event_type is 0 characters; it must be 1 to 64"),
        ({"event_type": "E" * 65}, r"event_type is 65 characters; it must be 1 to 64"),
        ({"event_type": None}, r"event_type must be a string, not null"),
        ({"event_type": "APP\x00CRASH"}, r"event_type contains a control character"),
        ({"report_type": True}, r"report_type must be a whole number, not a boolean"),
        ({"report_type": 2.0}, r"report_type must be a whole number, not a fractional number"),
        ({"report_type": -1}, r"report_type is -1; it must be 0 to 2147483647"),
        ({"report_type": 2**31}, r"report_type is 2147483648; it must be 0 to 2147483647"),
        ({"consent": 0}, r"consent is 0; it must be 1 to 4"),
        ({"consent": 5}, r"consent is 5; it must be 1 to 4"),
        ({"consent": False}, r"consent must be a whole number, not a boolean"),
        ({"consent": "2"}, r"consent must be a whole number, not a string"),
        ({"signature": {}}, r"signature must be an array, not an object"),
        ({"signature": ["x"]}, r"signature\[0\] must be an object, not a string"),
        ({"signature": [{"name": "n"}]}, r"missing field 'value'"),
        ({"signature": [{"value": "v"}]}, r"missing field 'name'"),
        ({"signature": [{"name": 1, "value": "v"}]}, r"signature\[0\]\.name must be a string"),
        (
            {"signature": [{"name": "n", "value": "v" * 260}]},
            r"signature\[0\]\.value is 260 characters; it must be 0 to 259",
        ),
        (
            {"signature": [{"name": "n" * 129, "value": "v"}]},
            r"signature\[0\]\.name is 129 characters; it must be 0 to 128",
        ),
        (
            {"signature": [{"name": "n", "value": "a\nb"}]},
            r"signature\[0\]\.value contains a control character",
        ),
        (
            {"signature": [{"name": "n", "value": "v"}] * 11},
            r"signature has 11 parameters; the limit is 10",
        ),
        (
            {"dynamic_signature": [{"name": "n", "value": "v"}] * 33},
            r"dynamic_signature has 33 parameters; the limit is 32",
        ),
        ({"dynamic_signature": None}, r"dynamic_signature must be an array, not null"),
        ({"client": []}, r"client must be an object, not an array"),
        ({"client": {"os": 1}}, r"client\['os'\] must be a string, not a number"),
        ({"client": {"": "x"}}, r"a key of client is 0 characters"),
        ({"client": {"k" * 129: "x"}}, r"a key of client is 129 characters"),
        ({"client": {"os": "x\x1b[31m"}}, r"client\['os'\] contains a control character"),
        ({"client": {f"k{i}": "v" for i in range(17)}}, r"client has 17 entries; the limit is 16"),
        ({"machine_id": 5}, r"machine_id must be a string, not a number"),
        ({"machine_id": "m" * 129}, r"machine_id is 129 characters"),
        ({"product": ""}, r"product is 0 characters; it must be 1 to 128"),
        ({"app_version": ["1"]}, r"app_version must be a string, not an array"),
    ],
    ids=lambda value: str(value)[:40] if isinstance(value, dict) else None,
)
def test_request_field_rules(changes: dict[str, Any], message: str) -> None:
    """Every rule of every request field gives a FormatError that names the field."""
    with pytest.raises(FormatError, match=r"^stage 1 request: .*" + message):
        stage1_request_from_json(_encode(_request_body(**changes)))


@pytest.mark.parametrize(
    "field", ["protocol", "report_id", "event_type", "report_type", "signature", "consent"]
)
def test_request_missing_required_field(field: str) -> None:
    """Each required request field is named when it is missing."""
    body = _request_body()
    del body[field]
    with pytest.raises(FormatError, match=rf"^stage 1 request: missing field '{field}'$"):
        stage1_request_from_json(_encode(body))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bucket_id": "x"}, r"bucket_id must be a GUID"),
        ({"legacy_bucket_id": -1}, r"legacy_bucket_id is -1"),
        ({"legacy_bucket_id": 2**63}, r"legacy_bucket_id is 9223372036854775808"),
        ({"legacy_bucket_id": True}, r"legacy_bucket_id must be a whole number, not a boolean"),
        ({"bucket_table": "1"}, r"bucket_table must be a whole number, not a string"),
        ({"data_request": []}, r"data_request must be an object or null, not an array"),
        ({"data_request": {}}, r"missing field 'dump_type'"),
        ({"data_request": {"dump_type": 5}}, r"data_request\.dump_type is 5; it must be 0 to 4"),
        ({"data_request": {"dump_type": 2, "files": "a"}}, r"data_request\.files must be an"),
        (
            {"data_request": {"dump_type": 2, "files": ["a"] * 65}},
            r"data_request\.files has 65 names; the limit is 64",
        ),
        ({"data_request": {"dump_type": 2, "files": [""]}}, r"data_request\.files\[0\] is 0"),
        ({"data_request": {"dump_type": 2, "explicit": 1}}, r"data_request\.explicit must be a"),
        ({"upload_url": ""}, r"upload_url is 0 characters"),
        ({"upload_url": "ftp://x/y"}, r"upload_url must be a path starting with /"),
        ({"upload_url": "//evil.example/x"}, r"upload_url must be a path starting with /"),
        ({"upload_url": "/a b"}, r"upload_url must be a path starting with / .*without spaces"),
        ({"upload_url": 7}, r"upload_url must be a string, not a number"),
        ({"solution": "fixed"}, r"solution must be an object or null, not a string"),
        ({"solution": {"url": "https://x"}}, r"missing field 'message'"),
        ({"solution": {"message": ""}}, r"solution\.message is 0 characters"),
        ({"solution": {"message": "m", "url": ""}}, r"solution\.url is 0 characters"),
        ({"extra": {"k": 1}}, r"extra\['k'\] must be a string, not a number"),
        ({"extra": "x"}, r"extra must be an object, not a string"),
    ],
    ids=lambda value: str(value)[:40] if isinstance(value, dict) else None,
)
def test_response_field_rules(changes: dict[str, Any], message: str) -> None:
    """Every rule of every response field gives a FormatError that names the field."""
    with pytest.raises(FormatError, match=r"^stage 1 response: .*" + message):
        stage1_response_from_json(_encode(_response_body(**changes)))


@pytest.mark.parametrize(
    "url",
    ["/api/v1/reports/x/bundle", "https://upload.example/x?sig=abc", "http://127.0.0.1:8080/x"],
)
def test_upload_url_forms(url: str) -> None:
    """A same-server path or an absolute http(s) URL is accepted as the upload URL."""
    response = stage1_response_from_json(_encode(_response_body(upload_url=url)))
    assert response.upload_url == url


def test_null_optionals_in_the_response() -> None:
    """data_request, upload_url and solution may be null."""
    body = _response_body(data_request=None, upload_url=None, solution=None)
    response = stage1_response_from_json(_encode(body))
    assert response == Stage1Response(BUCKET_ID, RESPONSE.legacy_bucket_id)
    assert not response.wants_bundle


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (Stage1Request("nope", "APPCRASH", 2, ()), r"report_id must be a GUID"),
        (
            Stage1Request(REPORT_ID, "APPCRASH", 2, (SignatureParameter("n", "v"),) * 11),
            r"signature has 11 parameters",
        ),
        (
            Stage1Request(REPORT_ID, "APPCRASH", 2, (), client=(("a", "1"), ("a", "2"))),
            r"client has a duplicate key",
        ),
        (
            Stage1Request(REPORT_ID, "APPCRASH", True, ()),
            r"report_type must be a whole number, not a boolean",
        ),
        (
            Stage1Request(REPORT_ID, "APPCRASH", 2, (), consent=ConsentLevel.NONE),
            r"consent is 0; it must be 1 to 4",
        ),
        (
            Stage1Request(
                REPORT_ID,
                "APPCRASH",
                2,
                (),
                dynamic_signature=(SignatureParameter("🙂" * 128, "🙂" * 259),) * 32,
                client=tuple((f"k{i}", "🙂" * 259) for i in range(16)),
            ),
            r"the body would be \d+ bytes; the limit is 65536",
        ),
    ],
    ids=["bad-id", "eleven-parameters", "duplicate-client-key", "bool", "no-consent", "too-big"],
)
def test_request_serializer_refuses_what_the_server_would(
    request_: Stage1Request, message: str
) -> None:
    """The client cannot produce a body the server refuses: the same rules run on both sides."""
    with pytest.raises(FormatError, match=r"^stage 1 request: " + message):
        stage1_request_to_json(request_)


def test_response_serializer_refuses_what_the_client_would() -> None:
    """A response the client would refuse cannot be written either."""
    with pytest.raises(FormatError, match=r"upload_url must be a path"):
        stage1_response_to_json(Stage1Response(BUCKET_ID, 1, upload_url="bundle"))
    with pytest.raises(FormatError, match=r"extra has a duplicate key"):
        stage1_response_to_json(Stage1Response(BUCKET_ID, 1, extra=(("a", "1"), ("a", "2"))))


def test_request_body_limit() -> None:
    """A request body over 64 KiB is refused before it is decoded."""
    data = _encode(_request_body(padding="x" * MAX_STAGE1_REQUEST_BYTES))
    with pytest.raises(FormatError, match=r"^stage 1 request: the body is \d+ bytes; the limit"):
        stage1_request_from_json(data)


def test_protocol_version_constant() -> None:
    """This module speaks protocol version 1."""
    assert PROTOCOL_VERSION == 1


def test_the_examples_in_docs_protocol_md_are_valid() -> None:
    """The stage-1 request and response shown in docs/protocol.md parse and round-trip (the
    first two JSON examples; the admin API's examples follow them)."""
    document = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
    blocks = re.findall(r"```json\n(.*?)```", document.read_text(encoding="utf-8"), re.DOTALL)
    request_text, response_text = blocks[:2]
    request = stage1_request_from_json(request_text.encode())
    assert request.event_type == "PythonUnhandledException"
    assert json.loads(stage1_request_to_json(request)) == json.loads(request_text)
    response = stage1_response_from_json(response_text.encode())
    assert response.wants_bundle
    assert json.loads(stage1_response_to_json(response)) == json.loads(response_text)
