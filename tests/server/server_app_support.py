"""Helpers of the server app tests: an app on a MemoryRepository, requests, hand-built CABs."""

from __future__ import annotations

import codecs
import json
import struct
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from openwer.formats.cab_bundle import build_bundle
from openwer.server.app import close_app, create_app
from openwer.server.blobs import BlobStore, LocalBlobStore
from openwer.server.config import ServerConfig
from openwer.server.storage import MemoryRepository

REPORT_WER = codecs.BOM_UTF16_LE + "\r\n".join(
    [
        "Version=1",
        "EventType=PythonUnhandledException",
        "ReportType=2",
        "File[0].CabName=traceback.txt",
        "File[0].Path=traceback.txt",
    ]
).encode("utf-16-le")


class SyncClient:
    """httpx's ASGI transport driven from synchronous tests through an anyio portal."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self._portal = portal
        self._client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request to the app and wait for the answer."""

        async def send() -> httpx.Response:
            return await self._client.request(method, url, **kwargs)

        return self._portal.call(send)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET ``url``."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST to ``url``."""
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        """PUT to ``url``."""
        return self.request("PUT", url, **kwargs)


@dataclass
class Server:
    """A running test app: its client, storage, blob folder and one product's key."""

    client: SyncClient
    repository: MemoryRepository
    blob_store: BlobStore
    key: str
    other_key: str
    admin: str

    def headers(self, secret: str | None = None) -> dict[str, str]:
        """An Authorization header with ``secret`` (the product key by default)."""
        return {"Authorization": f"Bearer {secret or self.key}"}

    def stage1(self, body: bytes, secret: str | None = None) -> httpx.Response:
        """POST a stage 1."""
        return self.client.post(
            "/api/v1/reports",
            content=body,
            headers={**self.headers(secret), "Content-Type": "application/json"},
        )

    def put_bundle(self, report_id: str, data: bytes, secret: str | None = None) -> httpx.Response:
        """PUT a bundle."""
        return self.client.put(
            f"/api/v1/reports/{report_id}/bundle", content=data, headers=self.headers(secret)
        )

    def blobs(self) -> list[bytes]:
        """Every stored bundle, ordered by key."""
        keys = sorted(info.key for info in self.blob_store.list())
        return [self.blob_store.get(key) for key in keys]


@contextmanager
def running_server(tmp_path: Path, **config: Any) -> Iterator[Server]:
    """An app on a fresh MemoryRepository with products "app" and "other" and an admin token."""
    repository = MemoryRepository()
    app_product = repository.create_product("app")
    other = repository.create_product("other")
    key = repository.create_ingest_key(app_product.id).secret
    other_key = repository.create_ingest_key(other.id).secret
    admin = repository.create_admin_token("tests").secret
    settings = ServerConfig(data_dir=tmp_path, **config)
    blob_store = LocalBlobStore(tmp_path / "blobs")
    app = create_app(settings, repository, blob_store)
    transport = httpx.ASGITransport(app=app)
    try:
        with start_blocking_portal() as portal:
            client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            try:
                sync = SyncClient(portal, client)
                yield Server(sync, repository, blob_store, key, other_key, admin)
            finally:
                portal.call(client.aclose)
    finally:
        close_app(app)


def stage1_body(
    report_id: str | None = None, function: str = "parse", product: str | None = None
) -> bytes:
    """A valid stage-1 JSON body."""
    return json.dumps(
        {
            "protocol": 1,
            "report_id": report_id or str(uuid.uuid4()),
            "event_type": "PythonUnhandledException",
            "report_type": 2,
            "signature": [
                {"name": "Application Name", "value": "app"},
                {"name": "Application Version", "value": "1.0"},
                {"name": "Function", "value": function},
            ],
            "consent": 4,
            "client": {"os": "Linux"},
            "product": product,
            "app_version": "1.0",
        }
    ).encode()


def bundle(extra: bytes = b"Traceback: boom\n") -> bytes:
    """A valid bundle: Report.wer and traceback.txt."""
    return build_bundle(REPORT_WER, [("traceback.txt", extra)])


def stored_cab(*members: tuple[bytes, bytes]) -> bytes:
    """A one-folder uncompressed cabinet written byte by byte, with raw member names
    (so it can hold names no writer would produce, such as ``../evil``)."""
    blob = b"".join(data for _, data in members)
    table = b""
    offset = 0
    for name, data in members:
        table += struct.pack("<IIHHHH", len(data), offset, 0, 0x5021, 0, 0x20) + name + b"\0"
        offset += len(data)
    files_at = 36 + 8
    data_at = files_at + len(table)
    folder = struct.pack("<IHH", data_at, 1, 0)
    block = struct.pack("<IHH", 0, len(blob), len(blob)) + blob
    total = data_at + len(block)
    header = struct.pack(
        "<4sIIIIIBBHHHHH", b"MSCF", 0, total, 0, files_at, 0, 3, 1, 1, len(members), 0, 0, 0
    )
    return header + folder + table + block
