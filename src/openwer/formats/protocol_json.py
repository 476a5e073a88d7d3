"""Protocol v1 on the wire: the JSON bodies of stage 1, in both directions.

``POST /api/v1/reports`` carries a :class:`~openwer.formats.protocol.Stage1Request` and its answer a
:class:`~openwer.formats.protocol.Stage1Response`, each a single JSON object in UTF-8
(``docs/protocol.md`` lists every field). The parsers are the server's first line of defence, so
they are strict and bounded:

* the body is at most 64 KiB, UTF-8, one JSON object, with no duplicate key in any object, no
  ``NaN``/``Infinity``, no number longer than 20 digits and no nesting deeper than 8;
* ``protocol`` must be 1; every field has an exact JSON type (``true`` is not a number), a range
  and a length (WER's limits: at most 10 parameters, values under 260 characters, names up to
  128, event types of 1 to 64); strings may not hold control characters (tab excepted) or lone
  surrogates;
* fields the parser does not know are ignored, so newer clients and servers can add fields
  without breaking older ones (forward compatible).

The serializers check their input with the same rules, so a client never sends a body the server
would refuse. Ids (``report_id``, ``bucket_id``) are returned in canonical lower-case form.

Pure: no I/O, no clock, no globals; thread-safe.
"""

from __future__ import annotations

import re
from typing import Any

from openwer.errors import FormatError
from openwer.formats import json_body as rules
from openwer.formats.protocol import (
    DataRequest,
    SignatureParameter,
    Solution,
    Stage1Request,
    Stage1Response,
)
from openwer.types import (
    MAX_PATH,
    WER_MAX_EVENT_NAME_LENGTH,
    WER_MAX_PARAM_COUNT,
    WER_MAX_SIGNATURE_NAME_LENGTH,
    ConsentLevel,
    DumpType,
)

__all__ = [
    "MAX_DYNAMIC_PARAMETERS",
    "MAX_STAGE1_REQUEST_BYTES",
    "MAX_STAGE1_RESPONSE_BYTES",
    "PROTOCOL_VERSION",
    "stage1_request_from_json",
    "stage1_request_to_json",
    "stage1_response_from_json",
    "stage1_response_to_json",
]

PROTOCOL_VERSION = 1
MAX_STAGE1_REQUEST_BYTES = 64 * 1024
MAX_STAGE1_RESPONSE_BYTES = 64 * 1024
MAX_DYNAMIC_PARAMETERS = 32
_MAX_VALUE = MAX_PATH - 1  # WER_MAX_PARAM_LENGTH counts the terminating NUL
_MAX_NAME = WER_MAX_SIGNATURE_NAME_LENGTH
_MAX_SHORT_TEXT = 128  # product, application version, machine id, client and extra keys
_MAX_LONG_TEXT = 2048  # URLs and solution messages
_MAX_CLIENT_FACTS = 16
_MAX_EXTRA = 32
_MAX_REQUESTED_FILES = 64
_MAX_INT32 = 0x7FFF_FFFF
_MAX_INT63 = 0x7FFF_FFFF_FFFF_FFFF

_REQUEST = "stage 1 request"
_RESPONSE = "stage 1 response"
_REQUEST_FIELDS = frozenset(
    (
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
    )
)
_RESPONSE_FIELDS = frozenset(
    (
        "protocol",
        "bucket_id",
        "legacy_bucket_id",
        "bucket_table",
        "data_request",
        "upload_url",
        "solution",
        "extra",
    )
)
_PARAMETER_FIELDS = frozenset(("name", "value"))
_DATA_REQUEST_FIELDS = frozenset(("dump_type", "files", "explicit"))
_SOLUTION_FIELDS = frozenset(("message", "url"))
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SPACE = re.compile(r"\s")
_CONSENT_LEVELS = {int(level): level for level in ConsentLevel if level is not ConsentLevel.NONE}


def stage1_request_to_json(request: Stage1Request) -> bytes:
    """Return the JSON body of ``request`` (compact UTF-8).

    Raises:
        FormatError: a field breaks a protocol rule (the message names it), or the body would be
            larger than :data:`MAX_STAGE1_REQUEST_BYTES`.
    """
    client = dict(request.client)
    if len(client) != len(request.client):
        raise FormatError(f"{_REQUEST}: client has a duplicate key")
    body: dict[str, Any] = {
        "protocol": PROTOCOL_VERSION,
        "report_id": request.report_id,
        "event_type": request.event_type,
        "report_type": _plain_int(request.report_type),
        "signature": [{"name": p.name, "value": p.value} for p in request.signature],
        "dynamic_signature": [
            {"name": p.name, "value": p.value} for p in request.dynamic_signature
        ],
        "consent": _plain_int(request.consent),
        "client": client,
        "machine_id": request.machine_id,
        "product": request.product,
        "app_version": request.app_version,
    }
    _request_from_object(body)
    return rules.dump_json(body, limit=MAX_STAGE1_REQUEST_BYTES, what=_REQUEST)


