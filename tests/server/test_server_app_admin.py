"""The admin API through the app: data requests, bucket status and merges, solutions, product
policies; admin tokens only, strict bodies, nothing changed by a refused request, and the
effects on stage 1 of the same app."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_app_support import Server, running_server, stage1_body

GHOST = str(uuid.uuid4())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """An app with three reports in bucket "parse" and one in "lookup" (product "app")."""
    with running_server(tmp_path) as running:
        for _ in range(3):
            assert running.stage1(stage1_body(function="parse")).status_code == 201
        assert running.stage1(stage1_body(function="lookup")).status_code == 201
        yield running


def _admin(server: Server) -> dict[str, str]:
    return server.headers(server.admin)


def _call(
    server: Server, method: str, path: str, body: Any = None, secret: str | None = None
) -> httpx.Response:
    headers = server.headers(secret or server.admin)
    if body is None:
        return server.client.request(method, path, headers=headers)
    return server.client.request(method, path, headers=headers, json=body)


def _raw(server: Server, method: str, path: str, content: bytes) -> httpx.Response:
    headers = {**_admin(server), "Content-Type": "application/json"}
    return server.client.request(method, path, headers=headers, content=content)


def _bucket(server: Server, function: str, secret: str | None = None) -> str:
    """The bucket GUID of a report with this function (posting one more report)."""
    reply = server.stage1(stage1_body(function=function), secret)
    assert reply.status_code == 201
    return str(reply.json()["bucket_id"])


def _stage1(
    server: Server, function: str = "parse", version: str = "1.0", event: str | None = None
) -> dict[str, Any]:
    body = json.loads(stage1_body(function=function))
    body["app_version"] = version  # the signature (P1 included) stays: same bucket
    if event is not None:
        body["event_type"] = event
    reply = server.stage1(json.dumps(body).encode())
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def _quiet_policy(server: Server) -> None:
    """No bundles from the product policy: only explicit requests ask."""
    policy = {"first_n": 0, "one_in_k": 0, "max_bundles_per_day": 50}
    assert _call(server, "PUT", "/api/v1/products/app/policy", policy).status_code == 200


# -- authentication ---------------------------------------------------------------------------

_ROUTES = [
    ("GET", "/api/v1/buckets/{b}/data-requests", None),
    ("POST", "/api/v1/buckets/{b}/data-requests", {"count": 1}),
    ("DELETE", "/api/v1/buckets/{b}/data-requests", None),
    ("POST", "/api/v1/buckets/{b}/status", {"status": "ignored"}),
    ("POST", "/api/v1/buckets/{b}/merge", {"into": "{b}"}),
    ("GET", "/api/v1/solutions", None),
    ("POST", "/api/v1/solutions", {"product": "app", "pattern": "x", "message": "m"}),
    ("PATCH", "/api/v1/solutions/1", {"message": "m"}),
    ("DELETE", "/api/v1/solutions/1", None),
    ("GET", "/api/v1/products", None),
    ("GET", "/api/v1/products/app/policy", None),
    ("PUT", "/api/v1/products/app/policy", {"first_n": 0, "one_in_k": 0, "max_bundles_per_day": 0}),
]


@pytest.mark.parametrize(("method", "path", "body"), _ROUTES)
def test_admin_routes_refuse_anything_but_an_admin_token(
    server: Server, method: str, path: str, body: Any
) -> None:
    """No header, another scheme, a wrong token, the product's and another product's ingest
    keys: 401 with a JSON error and a challenge; nothing changes."""
    bucket = _bucket(server, "parse")
    path = path.replace("{b}", bucket)
    if body is not None:
        body = json.loads(json.dumps(body).replace("{b}", bucket))
    before = server.client.get(f"/api/v1/buckets/{bucket}", headers=_admin(server)).json()
    attempts: list[dict[str, str]] = [
        {},
        {"Authorization": f"Basic {server.admin}"},
        {"Authorization": "Bearer owa_wrong"},
        server.headers(server.key),
        server.headers(server.other_key),
    ]
    for headers in attempts:
        reply = server.client.request(method, path, headers=headers, json=body)
        assert reply.status_code == 401, (headers, reply.text)
        assert set(reply.json()) == {"error"}
        assert "Bearer" in reply.headers["www-authenticate"]
    after = server.client.get(f"/api/v1/buckets/{bucket}", headers=_admin(server)).json()
    assert after == before
    listed = _call(server, "GET", "/api/v1/solutions").json()
    assert listed == {"solutions": []}
    policy = _call(server, "GET", "/api/v1/products/app/policy").json()
    assert policy["first_n"] == 5


# -- data requests ----------------------------------------------------------------------------


def test_data_request_is_answered_and_listed(server: Server) -> None:
    """POST answers the open request; GET lists it; DELETE withdraws it."""
    bucket = _bucket(server, "parse")
    path = f"/api/v1/buckets/{bucket}/data-requests"
    assert _call(server, "GET", path).json()["requests"] == []
    reply = _call(server, "POST", path, {"count": 3, "dump_type": "WerDumpTypeHeapDump"})
    assert reply.status_code == 200
    wanted = {"remaining": 3, "dump_type": 3, "dump_type_name": "HeapDump", "files": []}
    assert reply.json() == {
        "bucket_id": bucket,
        "product": "app",
        "requests": [wanted],
        "bundles_collected": 0,
    }
    assert _call(server, "GET", path).json()["requests"] == [wanted]
    replaced = _call(server, "POST", path, {"count": 1, "dump_type": 1}).json()
    assert replaced["requests"][0]["dump_type_name"] == "MicroDump"
    assert _call(server, "DELETE", path).json()["requests"] == []
    assert _call(server, "GET", path.replace(bucket, bucket.upper())).json()["requests"] == []


def test_data_request_gets_exactly_the_next_hits(server: Server) -> None:
    """After a request for 2 hits, the next two stage 1 answers ask for the bundle with the
    requested dump type (explicit) and the third does not."""
    _quiet_policy(server)
    bucket = _bucket(server, "parse")
    assert _stage1(server)["data_request"] is None
    reply = _call(
        server, "POST", f"/api/v1/buckets/{bucket}/data-requests", {"count": 2, "dump_type": 3}
    )
    assert reply.status_code == 200
    answers = [_stage1(server) for _ in range(3)]
    assert [a["bucket_id"] for a in answers] == [bucket] * 3
    requests = [a["data_request"] for a in answers]
    assert requests[:2] == [{"dump_type": 3, "files": [], "explicit": True}] * 2
    assert requests[2] is None
    assert answers[0]["upload_url"] is not None
    other = _stage1(server, function="lookup")
    assert other["data_request"] is None
    left = _call(server, "GET", f"/api/v1/buckets/{bucket}/data-requests").json()
    assert left["requests"] == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"count": 0},
        {"count": 1001},
        {"count": "2"},
        {"count": True},
        {"count": 2.0},
        {"count": None},
        {"count": 2, "dump_type": 0},
        {"count": 2, "dump_type": 5},
        {"count": 2, "dump_type": "Huge"},
        {"count": 2, "dump_type": None},
        {"count": 2, "dump_type": [2]},
        {"count": 2, "files": "traceback.txt"},
        {"count": 2, "files": [1]},
        {"count": 2, "files": ["traceback.txt"]},
        {"count": 2, "Count": 3},
        [],
        "count",
    ],
)
def test_bad_data_requests_are_400_and_change_nothing(server: Server, body: Any) -> None:
    """Wrong types, ranges, dump types, files or unknown fields: 400 naming the problem."""
    bucket = _bucket(server, "parse")
    path = f"/api/v1/buckets/{bucket}/data-requests"
    reply = _raw(server, "POST", path, json.dumps(body).encode())
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]
    assert _call(server, "GET", path).json()["requests"] == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b'{"count": 2, "count": 3}',
        b'{"count": NaN}',
        b'{"count": 1' + b"0" * 30 + b"}",
        b"\xff\xfe{}",
        b'{"count": 2, "x": ' + b"[" * 50 + b"]" * 50 + b"}",
    ],
)
def test_malformed_json_is_400(server: Server, content: bytes) -> None:
    """Not JSON, duplicate keys, NaN, huge numbers, not UTF-8, deep nesting: 400."""
    bucket = _bucket(server, "parse")
    reply = _raw(server, "POST", f"/api/v1/buckets/{bucket}/data-requests", content)
    assert reply.status_code == 400, reply.text
    assert set(reply.json()) == {"error"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/buckets/{b}/data-requests",
        "/api/v1/buckets/{b}/status",
        "/api/v1/buckets/{b}/merge",
        "/api/v1/solutions",
    ],
)
def test_huge_bodies_are_413(server: Server, path: str) -> None:
    """A body over 64 KiB is refused (from Content-Length, and when streamed)."""
    bucket = _bucket(server, "parse")
    path = path.replace("{b}", bucket)
    huge = b'{"message": "' + b"x" * 70_000 + b'"}'
    assert _raw(server, "POST", path, huge).status_code == 413

    async def chunks() -> Any:
        for _ in range(20):
            yield b" " * 8192

    reply = server.client.request("POST", path, headers=_admin(server), content=chunks())
    assert reply.status_code == 413


def test_unknown_buckets_and_products_are_404(server: Server) -> None:
    """An unknown GUID, a non-GUID, an unknown product or another product's scope: 404."""
    bucket = _bucket(server, "parse")
    for path in (
        f"/api/v1/buckets/{GHOST}/data-requests",
        "/api/v1/buckets/not-a-guid/data-requests",
        f"/api/v1/buckets/{bucket}/data-requests?product=ghost",
        f"/api/v1/buckets/{bucket}/data-requests?product=other",
    ):
        assert _call(server, "GET", path).status_code == 404, path
        assert _call(server, "POST", path, {"count": 1}).status_code == 404, path
    assert (
        _call(server, "GET", f"/api/v1/buckets/{bucket}/data-requests?product=app").json()[
            "product"
        ]
        == "app"
    )


