"""S3-protocol servers for the blob store tests: a real s3rver process and moto.

s3rver (npm, pinned by ``scripts/install-s3rver.sh``, installed into ``.cache/node/``) is a real
server process that persists to a folder. When it cannot be installed (no npm, no registry) the
tests that need it skip with that one-line reason; they are never faked. ``OPENWER_S3RVER`` may
name another s3rver binary. Limits of s3rver 3.7.1 found while writing these tests (see its
``lib/middleware/authentication.js`` and ``lib/stores/filesystem.js``):

* it refuses an unknown access key id, but does not verify SigV4 signatures ("Signature version
  4 calculation is unimplemented"), so a wrong *secret* is accepted;
* it ignores ``If-None-Match: *`` and writes objects in place, so simultaneous PUTs of one key
  can leave a mix of the bodies (real S3 and MinIO replace objects atomically).

moto runs in two forms: ``ThreadedMotoServer`` in this process (a fake that accepts any
credentials but honours conditional writes), and :func:`running_signing_moto`, a ``moto.server``
child process with IAM authentication on, which does verify SigV4 signatures.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from openwer.server.blobs.s3_store import S3BlobStore

__all__ = [
    "S3RVER_KEY",
    "S3Endpoint",
    "free_port",
    "new_bucket_name",
    "open_s3_store",
    "running_moto",
    "running_s3rver",
    "running_signing_moto",
    "s3rver_binary",
]

REPO = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO / "scripts" / "install-s3rver.sh"
S3RVER_KEY = "S3RVER"  # s3rver's default access key id and secret
_START_TIMEOUT = 15.0


@dataclass(frozen=True)
class S3Endpoint:
    """A running S3-protocol server and credentials it accepts."""

    url: str
    access_key_id: str
    secret_access_key: str
    checks_signatures: bool
    conditional_writes: bool
    atomic_puts: bool
    data_dir: Path | None = None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def new_bucket_name() -> str:
    """A fresh bucket name, unique per call."""
    return f"openwer-test-{uuid.uuid4().hex[:16]}"


@functools.cache
def _find_s3rver() -> tuple[Path | None, str]:
    override = os.environ.get("OPENWER_S3RVER")
    if override:
        path = Path(override)
        return (path, "") if path.is_file() else (None, f"OPENWER_S3RVER={override} not found")
    try:
        done = subprocess.run(
            ["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=180, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"s3rver unavailable: {INSTALL_SCRIPT.name} failed ({exc})"
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        first = (done.stderr.strip().splitlines() or ["no output"])[0]
        return None, f"s3rver unavailable: {first}"
    return Path(lines[-1]), ""


def s3rver_binary() -> Path:
    """The s3rver binary, installed on first use; skips the test when it cannot be had."""
    path, reason = _find_s3rver()
    if path is None:
        pytest.skip(reason)
    return path


@contextlib.contextmanager
def running_s3rver(data_dir: Path, port: int | None = None) -> Iterator[S3Endpoint]:
    """Start s3rver on ``data_dir`` (and a free port), wait until it answers, stop it after."""
    binary = s3rver_binary()
    data_dir.mkdir(parents=True, exist_ok=True)
    chosen = port or free_port()
    log = data_dir.parent / f"s3rver-{chosen}.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [str(binary), "-d", str(data_dir), "-p", str(chosen), "-a", "127.0.0.1", "--silent"],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{chosen}"
    try:
        _wait_until_answers(url, process, log)
        yield S3Endpoint(url, S3RVER_KEY, S3RVER_KEY, False, False, False, data_dir)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextlib.contextmanager
def running_moto() -> Iterator[S3Endpoint]:
    """Run moto's threaded S3 server in this process; skips when moto[server] is missing."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Endpoint(f"http://{host}:{port}", "moto-key", "moto-secret", False, True, True)
    finally:
        server.stop()


@contextlib.contextmanager
def running_signing_moto(workdir: Path) -> Iterator[S3Endpoint]:
    """A moto server process that authenticates every request after creating one IAM user.

    moto checks nothing for the first ``INITIAL_NO_AUTH_ACTION_COUNT`` requests: exactly the
    three IAM calls that create the user, its access key and its S3 policy.
    """
    pytest.importorskip("moto.server", reason="moto[server] is not installed")
    port = free_port()
    log = workdir / f"moto-{port}.log"
    environment = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(port, process, log)
        iam = botocore.session.Session().create_client(
            "iam",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="bootstrap",
            aws_secret_access_key="bootstrap",
        )
        iam.create_user(UserName="openwer")
        key = iam.create_access_key(UserName="openwer")["AccessKey"]
        iam.put_user_policy(UserName="openwer", PolicyName="s3", PolicyDocument=_S3_POLICY)
        iam.close()
        yield S3Endpoint(url, key["AccessKeyId"], key["SecretAccessKey"], True, True, True)
    finally:
        process.terminate()
        process.wait(10)


_S3_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
)


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        _check_alive(process, log)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {_START_TIMEOUT} s")


def _check_alive(process: subprocess.Popen[bytes], log: Path) -> None:
    if process.poll() is not None:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"server exited with {process.returncode}: {' | '.join(tail)}")


def _wait_until_answers(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        _check_alive(process, log)
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer (403 for an unsigned request) means it is up
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"s3rver did not answer on {url} within {_START_TIMEOUT} s")


def open_s3_store(endpoint: S3Endpoint, bucket: str | None = None, **options: Any) -> S3BlobStore:
    """An :class:`S3BlobStore` on ``endpoint`` with its credentials (a fresh bucket by default)."""
    settings: dict[str, Any] = {
        "endpoint_url": endpoint.url,
        "region": "us-east-1",
        "access_key_id": endpoint.access_key_id,
        "secret_access_key": endpoint.secret_access_key,
        "create_bucket": True,
    }
    settings.update(options)
    return S3BlobStore(bucket or new_bucket_name(), **settings)