def stage1_request_from_json(data: bytes) -> Stage1Request:
    """Parse and validate a stage-1 request body.

    Raises:
        FormatError: the body is too large, not UTF-8 JSON, not an object, has a duplicate key,
            an unknown ``protocol``, a missing field or a field of the wrong type, range or
            length; the message names the field.
    """
    body = rules.load_json_object(data, limit=MAX_STAGE1_REQUEST_BYTES, what=_REQUEST)
    return _request_from_object(body)


def stage1_response_to_json(response: Stage1Response) -> bytes:
    """Return the JSON body of ``response`` (compact UTF-8).

    Raises:
        FormatError: a field breaks a protocol rule (the message names it).
    """
    extra = dict(response.extra)
    if len(extra) != len(response.extra):
        raise FormatError(f"{_RESPONSE}: extra has a duplicate key")
    wanted = response.data_request
    solution = response.solution
    body: dict[str, Any] = {
        "protocol": PROTOCOL_VERSION,
        "bucket_id": response.bucket_id,
        "legacy_bucket_id": _plain_int(response.legacy_bucket_id),
        "bucket_table": _plain_int(response.bucket_table),
        "data_request": None
        if wanted is None
        else {
            "dump_type": _plain_int(wanted.dump_type),
            "files": list(wanted.files),
            "explicit": wanted.explicit,
        },
        "upload_url": response.upload_url,
        "solution": None
        if solution is None
        else {"message": solution.message, "url": solution.url},
    }
    if extra:
        body["extra"] = extra
    _response_from_object(body)
    return rules.dump_json(body, limit=MAX_STAGE1_RESPONSE_BYTES, what=_RESPONSE)


def stage1_response_from_json(data: bytes) -> Stage1Response:
    """Parse and validate a stage-1 response body.

    Raises:
        FormatError: as :func:`stage1_request_from_json`, for the response's fields.
    """
    body = rules.load_json_object(data, limit=MAX_STAGE1_RESPONSE_BYTES, what=_RESPONSE)
    return _response_from_object(body)


def _request_from_object(body: dict[str, Any]) -> Stage1Request:
    what = _REQUEST
    _check_protocol(body, what)
    rules.check_ignored_fields(body, _REQUEST_FIELDS, what)
    get = body.get
    return Stage1Request(
        report_id=_uuid(rules.required(body, "report_id", what), "report_id", what),
        event_type=rules.text(
            rules.required(body, "event_type", what),
            "event_type",
            what,
            WER_MAX_EVENT_NAME_LENGTH,
            1,
        ),
        report_type=rules.whole_number(
            rules.required(body, "report_type", what), "report_type", what, _MAX_INT32
        ),
        signature=_parameters(
            rules.required(body, "signature", what), "signature", WER_MAX_PARAM_COUNT
        ),
        dynamic_signature=_parameters(
            get("dynamic_signature", []), "dynamic_signature", MAX_DYNAMIC_PARAMETERS
        ),
        consent=_consent(rules.required(body, "consent", what)),
        client=_string_map(get("client", {}), "client", what, _MAX_CLIENT_FACTS, _MAX_VALUE),
        machine_id=rules.optional_text(get("machine_id"), "machine_id", what, _MAX_SHORT_TEXT),
        product=rules.optional_text(get("product"), "product", what, _MAX_SHORT_TEXT, 1),
        app_version=rules.optional_text(get("app_version"), "app_version", what, _MAX_SHORT_TEXT),
    )


def _response_from_object(body: dict[str, Any]) -> Stage1Response:
    what = _RESPONSE
    _check_protocol(body, what)
    rules.check_ignored_fields(body, _RESPONSE_FIELDS, what)
    return Stage1Response(
        bucket_id=_uuid(rules.required(body, "bucket_id", what), "bucket_id", what),
        legacy_bucket_id=rules.whole_number(
            rules.required(body, "legacy_bucket_id", what), "legacy_bucket_id", what, _MAX_INT63
        ),
        bucket_table=rules.whole_number(
            body.get("bucket_table", 1), "bucket_table", what, _MAX_INT32
        ),
        data_request=_data_request(body.get("data_request")),
        upload_url=_upload_url(body.get("upload_url")),
        solution=_solution(body.get("solution")),
        extra=_string_map(body.get("extra", {}), "extra", what, _MAX_EXTRA, _MAX_LONG_TEXT),
    )


def _check_protocol(body: dict[str, Any], what: str) -> None:
    version = rules.required(body, "protocol", what)
    if type(version) is not int:
        raise FormatError(f"{what}: protocol must be a number, not {rules.json_kind(version)}")
    if version != PROTOCOL_VERSION:
        raise FormatError(f"{what}: unknown protocol version {version}; this side speaks 1")


def _uuid(value: Any, field: str, what: str) -> str:
    if type(value) is not str or _UUID.fullmatch(value) is None:
        raise FormatError(
            f"{what}: {field} must be a GUID such as 0f8fad5b-d9cb-469f-a165-70867728950e"
        )
    return value.lower()