def test_same_guid_in_two_products_is_picked_by_product(server: Server) -> None:
    """A signature sent by two products has one GUID and two buckets; ?product= picks one."""
    bucket = _bucket(server, "parse")
    assert _bucket(server, "parse", server.other_key) == bucket
    path = f"/api/v1/buckets/{bucket}/data-requests"
    _call(server, "POST", path + "?product=other", {"count": 4})
    assert _call(server, "GET", path + "?product=other").json()["requests"][0]["remaining"] == 4
    assert _call(server, "GET", path).json()["requests"] == []
    assert _call(server, "GET", path + "?product=app").json()["requests"] == []


# -- status -----------------------------------------------------------------------------------


def test_resolve_ignore_reopen(server: Server) -> None:
    """Each status change answers the bucket as the query API lists it."""
    bucket = _bucket(server, "parse")
    path = f"/api/v1/buckets/{bucket}/status"
    resolved = _call(server, "POST", path, {"status": "resolved", "fixed_in": "2.1.0"}).json()
    assert (resolved["id"], resolved["status"], resolved["fixed_in_version"]) == (
        bucket,
        "resolved",
        "2.1.0",
    )
    assert resolved["product"] == "app"
    ignored = _call(server, "POST", path, {"status": "ignored"}).json()
    assert (ignored["status"], ignored["fixed_in_version"]) == ("ignored", None)
    assert _call(server, "POST", path, {"status": "new"}).json()["status"] == "new"
    listed = server.client.get("/api/v1/buckets?status=new", headers=_admin(server)).json()
    assert bucket in [b["id"] for b in listed["buckets"]]


