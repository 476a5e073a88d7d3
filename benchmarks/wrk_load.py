"""wrk as the benchmarks' load generator: Lua scripts assembled from parts, results read back.

wrk (Debian package, ``scripts/install-bench-deps.sh``) is a C event loop that calls a small Lua
function per request, so it needs a fraction of a core where a Python generator would need
several. Every script is ``wrk_common.lua`` (thread numbering, status counting, a ``done()``
that prints one ``WRK_RESULT {json}`` line) followed by the benchmark's own parts.
:func:`run_wrk` also measures wrk's own CPU time, which shows whether the generator, rather than
the server, set the pace.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WrkRun", "loud", "require_wrk", "run_wrk"]

HERE = Path(__file__).resolve().parent
_MARKER = "WRK_RESULT "


@dataclass(frozen=True)
class WrkRun:
    """What one wrk run saw. Latencies are wrk's (closed loop: one request in flight per
    connection), in microseconds; ``statuses`` maps ``"<METHOD> <status>"`` to a count."""

    label: str
    threads: int
    connections: int
    duration_s: float
    responses: int
    statuses: Mapping[str, int]
    tally: Mapping[str, int]
    socket_errors: Mapping[str, int]
    latency_us: Mapping[str, float]
    wrk_cpu_s: float

    def ok(self, method: str | None = None) -> int:
        """Responses with a 2xx status (of ``method`` only, when given)."""
        return sum(
            n
            for key, n in self.statuses.items()
            if key.split()[1].startswith("2") and method in (None, key.split()[0])
        )

    def count(self, key: str) -> int:
        """A status count (``"PUT 201"``) or a script tally (``"full_reports"``)."""
        return self.statuses.get(key, self.tally.get(key, 0))

    @property
    def failures(self) -> int:
        """Non-2xx responses plus socket errors (connect, read, write, timeout)."""
        return self.responses - self.ok() + sum(self.socket_errors.values())

    def rate(self, count: int | None = None) -> float:
        """``count`` (default: 2xx responses) per second of wrk's measured duration."""
        return (self.ok() if count is None else count) / self.duration_s

    def ms(self, name: str) -> float:
        """A latency figure in milliseconds: ``p50``, ``p99``, ``mean``, ``max``…"""
        return self.latency_us[name] / 1000

    @property
    def wrk_cores(self) -> float:
        """The CPU wrk itself used, in cores (1.0 = one core busy for the whole run)."""
        return self.wrk_cpu_s / self.duration_s

    def problems(self) -> list[str]:
        """One line per kind of failure (empty when every response was a 2xx)."""
        lines = [
            f"{n} x {key}"
            for key, n in sorted(self.statuses.items())
            if not key.split()[1].startswith("2")
        ]
        lines += [f"{n} socket {kind} errors" for kind, n in self.socket_errors.items() if n]
        return lines

    def status_text(self) -> str:
        """``"POST 201: 1234, PUT 201: 1200"``."""
        return ", ".join(f"{key}: {n:,}" for key, n in sorted(self.statuses.items())) or "none"


def loud(message: str) -> None:
    """Print a warning that cannot be missed (stdout and stderr)."""
    banner = "!" * 78
    text = f"{banner}\n!!! {message}\n{banner}"
    print(text, flush=True)
    out, err = os.fstat(sys.stdout.fileno()), os.fstat(sys.stderr.fileno())
    if (out.st_dev, out.st_ino) != (err.st_dev, err.st_ino):  # not both on one terminal/file
        print(text, file=sys.stderr, flush=True)


def require_wrk() -> str:
    """The path of wrk; exits with a one-line reason when it is missing."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(
            "wrk is not installed: run scripts/install-bench-deps.sh (or apt-get install wrk)"
        )
    return path


def run_wrk(
    label: str,
    url: str,
    parts: Sequence[str],
    script_args: Sequence[str],
    *,
    threads: int,
    connections: int,
    seconds: int,
    workdir: Path,
) -> WrkRun:
    """Run wrk against ``url`` with ``wrk_common.lua`` + the Lua files ``parts`` (names under
    benchmarks/) and return what it measured.

    Raises:
        RuntimeError: wrk failed or printed no result line (its output is in the message).
    """
    script = workdir / f"wrk-{label}.lua"
    script.write_text(
        "\n".join((HERE / name).read_text(encoding="utf-8") for name in ("wrk_common.lua", *parts)),
        encoding="utf-8",
    )
    command = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        *script_args,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in completed.stdout.splitlines() if line.startswith(_MARKER)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(
            f"wrk ({label}) failed with status {completed.returncode}:\n"
            f"{completed.stdout}\n{completed.stderr}"
        )
    data = json.loads(lines[-1][len(_MARKER) :])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return WrkRun(
        label=label,
        threads=threads,
        connections=connections,
        duration_s=data["duration_us"] / 1e6,
        responses=data["requests"],
        statuses=data["statuses"],
        tally=data["tally"],
        socket_errors=data["socket_errors"],
        latency_us=data["latency_us"],
        wrk_cpu_s=cpu,
    )