def _consent(value: Any) -> ConsentLevel:
    level = _CONSENT_LEVELS.get(value) if type(value) is int else None
    if level is not None:
        return level
    # Not 1..4: whole_number() raises with the field's name and allowed range.
    return ConsentLevel(rules.whole_number(value, "consent", _REQUEST, ConsentLevel.ALL_DATA, 1))


def _parameters(value: Any, field: str, limit: int) -> tuple[SignatureParameter, ...]:
    what = _REQUEST
    if type(value) is not list:
        raise FormatError(f"{what}: {field} must be an array, not {rules.json_kind(value)}")
    if len(value) > limit:
        raise FormatError(f"{what}: {field} has {len(value)} parameters; the limit is {limit}")
    clean = rules.is_clean_text
    result = []
    for index, item in enumerate(value):
        # The fast path takes valid entries; _parameter() repeats the checks to name the fault.
        if type(item) is dict and len(item) == 2:
            name = item.get("name")
            text = item.get("value")
            if (
                type(name) is str
                and type(text) is str
                and len(name) <= _MAX_NAME
                and len(text) <= _MAX_VALUE
                and clean(name)
                and clean(text)
            ):
                result.append(SignatureParameter(name, text))
                continue
        result.append(_parameter(item, f"{field}[{index}]"))
    return tuple(result)


def _parameter(item: Any, where: str) -> SignatureParameter:
    what = _REQUEST
    if type(item) is not dict:
        raise FormatError(f"{what}: {where} must be an object, not {rules.json_kind(item)}")
    rules.check_ignored_fields(item, _PARAMETER_FIELDS, what, level=3)
    name = rules.text(rules.required(item, "name", what), f"{where}.name", what, _MAX_NAME)
    text = rules.text(rules.required(item, "value", what), f"{where}.value", what, _MAX_VALUE)
    return SignatureParameter(name, text)


def _string_map(
    value: Any, field: str, what: str, limit: int, max_value: int
) -> tuple[tuple[str, str], ...]:
    if type(value) is not dict:
        raise FormatError(f"{what}: {field} must be an object, not {rules.json_kind(value)}")
    if len(value) > limit:
        raise FormatError(f"{what}: {field} has {len(value)} entries; the limit is {limit}")
    clean = rules.is_clean_text
    for key, item in value.items():
        if not (
            0 < len(key) <= _MAX_SHORT_TEXT
            and type(item) is str
            and len(item) <= max_value
            and clean(key)
            and clean(item)
        ):
            rules.text(key, f"a key of {field}", what, _MAX_SHORT_TEXT, 1)
            rules.text(item, f"{field}[{key!r}]", what, max_value)
    return tuple(value.items())


def _data_request(value: Any) -> DataRequest | None:
    what = _RESPONSE
    if value is None:
        return None
    if type(value) is not dict:
        raise FormatError(
            f"{what}: data_request must be an object or null, not {rules.json_kind(value)}"
        )
    rules.check_ignored_fields(value, _DATA_REQUEST_FIELDS, what, level=2)
    dump_type = rules.whole_number(
        rules.required(value, "dump_type", what), "data_request.dump_type", what, DumpType.MAX - 1
    )
    files = value.get("files", [])
    if type(files) is not list:
        raise FormatError(
            f"{what}: data_request.files must be an array, not {rules.json_kind(files)}"
        )
    if len(files) > _MAX_REQUESTED_FILES:
        raise FormatError(
            f"{what}: data_request.files has {len(files)} names; "
            f"the limit is {_MAX_REQUESTED_FILES}"
        )
    names = tuple(
        rules.text(name, f"data_request.files[{i}]", what, _MAX_VALUE, 1)
        for i, name in enumerate(files)
    )
    explicit = value.get("explicit", False)
    if type(explicit) is not bool:
        raise FormatError(
            f"{what}: data_request.explicit must be a boolean, not {rules.json_kind(explicit)}"
        )
    return DataRequest(DumpType(dump_type), names, explicit)


def _upload_url(value: Any) -> str | None:
    url = rules.optional_text(value, "upload_url", _RESPONSE, _MAX_LONG_TEXT, 1)
    if url is None:
        return None
    relative = url.startswith("/") and not url.startswith("//")
    if not (relative or url.startswith(("https://", "http://"))) or _SPACE.search(url):
        raise FormatError(
            f"{_RESPONSE}: upload_url must be a path starting with / or an http(s) URL, "
            "without spaces"
        )
    return url


def _solution(value: Any) -> Solution | None:
    what = _RESPONSE
    if value is None:
        return None
    if type(value) is not dict:
        raise FormatError(
            f"{what}: solution must be an object or null, not {rules.json_kind(value)}"
        )
    rules.check_ignored_fields(value, _SOLUTION_FIELDS, what, level=2)
    message = rules.text(
        rules.required(value, "message", what), "solution.message", what, _MAX_LONG_TEXT, 1
    )
    url = rules.optional_text(value.get("url"), "solution.url", what, _MAX_LONG_TEXT, 1)
    return Solution(message, url)


def _plain_int(value: int) -> int:
    # IntEnum members go out as plain numbers; bools stay bools so that validation refuses them.
    return value if type(value) is bool else int(value)
