"""Benchmark of the capture engine: exception → report (fast path) and loaded modules (slow path).

Figures, each measured here, none asserted:

* fast path, warm: :func:`build_exception_report` of a 20-frame traceback (application code
  calling into ``json``), median and p99 over many runs, without and with locals;
* fast path, cold: the first report of a fresh process (empty ``linecache``, layout and
  metadata caches), in child processes;
* exception → durable report: the fast path plus ``Report.submit`` into a queue in a temporary
  ``OPENWER_HOME`` (fsync and rename included), the PRODUCT.md target of 5 ms median;
* slow path: :func:`loaded_modules_details` in a fresh process that imported a few hundred
  modules.

Run: ``.venv/bin/python benchmarks/bench_capture.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

from openwer.capture.config import CaptureConfig
from openwer.capture.report_builder import ExceptionKind, build_exception_report

CONFIG = CaptureConfig("benchapp", "1.0.0", None, ())
DEPTH = 20  # frames in the traceback: 17 application frames, then json's 3


def _descend(depth: int, payload: str) -> object:
    if depth <= 0:
        return json.loads(payload)
    return _descend(depth - 1, payload)


def sample_exception() -> BaseException:
    """A JSONDecodeError raised under a 20-frame traceback."""
    try:
        _descend(DEPTH - 4, "{'not': json}")
    except ValueError as exc:
        return exc
    raise AssertionError("no exception")


def _timings(action: Callable[[], object], runs: int) -> list[float]:
    action()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return timings


def _describe(label: str, timings: Sequence[float]) -> None:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label:<44} median {statistics.median(ordered) * 1000:7.3f} ms"
        f"   p99 {p99 * 1000:7.3f} ms   (n={len(ordered)})"
    )


_COLD = """
import json, time
started = time.perf_counter()
from openwer.capture.config import CaptureConfig
from openwer.capture.report_builder import ExceptionKind, build_exception_report
imported = time.perf_counter()
config = CaptureConfig("benchapp", "1.0.0", None, ())
def descend(depth):
    return json.loads("{x") if depth <= 0 else descend(depth - 1)
try:
    descend(16)
except ValueError as exc:
    error = exc
begin = time.perf_counter()
build_exception_report(error, ExceptionKind.MAIN_THREAD, config, include_locals=False)
print(json.dumps({"import": imported - started, "build": time.perf_counter() - begin}))
"""

_SLOW = """
import json, time
import asyncio, email.message, http.client, logging, sqlite3, unittest, xml.etree.ElementTree
import click, tomlkit, pytest
from openwer.capture.config import CaptureConfig
from openwer.capture.loaded_modules import loaded_modules_details
import openwer.report, openwer.store
config = CaptureConfig.resolve()
import sys
count = len(sys.modules)
started = time.perf_counter()
details = loaded_modules_details(config, budget=5.0)
values, data = details.report_wer_values(), details.json_bytes()
print(json.dumps({"modules": count, "seconds": time.perf_counter() - started,
                  "values": len(values), "json_bytes": len(data)}))
"""


def _child(code: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="warm runs per figure")
    parser.add_argument("--cold", type=int, default=15, help="fresh processes for cold figures")
    arguments = parser.parse_args(argv)
    exc = sample_exception()
    print(f"python {sys.version.split()[0]}, traceback of {DEPTH} frames")

    def build(include_locals: bool) -> Callable[[], object]:
        return lambda: build_exception_report(
            exc, ExceptionKind.MAIN_THREAD, CONFIG, include_locals=include_locals
        )

    _describe("fast path, warm", _timings(build(False), arguments.runs))
    _describe("fast path with locals, warm", _timings(build(True), arguments.runs))

    cold = [_child(_COLD) for _ in range(arguments.cold)]
    _describe("fast path, first report of a process", [c["build"] for c in cold])
    _describe("  (importing the capture engine)", [c["import"] for c in cold])

    from openwer.types import Consent, SubmitFlags

    with tempfile.TemporaryDirectory() as home:
        os.environ["OPENWER_HOME"] = home

        def durable() -> None:
            report = build_exception_report(
                exc, ExceptionKind.MAIN_THREAD, CONFIG, include_locals=False
            )
            report.submit(Consent.NOT_ASKED, SubmitFlags.QUEUE)

        _describe("exception -> report queued (fsync'd)", _timings(durable, 200))
        del os.environ["OPENWER_HOME"]

    slow = [_child(_SLOW) for _ in range(5)]
    _describe("slow path: loaded modules, fresh process", [s["seconds"] for s in slow])
    print(
        f"  ({int(slow[0]['modules'])} modules, {int(slow[0]['values'])} LoadedModule values, "
        f"modules.json {int(slow[0]['json_bytes'])} B)"
    )


if __name__ == "__main__":
    main()
