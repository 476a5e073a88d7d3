"""Helpers of the dashboard tests: an app on SQLite with a signed-in browser-like client.

:func:`running_dashboard` opens a SQLite repository in a temporary folder (with a settable
clock), builds the whole server app over it and yields a :class:`Dashboard` whose clients keep
cookies like a browser. Stage 1 items and bundles are seeded straight into storage.
"""

from __future__ import annotations

import codecs
import json
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from server_storage_support import FakeClock

from openwer.formats.cab_bundle import build_bundle
from openwer.formats.protocol import SignatureParameter, Stage1Request
from openwer.server.app import close_app, create_app
from openwer.server.blobs import LocalBlobStore
from openwer.server.config import ServerConfig
from openwer.server.dashboard.user_accounts import add_user
from openwer.server.storage import (
    BundleUpload,
    ProductRow,
    ReportFile,
    SqlRepository,
    Stage1Item,
    Stage1Outcome,
    open_repository,
)
from openwer.types import ConsentLevel

__all__ = [
    "PASSWORD",
    "Browser",
    "Dashboard",
    "csrf_of",
    "python_request",
    "report_bundle",
    "running_dashboard",
]

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """A cookie-keeping client of the app, driven synchronously through a portal."""

    def __init__(self, portal: BlockingPortal, app: Any, base_url: str) -> None:
        self._portal = portal
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
        self.last_page = ""

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request and wait for the answer (redirects are not followed)."""

        async def send() -> httpx.Response:
            return await self.client.request(method, url, **kwargs)

        reply = self._portal.call(send)
        if reply.headers.get("content-type", "").startswith("text/html"):
            self.last_page = reply.text
        return reply

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET ``url``."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        """POST a url-encoded form."""
        return self.request("POST", url, data=data, **kwargs)

    def submit(
        self, url: str, data: dict[str, str] | None = None, page: str = "/"
    ) -> httpx.Response:
        """POST a form with the CSRF token of ``page`` (fetched first)."""
        token = csrf_of(self.get(page).text)
        return self.post(url, {"csrf_token": token, **(data or {})})

    def sign_in(self, name: str, password: str = PASSWORD) -> httpx.Response:
        """Fill in and send the sign-in form."""
        token = csrf_of(self.get("/login").text)
        return self.post(
            "/login", {"username": name, "password": password, "csrf_token": token, "next": "/"}
        )

    def close(self) -> None:
        """Close the HTTP client."""
        self._portal.call(self.client.aclose)


@dataclass
class Dashboard:
    """A running app over SQLite: storage, clock, blob store and browsers."""

    repository: SqlRepository
    clock: FakeClock
    blobs: LocalBlobStore
    portal: BlockingPortal
    app: Any
    browsers: list[Browser] = field(default_factory=list)

    def browser(self, base_url: str = "http://testserver") -> Browser:
        """A new browser with no cookies."""
        made = Browser(self.portal, self.app, base_url)
        self.browsers.append(made)
        return made

    def signed_in(self, name: str, password: str = PASSWORD) -> Browser:
        """A new browser signed in as ``name``."""
        browser = self.browser()
        reply = browser.sign_in(name, password)
        assert reply.status_code == 303, reply.text
        return browser

    def user(self, name: str, products: Sequence[str] = ()) -> None:
        """Create a dashboard user with :data:`PASSWORD`."""
        add_user(self.repository, name, PASSWORD, products)

    def ingest(
        self, product: ProductRow, requests: Sequence[Stage1Request], at: datetime | None = None
    ) -> list[Stage1Outcome]:
        """Stage 1 of ``requests`` for ``product`` (received ``at``, default the clock)."""
        items = [Stage1Item(product.id, r, received_at=at or self.clock()) for r in requests]
        return self.repository.ingest_stage1(items)

    def upload(self, product: ProductRow, report_id: str, cab: bytes) -> None:
        """Store ``cab`` as the report's bundle (as stage 2 would)."""
        from openwer.formats.cab_bundle import read_bundle
        from openwer.formats.modules_manifest import package_versions

        bundle = read_bundle(cab)
        key = f"bundles/{product.id}/{report_id}.cab"
        self.blobs.put(key, cab)
        modules = bundle.file("modules.json")
        result = self.repository.record_bundle(
            BundleUpload(
                product_id=product.id,
                report_id=report_id,
                blob_key=key,
                size=len(cab),
                files=(
                    ReportFile("Report.wer", len(bundle.report_wer_bytes)),
                    *(ReportFile(f.name, len(f.data)) for f in bundle.files),
                ),
                packages=() if modules is None else package_versions(modules.data),
            )
        )
        assert result.blob_key == key, result


