"""Scale-out: two ``openwer serve`` processes share one PostgreSQL database and one s3rver store.

Clients alternate between the two servers and send some report ids to both (a retry through a
load balancer); hits, buckets and explicit data requests must come out as if there were one server.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from s3_server_process import new_bucket_name, open_s3_store, running_s3rver
from server_process_support import (
    ServeProcess,
    clean_env,
    cli_json,
    stage1_body,
    stop_all,
    total_hits,
)
from server_storage_support import fresh_postgres_database, postgres_available, report_id

from openwer.formats.cab_bundle import build_bundle
from openwer.server.storage import open_repository
from openwer.server.storage.model import BucketRef, DataPolicy, Scope

MODULES = ("one.py", "two.py", "three.py")
REPORTS = 240  # ids 1..REPORTS; the first hit of each bucket is sent before the load
THREADS = 8
ASKED = 3


def _module(number: int) -> str:
    return MODULES[number % len(MODULES)]


def _post(client: httpx.Client, key: str, number: int) -> dict[str, Any]:
    reply = client.post(
        "/api/v1/reports",
        content=stage1_body(number, _module(number)),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert reply.is_success, reply.text
    answer: dict[str, Any] = reply.json()
    return answer


def test_two_servers_share_one_database_and_blob_store(tmp_path: Path) -> None:
    """No lost or double hit, one bucket per signature, an explicit "next 3" honoured 3 times."""
    unavailable = postgres_available()
    if unavailable is not None:
        pytest.skip(unavailable)
    with (
        fresh_postgres_database() as database,
        running_s3rver(tmp_path / "s3rver") as endpoint,
    ):
        bucket = new_bucket_name()
        store = open_s3_store(endpoint, bucket)  # creates the bucket before either server runs
        try:
            list(store.list())
            _run(tmp_path, database, endpoint.url, endpoint.access_key_id, bucket)
            assert len(list(store.list())) == ASKED
        finally:
            store.close()


def _run(tmp_path: Path, database: str, s3_url: str, s3_key: str, bucket: str) -> None:
    env = clean_env(
        OPENWER_HOME=str(tmp_path / "home"),
        OPENWER_SERVER_DATABASE=database,
        OPENWER_SERVER_BLOBS=f"s3://{bucket}?endpoint={s3_url}",
        AWS_ACCESS_KEY_ID=s3_key,
        AWS_SECRET_ACCESS_KEY=s3_key,
    )
    servers: list[ServeProcess] = []
    try:
        for name in ("a", "b"):  # one after the other: the first one migrates the schema
            server = ServeProcess(tmp_path / f"data-{name}", env, tmp_path / f"serve-{name}.log")
            servers.append(server)
            server.wait_healthy()
        common = ("--data-dir", str(tmp_path / "cli"), "--database", database)
        key = cli_json("products", "add", "scale-app", *common, env=env)["key"]
        admin = cli_json("tokens", "create", *common, env=env)["token"]
        _load(servers, key, admin, database)
    finally:
        stop_all(servers)


def _load(servers: list[ServeProcess], key: str, admin: str, database: str) -> None:
    repository = open_repository(database, run_migrations=False)
    try:
        product = repository.get_product("scale-app")
        # Only explicit requests ask for bundles, so every data request seen below is ours.
        repository.set_policy(product.id, DataPolicy(first_n=0, one_in_k=0))
        clients = [httpx.Client(base_url=s.url, timeout=10) for s in servers]
        try:
            firsts = {_module(n): _post(clients[0], key, n) for n in (1, 2, 3)}
            assert all(a["data_request"] is None for a in firsts.values())
            target = firsts[MODULES[0]]["bucket_id"]
            repository.request_data(Scope.everything(), BucketRef(product.id, target), ASKED)
            answers = _concurrent_load(clients, key, range(4, REPORTS + 1))
            for number in (1, 2, 3):
                answers[number] = [firsts[_module(number)]]
            _check(clients, key, admin, answers, target)
        finally:
            for client in clients:
                client.close()
    finally:
        repository.close()


def _concurrent_load(
    clients: list[httpx.Client], key: str, numbers: range
) -> dict[int, list[dict[str, Any]]]:
    """Each id to server ``id % 2``; every fifth id to the other server as well."""
    answers: dict[int, list[dict[str, Any]]] = {}
    lock = threading.Lock()

    def send(number: int) -> None:
        targets = [clients[number % 2]]
        if number % 5 == 0:
            targets.append(clients[(number + 1) % 2])
        got = [_post(client, key, number) for client in targets]
        with lock:
            answers[number] = got

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(send, n) for n in numbers]:
            future.result(timeout=60)
    return answers


def _check(
    clients: list[httpx.Client],
    key: str,
    admin: str,
    answers: dict[int, list[dict[str, Any]]],
    target: str,
) -> None:
    for number, got in answers.items():
        assert len({a["bucket_id"] for a in got}) == 1, (number, got)
        assert len({str(a["data_request"]) for a in got}) == 1, (number, got)
    wanted = sorted(n for n, got in answers.items() if got[0]["data_request"] is not None)
    assert len(wanted) == ASKED, wanted
    assert all(answers[n][0]["data_request"]["explicit"] for n in wanted)
    assert {answers[n][0]["bucket_id"] for n in wanted} == {target}

    hits, buckets = total_hits(str(clients[0].base_url), admin)
    assert hits == REPORTS
    assert len(buckets) == len(MODULES)
    assert {b["hits"] for b in buckets} == {REPORTS // len(MODULES)}

    report_wer = "\ufeffVersion=1\r\nEventType=APPCRASH".encode("utf-16-le")
    auth = {"Authorization": f"Bearer {key}"}
    admin_auth = {"Authorization": f"Bearer {admin}"}
    for number in wanted:  # stage 2 through the other server, read back through the first
        bundle = build_bundle(report_wer, [("notes.txt", f"report {number}".encode())])
        uploader = clients[(number + 1) % 2]
        put = uploader.put(
            f"/api/v1/reports/{report_id(number)}/bundle", content=bundle, headers=auth
        )
        assert put.is_success, put.text
        shown = clients[number % 2].get(f"/api/v1/reports/{report_id(number)}", headers=admin_auth)
        assert shown.status_code == 200, shown.text
        assert shown.json()["bundle"]["state"] == "stored"
        assert "Report.wer" in {f["name"] for f in shown.json()["files"]}
