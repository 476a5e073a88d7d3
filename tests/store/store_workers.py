"""Child-process mains for the multi-process store tests (run under the ``spawn`` context).

Each worker appends one line per acknowledged operation to its own log with a single
``O_APPEND`` write, so a SIGKILL can cut at most the last line, which readers ignore.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from store_report_factory import BASE_TIME, content_for, make_document

from openwer.errors import InvalidStateError, ReportNotFoundError
from openwer.store import (
    DirectoryDataThrottle,
    DirectoryReportStore,
    NewReport,
    RetentionPolicy,
    StagedFile,
    StoreArea,
    StoredReport,
)

__all__ = [
    "WorkerZygote",
    "expected_content",
    "maintainer_main",
    "read_log",
    "record_bucket",
    "verify_report",
    "worker_command",
    "writer_main",
]


def record_bucket(folder: str, bucket: str) -> str:
    """Record a CAB upload of ``bucket`` in a throttle at ``folder``; return the outcome value."""
    return DirectoryDataThrottle(Path(folder)).record_cab_uploaded(bucket).value


def expected_content(report_id: uuid.UUID, name: str) -> bytes:
    """The content a worker writes for file ``name`` (``<n>_<size>.bin``) of a report."""
    size = int(name.rsplit("_", 1)[1].split(".")[0])
    return content_for(f"{report_id}/{name}", size)


def verify_report(report: StoredReport) -> None:
    """Assert that a listed report is whole: every file present has the right bytes.

    A queued report holds every file its Report.wer lists; an archived one all or none of them.
    """
    listed = {entry.path for entry in report.manifest.files if entry.path}
    present = set(report.file_names)
    if report.area is StoreArea.QUEUE:
        assert present == listed, (report.key, present, listed)
    else:
        assert present in (listed, set()), (report.key, present, listed)
    for name in present:
        data = report.folder.joinpath(name).read_bytes()
        assert data == expected_content(report.report_id, name), (report.key, name)


def read_log(path: Path) -> list[str]:
    """Return the complete lines of a worker log (a torn last line is dropped)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    lines = text.split("\n")
    return [line for line in lines[:-1] if line]


def _log(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)


def _new_report(rng: random.Random, scratch: Path) -> NewReport:
    report_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    names = [
        f"{index}_{rng.choice((0, 1, 700, 4096, 65536, 300_000))}.bin"
        for index in range(rng.randint(0, 3))
    ]
    staged: list[StagedFile] = []
    for name in names:
        data = expected_content(report_id, name)
        if rng.random() < 0.3:
            source = scratch / f"{report_id}-{name}"
            source.write_bytes(data)
            staged.append(StagedFile(name, source))
        else:
            staged.append(StagedFile(name, data))
    document = make_document(
        report_id=report_id,
        files=tuple(names),
        values=("python3.11", "3.11.7", str(rng.randint(0, 5))),
        event_time=None
        if rng.random() < 0.2
        else BASE_TIME + timedelta(seconds=rng.randint(0, 999)),
    )
    return NewReport(document, tuple(staged))


def writer_main(root: str, log: str, seed: int, limit: int) -> None:
    """Add reports to the store at ``root`` (``limit`` of them, or forever when 0)."""
    rng = random.Random(seed)
    store = DirectoryReportStore(Path(root))
    scratch = Path(log).with_suffix(".scratch")
    scratch.mkdir(exist_ok=True)
    descriptor = _log(Path(log))
    count = 0
    while limit == 0 or count < limit:
        stored = store.add(_new_report(rng, scratch))
        os.write(descriptor, f"{stored.key}\n".encode())
        count += 1


def maintainer_main(root: str, log: str, seed: int, stop: str, prune_share: float) -> None:
    """Archive (and with ``prune_share`` > 0 prune) at random until the file ``stop`` exists.

    Every tenth round it also runs recover(), concurrently with the writers.
    """
    rng = random.Random(seed)
    store = DirectoryReportStore(Path(root))
    descriptor = _log(Path(log))
    policy = RetentionPolicy(max_queue_count=15, max_archive_count=40, max_age=None)
    rounds = 0
    while not os.path.exists(stop):
        rounds += 1
        if rounds % 10 == 0:
            for action in store.recover().actions:
                os.write(descriptor, f"recovered {action.outcome.value} {action.name}\n".encode())
        keys = store.keys(StoreArea.QUEUE)
        if keys and rng.random() >= prune_share:
            key = rng.choice(keys)
            flag = rng.random() < 0.5
            try:
                store.archive(key, parameters_only=flag)
            except (ReportNotFoundError, InvalidStateError):
                continue  # another maintainer moved or pruned it first
            os.write(descriptor, f"archived {key} {'P' if flag else 'A'}\n".encode())
        elif prune_share > 0:
            result = store.prune(policy)
            for removed in result.removed:
                os.write(descriptor, f"pruned {removed.key}\n".encode())
        else:
            time.sleep(0.001)


def worker_command(role: str, *args: object) -> list[str]:
    """Return the command line that runs this module's ``role`` main in a fresh interpreter."""
    return [sys.executable, str(Path(__file__).resolve()), role, *(str(arg) for arg in args)]


def _zygote_main() -> None:
    # Imports are done once here; each worker is then a cheap fork of a clean, single-threaded
    # interpreter (never of pytest), so a kill round costs milliseconds, not interpreter starts.
    for line in sys.stdin:
        command, *args = line.split()
        if command == "spawn":
            pid = os.fork()
            if pid == 0:
                try:
                    main(args)
                finally:
                    os._exit(0)
            reply = str(pid)
        elif command == "reap":
            reply = str(os.waitpid(int(args[0]), 0)[1])
        else:
            reply = "?"
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


class WorkerZygote:
    """A helper interpreter that forks workers on request and reaps them.

    Lifecycle: create, :meth:`spawn` workers, SIGKILL them, :meth:`reap` each, :meth:`close`.
    """

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            worker_command("zygote"), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def _ask(self, line: str) -> str:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        return self._process.stdout.readline().strip()

    def spawn(self, role: str, *args: object) -> int:
        """Fork a worker running ``role`` with ``args``; return its pid."""
        return int(self._ask(" ".join(["spawn", role, *(str(arg) for arg in args)])))

    def reap(self, pid: int) -> int:
        """Wait for worker ``pid`` to end; return its raw wait status."""
        return int(self._ask(f"reap {pid}"))

    def close(self) -> None:
        """Stop the helper interpreter."""
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.close()
        self._process.wait(30)
        self._process.stdout.close()


def main(argv: list[str]) -> None:
    """Run a role: ``writer ROOT LOG SEED LIMIT``, ``maintainer … STOP SHARE`` or ``zygote``."""
    role, *rest = argv
    if role == "writer":
        writer_main(rest[0], rest[1], int(rest[2]), int(rest[3]))
    elif role == "maintainer":
        maintainer_main(rest[0], rest[1], int(rest[2]), rest[3], float(rest[4]))
    elif role == "zygote":
        _zygote_main()
    else:
        raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
