"""Concurrency: processes archiving and pruning one store while others add to it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from store_workers import read_log, verify_report, worker_command

from openwer.store import DirectoryReportStore, StoreArea

WRITERS = 3
REPORTS_PER_WRITER = 40
MAINTAINERS = 2


@pytest.mark.soak
def test_adds_archives_and_prunes_in_parallel_agree(tmp_path: Path) -> None:
    """Every acknowledged report ends in exactly one place, or in one prune result."""
    root = tmp_path / "store"
    stop = tmp_path / "stop"
    writer_logs = [tmp_path / f"writer{i}.log" for i in range(WRITERS)]
    maintainer_logs = [tmp_path / f"maintainer{i}.log" for i in range(MAINTAINERS)]
    maintainers = [
        subprocess.Popen(worker_command("maintainer", root, log, index, stop, 0.3))
        for index, log in enumerate(maintainer_logs)
    ]
    writers = [
        subprocess.Popen(worker_command("writer", root, log, 100 + index, REPORTS_PER_WRITER))
        for index, log in enumerate(writer_logs)
    ]
    try:
        for writer in writers:
            assert writer.wait(120) == 0
        time.sleep(0.2)  # let the maintainers work on the last reports too
    finally:
        stop.write_bytes(b"")
        for process in maintainers:
            assert process.wait(120) == 0

    store = DirectoryReportStore(root)
    added = [key for log in writer_logs for key in read_log(log)]
    assert len(added) == len(set(added)) == WRITERS * REPORTS_PER_WRITER
    archived: dict[str, str] = {}
    pruned: list[str] = []
    recoveries: list[str] = []
    for log in maintainer_logs:
        for line in read_log(log):
            verb, key, *rest = line.split()
            if verb == "archived":
                assert key not in archived, f"{key} archived twice"
                archived[key] = rest[0]
            elif verb == "pruned":
                pruned.append(key)
            else:
                recoveries.append(key)
    # Nobody died, so recovery running beside live writers must have left their work alone.
    assert set(recoveries) <= {"kept-live-writer"}
    assert len(pruned) == len(set(pruned)), "a report was pruned twice"
    queue = store.keys(StoreArea.QUEUE)
    archive = store.keys(StoreArea.ARCHIVE)
    present = set(queue) | set(archive)
    assert not set(queue) & set(archive)
    assert present | set(pruned) == set(added)
    assert not present & set(pruned)
    for key in present:
        report = store.get(key)
        verify_report(report)
        if key in archived:
            assert report.area is StoreArea.ARCHIVE
            listed = {entry.path for entry in report.manifest.files}
            assert set(report.file_names) == (set() if archived[key] == "P" else listed)
    assert store.damaged() == []
    assert list((root / "Temp").iterdir()) == []
    assert archived
    assert pruned
