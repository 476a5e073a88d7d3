"""Unhandled exception → durable report, and what the crash adds to the process's exit.

In a child process with ``openwer.install()`` (warm-up finished) and a private ``OPENWER_HOME``,
raise ≥ 200 exceptions from a 10-frame-deep call and hand each to ``sys.excepthook`` exactly as
the interpreter does for an unhandled exception (stderr to /dev/null). For each crash:

* **durable**: hook entry → the report (signature, traceback, stack, threads) renamed into the
  queue and fsynced (PRODUCT.md target: ≤ 5 ms median);
* **hook total**: hook entry → hook return, i.e. everything the crash adds before the interpreter
  may exit (durable report, the previous hook printing the traceback, the loaded modules with their
  distributions, the recovery check; target ≤ 200 ms);
* as a reference in the same run: writing the same traceback text to a file with fsync and rename.

Also, side by side in fresh processes: a crashing script with and without openwer (install and
warm-up excluded by starting the clock at the raise), median wall time from raise to exit.
Run: ``.venv/bin/python benchmarks/bench_crash.py [--crashes N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

CHILD = textwrap.dedent(
    """
    import json, os, sys, time, traceback, tempfile
    import openwer
    from openwer.capture.install import current_reporter, wait_until_ready
    openwer.install(app_name="bench", app_version="1.0")
    wait_until_ready(30)
    reporter = current_reporter()
    sys.stderr = open(os.devnull, "w")

    def deep(n, i):
        if n == 0:
            raise ValueError(f"crash {i}")
        return deep(n - 1, i)

    totals, references = [], []
    folder = tempfile.mkdtemp()
    for i in range(int(sys.argv[1])):
        try:
            deep(10, i)
        except ValueError as exc:
            started = time.perf_counter()
            sys.excepthook(type(exc), exc, exc.__traceback__)
            totals.append(time.perf_counter() - started)
            text = "".join(traceback.format_exception(exc)).encode()
            started = time.perf_counter()
            path = os.path.join(folder, "tb.tmp")
            with open(path, "wb") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(path, os.path.join(folder, "tb.txt"))
            references.append(time.perf_counter() - started)
    print(json.dumps({"durable": reporter.durable_timings, "total": totals,
                      "reference": references}))
    """
)

EXIT_SCRIPT = textwrap.dedent(
    """
    import sys, time, os
    if sys.argv[1] == "openwer":
        import openwer
        from openwer.capture.install import wait_until_ready
        openwer.install(app_name="bench")
        wait_until_ready(30)
    def finish():
        print(time.perf_counter_ns(), file=open(sys.argv[2], "w"))
    import atexit
    atexit.register(finish)  # runs last among atexit handlers: after openwer's flush
    sys.stderr = open(os.devnull, "w")
    with open(sys.argv[3], "w") as f:
        print(time.perf_counter_ns(), file=f)
    raise ValueError("exit timing")
    """
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crashes", type=int, default=200)
    parser.add_argument("--exit-runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWER")}
        env["OPENWER_HOME"] = home
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.crashes)],
            env=env, capture_output=True, text=True, check=True, timeout=600,
        )  # fmt: skip
        data = json.loads(done.stdout.strip().splitlines()[-1])
        exit_times: dict[str, list[float]] = {"plain": [], "openwer": []}
        script = os.path.join(home, "exit_script.py")
        with open(script, "w") as handle:
            handle.write(EXIT_SCRIPT)
        for _ in range(args.exit_runs):
            for mode in ("plain", "openwer"):
                end, start = os.path.join(home, "end"), os.path.join(home, "start")
                subprocess.run([sys.executable, script, mode, end, start], env=env, timeout=60)
                with open(start) as s, open(end) as e:
                    exit_times[mode].append((int(e.read()) - int(s.read())) / 1e6)
    for name in ("durable", "total", "reference"):
        values = [v * 1000 for v in data[name]]
        print(
            f"{name:9s} n={len(values)} median {statistics.median(values):7.2f} ms   "
            f"p99 {percentile(values, 0.99):7.2f} ms"
        )
    durable = statistics.median(data["durable"]) * 1000
    reference = statistics.median(data["reference"]) * 1000
    print(f"durable / plain write+fsync+rename of the traceback: {durable / reference:.1f}x")
    plain = statistics.median(exit_times["plain"])
    with_openwer = statistics.median(exit_times["openwer"])
    print(
        f"raise -> exit, fresh processes: plain {plain:.1f} ms, with openwer {with_openwer:.1f} ms"
        f" (+{with_openwer - plain:.1f} ms)"
    )
    print(
        f"SUMMARY exception -> durable report {durable:.2f} ms median / "
        f"{percentile(data['durable'], 0.99) * 1000:.2f} ms p99 over {len(data['durable'])} "
        f"crashes; crash adds {statistics.median(data['total']) * 1000:.1f} ms in the hook, "
        f"{with_openwer - plain:.1f} ms raise-to-exit"
    )


if __name__ == "__main__":
    main()
