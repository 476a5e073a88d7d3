"""Child-process mains for the multi-process blob store tests (run under the ``spawn`` context),
and :func:`run_race`, the parent side of the race the local and the S3 store tests both run."""

from __future__ import annotations

import itertools
import multiprocessing
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from s3_server_process import S3Endpoint, open_s3_store

from openwer.server.blobs import BlobStore, LocalBlobStore

__all__ = [
    "WORKERS",
    "RaceSpec",
    "kill_payload",
    "open_race_store",
    "race_main",
    "race_payload",
    "run_race",
    "writer_main",
]

WORKERS = 3  # processes in a race


@dataclass(frozen=True)
class RaceSpec:
    """Which store the racing workers open, and the keys they all write."""

    keys: tuple[str, ...]
    root: Path | None = None
    endpoint: S3Endpoint | None = None
    bucket: str | None = None


def open_race_store(spec: RaceSpec) -> BlobStore:
    """The local store at ``spec.root`` or the S3 bucket ``spec.bucket``."""
    if spec.root is not None:
        return LocalBlobStore(spec.root)
    assert spec.endpoint is not None
    return open_s3_store(spec.endpoint, spec.bucket)


def race_payload(worker: int, key: str) -> bytes:
    """What ``worker`` writes under ``key``: its own bytes and its own size."""
    return f"{key}|worker {worker}|".encode() * (200 + 37 * worker)


def race_main(spec: RaceSpec, worker: int, barrier: Barrier, results: Any) -> None:
    """Put every key of ``spec`` once, starting with the others; report the sizes answered."""
    store = open_race_store(spec)
    try:
        store.exists("warm-up")  # connect (and check the bucket) before the race starts
        barrier.wait(60)
        answers = [(key, store.put(key, race_payload(worker, key)).size) for key in spec.keys]
        results.put((worker, answers))
    finally:
        store.close()


def run_race(spec: RaceSpec) -> dict[int, dict[str, int]]:
    """Run WORKERS race_main processes on ``spec``; return each worker's answered sizes."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    results: Any = context.Queue()
    workers = [
        context.Process(target=race_main, args=(spec, worker, barrier, results))
        for worker in range(WORKERS)
    ]
    for process in workers:
        process.start()
    answers = {}
    for _ in workers:
        worker, sizes = results.get(timeout=60)
        answers[worker] = dict(sizes)
    for process in workers:
        process.join(30)
        assert process.exitcode == 0
    return answers


def kill_payload(index: int) -> bytes:
    """The bytes of blob ``kill/<index>``: 1 KB to about 400 KB."""
    return f"blob {index};".encode() * (100 + (index * 7919) % 40_000)


def writer_main(root: Path, log: Path) -> None:
    """Put ``kill/0``, ``kill/1``… forever, logging each key once put returned."""
    store = LocalBlobStore(root)
    with open(log, "ab", buffering=0) as out:
        for index in itertools.count():
            key = f"kill/{index}"
            store.put(key, kill_payload(index))
            out.write(f"{key}\n".encode())
