"""Benchmark of the dashboard's pages: server time with 10,000 buckets and 1,000,000 hits.

A temporary SQLite database is migrated, then seeded by a fast bulk insert (``executemany`` in
one transaction, straight into the tables): two products, 10,000 buckets whose popularity is
Zipf-like (the largest holds about a seventh of all hits), 1,000,000 reports over 90 days with
their daily counts, application versions and OS, one bundle in 500 (with its Python packages
indexed) and a real CAB for the reports the pages open. A dashboard user is signed in once.

Each page is then requested through the whole ASGI app (routing, session check, storage,
templates) and timed from the app's entry to its last byte (server time, no network), side by
side with ``/healthz`` as the baseline: ``--rounds`` requests per page after a warm-up, p50
and p99 printed in milliseconds. The target is every page under 300 ms. Run:
``.venv/bin/python benchmarks/bench_dashboard.py [--reports 1000000] [--buckets 10000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

import httpx

from openwer.formats.cab_bundle import build_bundle
from openwer.server.app import close_app, create_app
from openwer.server.blobs import LocalBlobStore
from openwer.server.config import ServerConfig
from openwer.server.dashboard.passwords import hash_password
from openwer.server.storage import open_repository
from openwer.server.storage.sql_users import SqlUserRepository

DAYS = 90
VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "2.0.0")
VERSION_WEIGHTS = (1, 2, 4, 3)
OSES = ("Linux 6.1", "Linux 6.5", "Linux 6.8", "Windows 11", "macOS 14")
PACKAGES = [(f"package-{i}", f"{i % 7}.{i % 3}.0") for i in range(15)]
NOW = datetime.now(UTC).replace(microsecond=0)


def _text(moment: datetime) -> str:
    # How SQLAlchemy stores a UtcDateTime on SQLite: naive UTC text.
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _signature(index: int) -> list[list[str]]:
    return [
        ["Application Name", "bench"],
        ["Application Version", VERSIONS[index % len(VERSIONS)]],
        ["Application Timestamp", "00000000"],
        ["Faulting Module", f"bench.module{index % 97}"],
        ["Faulting Module Version", "1.0.0"],
        ["Faulting Module Timestamp", "00000000"],
        ["Function", f"Handler{index}.run"],
        ["Line Offset", f"{index % 4096:04x}"],
        ["Exception Type", ("KeyError", "ValueError", "TypeError", "OSError")[index % 4]],
    ]


def _bundle(report_id: str) -> bytes:
    values = {
        "Version": "1",
        "EventType": "PythonUnhandledException",
        "ReportType": "2",
        "ReportIdentifier": report_id,
        "Sig[0].Name": "Application Name",
        "Sig[0].Value": "bench",
        "File[0].CabName": "stack.json",
        "File[0].Path": "stack.json",
        "File[1].CabName": "threads.json",
        "File[1].Path": "threads.json",
        **{f"LoadedModule[{i}]": f"/usr/lib/python3.11/module{i}.py" for i in range(200)},
    }
    wer = codecs.BOM_UTF16_LE + "\r\n".join(f"{k}={v}" for k, v in values.items()).encode(
        "utf-16-le"
    )
    frame = {
        "module": "bench.module0",
        "function": "Handler0.run",
        "file": "bench/m.py",
        "line": 10,
        "line_offset": 3,
        "origin": "application",
    }
    stack = {
        "format": 1,
        "exceptions": [
            {
                "index": 0,
                "type": "KeyError",
                "relation": "root",
                "parent": None,
                "frames": [frame] * 30,
                "omitted_frames": 0,
            }
        ],
        "faulting_frame": frame,
    }
    threads = {
        "format": 1,
        "threads": [
            {
                "name": f"worker-{i}",
                "main": i == 0,
                "crashed": i == 0,
                "daemon": False,
                "frames": [frame] * 20,
                "omitted_frames": 0,
            }
            for i in range(8)
        ],
    }
    return build_bundle(
        wer,
        [
            ("stack.json", json.dumps(stack).encode()),
            ("threads.json", json.dumps(threads).encode()),
        ],
    )


def seed(db: Path, blobs: LocalBlobStore, buckets: int, reports: int) -> dict[str, Any]:
    """Fill the migrated database; return what the pages will open."""
    rng = random.Random(20261125)
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA synchronous=OFF")
    created = _text(NOW - timedelta(days=DAYS + 1))
    connection.execute("BEGIN")
    for pid, name in ((1, "bench"), (2, "other")):
        connection.execute(
            "INSERT INTO products (id, name, created_at, first_n, one_in_k, max_bundles_per_day,"
            " default_dump_type, solutions_version) VALUES (?, ?, ?, 5, 100, 50, 2, 0)",
            (pid, name, created),
        )
    weights = [1 / (rank + 1) ** 1.1 for rank in range(buckets)]
    cumulative = list(accumulate(weights))
    chosen = rng.choices(range(buckets), cum_weights=cumulative, k=reports)
    start = NOW - timedelta(days=DAYS)
    span = DAYS * 86400
    seconds = [rng.random() * span for _ in range(reports)]
    guids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(buckets)]
    product_of = [1 if b % 10 else 2 for b in range(buckets)]
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    daily: Counter[tuple[int, str]] = Counter()
    ordinal: Counter[int] = Counter()
    rows = []
    packages: list[tuple[str, str, str, int, int, str]] = []
    stored_by_bucket: dict[int, tuple[float, str]] = {}
    for index, (bucket, offset) in enumerate(zip(chosen, seconds, strict=True)):
        moment = start + timedelta(seconds=offset)
        first[bucket] = min(first.get(bucket, offset), offset)
        last[bucket] = max(last.get(bucket, offset), offset)
        daily[(bucket, moment.date().isoformat())] += 1
        ordinal[bucket] += 1
        report_id = str(uuid.UUID(int=rng.getrandbits(128)))
        stored = index % 500 == 0
        if stored:
            previous = stored_by_bucket.get(bucket)
            if previous is None or previous[0] < offset:
                stored_by_bucket[bucket] = (offset, report_id)
            packages.extend(
                (report_id, name, version, product_of[bucket], bucket + 1, _text(moment))
                for name, version in PACKAGES
            )
        version = rng.choices(VERSIONS, weights=VERSION_WEIGHTS)[0]
        os_name = OSES[rng.randrange(len(OSES))]
        rows.append(
            (
                report_id,
                product_of[bucket],
                bucket + 1,
                bucket + 1,
                _text(moment),
                "PythonUnhandledException",
                2,
                version,
                os_name,
                f'[["os", "{os_name}"]]',
                4,
                ordinal[bucket],
                1 if stored else 0,
                "stored" if stored else "none",
                f"bundles/{product_of[bucket]}/{report_id}.cab" if stored else None,
                4096 if stored else None,
                _text(moment) if stored else None,
                json.dumps({"b": guids[bucket], "l": bucket}),
            )
        )
    connection.executemany(
        "INSERT INTO buckets (id, product_id, bucket_id, legacy_id, event_type, signature, hits,"
        " first_seen, last_seen, status, bundles_collected, explicit_remaining)"
        " VALUES (?, ?, ?, ?, 'PythonUnhandledException', ?, ?, ?, ?, ?, 0, 0)",
        [
            (
                b + 1,
                product_of[b],
                guids[b],
                b,
                json.dumps(_signature(b)),
                ordinal[b],
                _text(start + timedelta(seconds=first.get(b, 0))),
                _text(start + timedelta(seconds=last.get(b, 0))),
                "regressed" if b % 50 == 7 else "new",
            )
            for b in range(buckets)
        ],
    )
    connection.executemany(
        "INSERT INTO reports (report_id, product_id, bucket_pk, origin_bucket_pk, received_at,"
        " event_type, report_type, app_version, os, client, consent, hit_ordinal, bundle_wanted,"
        " bundle_state, bundle_key, bundle_size, bundle_received_at, answer)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    connection.executemany(
        "INSERT INTO bucket_hits (bucket_pk, day, hits, bundles) VALUES (?, ?, ?, 0)",
        [(b + 1, day, n) for (b, day), n in daily.items()],
    )
    connection.executemany(
        "INSERT INTO report_packages (report_id, name, version, product_id, origin_bucket_pk,"
        " received_at) VALUES (?, ?, ?, ?, ?, ?)",
        packages,
    )
    connection.execute("COMMIT")
    largest = max(range(buckets), key=lambda b: ordinal[b])
    sample = stored_by_bucket[largest][1]
    files = [("Report.wer", 1), ("stack.json", 1), ("threads.json", 1)]
    connection.executemany(
        "INSERT INTO report_files (report_id, name, size) VALUES (?, ?, ?)",
        [(sample, name, size) for name, size in files],
    )
    connection.commit()
    blobs.put(f"bundles/{product_of[largest]}/{sample}.cab", _bundle(sample))
    connection.close()
    median = sorted(range(buckets), key=lambda b: -ordinal[b])[buckets // 2]
    return {
        "largest": f"/buckets/{product_of[largest]}/{guids[largest]}",
        "largest_hits": ordinal[largest],
        "median_bucket": f"/buckets/{product_of[median]}/{guids[median]}",
        "report": f"/reports/{sample}",
        "plain_report": f"/reports/{rows[1][0]}",
        "bucket_hits_rows": len(daily),
        "package_rows": len(packages),
    }


class Timed:
    """ASGI wrapper that records each request's server time (entry to last body byte)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        await self.app(scope, receive, send)
        self.last = time.perf_counter() - started


