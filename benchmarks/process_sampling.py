"""Memory and CPU of a server process (and its children) while a benchmark loads it, from /proc.

:class:`ProcessSampler` reads ``VmRSS`` of the process tree every 100 ms in a background thread
and keeps the peak of the sum (gunicorn's master and workers count together; a one-process
server is just itself). ``VmHWM`` is the kernel's own peak RSS of one process since it started.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

__all__ = ["ProcessSampler", "cpu_seconds", "process_tree", "status_kb"]

_TICKS = os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, field: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``), 0 when gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from ``/proc/<pid>/task/*/children``)."""
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                found += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process tree of ``pid`` so far (reaped children excluded)."""
    total = 0.0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return total


class ProcessSampler:
    """Samples the summed ``VmRSS`` of the process trees of ``pid`` and ``more`` every 100 ms
    while active (``with sampler:``); :attr:`peak_kb` is the highest sum seen so far."""

    def __init__(self, pid: int, *more: int) -> None:
        self.pid = pid
        self.pids = (pid, *more)
        self.interval = 0.1
        self.peak_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> int:
        """Take one sample now; the summed RSS in kB."""
        members = {member for pid in self.pids for member in process_tree(pid)}
        rss = sum(status_kb(member, "VmRSS") for member in members)
        self.peak_kb = max(self.peak_kb, rss)
        self.samples += 1
        return rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> ProcessSampler:
        self._stop.clear()
        self.sample()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    def hwm_kb(self) -> int:
        """The kernel's peak RSS (``VmHWM``) of the sampled process itself."""
        return status_kb(self.pid, "VmHWM")
