"""The dashboard's pages and forms over real HTTP to the app (SQLite storage)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from dashboard_support import Dashboard, python_request, report_bundle, running_dashboard
from server_storage_support import BASE_TIME

from openwer.server.storage import BucketRef, BucketStatus, ProductRow, Scope
from openwer.types import DumpType


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[Dashboard]:
    """The app with user alice and product demo (clock at BASE_TIME)."""
    with running_dashboard(tmp_path) as running:
        running.user("alice")
        yield running


def _bucket_links(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="(/buckets/[^"]+)"', html)


def _seed_two_buckets(dashboard: Dashboard) -> tuple[ProductRow, list[str]]:
    product = dashboard.repository.create_product("demo")
    at = BASE_TIME - timedelta(days=3)
    dashboard.ingest(product, [python_request("parse") for _ in range(4)], at)
    dashboard.ingest(product, [python_request("load", exception="ValueError")], at)
    outcomes = dashboard.ingest(product, [python_request("parse") for _ in range(2)])
    return product, [o.report_id for o in outcomes]


def test_empty_states_say_what_to_do(dashboard: Dashboard) -> None:
    """With no product and no report the pages explain the next step."""
    browser = dashboard.signed_in("alice")
    assert "No products yet" in browser.get("/").text
    assert "Create one below" in browser.get("/products").text
    dashboard.repository.create_product("demo")
    listing = browser.get("/")
    assert "No buckets match" in listing.text
    assert "openwer reports upload" in listing.text
    assert "Pattern solutions" in browser.get("/solutions").text


def test_the_list_ranks_buckets_with_trends_and_markers(dashboard: Dashboard) -> None:
    """Buckets of the default range (which includes today), most hits first, each linked,
    each with an SVG trend; new and regressed buckets are marked."""
    product, _ = _seed_two_buckets(dashboard)
    browser = dashboard.signed_in("alice")
    page = browser.get("/")
    assert page.status_code == 200
    links = _bucket_links(page.text)
    assert len(links) == 2
    assert page.text.index(">KeyError<") < page.text.index(">ValueError<")
    assert page.text.count('<svg class="spark"') == 2
    assert page.text.count('class="badge new"') == 2
    assert ">6<" in page.text  # KeyError: 6 hits in the range
    today_only = browser.get("/?range=1d")
    assert len(_bucket_links(today_only.text)) == 1
    key_error = BucketRef(product.id, links[0].rsplit("/", 1)[1])
    dashboard.repository.set_bucket_status(Scope.everything(), key_error, BucketStatus.RESOLVED)
    dashboard.ingest(product, [python_request("parse")])
    again = browser.get("/")
    assert 'class="badge regressed"' in again.text


def test_list_filters_and_paging(dashboard: Dashboard) -> None:
    """Filters by product, event type, version, OS, status; 50 buckets a page."""
    product = dashboard.repository.create_product("demo")
    other = dashboard.repository.create_product("other")
    dashboard.ingest(product, [python_request(f"f{i}") for i in range(60)])
    dashboard.ingest(other, [python_request("elsewhere", version="9.9", os_name="Plan 9")])
    browser = dashboard.signed_in("alice")
    first = browser.get("/")
    assert len(_bucket_links(first.text)) == 50
    assert "Page 1 of 2" in first.text
    assert 'rel="next"' in first.text
    second = browser.get("/?page=2")
    assert len(_bucket_links(second.text)) == 11
    assert len(_bucket_links(browser.get(f"/?product={other.id}").text)) == 1
    assert len(_bucket_links(browser.get("/?version=9.9").text)) == 1
    assert len(_bucket_links(browser.get("/?os=Plan+9").text)) == 1
    assert len(_bucket_links(browser.get("/?event_type=APPCRASH").text)) == 0
    assert len(_bucket_links(browser.get("/?status=resolved").text)) == 0
    stale = browser.get("/?page=99&range=bogus&status=bogus&sort=bogus&product=x")
    assert stale.status_code == 200
    assert "No more buckets" in stale.text


def test_the_bucket_page_shows_signature_chart_distribution_stacks_and_reports(
    dashboard: Dashboard,
) -> None:
    """Signature with parameter names, daily chart, distributions, sample stacks, reports."""
    product, report_ids = _seed_two_buckets(dashboard)
    browser = dashboard.signed_in("alice")
    link = _bucket_links(browser.get("/").text)[0]
    page = browser.get(link)
    assert page.status_code == 200
    for name in ("P0 · Application Name", "P6 · Function", "P8 · Exception Type"):
        assert name in page.text
    assert '<svg class="chart"' in page.text
    assert "<rect" in page.text
    assert "Application version" in page.text
    assert "Linux 6.1" in page.text
    assert "No report of this bucket has an uploaded bundle yet" in page.text
    wanted = dashboard.repository.reports_wanting_bundle(Scope.everything())
    report_id = next(
        r
        for r in wanted
        if dashboard.repository.get_report(Scope.everything(), r).bucket_id
        == link.rsplit("/", 1)[1]
    )
    dashboard.upload(product, report_id, report_bundle(report_id, {"numpy": "2.0.0"}))
    page = browser.get(link)
    assert "Parser.read_row" in page.text
    assert "faulting frame" in page.text
    assert "worker-1" in page.text
    assert "Worker.run" in page.text
    assert "numpy==2.0.0" in page.text
    assert "None: this report has no native frames and no minidump." in page.text
    assert f'href="/reports/{report_ids[-1]}"' in page.text


def test_bucket_forms_change_lifecycle_requests_and_solution(dashboard: Dashboard) -> None:
    """Solution, data request, resolve with a version, ignore, reopen and merge from the page."""
    product, _ = _seed_two_buckets(dashboard)
    browser = dashboard.signed_in("alice")
    links = _bucket_links(browser.get("/").text)
    key_error, value_error = links
    ref = BucketRef(product.id, key_error.rsplit("/", 1)[1])
    admin = Scope.everything()

    reply = browser.submit(
        f"{key_error}/solution", {"message": "Upgrade to 1.1", "url": ""}, key_error
    )
    assert reply.status_code == 303
    assert reply.headers["location"].endswith("done=solution_saved")
    assert "Solution saved" in browser.get(reply.headers["location"]).text
    browser.submit(
        f"{key_error}/solution",
        {"message": "Upgrade to 1.2", "url": "https://x.example"},
        key_error,
    )
    solutions = dashboard.repository.list_solutions(admin)
    assert [(s.message, s.url) for s in solutions] == [("Upgrade to 1.2", "https://x.example")]
    outcome = dashboard.ingest(product, [python_request("parse")])[0]
    assert outcome.response is not None
    assert outcome.response.solution is not None
    assert outcome.response.solution.message == "Upgrade to 1.2"

    browser.submit(f"{key_error}/data-request", {"count": "3", "dump_type": "3"}, key_error)
    bucket = dashboard.repository.find_buckets(admin, ref.bucket_id)[0]
    assert (bucket.explicit_remaining, bucket.explicit_dump_type) == (3, DumpType.HEAP_DUMP)
    assert "3</strong> more reports requested" in browser.get(key_error).text

    browser.submit(
        f"{key_error}/status", {"action": "resolve", "fixed_in_version": "1.3"}, key_error
    )
    bucket = dashboard.repository.find_buckets(admin, ref.bucket_id)[0]
    assert (bucket.status, bucket.fixed_in_version) == (BucketStatus.RESOLVED, "1.3")
    browser.submit(f"{key_error}/status", {"action": "ignore"}, key_error)
    assert dashboard.repository.find_buckets(admin, ref.bucket_id)[0].status is BucketStatus.IGNORED
    browser.submit(f"{key_error}/status", {"action": "reopen"}, key_error)
    assert dashboard.repository.find_buckets(admin, ref.bucket_id)[0].status is BucketStatus.NEW

    bad = browser.submit(f"{key_error}/merge", {"target": "not a guid"}, key_error)
    assert bad.status_code == 400
    assert "not a bucket id" in bad.text
    merged = browser.submit(f"{value_error}/merge", {"target": ref.bucket_id}, value_error)
    assert merged.status_code == 303
    assert merged.headers["location"] == f"{key_error}?done=merged"
    assert len(_bucket_links(browser.get("/").text)) == 1
    assert "merged into" in browser.get(value_error).text

    browser.submit(f"{key_error}/solution/delete", {}, key_error)
    assert dashboard.repository.list_solutions(admin) == []


def test_the_report_page_groups_report_wer_and_serves_downloads(dashboard: Dashboard) -> None:
    """Report.wer fields in WER's groups, the answer, consent, stacks; files as attachments."""
    product, _ = _seed_two_buckets(dashboard)
    report_id = dashboard.repository.reports_wanting_bundle(Scope.everything())[0]
    hostile = {"ReportDescription": "<script>alert(1)</script>"}
    dashboard.upload(product, report_id, report_bundle(report_id, extra_values=hostile))
    browser = dashboard.signed_in("alice")
    page = browser.get(f"/reports/{report_id}")
    assert page.status_code == 200
    for group in (
        "Event",
        "Signature",
        "Dynamic signature",
        "State",
        "OS information",
        "Files",
        "Application",
        "Other values",
    ):
        assert f"<h3>{group}</h3>" in page.text
    assert "2026-" in page.text  # EventTime decoded
    assert "application crash" in page.text
    assert "CommandLine" in page.text
    assert "demo --run" in page.text
    assert '4 <span class="muted">(all data' in page.text
    assert "Server's answer" in page.text
    assert "mini dump" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    download = browser.get(f"/reports/{report_id}/files/stack.json")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith('attachment; filename="stack.json"')
    assert download.headers["x-content-type-options"] == "nosniff"
    assert b'"faulting_frame"' in download.content
    cab = browser.get(f"/reports/{report_id}/bundle")
    assert cab.content.startswith(b"MSCF")
    assert cab.headers["content-disposition"].startswith("attachment;")
    assert browser.get(f"/reports/{report_id}/files/..%2Fetc%2Fpasswd").status_code == 404
    assert browser.get(f"/reports/{report_id}/files/nothing.txt").status_code == 404
    assert browser.get("/reports/not-a-uuid").status_code == 404
    other_id = dashboard.ingest(product, [python_request("load", exception="ValueError")])[0]
    plain = browser.get(f"/reports/{other_id.report_id}")
    assert plain.status_code == 200
    assert "Report.wer arrives with the bundle" in plain.text