def test_resolved_bucket_regresses_from_the_fixed_version(server: Server) -> None:
    """Resolved with fixed_in 2.0: a hit from 1.5 keeps it resolved, one from 2.1 regresses it."""
    bucket = _stage1(server, version="1.5")["bucket_id"]
    path = f"/api/v1/buckets/{bucket}/status"
    assert _call(server, "POST", path, {"status": "resolved", "fixed_in": "2.0"}).status_code == 200
    detail = f"/api/v1/buckets/{bucket}"
    assert _stage1(server, version="1.5")["bucket_id"] == bucket
    assert _call(server, "GET", detail).json()["status"] == "resolved"
    assert _stage1(server, version="2.1")["bucket_id"] == bucket
    body = _call(server, "GET", detail).json()
    assert (body["status"], body["fixed_in_version"]) == ("regressed", "2.0")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": "regressed"},
        {"status": "open"},
        {"status": 1},
        {"status": "ignored", "fixed_in": "2.0"},
        {"status": "resolved", "fixed_in": 2},
        {"status": "resolved", "fixed_in": ""},
        {"status": "resolved", "fixed_in": "x" * 129},
        {"status": "resolved", "fixed_in": "2.0\n"},
        {"status": "resolved", "fixed_In": "2.0"},
    ],
)
def test_bad_status_changes_are_400(server: Server, body: Any) -> None:
    """Unknown or forbidden statuses, fixed_in without resolved or misspelt: 400, no change."""
    bucket = _bucket(server, "parse")
    reply = _call(server, "POST", f"/api/v1/buckets/{bucket}/status", body)
    assert reply.status_code == 400, reply.text
    assert _call(server, "GET", f"/api/v1/buckets/{bucket}").json()["status"] == "new"


