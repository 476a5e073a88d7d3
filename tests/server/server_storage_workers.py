"""Code the server storage tests run in child processes (spawned, or started with python -c)."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from server_storage_support import stage1

from openwer.server.storage import IngestBatcher, Stage1Item, Stage1Status, open_repository

__all__ = ["Seen", "ingest_numbers", "ingest_until_killed", "module_of"]


@dataclass(frozen=True)
class Seen:
    """What one process learned about one report id."""

    report_id: str
    new: bool
    explicit: bool
    bucket_id: str
    answer: str


def module_of(number: int) -> str:
    """The signature module (P2) of report ``number``: seven buckets."""
    return f"m{number % 7}.py"


def ingest_numbers(
    url: str, product_id: int, numbers: list[int], start_at: float, threads: int = 8
) -> list[Seen]:
    """Ingest ``numbers`` through a batcher from several threads, from ``start_at`` on."""
    repository = open_repository(url, run_migrations=False)
    seen: list[Seen] = []
    lock = threading.Lock()

    with IngestBatcher(repository, max_batch=32) as batcher:

        def submit(chunk: list[int]) -> None:
            for number in chunk:
                item = Stage1Item(product_id, stage1(number, module=module_of(number)))
                outcome = batcher.submit_stage1_blocking(item, timeout=60)
                response = outcome.response
                assert response is not None, outcome
                request = response.data_request
                with lock:
                    seen.append(
                        Seen(
                            outcome.report_id,
                            outcome.status is Stage1Status.NEW,
                            request is not None and request.explicit,
                            response.bucket_id,
                            repr(response),
                        )
                    )

        while time.time() < start_at:
            time.sleep(0.001)
        workers = [
            threading.Thread(target=submit, args=(numbers[i::threads],)) for i in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    repository.close()
    return seen


def ingest_until_killed(db_dir: str, product_id: int, prefix: int, submitters: int) -> None:
    """Ingest fresh reports forever from many tasks; print each id once it is acknowledged."""
    repository = open_repository("sqlite:///db.sqlite3", Path(db_dir))
    out = sys.stdout

    async def main() -> None:
        async with IngestBatcher(repository) as batcher:

            async def submitter(worker: int) -> None:
                for sequence in range(10**9):
                    rid = str(uuid.UUID(int=(prefix << 64) | (worker << 32) | sequence))
                    item = Stage1Item(product_id, stage1(rid, module=f"m{sequence % 5}.py"))
                    outcome = await batcher.submit_stage1(item)
                    if outcome.status is not Stage1Status.NEW:
                        raise AssertionError(outcome)
                    out.write(rid + "\n")
                    out.flush()

            await asyncio.gather(*(submitter(w) for w in range(submitters)))

    asyncio.run(main())
