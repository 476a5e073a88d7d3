"""Protocol-v1 ingest through the app: auth, stage 1, stage 2 and hostile input."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_app_support import (
    REPORT_WER,
    Server,
    bundle,
    running_server,
    stage1_body,
    stored_cab,
)

from openwer.errors import StoreError
from openwer.formats.protocol_json import stage1_response_from_json
from openwer.server.storage import BucketQuery, BundleState, Scope


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """An app on a memory repository with a small bundle limit."""
    with running_server(tmp_path, max_bundle_bytes=1024 * 1024) as running:
        yield running


def test_healthz_is_constant_json(server: Server) -> None:
    """GET /healthz answers a small constant JSON without a key."""
    reply = server.client.get("/healthz")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_stage1_new_then_repeat(server: Server) -> None:
    """A new report id gets 201, the same report again 200 with the same answer."""
    body = stage1_body()
    first = server.stage1(body)
    again = server.stage1(body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.content == again.content
    answer = stage1_response_from_json(first.content)
    assert answer.wants_bundle
    assert answer.upload_url is not None
    assert answer.upload_url.startswith("/api/v1/reports/")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}, {"Authorization": ""}],
)
def test_missing_or_bad_key_is_401(server: Server, headers: dict[str, str]) -> None:
    """No key, an unknown key or another scheme: 401 with one JSON error body."""
    reply = server.client.post("/api/v1/reports", content=stage1_body(), headers=headers)
    assert reply.status_code == 401
    assert set(reply.json()) == {"error"}
    assert server.repository.list_buckets(Scope.everything(), _all()).total == 0


def test_product_of_another_key_is_403(server: Server) -> None:
    """A body naming a product other than the key's is refused and not counted."""
    reply = server.stage1(stage1_body(product="other"))
    assert reply.status_code == 403
    assert "app" in reply.json()["error"]
    assert server.repository.list_buckets(Scope.everything(), _all()).total == 0


