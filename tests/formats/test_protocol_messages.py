"""The two-stage protocol's messages: frozen values with the documented defaults."""

from __future__ import annotations

import dataclasses

import pytest

from openwer.formats.protocol import (
    DataRequest,
    SignatureParameter,
    Solution,
    Stage1Request,
    Stage1Response,
)
from openwer.types import ConsentLevel, DumpType


def test_stage1_response_wants_bundle_only_with_a_data_request() -> None:
    """wants_bundle is True exactly when the server sent a data request."""
    plain = Stage1Response(bucket_id="b", legacy_bucket_id=1)
    assert plain.wants_bundle is False
    assert dataclasses.replace(plain, data_request=DataRequest()).wants_bundle is True
    explicit = DataRequest(DumpType.HEAP_DUMP, ("memory.csv",), explicit=True)
    assert Stage1Response("b", 1, data_request=explicit).wants_bundle is True


def test_stage1_response_defaults() -> None:
    """A bare answer is table 1, with no upload URL, no solution and no extras."""
    response = Stage1Response(bucket_id="b", legacy_bucket_id=2)
    assert response.bucket_table == 1
    assert response.data_request is None
    assert response.upload_url is None
    assert response.solution is None
    assert response.extra == ()


def test_solution_does_not_ask_for_a_bundle() -> None:
    """A known solution alone does not ask for stage 2."""
    response = Stage1Response(
        "b", 3, solution=Solution("Update the app", "https://example.invalid")
    )
    assert response.wants_bundle is False
    assert response.solution == Solution("Update the app", "https://example.invalid")
    assert Solution("Restart").url is None


def test_data_request_defaults_to_a_minidump() -> None:
    """A data request asks for a minidump, no extra files, and is not explicit by default."""
    request = DataRequest()
    assert request.dump_type is DumpType.MINI_DUMP
    assert request.files == ()
    assert request.explicit is False


def test_stage1_request_defaults() -> None:
    """Stage 1 defaults to parameters-only consent, no client facts and no machine id."""
    request = Stage1Request(
        report_id="b0e0a37d-af49-4d6d-a411-f0946870c9dd",
        event_type="APPCRASH",
        report_type=2,
        signature=(SignatureParameter("Application Name", "taskmgr.exe"),),
    )
    assert request.consent is ConsentLevel.PARAMETERS_ONLY
    assert request.dynamic_signature == ()
    assert request.client == ()
    assert request.machine_id is None
    assert request.signature[0].value == "taskmgr.exe"


@pytest.mark.parametrize(
    "message",
    [
        SignatureParameter("n", "v"),
        DataRequest(),
        Solution("m"),
        Stage1Response("b", 1),
        Stage1Request("r", "APPCRASH", 2, ()),
    ],
    ids=lambda message: type(message).__name__,
)
def test_messages_are_frozen_and_hashable(message: object) -> None:
    """Every message is immutable and hashable, so it can be shared between threads."""
    assert dataclasses.is_dataclass(message)
    assert not isinstance(message, type)
    field = dataclasses.fields(message)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(message, field, None)
    assert hash(message) == hash(dataclasses.replace(message))