async def measure(
    app: Any, cookie: str, pages: dict[str, str], rounds: int
) -> dict[str, list[float]]:
    """Request every page ``rounds`` times (after 3 warm-ups); server times in ms."""
    timed = Timed(app)
    results: dict[str, list[float]] = {}
    transport = httpx.ASGITransport(app=timed)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", cookies={"openwer_session": cookie}
    ) as client:
        for name, path in pages.items():
            for _ in range(3):
                reply = await client.get(path)
                assert reply.status_code == 200, (path, reply.status_code, reply.text[:300])
            samples = []
            for _ in range(rounds):
                reply = await client.get(path)
                assert reply.status_code == 200, (path, reply.status_code)
                samples.append(timed.last * 1000)
            results[name] = samples
    return results


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    """Seed, sign in, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--buckets", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openwer-bench-dashboard-") as folder:
        data = Path(folder)
        repository = open_repository("sqlite:///bench.sqlite3", data)
        blobs = LocalBlobStore(data / "blobs")
        started = time.perf_counter()
        targets = seed(data / "bench.sqlite3", blobs, args.buckets, args.reports)
        seeded = time.perf_counter() - started
        users = SqlUserRepository(repository.transactions)
        user = users.create_user("bench", hash_password("bench password"))
        cookie = users.open_session(user.id, timedelta(hours=1))
        app = create_app(ServerConfig(data_dir=data), repository, blobs)
        size = sum(p.stat().st_size for p in data.glob("bench.sqlite3*")) / 1e6
        print(
            f"seeded {args.reports:,} reports in {args.buckets:,} buckets "
            f"({targets['bucket_hits_rows']:,} daily rows, {targets['package_rows']:,} package "
            f"rows, database {size:.0f} MB) in {seeded:.1f} s; largest bucket "
            f"{targets['largest_hits']:,} hits"
        )
        pages = {
            "/healthz (baseline)": "/healthz",
            "bucket list, first page (30 days)": "/",
            "bucket list, page 100": "/?page=100",
            "bucket list, all time": "/?range=all&status=all",
            "bucket list, version filter": "/?version=2.0.0",
            "bucket list, version filter, all time": "/?version=2.0.0&range=all",
            "bucket list, OS filter, 90 days": "/?os=Windows+11&range=90d",
            "bucket page, largest bucket": targets["largest"],
            "bucket page, largest, 1 year": targets["largest"] + "?range=365d",
            "bucket page, median bucket": targets["median_bucket"],
            "report page (with bundle)": targets["report"],
            "report page (stage 1 only)": targets["plain_report"],
            "solutions": "/solutions",
            "products": "/products",
        }
        try:
            results = asyncio.run(measure(app, cookie, pages, args.rounds))
        finally:
            close_app(app)
        print(f"\nserver time per page, {args.rounds} requests each (ms):")
        print(f"  {'page':40s} {'p50':>8s} {'p99':>8s} {'mean':>8s}")
        worst = 0.0
        for name, samples in results.items():
            p99 = _percentile(samples, 0.99)
            if "baseline" not in name:
                worst = max(worst, p99)
            print(
                f"  {name:40s} {_percentile(samples, 0.5):8.2f} {p99:8.2f} "
                f"{statistics.fmean(samples):8.2f}"
            )
        verdict = "meets" if worst < 300 else "MISSES"
        print(f"\nslowest page p99: {worst:.1f} ms — {verdict} the 300 ms target")


if __name__ == "__main__":
    main()
