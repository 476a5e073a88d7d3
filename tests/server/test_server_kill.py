"""SIGKILL of ``openwer serve`` (SQLite) in the middle of a load of stage 1 uploads.

The acceptance point: killing the server with SIGKILL during a load of uploads, then restarting
it, loses no report the server acknowledged and double-counts none that the client retried.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from server_process_support import (
    ServeProcess,
    clean_env,
    cli_json,
    stage1_body,
    stop_all,
    total_hits,
)
from server_storage_support import report_id

REPORTS = 400
MODULES = ("alpha.py", "beta.py", "gamma.py", "delta.py")
THREADS = 8
KILL_AFTER_ACKS = 60


def _module(number: int) -> str:
    return MODULES[number % len(MODULES)]


def _send_all(
    url: str, key: str, numbers: list[int], acked: set[int], lock: threading.Lock
) -> None:
    """Send stage 1 for ``numbers`` one by one; record each number whose 2xx answer arrived."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, timeout=5) as client:
        for number in numbers:
            try:
                reply = client.post(
                    "/api/v1/reports", content=stage1_body(number, _module(number)), headers=headers
                )
            except httpx.HTTPError:
                continue  # the server is gone: not acknowledged, the client will retry
            if reply.is_success:
                with lock:
                    acked.add(number)


def test_sigkill_mid_load_loses_no_acknowledged_report_and_double_counts_none(
    tmp_path: Path,
) -> None:
    """Acknowledged reports survive a SIGKILL; re-sending every report counts each exactly once."""
    data_dir = tmp_path / "data"
    env = clean_env(OPENWER_HOME=str(tmp_path / "home"))
    key = cli_json("products", "add", "kill-app", "--data-dir", str(data_dir), env=env)["key"]
    admin = cli_json("tokens", "create", "--data-dir", str(data_dir), env=env)["token"]
    servers: list[ServeProcess] = []
    try:
        first = ServeProcess(data_dir, env, tmp_path / "serve-1.log")
        servers.append(first)
        first.wait_healthy()

        acked: set[int] = set()
        lock = threading.Lock()
        slices = [list(range(i, REPORTS, THREADS)) for i in range(THREADS)]
        with ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(_send_all, first.url, key, s, acked, lock) for s in slices]
            deadline = time.monotonic() + 20
            while len(acked) < KILL_AFTER_ACKS:
                assert time.monotonic() < deadline, f"only {len(acked)} acks in 20 s"
                assert not all(f.done() for f in futures), "the load ended before the kill"
                time.sleep(0.001)
            first.kill()
            for future in futures:
                future.result(timeout=30)
        assert KILL_AFTER_ACKS <= len(acked) < REPORTS, "the kill did not land mid-load"

        second = ServeProcess(data_dir, env, tmp_path / "serve-2.log")
        servers.append(second)
        second.wait_healthy()
        retried: set[int] = set()
        with ThreadPoolExecutor(THREADS) as pool:
            for future in [
                pool.submit(_send_all, second.url, key, s, retried, lock) for s in slices
            ]:
                future.result(timeout=60)
        assert retried == set(range(REPORTS)), "a retried report was refused after the restart"

        hits, buckets = total_hits(second.url, admin)
        assert hits == REPORTS
        assert len(buckets) == len(MODULES)
        with httpx.Client(
            base_url=second.url, headers={"Authorization": f"Bearer {admin}"}, timeout=10
        ) as client:
            for number in sorted(acked):
                shown = client.get(f"/api/v1/reports/{report_id(number)}")
                assert shown.status_code == 200, (number, shown.text)
    finally:
        stop_all(servers)
