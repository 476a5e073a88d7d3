"""Benchmark of stage-1 ingest into the server storage: group commit against the plain ways.

Three ways to make a stage 1 durable, measured in one run on each backend (SQLite in a
temporary folder; PostgreSQL in a fresh database on 127.0.0.1:5432 when it can be reached):

* ``batcher``: 64 asyncio submitters, closed loop, through :class:`IngestBatcher` (group
  commit: one transaction and one fsync per batch); latency is submit → durable ack;
* ``per-item``: the same repository call, one transaction per report, from 64 threads (what
  the ASGI layer would do without the batcher);
* ``insert+commit``: the floor of the plain approach: one ``INSERT`` of the report row and
  ``COMMIT`` per item on one connection, same durability settings, no ingest logic at all.

The workload is realistic: fresh report ids, signatures from 500 buckets with a skewed
(Zipf-like) popularity, default data-request policy. Each backend is warmed up for 2 s and
analyzed first, as a running server would be (a brand-new PostgreSQL table has no planner
statistics until autovacuum's first ANALYZE, and its lookups then scan). Run:
``.venv/bin/python benchmarks/bench_storage.py [--seconds 10] [--no-postgres]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from openwer.formats.protocol import SignatureParameter, Stage1Request
from openwer.server.storage import (
    IngestBatcher,
    SqlRepository,
    Stage1Item,
    open_repository,
)
from openwer.server.storage.database import create_engines, resolve_url
from openwer.types import ConsentLevel

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
SUBMITTERS = 64
BUCKETS = 500


@dataclass(frozen=True)
class Result:
    """Throughput and latency of one way on one backend."""

    name: str
    items: int
    seconds: float
    latencies_ms: list[float]
    note: str = ""

    @property
    def rate(self) -> float:
        """Items per second."""
        return self.items / self.seconds

    def percentile(self, q: float) -> float:
        """Latency percentile in ms (0 when nothing was measured)."""
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    def line(self) -> str:
        """A report line."""
        return (
            f"  {self.name:<14} {self.rate:>9,.0f} items/s   p50 {self.percentile(50):6.2f} ms"
            f"   p99 {self.percentile(99):6.2f} ms   ({self.items:,} in {self.seconds:.1f} s)"
            f"{'   ' + self.note if self.note else ''}"
        )


class Workload:
    """Stage 1 items: fresh ids, skewed signatures; thread-safe."""

    def __init__(self, product_id: int, seed: int) -> None:
        self._product_id = product_id
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        weights = [1 / (rank + 1) for rank in range(BUCKETS)]
        self._choices = self._rng.choices(range(BUCKETS), weights, k=100_000)

    def next(self) -> Stage1Item:
        """The next item."""
        with self._lock:
            number = next(self._counter)
        bucket = self._choices[number % len(self._choices)]
        request = Stage1Request(
            report_id=str(uuid.uuid4()),
            event_type="APPCRASH",
            report_type=2,
            signature=(
                SignatureParameter("Application Name", "python3.11"),
                SignatureParameter("Application Version", "3.11.7"),
                SignatureParameter("Application Timestamp", "65f1c2a0"),
                SignatureParameter("Fault Module Name", f"module{bucket}.so"),
                SignatureParameter("Fault Module Version", "1.0"),
                SignatureParameter("Fault Module Timestamp", "64e8f1b2"),
                SignatureParameter("Exception Code", "c0000005"),
                SignatureParameter("Exception Offset", f"{bucket * 16:016x}"),
            ),
            dynamic_signature=(SignatureParameter("OS Version", "6.1.0-18-amd64"),),
            consent=ConsentLevel.PARAMETERS_AND_SAFE_DATA,
        )
        return Stage1Item(self._product_id, request)


def run_batcher(repository: SqlRepository, workload: Workload, seconds: float) -> Result:
    """64 asyncio submitters through the group-commit batcher."""
    latencies: list[float] = []

    async def main() -> tuple[int, float, str]:
        async with IngestBatcher(repository) as batcher:
            stop = time.perf_counter() + seconds

            async def submitter() -> int:
                done = 0
                while time.perf_counter() < stop:
                    started = time.perf_counter()
                    await batcher.submit_stage1(workload.next())
                    latencies.append((time.perf_counter() - started) * 1000)
                    done += 1
                return done

            began = time.perf_counter()
            counts = await asyncio.gather(*(submitter() for _ in range(SUBMITTERS)))
            elapsed = time.perf_counter() - began
            stats = batcher.stats()
        note = f"{stats.mean_batch:.1f} items/batch (max {stats.largest_batch})"
        return sum(counts), elapsed, note

    items, elapsed, note = asyncio.run(main())
    return Result("batcher", items, elapsed, latencies, note)


def run_threads(name: str, work: Callable[[], None], seconds: float, threads: int) -> Result:
    """``work`` in a closed loop from ``threads`` threads for ``seconds``."""
    latencies: list[float] = []
    lock = threading.Lock()
    counts = [0] * threads
    stop = time.perf_counter() + seconds

    def loop(index: int) -> None:
        mine: list[float] = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            work()
            mine.append((time.perf_counter() - started) * 1000)
            counts[index] += 1
        with lock:
            latencies.extend(mine)

    began = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return Result(name, sum(counts), time.perf_counter() - began, latencies)


def run_insert_commit(url: str, workload: Workload, seconds: float) -> Result:
    """One INSERT + COMMIT per item on one connection (the plain floor)."""
    engines = create_engines(resolve_url(url))
    try:
        with engines.writer.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_plain"))
            conn.execute(
                text("CREATE TABLE bench_plain (report_id VARCHAR(36) PRIMARY KEY, body TEXT)")
            )
        with engines.writer.connect() as conn:

            def one() -> None:
                item = workload.next()
                with conn.begin():
                    conn.execute(
                        text("INSERT INTO bench_plain VALUES (:r, :b)"),
                        {"r": item.request.report_id, "b": repr(item.request.signature)},
                    )

            return run_threads("insert+commit", one, seconds, 1)
    finally:
        engines.dispose()


def bench_backend(label: str, url: str, seconds: float) -> list[Result]:
    """Every way on one backend."""
    print(f"{label}:")
    repository = open_repository(url)
    try:
        product = repository.create_product(f"bench-{uuid.uuid4().hex[:8]}")
        warm = run_batcher(repository, Workload(product.id, 0), 2.0)
        _analyze(url)
        print(f"  (warm-up: {warm.items:,} reports, then ANALYZE as autovacuum would)")
        batched = run_batcher(repository, Workload(product.id, 1), seconds)
        per_item_workload = Workload(product.id, 2)
        per_item = run_threads(
            "per-item",
            lambda: _ignore(repository.ingest_stage1([per_item_workload.next()])),
            seconds / 2,
            SUBMITTERS,
        )
    finally:
        repository.close()
    plain = run_insert_commit(url, Workload(0, 3), seconds / 2)
    for result in (batched, per_item, plain):
        print(result.line())
    return [batched, per_item, plain]


def _analyze(url: str) -> None:
    """Refresh planner statistics (a fresh database has none until autovacuum runs)."""
    engines = create_engines(resolve_url(url))
    try:
        with engines.writer.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    finally:
        engines.dispose()


def _ignore(_value: object) -> None:
    return None


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database, or ``None`` when the server cannot be reached."""
    try:
        import psycopg

        admin = psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)
    except Exception as exc:
        print(f"PostgreSQL skipped: {exc}")
        yield None
        return
    name = f"openwer_bench_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{PG_SERVER}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    """Run the benchmark and print a SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="batcher run length")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    summary: list[str] = []
    with tempfile.TemporaryDirectory(prefix="openwer-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        results = bench_backend("SQLite (WAL, synchronous=FULL)", url, args.seconds)
        summary.append(_summary("sqlite", results))
    if not args.no_postgres:
        with postgres_database() as pg_url:
            if pg_url is not None:
                label = "PostgreSQL (local, synchronous_commit=on)"
                results = bench_backend(label, pg_url, args.seconds)
                summary.append(_summary("postgresql", results))
    print("SUMMARY " + " | ".join(summary))


def _summary(label: str, results: list[Result]) -> str:
    batched, per_item, plain = results
    return (
        f"{label}: batcher {batched.rate:,.0f}/s p50 {batched.percentile(50):.1f} ms "
        f"p99 {batched.percentile(99):.1f} ms (target >= 2,000/s, p99 <= 50 ms), "
        f"per-item {per_item.rate:,.0f}/s, insert+commit {plain.rate:,.0f}/s, "
        f"x{batched.rate / per_item.rate:.1f} vs per-item"
    )


if __name__ == "__main__":
    main()
