"""Benchmark of stage-1 ingest over HTTP against the same server's ``/healthz``, in one run.

Starts ``openwer serve`` (uvicorn, one process, SQLite in a temporary folder) as a subprocess,
then drives it with a small asyncio HTTP/1.1 load generator (keep-alive connections, closed
loop, one request in flight per connection) written here so that the generator, not a library,
sets the pace: ``wrk`` cannot vary the body per request without a Lua script and is not in the
base image. Phases: ``/healthz`` (the empty-endpoint baseline), then ``POST /api/v1/reports``
with fresh report ids and signatures from 200 buckets (skewed popularity). Prints requests/s,
p50 and p99 per phase and the stage-1/healthz ratio (PRODUCT.md §7: ≥ 2,000 reports/s,
p99 ≤ 50 ms, ratio ≥ 0.5).

Run: ``.venv/bin/python benchmarks/bench_stage1.py [--seconds 5] [--connections 32]``. The load
generator shares the machine with the server: pin them (``taskset``) for stable figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from openwer.server.storage import open_repository

OPENWER = str(Path(sys.executable).with_name("openwer"))


@dataclass(frozen=True)
class PhaseResult:
    """What one phase measured."""

    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        """A latency percentile in milliseconds."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0

    def line(self) -> str:
        """One printed line."""
        return (
            f"{self.name:10s} {self.rate:9.0f} req/s  p50 {self.percentile(0.5):6.2f} ms  "
            f"p99 {self.percentile(0.99):6.2f} ms  errors {self.errors}"
        )


async def _connection(
    port: int, build: Callable[[], bytes], stop_at: float, latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors = 0
    try:
        while time.perf_counter() < stop_at:
            request = build()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            status = int(head.split(b" ", 2)[1])
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if 200 <= status < 300:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1
    finally:
        writer.close()
    return errors


async def _phase(
    name: str, port: int, build: Callable[[], bytes], seconds: float, connections: int
) -> PhaseResult:
    latencies: list[float] = []
    started = time.perf_counter()
    errors = await asyncio.gather(
        *(_connection(port, build, started + seconds, latencies) for _ in range(connections))
    )
    return PhaseResult(name, len(latencies), sum(errors), time.perf_counter() - started, latencies)


def _healthz() -> bytes:
    return b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"


def _stage1_builder(key: str) -> Callable[[], bytes]:
    weights = [1 / (rank + 1) for rank in range(200)]
    buckets = list(range(200))

    def build() -> bytes:
        bucket = random.choices(buckets, weights)[0]
        body = json.dumps(
            {
                "protocol": 1,
                "report_id": str(uuid.uuid4()),
                "event_type": "PythonUnhandledException",
                "report_type": 2,
                "signature": [
                    {"name": "Application Name", "value": "bench"},
                    {"name": "Application Version", "value": "1.0"},
                    {"name": "Function", "value": f"function_{bucket}"},
                ],
                "consent": 2,
                "client": {"os": "Linux"},
            }
        ).encode()
        return (
            b"POST /api/v1/reports HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    return build


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    """Run both phases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openwer-bench-") as folder:
        data = Path(folder)
        repository = open_repository(None, data)
        try:
            product = repository.create_product("bench")
            key = repository.create_ingest_key(product.id).secret
        finally:
            repository.close()
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWER")}
        server = subprocess.Popen(
            [OPENWER, "serve", "--port", str(port), "--data-dir", str(data)],
            env={**env, "OPENWER_HOME": str(data / "home")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                        break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                time.sleep(0.05)
            warm = min(2.0, args.seconds)
            asyncio.run(_phase("warm-up", port, _stage1_builder(key), warm, args.connections))
            health = asyncio.run(_phase("healthz", port, _healthz, args.seconds, args.connections))
            stage1 = asyncio.run(
                _phase("stage1", port, _stage1_builder(key), args.seconds, args.connections)
            )
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    print(f"openwer serve (uvicorn, 1 process, SQLite), {args.connections} connections")
    print(health.line())
    print(stage1.line())
    ratio = stage1.rate / health.rate if health.rate else 0.0
    print(
        f"stage1/healthz {ratio:.2f} (target >= 0.5); mean stage1 latency "
        f"{statistics.fmean(stage1.latencies_ms or [0.0]):.2f} ms"
    )


if __name__ == "__main__":
    main()
