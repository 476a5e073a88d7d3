"""Several server processes on one PostgreSQL, and SIGKILL of a server writing SQLite."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from server_storage_support import migrated_postgres_url, stage1
from server_storage_workers import Seen, ingest_numbers, module_of
from sqlalchemy import func, select

from openwer.server.storage import (
    BucketQuery,
    BucketRef,
    Scope,
    Stage1Item,
    Stage1Status,
    open_repository,
)
from openwer.server.storage.database import create_engines, resolve_url
from openwer.server.storage.schema import buckets, reports

ADMIN = Scope.everything()
ALL = BucketQuery(limit=100)
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh migrated PostgreSQL database for this module."""
    yield from migrated_postgres_url()


def test_two_processes_on_one_postgres_count_every_report_once(pg_url: str) -> None:
    """Two processes racing on shared ids: one hit and one answer per id, no duplicate bucket."""
    # ...and an explicit "next 5" request is honoured exactly five times across both.
    repository = open_repository(pg_url, run_migrations=False)
    product = repository.create_product("shared")
    (first,) = repository.ingest_stage1([Stage1Item(product.id, stage1(99_999, module="m0.py"))])
    assert first.response is not None
    repository.request_data(ADMIN, BucketRef(product.id, first.response.bucket_id), 5)
    shared = list(range(400))
    # the same order on both sides: the processes race for the same ids at the same moment
    orders = [shared + list(range(1000, 1200)), shared + list(range(2000, 2200))]
    start_at = time.time() + 1.5  # both children start together, after their imports
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = [pool.submit(ingest_numbers, pg_url, product.id, o, start_at) for o in orders]
        seen: list[Seen] = [s for job in jobs for s in job.result(timeout=120)]
    distinct = 400 + 200 + 200 + 1
    engines = create_engines(resolve_url(pg_url))
    with engines.reader.connect() as conn:
        assert conn.execute(select(func.sum(buckets.c.hits))).scalar_one() == distinct
        assert conn.execute(select(func.count()).select_from(reports)).scalar_one() == distinct
        assert conn.execute(select(func.count()).select_from(buckets)).scalar_one() == 7
        ordinals = defaultdict(list)
        for pk, ordinal in conn.execute(select(reports.c.bucket_pk, reports.c.hit_ordinal)):
            ordinals[pk].append(ordinal)
    engines.dispose()
    for values in ordinals.values():
        assert sorted(values) == list(range(1, len(values) + 1))
    by_id: dict[str, list[Seen]] = defaultdict(list)
    for entry in seen:
        by_id[entry.report_id].append(entry)
    assert len(by_id) == distinct - 1
    for entries in by_id.values():
        assert sum(entry.new for entry in entries) == 1
        assert len({entry.answer for entry in entries}) == 1
    assert sum(entry.explicit for entry in seen if entry.new) == 5
    assert {entry.bucket_id for entry in seen if entry.explicit} == {first.response.bucket_id}
    assert repository.find_buckets(ADMIN, first.response.bucket_id)[0].explicit_remaining == 0
    assert {module_of(n) for n in range(7)} == {
        b.bucket.signature[2].value for b in repository.list_buckets(ADMIN, ALL).rows
    }
    repository.close()


def _run_and_kill(db_dir: Path, product_id: int, prefix: int, acks_before_kill: int) -> list[str]:
    """Start an ingesting child, SIGKILL it after some acks, return every id it acknowledged."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    code = (
        "import server_storage_workers as w; "
        f"w.ingest_until_killed({str(db_dir)!r}, {product_id}, {prefix}, 32)"
    )
    acked: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, cwd=HERE
    ) as child:
        assert child.stdout is not None
        deadline = time.monotonic() + 60
        while len(acked) < acks_before_kill and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            acked.append(line.decode().strip())
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
        child.wait(10)
    acked.extend(line for line in rest.decode().split("\n")[:-1] if line)  # drop a torn line
    assert len(acked) >= acks_before_kill, "the child did not ingest"
    return acked


@pytest.mark.parametrize("rounds", [int(os.environ.get("OPENWER_SOAK_ROUNDS", "2"))])
def test_sigkill_during_sqlite_ingest_loses_no_acknowledged_report(
    tmp_path: Path, rounds: int
) -> None:
    """Every id a killed server acknowledged is stored once; retrying it adds no hit."""
    repository = open_repository("sqlite:///db.sqlite3", tmp_path)
    product = repository.create_product("killed")
    repository.close()
    acked: list[str] = []
    for round_number in range(rounds):
        acked += _run_and_kill(tmp_path, product.id, round_number + 1, 200 + 150 * round_number)
    repository = open_repository("sqlite:///db.sqlite3", tmp_path)
    for rid in acked:
        assert repository.get_report(ADMIN, rid).product_id == product.id
    engines = create_engines(resolve_url("sqlite:///db.sqlite3", tmp_path))
    with engines.reader.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        stored = conn.execute(select(func.count()).select_from(reports)).scalar_one()
        hits = conn.execute(select(func.sum(buckets.c.hits))).scalar_one()
    engines.dispose()
    assert hits == stored >= len(acked)
    retried = repository.ingest_stage1([Stage1Item(product.id, stage1(rid)) for rid in acked[:50]])
    assert {o.status for o in retried} == {Stage1Status.REPEAT}
    assert sum(r.bucket.hits for r in repository.list_buckets(ADMIN, ALL).rows) == stored
    repository.close()
