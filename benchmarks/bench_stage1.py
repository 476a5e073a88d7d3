"""Benchmark of stage-1 ingest over HTTP against the same server's ``/healthz``, in one run,
with SQLite and then with PostgreSQL.

For each backend: ``openwer serve`` (uvicorn, one process) on a fresh data folder (SQLite) or a
throwaway database ``openwer_bench_<pid>`` on 127.0.0.1:5432, driven by wrk (closed loop,
keep-alive, ``-t2 -c64`` by default: many clients with one report in flight each, which
is what group commit is for) in three phases: a 3 s stage-1 warm-up; ``GET /healthz``
(the empty endpoint: the server stack's ceiling, and the check that wrk is not the
bottleneck); then sustained ``POST /api/v1/reports`` with a unique report id per request
(wrk thread + counter) and signatures from 200 buckets with a Zipf-like popularity. Every
response status is counted: any non-2xx or socket error is printed as a loud warning and makes
the exit status 1.

How to read it (PRODUCT.md §7):

* ``stage1 … reports/s`` is 2xx answers per second, sustained (target ≥ 2,000/s on SQLite),
  with wrk's p50/p99 latency (target p99 ≤ 50 ms);
* ``stage1/healthz`` is the share of the empty endpoint's rate that ingest keeps (≥ 0.5);
* ``RSS peak`` is the server's highest ``VmRSS`` sampled every 100 ms during the stage-1 phase
  (target ≤ 150 MB); ``VmHWM`` is the kernel's peak over the whole process life;
* ``cores`` are CPU use during a phase: wrk's own (well under the server's means the server, not
  the generator, sets the pace) and the server's;
* ``stored`` compares the hits the server reports through ``GET /api/v1/buckets`` with the 2xx
  answers wrk saw (warm-up included): every acknowledged report must be there. A request wrk
  sent but whose answer it did not wait for when the time ran out may be stored too, so up to
  one extra per connection and phase is expected.

Run: ``.venv/bin/python benchmarks/bench_stage1.py`` (``OPENWER_BENCH_SECONDS=5`` or
``--seconds 5`` for a quick run; ``--no-postgres``; ``--threads``/``--connections``). wrk and
the server share the machine's cores, so figures are noisy on a busy machine; the ratio is
measured side by side and is the steadier figure.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from http_benchmark_run import benchmark_parser, run_benchmark
from process_sampling import ProcessSampler, cpu_seconds
from served_openwer import OpenwerServer, postgres_database, provision, stored_hits
from wrk_load import WrkRun, loud, require_wrk, run_wrk

BUCKETS = 200
WARM_UP_SECONDS = 3


@dataclass(frozen=True)
class BackendResult:
    """The figures of one backend."""

    label: str
    healthz: WrkRun
    stage1: WrkRun
    server_cores: float
    rss_peak_kb: int
    hwm_kb: int
    acknowledged: int
    stored: int
    buckets: int
    in_flight_bound: int

    @property
    def ratio(self) -> float:
        """Stage-1 reports/s over healthz requests/s."""
        return self.stage1.rate() / self.healthz.rate() if self.healthz.rate() else 0.0

    @property
    def stored_ok(self) -> bool:
        """Every acknowledged report was stored, and nothing beyond what was in flight."""
        return self.acknowledged <= self.stored <= self.acknowledged + self.in_flight_bound

    @property
    def failures(self) -> int:
        """Non-2xx answers and socket errors of the measured phases."""
        return self.healthz.failures + self.stage1.failures


def _phase_line(run: WrkRun, unit: str, server_cores: float | None = None) -> str:
    server = "" if server_cores is None else f", server {server_cores:.2f}"
    return (
        f"  {run.label:8s} {run.rate():9,.0f} {unit:9s} p50 {run.ms('p50'):6.2f} ms  "
        f"p99 {run.ms('p99'):6.2f} ms  max {run.ms('max'):7.1f} ms  "
        f"non-2xx/errors {run.failures}  (cores: wrk {run.wrk_cores:.2f}{server})"
    )


def run_backend(
    label: str, database: str | None, data_dir: Path, args: argparse.Namespace
) -> BackendResult:
    """Provision, start the server, run the three phases, verify and stop."""
    credentials = provision(database, data_dir)
    stage1_parts = ["wrk_stage1_body.lua", "wrk_stage1.lua"]

    def load(
        label: str, url: str, parts: list[str], script_args: list[str], seconds: int
    ) -> WrkRun:
        return run_wrk(
            label,
            url,
            parts,
            script_args,
            threads=args.threads,
            connections=args.connections,
            seconds=seconds,
            workdir=data_dir,
        )

    def stage1_args() -> list[str]:  # a fresh run tag per phase: ids never repeat
        return [credentials.key, secrets.token_hex(4), str(BUCKETS)]

    with OpenwerServer(data_dir, database) as server:
        warm_up = min(WARM_UP_SECONDS, args.seconds)
        warm = load("warm-up", server.url, stage1_parts, stage1_args(), warm_up)
        healthz = load("healthz", server.url + "/healthz", ["wrk_healthz.lua"], [], args.seconds)
        cpu_before = cpu_seconds(server.pid)
        with ProcessSampler(server.pid) as sampler:
            stage1 = load("stage1", server.url, stage1_parts, stage1_args(), args.seconds)
        server_cores = (cpu_seconds(server.pid) - cpu_before) / stage1.duration_s
        time.sleep(0.5)  # let the requests wrk abandoned at its deadline finish
        stored, buckets = stored_hits(server.url, credentials.admin)
        hwm = sampler.hwm_kb()
    return BackendResult(
        label=label,
        healthz=healthz,
        stage1=stage1,
        server_cores=server_cores,
        rss_peak_kb=sampler.peak_kb,
        hwm_kb=hwm,
        acknowledged=warm.ok("POST") + stage1.ok("POST"),
        stored=stored,
        buckets=buckets,
        in_flight_bound=2 * args.connections,
    )


def report(result: BackendResult) -> None:
    """Print one backend's figures."""
    stage1 = result.stage1
    print(
        f"== openwer serve (uvicorn, 1 process), {result.label}: wrk -t{stage1.threads} "
        f"-c{stage1.connections}, {stage1.duration_s:.0f} s per phase"
    )
    print(_phase_line(result.healthz, "req/s"))
    print(_phase_line(stage1, "reports/s", result.server_cores))
    print(f"  statuses: healthz {result.healthz.status_text()}; stage1 {stage1.status_text()}")
    print(f"  stage1/healthz {result.ratio:.2f} (target >= 0.5)")
    print(
        f"  server RSS peak under load {result.rss_peak_kb / 1024:.1f} MiB "
        f"(VmHWM {result.hwm_kb / 1024:.1f} MiB; target <= 150 MB)"
    )
    verdict = "OK" if result.stored_ok else "MISMATCH"
    print(
        f"  stored: {result.stored:,} hits in {result.buckets} buckets for {result.acknowledged:,} "
        f"acknowledged stage 1s (warm-up included; up to {result.in_flight_bound} more may have "
        f"been in flight at wrk's deadline): {verdict}"
    )
    for run in (result.healthz, stage1):
        problems = run.problems()
        if problems:
            loud(f"{result.label} {run.label}: ERRORS: {'; '.join(problems)}")
    if not result.stored_ok:
        loud(
            f"{result.label}: {result.stored:,} hits stored but {result.acknowledged:,} "
            "stage 1s acknowledged"
        )