# -- merge ------------------------------------------------------------------------------------


def test_merge_moves_hits_and_locks_the_source(server: Server) -> None:
    """After a merge the target counts both; the source is refused changes with 409."""
    source, target = _bucket(server, "lookup"), _bucket(server, "parse")
    reply = _call(server, "POST", f"/api/v1/buckets/{source}/merge", {"into": target.upper()})
    assert reply.status_code == 200, reply.text
    merged = reply.json()
    assert (merged["id"], merged["hits"]) == (target, 6)
    again = _call(server, "POST", f"/api/v1/buckets/{source}/merge", {"into": target})
    assert (again.status_code, again.json()["hits"]) == (200, 6)
    assert _stage1(server, function="lookup")["bucket_id"] == target  # answers the target
    assert _call(server, "GET", f"/api/v1/buckets/{target}").json()["hits"] == 7
    for path, body in (
        (f"/api/v1/buckets/{source}/status", {"status": "ignored"}),
        (f"/api/v1/buckets/{source}/data-requests", {"count": 1}),
        (f"/api/v1/buckets/{target}/merge", {"into": source}),
    ):
        reply = _call(server, "POST", path, body)
        assert reply.status_code == 409, (path, reply.text)
        assert target in reply.json()["error"] or source in reply.json()["error"]
    other = _bucket(server, "other-function")
    reply = _call(server, "POST", f"/api/v1/buckets/{source}/merge", {"into": other})
    assert reply.status_code == 409


def test_bad_merges_are_refused(server: Server) -> None:
    """Into itself or across products: 400; an unknown target: 404; bad bodies: 400."""
    bucket = _bucket(server, "parse")
    elsewhere = _bucket(server, "only-in-other", server.other_key)
    path = f"/api/v1/buckets/{bucket}/merge"
    cases: list[tuple[Any, int]] = [
        ({"into": bucket}, 400),
        ({"into": elsewhere}, 400),
        ({"into": GHOST}, 404),
        ({"into": "not-a-guid"}, 400),
        ({"into": 5}, 400),
        ({}, 400),
        ({"into": bucket, "also": 1}, 400),
    ]
    for body, status in cases:
        reply = _call(server, "POST", path, body)
        assert reply.status_code == status, (body, reply.text)
    assert "one product" in _call(server, "POST", path, {"into": elsewhere}).json()["error"]
    assert _call(server, "GET", f"/api/v1/buckets/{bucket}").json()["merged_into"] is None


# -- solutions --------------------------------------------------------------------------------


def test_pattern_solution_is_answered_in_stage1(server: Server) -> None:
    """A regex solution (limited to one event type) added through the API is returned in
    stage 1 of a matching report, and not for another event type or function."""
    body = {
        "product": "app",
        "pattern": r"\|parse$",
        "event_type": "PythonUnhandledException",
        "message": "Fixed in 1.1",
        "url": "https://example.invalid/kb/1",
    }
    reply = _call(server, "POST", "/api/v1/solutions", body)
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert {k: created[k] for k in ("product", "pattern", "event_type", "message", "url")} == body
    assert created["bucket_id"] is None
    solution = {"message": "Fixed in 1.1", "url": "https://example.invalid/kb/1"}
    assert _stage1(server)["solution"] == solution
    assert _stage1(server, function="lookup")["solution"] is None
    assert _stage1(server, event="APPCRASH")["solution"] is None
    listed = _call(server, "GET", "/api/v1/solutions?product=app").json()["solutions"]
    assert listed == [created]
    assert _call(server, "GET", "/api/v1/solutions?product=other").json() == {"solutions": []}
    assert _call(server, "GET", "/api/v1/solutions?product=ghost").status_code == 404


