"""What ``import openwer; openwer.install()`` adds to ``python -c pass``, against sentry-sdk.

Runs, alternately in one session so the machine's noise hits all alike:

* ``python -c pass`` (the baseline),
* ``python -c "import openwer; openwer.install(app_name='bench')"``,
* the same, then waiting for openwer's background warm-up to finish (the full cost of making
  the crash path ready, normally paid on a background thread while the program runs),
* ``python -c "import sentry_sdk; sentry_sdk.init(dsn=...)"`` with a DSN on a closed local port,
  and the same without sentry's default and auto-enabled integrations (its floor).

Prints medians and the ratio (openwer − baseline) / (sentry − baseline); PRODUCT.md's target is
≤ 0.5. Run: ``.venv/bin/python benchmarks/bench_install.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "baseline": "pass",
    "openwer": "import openwer; openwer.install(app_name='bench')",
    "openwer+warm": (
        "import openwer; openwer.install(app_name='bench');"
        "from openwer.capture.install import wait_until_ready; wait_until_ready(10)"
    ),
    "sentry": "import sentry_sdk; sentry_sdk.init(dsn='http://key@127.0.0.1:9/1')",
    # sentry's auto-enabled integrations import every framework installed in this venv (the dev
    # venv has starlette, sqlalchemy, httpx…); this variant shows sentry's floor without them.
    "sentry-minimal": (
        "import sentry_sdk; sentry_sdk.init(dsn='http://key@127.0.0.1:9/1',"
        " default_integrations=False, auto_enabling_integrations=False)"
    ),
}


def run_once(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENWER", "SENTRY"))}
        env["OPENWER_HOME"] = home
        for code in COMMANDS.values():  # warm the page cache and .pyc files
            run_once(code, env)
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.rounds):
            for name, code in COMMANDS.items():
                times[name].append(run_once(code, env))
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    base = medians["baseline"]
    for name, value in medians.items():
        print(f"{name:14s} median {value:7.1f} ms   added {value - base:7.1f} ms")
    for reference in ("sentry", "sentry-minimal"):
        added = medians[reference] - base
        for name in ("openwer", "openwer+warm"):
            ratio = (medians[name] - base) / added
            print(f"ratio {name} / {reference} (added time): {ratio:.2f}  (target <= 0.5)")
    sentry_added = medians["sentry"] - base
    minimal_added = medians["sentry-minimal"] - base
    print(
        f"SUMMARY install adds {medians['openwer'] - base:.1f} ms "
        f"({medians['openwer+warm'] - base:.1f} ms with the warm-up finished); sentry "
        f"{sentry_added:.1f} ms ({minimal_added:.1f} ms without integrations): ratio "
        f"{(medians['openwer'] - base) / sentry_added:.2f} / "
        f"{(medians['openwer'] - base) / minimal_added:.2f} without integrations, over "
        f"{args.rounds} rounds"
    )


if __name__ == "__main__":
    main()