def _summary(result: BackendResult) -> str:
    stage1 = result.stage1
    return (
        f"{result.label}: stage1 {stage1.rate():,.0f}/s p50 {stage1.ms('p50'):.1f} ms "
        f"p99 {stage1.ms('p99'):.1f} ms, healthz {result.healthz.rate():,.0f}/s, "
        f"ratio {result.ratio:.2f}, RSS peak {result.rss_peak_kb / 1024:.0f} MiB, "
        f"errors {result.failures}, stored {'=' if result.stored_ok else '!='} acknowledged"
    )


def main() -> int:
    """Run the benchmark on SQLite, then PostgreSQL; print the figures and a SUMMARY line."""
    parser = benchmark_parser(__doc__)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    require_wrk()
    results: list[BackendResult] = []
    with tempfile.TemporaryDirectory(prefix="openwer-bench-") as folder:
        results.append(run_backend("SQLite", None, Path(folder) / "sqlite", args))
        report(results[-1])
        if not args.no_postgres:
            with postgres_database() as url:
                if url is not None:
                    results.append(run_backend("PostgreSQL", url, Path(folder) / "pg", args))
                    report(results[-1])
    print("SUMMARY " + " | ".join(_summary(r) for r in results))
    failed = [r.label for r in results if r.failures or not r.stored_ok]
    if failed:
        loud(f"the benchmark saw errors ({', '.join(failed)}): its figures are not valid")
        return 1
    return 0


if __name__ == "__main__":
    run_benchmark(main)