def test_bucket_solution_edit_and_delete(server: Server) -> None:
    """A bucket's solution: PATCH changes message or URL, DELETE removes it (204, then 404)."""
    bucket = _bucket(server, "lookup")
    new = {"product": "app", "bucket_id": bucket.upper(), "message": "Update the index"}
    created = _call(server, "POST", "/api/v1/solutions", new).json()
    assert (created["bucket_id"], created["url"], created["pattern"]) == (bucket, None, None)
    assert _stage1(server, function="lookup")["solution"] == {
        "message": "Update the index",
        "url": None,
    }
    path = f"/api/v1/solutions/{created['id']}"
    edited = _call(server, "PATCH", path, {"url": "http://example.invalid/x"}).json()
    assert (edited["message"], edited["url"]) == ("Update the index", "http://example.invalid/x")
    edited = _call(server, "PATCH", path, {"message": "Reindex", "url": None}).json()
    assert (edited["message"], edited["url"]) == ("Reindex", None)
    assert _stage1(server, function="lookup")["solution"]["message"] == "Reindex"
    assert _call(server, "DELETE", path).status_code == 204
    assert _call(server, "DELETE", path).status_code == 404
    assert _call(server, "PATCH", path, {"message": "m"}).status_code == 404
    assert _stage1(server, function="lookup")["solution"] is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"product": "app", "pattern": "(", "message": "m"}, 400),
        ({"product": "app", "pattern": "(a+)+$", "message": "m"}, 400),
        ({"product": "app", "pattern": "a" * 501, "message": "m"}, 400),
        ({"product": "app", "pattern": "a" * 495, "event_type": "E", "message": "m"}, 400),
        ({"product": "app", "pattern": "", "message": "m"}, 400),
        ({"product": "app", "pattern": 1, "message": "m"}, 400),
        ({"product": "app", "message": "m"}, 400),
        ({"product": "app", "pattern": "x", "bucket_id": "{b}", "message": "m"}, 400),
        ({"product": "app", "bucket_id": "{b}", "event_type": "E", "message": "m"}, 400),
        ({"product": "app", "pattern": "x", "message": ""}, 400),
        ({"product": "app", "pattern": "x", "message": "a\u0000b"}, 400),
        ({"product": "app", "pattern": "x", "message": "m" * 2049}, 400),
        ({"product": "app", "pattern": "x", "message": "m", "url": "javascript:alert(1)"}, 400),
        ({"product": "app", "pattern": "x", "message": "m", "url": "https://a b"}, 400),
        ({"product": "app", "pattern": "x", "message": "m", "url": "https://é.example"}, 400),
        ({"product": "app", "pattern": "x", "message": "m", "scope": "all"}, 400),
        ({"pattern": "x", "message": "m"}, 400),
        ({"product": "ghost", "pattern": "x", "message": "m"}, 404),
        ({"product": "app", "bucket_id": GHOST, "message": "m"}, 404),
        ({"product": "app", "bucket_id": "not-a-guid", "message": "m"}, 404),
        ({"product": "other", "bucket_id": "{b}", "message": "m"}, 404),
    ],
)
def test_bad_solutions_are_refused(server: Server, body: dict[str, Any], status: int) -> None:
    """Bad regexes (syntax, nested repeats, length), texts, URLs, targets: 400 or 404, and
    no solution is stored."""
    bucket = _bucket(server, "parse")
    body = {k: bucket if v == "{b}" else v for k, v in body.items()}
    reply = _call(server, "POST", "/api/v1/solutions", body)
    assert reply.status_code == status, reply.text
    assert _call(server, "GET", "/api/v1/solutions").json() == {"solutions": []}


@pytest.mark.parametrize(
    "body",
    [{}, {"message": ""}, {"message": 5}, {"url": "ftp://x"}, {"pattern": "y"}, {"x": 1}],
)
def test_bad_solution_edits_are_400(server: Server, body: Any) -> None:
    """An empty edit, bad texts, a new target or unknown fields: 400, solution unchanged."""
    new = {"product": "app", "pattern": "x", "message": "m", "url": "https://e.invalid"}
    created = _call(server, "POST", "/api/v1/solutions", new).json()
    reply = _call(server, "PATCH", f"/api/v1/solutions/{created['id']}", body)
    assert reply.status_code == 400, reply.text
    assert _call(server, "GET", "/api/v1/solutions").json()["solutions"] == [created]


@pytest.mark.parametrize("solution_id", ["abc", "-1", "1.5", "9" * 40, "٣"])
def test_odd_solution_ids_are_404(server: Server, solution_id: str) -> None:
    """Anything but a plain number names no solution."""
    reply = _call(server, "DELETE", f"/api/v1/solutions/{solution_id}")
    assert reply.status_code == 404
    assert set(reply.json()) == {"error"}


