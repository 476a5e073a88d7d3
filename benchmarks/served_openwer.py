"""``openwer serve`` as the benchmarks run it: provisioned, started, checked and stopped.

* :func:`provision` creates product ``bench`` (optionally with a data-request policy), its ingest
  key and an admin token directly in the storage, before the server starts;
* :class:`OpenwerServer` runs ``openwer serve`` (uvicorn, one process) as a child in its own
  session, waits for ``/healthz`` and stops it with SIGINT (the lifespan then drains the
  stage-1 batcher), SIGKILL after 30 s; its log goes to a file whose tail is shown on failure;
* :func:`stored_hits` sums the hits of every bucket through ``GET /api/v1/buckets``;
* :func:`postgres_database` creates a throwaway database on 127.0.0.1:5432 and drops it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from openwer.server.storage import DataPolicy, open_repository
from server_readiness import wait_until_answering

__all__ = [
    "Credentials",
    "OpenwerServer",
    "free_port",
    "postgres_database",
    "provision",
    "stored_hits",
]

OPENWER = str(Path(sys.executable).with_name("openwer"))
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


@dataclass(frozen=True)
class Credentials:
    """The ingest key of product ``bench`` and an admin token for the query API."""

    key: str
    admin: str


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def provision(
    database: str | None, data_dir: Path, policy: DataPolicy | None = None
) -> Credentials:
    """Create product ``bench`` with ``policy``, its key and an admin token (migrating first)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    repository = open_repository(database, data_dir)
    try:
        product = repository.create_product("bench", policy)
        key = repository.create_ingest_key(product.id).secret
        admin = repository.create_admin_token("bench").secret
    finally:
        repository.close()
    return Credentials(key, admin)


class OpenwerServer:
    """``openwer serve`` on a free port of 127.0.0.1 for ``data_dir`` and ``database``."""

    def __init__(self, data_dir: Path, database: str | None) -> None:
        self.data_dir = data_dir
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> OpenwerServer:
        command = [OPENWER, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.database is not None:
            command += ["--database", self.database]
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWER")}
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                env={**env, "OPENWER_HOME": str(self.data_dir / "home")},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        process = self._process
        assert process is not None
        if not wait_until_answering(
            lambda: httpx.get(f"{self.url}/healthz", timeout=1).is_success,
            lambda: process.poll() is not None,
            interval=0.05,
        ):
            raise RuntimeError(f"openwer serve did not start:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGINT (graceful: queued stage 1s are committed), SIGKILL after 30 s. Idempotent."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def stored_hits(url: str, admin: str) -> tuple[int, int]:
    """``(hits, buckets)`` summed over every bucket, through the query API."""
    hits = buckets = offset = 0
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin}"}, timeout=60
    ) as client:
        while True:
            page = client.get("/api/v1/buckets", params={"limit": 1000, "offset": offset})
            page.raise_for_status()
            body = page.json()
            hits += sum(bucket["hits"] for bucket in body["buckets"])
            buckets += len(body["buckets"])
            offset += len(body["buckets"])
            if not body["buckets"] or offset >= body["total"]:
                return hits, buckets


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh database ``openwer_bench_<pid>`` on 127.0.0.1:5432 (its URL), dropped afterwards;
    ``None`` (with a printed reason) when PostgreSQL cannot be reached or started."""
    import psycopg

    def connect() -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)

    try:
        admin = connect()
    except psycopg.Error:
        # The cluster may be installed but down (no systemd here): start it, then retry.
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"],
            capture_output=True,
            check=False,
        )
        try:
            admin = connect()
        except psycopg.Error as exc:
            print(f"PostgreSQL skipped: cannot connect to {PG_SERVER}: {exc}".splitlines()[0])
            yield None
            return
    name = f"openwer_bench_{os.getpid()}"
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{PG_SERVER}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