@contextmanager
def running_dashboard(tmp_path: Path, clock: FakeClock | None = None) -> Iterator[Dashboard]:
    """The whole server app over a fresh SQLite repository (see the module docstring)."""
    chosen = clock or FakeClock()
    repository = open_repository("sqlite:///dashboard.sqlite3", tmp_path, clock=chosen)
    blobs = LocalBlobStore(tmp_path / "blobs")
    app = create_app(ServerConfig(data_dir=tmp_path), repository, blobs)
    try:
        with start_blocking_portal() as portal:
            dashboard = Dashboard(repository, chosen, blobs, portal, app)
            try:
                yield dashboard
            finally:
                for browser in dashboard.browsers:
                    browser.close()
    finally:
        close_app(app)


def python_request(
    function: str = "Parser.read_row",
    exception: str = "KeyError",
    version: str = "1.0.0",
    os_name: str = "Linux 6.1",
    report_id: str | None = None,
    app: str = "demo",
) -> Stage1Request:
    """A stage 1 of a Python exception: ``function`` and ``exception`` pick the bucket."""
    names = (
        ("Application Name", app),
        ("Application Version", version),
        ("Application Timestamp", "00000000"),
        ("Faulting Module", "demo.parser"),
        ("Faulting Module Version", version),
        ("Faulting Module Timestamp", "00000000"),
        ("Function", function),
        ("Line Offset", "0012"),
        ("Exception Type", exception),
    )
    return Stage1Request(
        report_id=report_id or str(uuid.uuid4()),
        event_type="PythonUnhandledException",
        report_type=2,
        signature=tuple(SignatureParameter(n, v) for n, v in names),
        consent=ConsentLevel.ALL_DATA,
        client=(("os", os_name),),
        app_version=version,
    )


def report_bundle(
    report_id: str,
    packages: dict[str, str] | None = None,
    extra_values: dict[str, str] | None = None,
) -> bytes:
    """A bundle as the client builds it: Report.wer, traceback, stack, threads, modules."""
    values = {
        "Version": "1",
        "EventType": "PythonUnhandledException",
        "EventTime": "134086896000000000",
        "ReportType": "2",
        "Consent": "1",
        "ReportIdentifier": report_id,
        "Sig[0].Name": "Application Name",
        "Sig[0].Value": "demo",
        "Sig[8].Name": "Exception Type",
        "Sig[8].Value": "KeyError",
        "DynamicSig[22].Name": "Python Version",
        "DynamicSig[22].Value": "3.11.7",
        "State[0].Key": "Transport.DoneStage1",
        "State[0].Value": "1",
        "OsInfo[0].Key": "osver",
        "OsInfo[0].Value": "6.1.0",
        "File[0].CabName": "traceback.txt",
        "File[0].Path": "traceback.txt",
        "File[0].Flags": "0",
        "File[0].Type": "5",
        "File[1].CabName": "stack.json",
        "File[1].Path": "stack.json",
        "File[1].Flags": "2",
        "File[1].Type": "5",
        "File[2].CabName": "threads.json",
        "File[2].Path": "threads.json",
        "File[3].CabName": "modules.json",
        "File[3].Path": "modules.json",
        "FriendlyEventName": "Stopped working",
        "ConsentKey": "PythonUnhandledException",
        "AppName": "demo",
        "AppPath": "/usr/bin/demo",
        "CommandLine": "demo --run",
        **(extra_values or {}),
    }
    text = "\r\n".join(f"{k}={v}" for k, v in values.items())
    report_wer = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    frame = {
        "module": "demo.parser",
        "function": "Parser.read_row",
        "file": "demo/parser.py",
        "line": 42,
        "line_offset": 12,
        "origin": "application",
    }
    library = {**frame, "module": "json.decoder", "function": "raw_decode", "origin": "stdlib"}
    stack = {
        "format": 1,
        "exceptions": [
            {
                "index": 0,
                "type": "KeyError",
                "relation": "root",
                "parent": None,
                "frames": [frame, library],
                "omitted_frames": 0,
            }
        ],
        "omitted_exceptions": 0,
        "faulting_frame": frame,
    }
    threads = {
        "format": 1,
        "threads": [
            {
                "name": "MainThread",
                "main": True,
                "current": True,
                "crashed": True,
                "daemon": False,
                "native_id": 1,
                "frames": [frame],
                "omitted_frames": 0,
            },
            {
                "name": "worker-1",
                "main": False,
                "current": False,
                "crashed": False,
                "daemon": True,
                "native_id": 2,
                "frames": [{**frame, "function": "Worker.run", "line": 7}],
                "omitted_frames": 0,
            },
        ],
        "omitted_threads": 0,
    }
    modules = {
        "format": 1,
        "modules": {
            name: {"file": None, "origin": "library", "distribution": name, "version": version}
            for name, version in (packages or {"requests": "2.31.0"}).items()
        },
    }
    members = [
        ("traceback.txt", b"Traceback (most recent call last):\n  ...\nKeyError: 'row'\n"),
        ("stack.json", json.dumps(stack).encode()),
        ("threads.json", json.dumps(threads).encode()),
        ("modules.json", json.dumps(modules).encode()),
    ]
    return build_bundle(report_wer, members)