def test_solution_for_a_merged_bucket_is_409(server: Server) -> None:
    """A merged bucket's own solution would never be answered: 409."""
    source, target = _bucket(server, "lookup"), _bucket(server, "parse")
    _call(server, "POST", f"/api/v1/buckets/{source}/merge", {"into": target})
    body = {"product": "app", "bucket_id": source, "message": "m"}
    assert _call(server, "POST", "/api/v1/solutions", body).status_code == 409


# -- products and policies --------------------------------------------------------------------


def test_products_and_policies(server: Server) -> None:
    """GET lists products with policies; PUT replaces a policy; stage 1 follows it."""
    products = _call(server, "GET", "/api/v1/products").json()["products"]
    assert [p["name"] for p in products] == ["app", "other"]
    assert products[0]["policy"] == {
        "first_n": 5,
        "one_in_k": 100,
        "max_bundles_per_day": 50,
        "default_dump_type": 2,
        "default_dump_type_name": "MiniDump",
    }
    policy = {"first_n": 1, "one_in_k": 2, "max_bundles_per_day": 10, "default_dump_type": "heap"}
    reply = _call(server, "PUT", "/api/v1/products/app/policy", policy)
    assert reply.status_code == 200
    assert reply.json() == {
        "product": "app",
        "first_n": 1,
        "one_in_k": 2,
        "max_bundles_per_day": 10,
        "default_dump_type": 3,
        "default_dump_type_name": "HeapDump",
    }
    assert _call(server, "GET", "/api/v1/products/app/policy").json() == reply.json()
    assert _call(server, "GET", "/api/v1/products/other/policy").json()["first_n"] == 5
    first = _stage1(server, function="fresh")
    second = _stage1(server, function="fresh")
    third = _stage1(server, function="fresh")
    assert first["data_request"] == {"dump_type": 3, "files": [], "explicit": False}
    assert (second["data_request"] is not None, third["data_request"]) == (True, None)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"first_n": 1, "one_in_k": 2}, 400),
        ({"first_n": -1, "one_in_k": 2, "max_bundles_per_day": 3}, 400),
        ({"first_n": 1, "one_in_k": 2, "max_bundles_per_day": 10**10}, 400),
        ({"first_n": "1", "one_in_k": 2, "max_bundles_per_day": 3}, 400),
        ({"first_n": 1, "one_in_k": 2, "max_bundles_per_day": 3, "default_dump_type": 9}, 400),
        ({"first_n": 1, "one_in_k": 2, "max_bundles_per_day": 3, "firstn": 1}, 400),
    ],
)
def test_bad_policies_are_400(server: Server, body: Any, status: int) -> None:
    """Missing, negative, huge or mistyped numbers and unknown fields: 400, policy unchanged."""
    reply = _call(server, "PUT", "/api/v1/products/app/policy", body)
    assert reply.status_code == status, reply.text
    assert _call(server, "GET", "/api/v1/products/app/policy").json()["first_n"] == 5


def test_unknown_product_policy_is_404(server: Server) -> None:
    """GET and PUT of a product that does not exist: 404."""
    policy = {"first_n": 1, "one_in_k": 2, "max_bundles_per_day": 3}
    assert _call(server, "GET", "/api/v1/products/ghost/policy").status_code == 404
    assert _call(server, "PUT", "/api/v1/products/ghost/policy", policy).status_code == 404


# -- the OpenAPI document ---------------------------------------------------------------------


def test_openapi_describes_every_admin_route(server: Server) -> None:
    """Each admin route is in /openapi.json, with a request schema for bodies and the admin
    security requirement; every referenced schema exists."""
    document = json.loads(server.client.get("/openapi.json").content)
    paths = document["paths"]
    schemas = document["components"]["schemas"]
    for method, path, body in _ROUTES:
        templated = path.replace("{b}", "{bucket_id}").replace("/1", "/{solution_id}")
        templated = templated.replace("/app/", "/{name}/")
        operation = paths[templated][method.lower()]
        assert operation["security"] == [{"adminToken": []}]
        assert "401" in operation["responses"]
        if body is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] in schemas
    for ref in _refs(document):
        kind, name = ref.split("/")[-2:]
        assert name in document["components"][kind], ref


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)
