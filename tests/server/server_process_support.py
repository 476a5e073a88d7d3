"""Helpers of the server process tests: ``openwer serve`` as a child process, the CLI, stage 1.

:class:`ServeProcess` starts ``openwer serve`` on a free port with a log file, waits for
``/healthz`` and can be stopped gently or with SIGKILL; :func:`stop_all` is meant for ``finally``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx
from s3_server_process import free_port
from server_storage_support import stage1

from openwer.formats.protocol_json import stage1_request_to_json

__all__ = [
    "OPENWER",
    "ServeProcess",
    "clean_env",
    "cli_json",
    "stage1_body",
    "stop_all",
    "total_hits",
]

OPENWER = str(Path(sys.executable).with_name("openwer"))
_START_TIMEOUT = 30.0


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ``OPENWER*`` variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWER")}
    env.update(extra)
    return env


def cli_json(*args: str, env: Mapping[str, str]) -> Any:
    """Run ``openwer <args> --json`` and return its decoded output (asserts success)."""
    done = subprocess.run(
        [OPENWER, *args, "--json"],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def stage1_body(number: int, module: str) -> bytes:
    """The JSON body of a stage 1 request for report ``number``; ``module`` picks the bucket."""
    return stage1_request_to_json(stage1(number, module=module))


class ServeProcess:
    """One ``openwer serve`` child process on a free port of 127.0.0.1."""

    def __init__(self, data_dir: Path, env: Mapping[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with open(log, "ab") as log_file:
            self.process = subprocess.Popen(
                [OPENWER, "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )

    def wait_healthy(self, timeout: float = _START_TIMEOUT) -> None:
        """Block until ``/healthz`` answers 200; fail with the log's tail otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-2000:]
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{self.url} did not answer /healthz in {timeout} s"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the server and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        """SIGINT (graceful shutdown), then SIGKILL if it takes longer than 15 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(15)
        self.kill()


def stop_all(servers: Iterable[ServeProcess]) -> None:
    """Stop every server (for ``finally``)."""
    for server in servers:
        server.stop()


def total_hits(url: str, admin: str) -> tuple[int, list[dict[str, Any]]]:
    """The sum of hits over every bucket, and the buckets (admin query API)."""
    reply = httpx.get(
        url + "/api/v1/buckets",
        params={"limit": "1000"},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=10,
    )
    reply.raise_for_status()
    buckets: list[dict[str, Any]] = reply.json()["buckets"]
    return sum(int(b["hits"]) for b in buckets), buckets