def test_solutions_page_adds_edits_and_deletes_patterns(dashboard: Dashboard) -> None:
    """A pattern solution answers every matching bucket; edit and delete work; bad input is
    a 400 page."""
    product, _ = _seed_two_buckets(dashboard)
    browser = dashboard.signed_in("alice")
    reply = browser.submit(
        "/solutions",
        {"product_id": str(product.id), "pattern": r"\|KeyError$", "message": "Known issue"},
        "/solutions",
    )
    assert reply.status_code == 303
    page = browser.get("/solutions")
    assert "Known issue" in page.text
    assert r"\|KeyError$" in page.text
    outcome = dashboard.ingest(product, [python_request("parse")])[0]
    assert outcome.response is not None
    assert outcome.response.solution is not None
    solution = dashboard.repository.list_solutions(Scope.everything())[0]
    browser.submit(
        f"/solutions/{solution.id}", {"message": "Fixed in 2.0", "url": ""}, "/solutions"
    )
    assert dashboard.repository.list_solutions(Scope.everything())[0].message == "Fixed in 2.0"
    bad = browser.submit(
        "/solutions", {"product_id": str(product.id), "pattern": "(", "message": "x"}, "/solutions"
    )
    assert bad.status_code == 400
    script = browser.submit(
        f"/solutions/{solution.id}", {"message": "m", "url": "javascript:alert(1)"}, "/solutions"
    )
    assert script.status_code == 400
    assert "https://" in script.text
    browser.submit(f"/solutions/{solution.id}/delete", {}, "/solutions")
    assert dashboard.repository.list_solutions(Scope.everything()) == []


