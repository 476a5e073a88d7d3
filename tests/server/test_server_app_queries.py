"""The query API through the app: admin tokens only, filters, paging, bucket and report pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_app_support import Server, bundle, running_server, stage1_body


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """An app with three reports in bucket "parse" and one in "lookup" (product "app")."""
    with running_server(tmp_path) as running:
        ids = [str(uuid.uuid4()) for _ in range(4)]
        for report_id in ids[:3]:
            assert running.stage1(stage1_body(report_id, "parse")).status_code == 201
        assert running.stage1(stage1_body(ids[3], "lookup")).status_code == 201
        assert running.put_bundle(ids[0], bundle()).status_code == 201
        yield running


def _admin(server: Server) -> dict[str, str]:
    return server.headers(server.admin)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/buckets", f"/api/v1/buckets/{uuid.uuid4()}", f"/api/v1/reports/{uuid.uuid4()}"],
)
def test_queries_need_an_admin_token(server: Server, path: str) -> None:
    """No token or an ingest key: 401 with a JSON error."""
    assert server.client.get(path).status_code == 401
    reply = server.client.get(path, headers=server.headers())
    assert reply.status_code == 401
    assert set(reply.json()) == {"error"}


def test_buckets_sorted_by_hits(server: Server) -> None:
    """The listing has both buckets, most hits first, with the documented fields."""
    body = server.client.get("/api/v1/buckets", headers=_admin(server)).json()
    assert body["total"] == 2
    assert [b["hits"] for b in body["buckets"]] == [3, 1]
    first = body["buckets"][0]
    assert {"id", "event_type", "signature", "hits", "first_seen", "last_seen", "status"} <= set(
        first
    )
    assert first["product"] == "app"
    assert first["signature"][2] == {"name": "Function", "value": "parse"}


def test_bucket_filters_and_paging(server: Server) -> None:
    """product, event_type, status and limit/offset narrow the listing."""
    get = server.client.get
    page = get("/api/v1/buckets?limit=1&offset=1", headers=_admin(server)).json()
    assert (page["total"], len(page["buckets"]), page["buckets"][0]["hits"]) == (2, 1, 1)
    assert get("/api/v1/buckets?product=other", headers=_admin(server)).json()["total"] == 0
    assert get("/api/v1/buckets?event_type=X", headers=_admin(server)).json()["total"] == 0
    assert get("/api/v1/buckets?status=new", headers=_admin(server)).json()["total"] == 2
    assert get("/api/v1/buckets?since=2000-01-01", headers=_admin(server)).json()["total"] == 2


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=x", "offset=-1", "since=yesterday", "status=open", "sort=name"]
)
def test_bad_query_parameters_are_400(server: Server, query: str) -> None:
    """Malformed filters get 400 with a message naming the parameter."""
    reply = server.client.get(f"/api/v1/buckets?{query}", headers=_admin(server))
    assert reply.status_code == 400
    assert query.split("=")[0] in reply.json()["error"]


def test_unknown_product_is_404(server: Server) -> None:
    """Filtering on a product that does not exist is 404."""
    reply = server.client.get("/api/v1/buckets?product=ghost", headers=_admin(server))
    assert reply.status_code == 404


def test_bucket_detail(server: Server) -> None:
    """A bucket's page: hits per day, versions, OS, samples, data requests, solution."""
    listing = server.client.get("/api/v1/buckets", headers=_admin(server)).json()
    bucket_id = listing["buckets"][0]["id"]
    detail = server.client.get(f"/api/v1/buckets/{bucket_id}", headers=_admin(server)).json()
    assert detail["hits"] == 3
    assert sum(d["hits"] for d in detail["hits_per_day"]) == 3
    assert detail["versions"] == [{"value": "1.0", "count": 3}]
    assert detail["os"][0]["count"] == 3
    assert len(detail["sample_reports"]) == 3
    assert detail["data_requests"]["bundles_collected"] == 1
    assert detail["solution"] is None


def test_report_detail_and_unknowns(server: Server) -> None:
    """A report's metadata and files; unknown ids are 404."""
    listing = server.client.get("/api/v1/buckets", headers=_admin(server)).json()
    bucket_id = listing["buckets"][0]["id"]
    detail = server.client.get(f"/api/v1/buckets/{bucket_id}", headers=_admin(server)).json()
    stored = [r for r in detail["sample_reports"] if r["bundle"]["state"] == "stored"]
    assert len(stored) == 1
    report = server.client.get(f"/api/v1/reports/{stored[0]['id']}", headers=_admin(server))
    assert report.status_code == 200
    assert {f["name"] for f in report.json()["files"]} == {"Report.wer", "traceback.txt"}
    missing = f"/api/v1/reports/{uuid.uuid4()}"
    assert server.client.get(missing, headers=_admin(server)).status_code == 404
    missing = f"/api/v1/buckets/{uuid.uuid4()}"
    assert server.client.get(missing, headers=_admin(server)).status_code == 404
