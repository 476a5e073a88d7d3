"""Native crash → report with minidump persisted, and dump size against lldb's, side by side.

Three measurements, each in fresh processes with a private ``OPENWER_HOME``:

1. **install(native=True), Python, 8 threads** (PRODUCT.md target: ≤ 250 ms): the child waits
   for its crash handler, starts 7 sleeping threads, prints ``time.monotonic()`` and
   dereferences NULL through ctypes. The parent polls the queue folder every 0.5 ms: the time
   from the fault to the report's folder appearing (it appears atomically, fsynced) is
   *fault → report*; the handler's own ``capture_ms`` (attach, stop, registers, faulthandler's
   text, snapshot) is shown beside it.
2. **openwer run, a small C program** (gcc): the program prints ``CLOCK_MONOTONIC`` and
   dereferences NULL; the same poll measures fault → report. The 8-thread Python program under
   ``openwer run`` (py-spy collecting its Python stacks when installed) is measured too.
3. **dump size**: on one sleeping process (the Python program with 8 threads, then the C
   program), openwer's mini dump (:func:`openwer.native.live_snapshot.snapshot_process`) and
   ``lldb -p PID -o "process save-core --plugin-name=minidump --style=stack"``, with the time
   each took. lldb is started with a timeout and skipped when missing.

Run: ``.venv/bin/python benchmarks/bench_native.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PYTHON_CHILD = textwrap.dedent(
    """
    import ctypes, os, sys, threading, time, resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.argv[1] == "install":
        import openwer
        from openwer.native.crash_client import wait_until_ready
        openwer.install(app_name="bench", app_version="1.0", native=True)
        assert wait_until_ready(30)
    for _ in range(7):
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    time.sleep(0.05)
    if sys.argv[2] == "sleep":
        print("ready", flush=True)
        time.sleep(60)
    print(time.monotonic(), flush=True)
    ctypes.string_at(0)
    """
)

C_SOURCE = r"""
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
__attribute__((noinline)) static int deref(int *p) { return *p; }
int main(int argc, char **argv) {
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  if (argc > 1 && !strcmp(argv[1], "sleep")) { printf("ready\n"); fflush(stdout); sleep(60); }
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  printf("%ld.%09ld\n", (long)now.tv_sec, now.tv_nsec);
  fflush(stdout);
  return deref((int *)0x10);
}
"""


def _queue(home: Path) -> Path:
    return home / "user" / "ReportQueue"


def _wait_report(home: Path, timeout_s: float = 10.0) -> tuple[float, Path | None]:
    queue = _queue(home)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if queue.is_dir():
            for entry in os.scandir(queue):
                if entry.name.startswith("AppCrash_"):
                    return time.monotonic(), Path(entry.path)
        time.sleep(0.0005)
    return time.monotonic(), None


def _crash_once(argv: list[str]) -> tuple[float, float | None]:
    """Run one crashing program; return (fault → report ms, handler capture ms or None)."""
    home = Path(tempfile.mkdtemp(prefix="openwer-bench-native-"))
    env = {**os.environ, "OPENWER_HOME": str(home)}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    fault = float(line.splitlines()[-1]) if line else time.monotonic()
    seen, folder = _wait_report(home)
    process.wait(timeout=30)
    capture = None
    if folder is not None and (folder / "ProcessExit.json").exists():
        capture = json.loads((folder / "ProcessExit.json").read_text()).get("capture_ms")
    shutil.rmtree(home, ignore_errors=True)
    if folder is None:
        raise RuntimeError(f"no report for {argv}")
    return (seen - fault) * 1000, capture


def _describe(label: str, values: list[float], target: str = "") -> None:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    print(
        f"{label:<46} median {statistics.median(values):7.1f} ms   p90 {p90:7.1f} ms   "
        f"max {max(values):7.1f} ms {target}"
    )


def _build_c(folder: Path) -> Path | None:
    gcc = shutil.which("gcc")
    if gcc is None:
        return None
    source = folder / "bench_crash.c"
    source.write_text(C_SOURCE)
    binary = folder / "bench_crash"
    subprocess.run([gcc, "-g", "-O0", "-o", str(binary), str(source)], check=True, timeout=60)
    return binary


def _sizes(argv: list[str], label: str) -> None:
    """openwer's live mini dump and lldb's stack-style minidump of the same sleeping process."""
    from openwer.formats.minidump_writer import write_minidump
    from openwer.native.live_snapshot import snapshot_process

    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        assert process.stdout.readline().strip() == b"ready"
        started = time.perf_counter()
        capture = snapshot_process(process.pid)
        ours = write_minidump(capture.snapshot)
        ours_ms = (time.perf_counter() - started) * 1000
        print(
            f"{label:<46} openwer mini dump {len(ours) / 1024:9.1f} KiB in {ours_ms:7.1f} ms "
            f"({len(capture.snapshot.threads)} threads, {len(capture.snapshot.modules)} modules)"
        )
        lldb = shutil.which("lldb")
        if lldb is None:
            print(f"{'':<46} lldb not installed: no comparison")
            return
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "lldb.dmp"
            started = time.perf_counter()
            subprocess.run(
                [
                    lldb,
                    "--no-lldbinit",
                    "-b",
                    "-p",
                    str(process.pid),
                    "-o",
                    f"process save-core --plugin-name=minidump --style=stack {target}",
                    "-o",
                    "process detach",
                ],
                capture_output=True,
                timeout=120,
                check=False,
                stdin=subprocess.DEVNULL,
            )
            lldb_ms = (time.perf_counter() - started) * 1000
            if target.exists():
                size = target.stat().st_size
                print(
                    f"{'':<46} lldb save-core --style=stack {size / 1024:9.1f} KiB in "
                    f"{lldb_ms:7.1f} ms (attach included)   ratio {size / len(ours):5.1f}x"
                )
            else:
                print(f"{'':<46} lldb wrote no dump")
    finally:
        process.kill()
        process.wait(timeout=10)


def main() -> None:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    python = sys.executable
    openwer = [python, "-c", "from openwer.cli.main import main; main()", "run", "--"]
    with tempfile.TemporaryDirectory() as folder:
        results = [
            _crash_once([python, "-c", PYTHON_CHILD, "install", "crash"]) for _ in range(runs)
        ]
        _describe(
            "install(native=True), Python, 8 threads",
            [total for total, _ in results],
            "(target ≤ 250 ms)",
        )
        captures = [capture for _, capture in results if capture is not None]
        if captures:
            _describe("  of which handler attach + capture", captures)
        binary = _build_c(Path(folder))
        if binary is not None:
            c_runs = [_crash_once([*openwer, str(binary)])[0] for _ in range(runs)]
            _describe("openwer run, small C program", c_runs)
        python_runs = [
            _crash_once([*openwer, python, "-c", PYTHON_CHILD, "plain", "crash"])[0]
            for _ in range(runs)
        ]
        _describe("openwer run, Python, 8 threads", python_runs)
        print()
        _sizes([python, "-c", PYTHON_CHILD, "plain", "sleep"], "dump size, Python, 8 threads")
        if binary is not None:
            _sizes([str(binary), "sleep"], "dump size, small C program")


if __name__ == "__main__":
    main()