def test_report_id_of_another_product_is_409(server: Server) -> None:
    """A report id taken by another product's report cannot be reused or read back."""
    report_id = str(uuid.uuid4())
    assert server.stage1(stage1_body(report_id)).status_code == 201
    reply = server.stage1(stage1_body(report_id), secret=server.other_key)
    assert reply.status_code == 409
    assert "bucket_id" not in reply.text


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{", "JSON"),
        (b"[]", "object"),
        (b'{"protocol": 1}', "report_id"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_bad_json_is_400(server: Server, body: bytes, fragment: str) -> None:
    """Bodies that are not a valid stage 1 get 400 and the parser's message."""
    reply = server.stage1(body)
    assert reply.status_code == 400
    assert fragment.lower() in reply.json()["error"].lower()


def test_oversized_stage1_is_413(server: Server) -> None:
    """A stage-1 body over 64 KiB is refused before it is parsed."""
    reply = server.stage1(b" " * (64 * 1024 + 1))
    assert reply.status_code == 413
    assert "limit" in reply.json()["error"]


def test_bundle_is_stored_once(server: Server) -> None:
    """A wanted bundle is stored (201), again is 200, and the report lists its files."""
    report_id = str(uuid.uuid4())
    server.stage1(stage1_body(report_id))
    data = bundle()
    assert server.put_bundle(report_id, data).status_code == 201
    assert server.put_bundle(report_id, data).status_code == 200
    assert server.put_bundle(report_id.upper(), bundle(b"other")).status_code == 200
    assert server.blobs() == [data]
    row = server.repository.get_report(Scope.everything(), report_id)
    assert row.bundle_state is BundleState.STORED
    assert {f.name for f in row.files} == {"Report.wer", "traceback.txt"}


def test_bundle_whose_recording_fails_keeps_its_blob_and_a_retry_stores_it(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage failure at record time is a 503; the blob is kept (another upload of the same
    bytes may reference it) and the client's retry records the same blob, once."""
    report_id = str(uuid.uuid4())
    server.stage1(stage1_body(report_id))
    data = bundle()
    record = server.repository.record_bundles

    def failing(uploads: object) -> object:
        raise StoreError("database is locked")

    monkeypatch.setattr(server.repository, "record_bundles", failing)
    assert server.put_bundle(report_id, data).status_code == 503
    assert server.blobs() == [data]
    monkeypatch.setattr(server.repository, "record_bundles", record)
    assert server.put_bundle(report_id, data).status_code == 201
    assert server.blobs() == [data]
    row = server.repository.get_report(Scope.everything(), report_id)
    assert row.bundle_state is BundleState.STORED


def test_bundle_for_unknown_or_foreign_report_is_404(server: Server) -> None:
    """Stage 2 of a report stage 1 never saw, or of another product's report: 404, no blob."""
    assert server.put_bundle(str(uuid.uuid4()), bundle()).status_code == 404
    report_id = str(uuid.uuid4())
    server.stage1(stage1_body(report_id))
    assert server.put_bundle(report_id, bundle(), secret=server.other_key).status_code == 404
    assert server.blobs() == []


def test_bundle_needs_a_key(server: Server) -> None:
    """Stage 2 without a key is 401."""
    reply = server.client.put(f"/api/v1/reports/{uuid.uuid4()}/bundle", content=bundle())
    assert reply.status_code == 401


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (stored_cab((b"Report.wer", REPORT_WER), (b"../evil", b"x")), "not a plain file name"),
        (stored_cab((b"Report.wer", REPORT_WER), (b"/etc/passwd", b"x")), "not a plain"),
        (bundle(b"\0" * (4 * 1024 * 1024)), "ratio"),
        (bundle()[:60], "truncated"),
        (b"not a cab", "MSCF"),
        (stored_cab((b"notes.txt", b"x")), "Report.wer"),
    ],
    ids=["traversal", "absolute", "bomb", "truncated", "not-a-cab", "no-report-wer"],
)
def test_hostile_bundles_are_400_and_nothing_is_stored(
    server: Server, data: bytes, fragment: str
) -> None:
    """Traversal names, bombs and garbage are refused with a clear 400; no blob is written."""
    report_id = str(uuid.uuid4())
    server.stage1(stage1_body(report_id))
    reply = server.put_bundle(report_id, data)
    assert reply.status_code == 400
    assert fragment in reply.json()["error"]
    assert server.blobs() == []
    row = server.repository.get_report(Scope.everything(), report_id)
    assert row.bundle_state is BundleState.WANTED


def test_oversized_bundle_is_413(server: Server) -> None:
    """A bundle over the configured limit is refused before it is read."""
    report_id = str(uuid.uuid4())
    server.stage1(stage1_body(report_id))
    reply = server.put_bundle(report_id, b"MSCF" + b"\0" * (1024 * 1024))
    assert reply.status_code == 413
    assert server.blobs() == []


def test_bad_report_id_in_path_is_400(server: Server) -> None:
    """A bundle path whose report id is not a GUID is 400."""
    reply = server.put_bundle("not-a-guid", bundle())
    assert reply.status_code == 400
    assert "GUID" in reply.json()["error"]


def test_unknown_path_and_method(server: Server) -> None:
    """Unknown paths are 404 and wrong methods 405 (Starlette's plain answers)."""
    assert server.client.get("/nope").status_code == 404
    assert server.client.get("/api/v1/reports").status_code == 405


def test_openapi_lists_every_endpoint(server: Server) -> None:
    """GET /openapi.json is an OpenAPI 3.1 document naming each endpoint."""
    document = json.loads(server.client.get("/openapi.json").content)
    assert document["openapi"] == "3.1.0"
    assert {
        "/healthz",
        "/api/v1/reports",
        "/api/v1/reports/{report_id}/bundle",
        "/api/v1/reports/{report_id}",
        "/api/v1/buckets",
        "/api/v1/buckets/{bucket_id}",
        "/stage2.htm",
        "/dumpfiles/{report_id}.cab",
    } <= set(document["paths"])


def _all() -> BucketQuery:
    return BucketQuery()
