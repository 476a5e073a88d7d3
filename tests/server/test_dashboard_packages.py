"""Python package versions: read from modules.json at stage 2, indexed, shown per bucket."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from dashboard_support import python_request, report_bundle, running_dashboard
from hypothesis import given
from hypothesis import strategies as st

from openwer.errors import InvalidArgumentError
from openwer.formats.modules_manifest import (
    MAX_PACKAGES,
    PackageVersion,
    normalized_package_name,
    package_versions,
)
from openwer.formats.protocol_json import stage1_request_to_json


def _modules(entries: Mapping[str, object]) -> bytes:
    return json.dumps({"format": 1, "modules": entries}).encode()


def test_distinct_packages_are_read_and_normalized() -> None:
    """One entry per distribution (PEP 503 names), sorted; stdlib and unknowns skipped."""
    data = _modules(
        {
            "requests": {"distribution": "requests", "version": "2.31.0"},
            "requests.adapters": {"distribution": "requests", "version": "2.31.0"},
            "yaml": {"distribution": "PyYAML", "version": "6.0.1"},
            "zope.interface": {"distribution": "zope_interface", "version": "6.1"},
            "json": {"distribution": None, "version": "3.11.7"},
            "app": {"file": "/x.py"},
            "odd": "not a dict",
        }
    )
    assert package_versions(data) == (
        PackageVersion("pyyaml", "6.0.1"),
        PackageVersion("requests", "2.31.0"),
        PackageVersion("zope-interface", "6.1"),
    )
    assert normalized_package_name("Foo.Bar_baz") == "foo-bar-baz"
    with pytest.raises(InvalidArgumentError):
        PackageVersion("x" * 129, "1.0")
    with pytest.raises(InvalidArgumentError):
        PackageVersion("ok", "")


def test_damaged_or_hostile_files_yield_nothing_or_a_bounded_list() -> None:
    """Not JSON, the wrong shape, huge files, long names: no error, bounded output."""
    for data in (b"", b"{", b"[]", b'{"modules": []}', b"\xff\xfe", b"[" * 100_000):
        assert package_versions(data) == ()
    assert package_versions(b" " * (5 * 1024 * 1024)) == ()
    many = {f"m{i}": {"distribution": f"d{i}", "version": "1"} for i in range(MAX_PACKAGES + 50)}
    assert len(package_versions(_modules(many))) == MAX_PACKAGES
    long = {
        "x": {"distribution": "n" * 129, "version": "1"},
        "y": {"distribution": "ok", "version": "v" * 65},
    }
    assert package_versions(_modules(long)) == ()


@given(st.binary(max_size=2048))
def test_any_bytes_are_read_without_error(data: bytes) -> None:
    """Whatever arrives, the reader answers with a tuple."""
    assert isinstance(package_versions(data), tuple)


def test_stage_2_indexes_the_packages_for_the_bucket_page(tmp_path: Path) -> None:
    """A real stage 1 + PUT of a bundle with modules.json: the bucket page shows its packages
    (and Windows cabinets without modules.json are stored as before)."""
    with running_dashboard(tmp_path) as dashboard:
        product = dashboard.repository.create_product("demo")
        key = dashboard.repository.create_ingest_key(product.id).secret
        dashboard.user("alice")
        api = dashboard.browser()
        auth = {"Authorization": f"Bearer {key}"}
        request = python_request("parse")
        answer = api.request(
            "POST",
            "/api/v1/reports",
            content=stage1_request_to_json(request),
            headers={**auth, "Content-Type": "application/json"},
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["data_request"] is not None
        cab = report_bundle(request.report_id, {"numpy": "2.0.0", "Requests": "2.32.3"})
        stored = api.request(
            "PUT", f"/api/v1/reports/{request.report_id}/bundle", content=cab, headers=auth
        )
        assert stored.status_code == 201, stored.text
        browser = dashboard.signed_in("alice")
        link = re.findall(r'<a class="title" href="(/buckets/[^"]+)"', browser.get("/").text)[0]
        page = browser.get(link).text
        assert "numpy==2.0.0" in page
        assert "requests==2.32.3" in page
        assert "1 bundle of this bucket; the product has no other bundles to compare" in page
        assert "over-represented" not in page  # nothing to compare with: nothing stands out
