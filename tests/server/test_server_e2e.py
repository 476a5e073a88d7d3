"""End to end: ``openwer serve`` as a real process, crashing programs, ``openwer reports upload``.

The server runs as a subprocess on a free port with a temporary data folder; the clients are
child processes with ``openwer.install()`` in a temporary OPENWER_HOME, and everything talks over
real HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from openwer.formats.cab_bundle import build_bundle
from openwer.formats.report_wer import parse_report_wer

OPENWER = str(Path(sys.executable).with_name("openwer"))

CRASHING_PROGRAM = """\
import sys

import openwer

openwer.install(app_name="e2e-app", app_version="2.0.0")


def parse(text):
    return int(text)


def lookup(table):
    return table["missing"]


if sys.argv[1] == "parse":
    parse("not a number")
else:
    lookup({})
"""


@dataclass
class LiveServer:
    """A running ``openwer serve``: its URL, data folder, a product key and an admin token."""

    url: str
    data_dir: Path
    key: str
    admin: str

    def query(self, path: str) -> object:
        """GET a query endpoint with the admin token."""
        reply = httpx.get(self.url + path, headers={"Authorization": f"Bearer {self.admin}"})
        reply.raise_for_status()
        return reply.json()

    def blobs(self) -> list[Path]:
        """Every stored bundle."""
        return sorted((self.data_dir / "blobs").rglob("*.blob"))


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWER")}
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [OPENWER, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``openwer serve`` on a free port until the module's tests are done."""
    root = tmp_path_factory.mktemp("e2e-server")
    data_dir = root / "data"
    env = _clean_env(OPENWER_HOME=str(root / "server-home"))
    port = _free_port()
    log = open(root / "serve.log", "wb")  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen(
        [OPENWER, "serve", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, (root / "serve.log").read_text()
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz in 20 s"
            time.sleep(0.05)
        common = ("--data-dir", str(data_dir), "--json")
        key = json.loads(_cli("products", "add", "e2e-app", *common, env=env))["key"]
        admin = json.loads(_cli("tokens", "create", *common, env=env))["token"]
        yield LiveServer(url, data_dir, key, admin)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_crashes_are_bucketed_counted_and_written_back(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """Six crashes of two kinds give two buckets of three hits; bundles and bucket ids flow."""
    program = tmp_path / "crashing.py"
    program.write_text(CRASHING_PROGRAM)
    home = tmp_path / "client-home"
    env = _clean_env(
        OPENWER_HOME=str(home),
        OPENWER_SERVER_URL=live_server.url,
        OPENWER_SERVER_KEY=live_server.key,
        OPENWER__Consent__DefaultConsent="4",
    )
    children = [
        subprocess.Popen(
            [sys.executable, str(program), kind],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for kind in ("parse", "lookup") * 3
    ]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 1, err
    summary = json.loads(_cli("reports", "upload", "--json", env=env))
    assert summary["sent"] == 6, summary

    listing = live_server.query("/api/v1/buckets")
    assert isinstance(listing, dict)
    assert listing["total"] == 2
    buckets = {_function(b): b for b in listing["buckets"]}
    assert set(buckets) == {"parse", "lookup"}
    assert [b["hits"] for b in buckets.values()] == [3, 3]

    stored = 0
    for bucket in buckets.values():
        detail = live_server.query(f"/api/v1/buckets/{bucket['id']}")
        assert isinstance(detail, dict)
        states = [r["bundle"]["state"] for r in detail["sample_reports"]]
        # The default policy asks for the first 5 hits' bundles; the client sends one per
        # bucket (its data throttle) and the others stay wanted.
        assert set(states) <= {"stored", "wanted"}
        assert "stored" in states
        stored += states.count("stored")
        for report in detail["sample_reports"]:
            if report["bundle"]["state"] == "stored":
                shown = live_server.query(f"/api/v1/reports/{report['id']}")
                assert isinstance(shown, dict)
                assert "Report.wer" in {f["name"] for f in shown["files"]}
    assert len(live_server.blobs()) == stored

    archived = [
        parse_report_wer(path.read_bytes())
        for path in (home / "user" / "ReportArchive").glob("*/Report.wer")
    ]
    assert len(archived) == 6
    server_ids = {b["id"].replace("-", "") for b in buckets.values()}
    written_back = {doc.get("Response.BucketId") for doc in archived}
    assert written_back == server_ids


def _function(bucket: dict[str, object]) -> str:
    signature = bucket["signature"]
    assert isinstance(signature, list)
    return next(str(p["value"]) for p in signature if p["name"] == "Function")


def test_hostile_input_over_real_http(live_server: LiveServer) -> None:
    """Bad keys, oversized or invalid bodies and hostile CABs get clear 4xx; nothing is stored."""
    before = live_server.blobs()
    auth = {"Authorization": f"Bearer {live_server.key}"}
    url = live_server.url
    with httpx.Client(base_url=url, timeout=10) as client:
        bad_key = client.post(
            "/api/v1/reports", content=b"{}", headers={"Authorization": "Bearer x"}
        )
        assert (bad_key.status_code, set(bad_key.json())) == (401, {"error"})
        assert client.post("/api/v1/reports", content=b"{", headers=auth).status_code == 400
        huge = client.post("/api/v1/reports", content=b"x" * 70_000, headers=auth)
        assert huge.status_code == 413
        report_id = str(uuid.uuid4())
        stage1 = {
            "protocol": 1,
            "report_id": report_id,
            "event_type": "Hostile",
            "report_type": 2,
            "signature": [{"name": "P0", "value": "x"}],
            "consent": 4,
        }
        assert client.post("/api/v1/reports", json=stage1, headers=auth).status_code == 201
        report_wer = "\ufeffVersion=1\r\nEventType=Hostile".encode("utf-16-le")
        bomb = build_bundle(report_wer, [("zeros.bin", b"\0" * (4 * 1024 * 1024))])
        reply = client.put(f"/api/v1/reports/{report_id}/bundle", content=bomb, headers=auth)
        assert reply.status_code == 400
        assert "ratio" in reply.json()["error"]
        evil = build_bundle(report_wer, [("evilxx", b"x")]).replace(b"evilxx", b"../etc")
        reply = client.put(f"/api/v1/reports/{report_id}/bundle", content=evil, headers=auth)
        assert reply.status_code == 400, reply.text
        assert "../etc" in reply.json()["error"]
    assert live_server.blobs() == before
