"""A user scoped to one product never sees or changes another's data, on any page or link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dashboard_support import Browser, Dashboard, python_request, report_bundle, running_dashboard

from openwer.server.storage import Scope


@dataclass
class World:
    """Products a (seen) and b (hidden), each with a bucket, a report with a bundle, a
    solution and a key; ``browser`` is signed in as a user scoped to a."""

    dashboard: Dashboard
    browser: Browser
    a_bucket: str
    b_bucket: str
    b_report: str
    b_solution: int
    b_product: int
    b_key: int


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """See :class:`World`."""
    with running_dashboard(tmp_path) as dashboard:
        repository = dashboard.repository
        a, b = repository.create_product("alpha"), repository.create_product("bravo-hidden")
        a_out = dashboard.ingest(a, [python_request("visible", app="alpha-app")])[0]
        b_out = dashboard.ingest(b, [python_request("classified", app="bravo-app")])[0]
        assert a_out.response is not None
        assert b_out.response is not None
        dashboard.upload(b, b_out.report_id, report_bundle(b_out.report_id))
        solution = repository.add_solution(
            Scope.everything(), b.id, "bravo secret answer", bucket_id=b_out.response.bucket_id
        )
        key = repository.create_ingest_key(b.id)
        repository.add_solution(Scope.everything(), b.id, "bravo pattern answer", pattern="bravo")
        dashboard.user("scoped", ["alpha"])
        browser = dashboard.signed_in("scoped")
        yield World(
            dashboard,
            browser,
            f"/buckets/{a.id}/{a_out.response.bucket_id}",
            f"/buckets/{b.id}/{b_out.response.bucket_id}",
            b_out.report_id,
            solution.id,
            b.id,
            key.id,
        )


def _leaks(html: str) -> list[str]:
    return [word for word in ("bravo", "classified") if word in html]


def test_pages_show_only_the_users_products(world: World) -> None:
    """List (even asked for b), solutions and products pages show nothing of b."""
    browser = world.browser
    for path in (
        "/",
        f"/?product={world.b_product}",
        "/?range=all&status=all",
        "/solutions",
        "/products",
        world.a_bucket,
    ):
        reply = browser.get(path)
        assert reply.status_code == 200, path
        assert _leaks(reply.text) == [], path
    assert world.a_bucket in browser.get("/").text


def test_links_to_the_other_product_are_not_found(world: World) -> None:
    """b's bucket page, report page, file and bundle downloads: 404, like missing ones."""
    browser = world.browser
    for path in (
        world.b_bucket,
        f"/reports/{world.b_report}",
        f"/reports/{world.b_report}/files/stack.json",
        f"/reports/{world.b_report}/files/Report.wer",
        f"/reports/{world.b_report}/bundle",
    ):
        reply = browser.get(path)
        assert reply.status_code == 404, path
        assert _leaks(reply.text) == [], path


def test_forms_cannot_change_the_other_product(world: World) -> None:
    """Every POST aimed at b's bucket, solution, product or key is 404 and changes nothing;
    a scoped user cannot create products."""
    browser, repository = world.browser, world.dashboard.repository
    token_page = world.a_bucket
    before = (
        repository.find_buckets(Scope.everything(), world.b_bucket.rsplit("/", 1)[1]),
        repository.list_solutions(Scope.everything()),
        repository.list_ingest_keys(world.b_product),
    )
    attempts = [
        (f"{world.b_bucket}/status", {"action": "ignore"}),
        (f"{world.b_bucket}/merge", {"target": world.a_bucket.rsplit("/", 1)[1]}),
        (f"{world.b_bucket}/data-request", {"count": "5"}),
        (f"{world.b_bucket}/solution", {"message": "overwritten"}),
        (f"{world.b_bucket}/solution/delete", {}),
        (f"/solutions/{world.b_solution}", {"message": "overwritten"}),
        (f"/solutions/{world.b_solution}/delete", {}),
        ("/solutions", {"product_id": str(world.b_product), "pattern": "x", "message": "m"}),
        (f"/products/{world.b_product}/keys", {}),
        (f"/products/{world.b_product}/keys/rotate", {}),
        (f"/products/{world.b_product}/keys/{world.b_key}/revoke", {}),
    ]
    for path, data in attempts:
        reply = browser.submit(path, data, token_page)
        assert reply.status_code == 404, (path, reply.status_code)
        assert _leaks(reply.text) == [], path
    a_id = world.a_bucket.split("/")[2]
    revoke_via_a = browser.submit(f"/products/{a_id}/keys/{world.b_key}/revoke", {}, token_page)
    assert revoke_via_a.status_code == 404
    create = browser.submit("/products", {"name": "mine"}, token_page)
    assert create.status_code == 403
    after = (
        repository.find_buckets(Scope.everything(), world.b_bucket.rsplit("/", 1)[1]),
        repository.list_solutions(Scope.everything()),
        repository.list_ingest_keys(world.b_product),
    )
    assert after == before


def test_an_unscoped_user_sees_both(world: World) -> None:
    """The same pages show b to a user who sees every product."""
    world.dashboard.user("admin")
    admin = world.dashboard.signed_in("admin")
    assert "bravo" in admin.get("/?range=all").text
    assert admin.get(world.b_bucket).status_code == 200
    assert admin.get(f"/reports/{world.b_report}/files/stack.json").status_code == 200
    assert len(re.findall("bravo", admin.get("/products").text)) >= 1