def test_products_page_manages_keys(dashboard: Dashboard) -> None:
    """Create a product (its key shown once), add, rotate and revoke keys."""
    browser = dashboard.signed_in("alice")
    created = browser.submit("/products", {"name": "shop"}, "/products")
    assert created.status_code == 201
    secret = re.search(r'<code class="key">([^<]+)</code>', created.text)
    assert secret is not None
    product = dashboard.repository.get_product("shop")
    assert dashboard.repository.verify_ingest_key(secret.group(1)) == product
    assert secret.group(1) not in browser.get("/products").text
    browser.submit(f"/products/{product.id}/keys", {}, "/products")
    assert len(dashboard.repository.list_ingest_keys(product.id)) == 2
    rotated = browser.submit(f"/products/{product.id}/keys/rotate", {}, "/products")
    keys = dashboard.repository.list_ingest_keys(product.id)
    assert [k.revoked_at is None for k in keys] == [False, False, True]
    assert "New ingest key for shop" in rotated.text
    reply = browser.submit(f"/products/{product.id}/keys/{keys[-1].id}/revoke", {}, "/products")
    assert reply.status_code == 303
    assert all(k.revoked_at is not None for k in dashboard.repository.list_ingest_keys(product.id))
    assert "Key revoked" in browser.get(reply.headers["location"]).text
    duplicate = browser.submit("/products", {"name": "shop"}, "/products")
    assert duplicate.status_code == 400


def test_static_assets_are_served_by_the_package(dashboard: Dashboard) -> None:
    """The stylesheet and icon come from the package; pages reference nothing external."""
    browser = dashboard.signed_in("alice")
    css = browser.get("/static/dashboard.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert browser.get("/static/icon.svg").status_code == 200
    page = browser.get("/").text
    assert "http://" not in page.replace("http://testserver", "")
    assert "https://" not in page
    assert "<script" not in page
    assert "style=" not in page
