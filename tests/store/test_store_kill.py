"""Kill test: writers and archivers SIGKILLed at random instants never leave a half report.

Each round starts writer processes adding reports in a loop and an archiver moving them, kills
them all at random moments, and checks that every visible report is whole, that every
acknowledged report is still there, and that recover() leaves Temp empty. Rounds default to 20;
``make soak`` sets ``OPENWER_SOAK_ROUNDS=200``.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from pathlib import Path

import pytest
from store_workers import WorkerZygote, read_log, verify_report

from openwer.store import DirectoryReportStore, RecoveryOutcome, StoreArea

ROUNDS = int(os.environ.get("OPENWER_SOAK_ROUNDS", "20"))
WRITERS = 3
KILL_WINDOW_S = 0.15
ALLOWED_RECOVERY = {
    RecoveryOutcome.REMOVED_ABANDONED_WRITE,
    RecoveryOutcome.COMPLETED_ARCHIVE,
    RecoveryOutcome.COMPLETED_DELETE,
}


def _wait_until_ready(logs: list[Path]) -> None:
    # Workers create their log once the store is open.
    deadline = time.monotonic() + 60
    while not all(log.exists() for log in logs):
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.001)


def _check_whole(store: DirectoryReportStore) -> dict[str, StoreArea]:
    seen: dict[str, StoreArea] = {}
    for area in StoreArea:
        for key in store.keys(area):
            assert key not in seen, f"{key} is visible twice"
            seen[key] = area
            verify_report(store.get(key))
    assert store.damaged() == [], "a half-written report became visible"
    return seen


@pytest.mark.soak
def test_killed_writers_and_archivers_lose_and_tear_nothing(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """SIGKILL at any instant: no half report, no lost acknowledged report, Temp recovered."""
    rng = random.Random(20240501)
    root = tmp_path / "store"
    store = DirectoryReportStore(root)
    zygote = WorkerZygote()
    request.addfinalizer(zygote.close)
    totals = {"added": 0, "archived": 0, "recovered": 0}
    for round_number in range(ROUNDS):
        folder = tmp_path / f"round{round_number}"
        folder.mkdir()
        stop = folder / "never"
        writer_logs = [folder / f"writer{i}.log" for i in range(WRITERS)]
        archiver_log = folder / "archiver.log"
        pids = [zygote.spawn("writer", root, log, rng.randrange(1 << 30), 0) for log in writer_logs]
        pids.append(
            zygote.spawn("maintainer", root, archiver_log, rng.randrange(1 << 30), stop, 0.0)
        )
        try:
            _wait_until_ready([*writer_logs, archiver_log])
            started = time.monotonic()
            for when, pid in sorted((rng.uniform(0, KILL_WINDOW_S), pid) for pid in pids):
                time.sleep(max(0.0, started + when - time.monotonic()))
                os.kill(pid, signal.SIGKILL)
        finally:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                # Reaped, so recovery sees the writers as gone rather than as zombies.
                status = zygote.reap(pid)
                assert os.WIFSIGNALED(status)
                assert os.WTERMSIG(status) == signal.SIGKILL

        # Before recovery: what is visible is whole, and nothing shows twice.
        _check_whole(store)
        result = store.recover()
        assert {action.outcome for action in result.actions} <= ALLOWED_RECOVERY, result
        assert list((root / "Temp").iterdir()) == []
        seen = _check_whole(store)

        acked = [key for log in writer_logs for key in read_log(log)]
        missing = [key for key in acked if key not in seen]
        assert not missing, f"acknowledged reports lost: {missing[:3]}"
        for line in read_log(archiver_log):
            verb, key, *rest = line.split()
            if verb == "archived":
                assert seen[key] is StoreArea.ARCHIVE
                if rest == ["P"]:
                    assert store.get(key).file_names == ()
        totals["added"] += len(acked)
        totals["archived"] += store.count(StoreArea.ARCHIVE)
        totals["recovered"] += len(result.actions)
        store.purge()
    # The kills must have landed while work was going on, not only before it started.
    assert totals["added"] > ROUNDS
    assert totals["recovered"] > 0
