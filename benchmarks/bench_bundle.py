"""Benchmark of full-report ingest (stage 1 + a ~50 KB bundle), openwer against Bugsink, side by
side in one run on the same machine, with the same payload and the same load generator.

* **openwer**: ``openwer serve`` (uvicorn, one process, SQLite, bundles in the local blob
  folder), product ``bench`` with a policy that asks for every report's bundle. wrk runs one
  connection per thread (``-t8 -c8`` by default), so each thread alternates ``POST
  /api/v1/reports`` and ``PUT /api/v1/reports/{id}/bundle`` for the same fresh report id. A
  full report counts when its PUT answered 201: the bundle is then stored (written to the blob
  store and recorded in the database before the answer). Afterwards the bundles in the blob
  store are counted and a sample report is read back through ``GET /api/v1/reports/{id}``.
* **Bugsink** (``bugsink_reference.py``): its production setup (gunicorn 2 workers x 4 threads,
  SQLite, snappea digesting), driven by wrk with the same connection count, one Sentry envelope
  per request carrying an exception event with the same payload as extra data (the text part as
  text, the binary part base64-encoded, as JSON needs). Bugsink acknowledges an envelope before
  digesting it, so its figure is events *digested* (rows in its Event table) divided by the time
  from the start of the load until the last one was digested.

The payload: a Report.wer and ``payload.bin`` (traceback-like text, then random bytes), MSZIP
compressed into a cabinet of about 50 KB. Both servers get 200 signatures/exception groups with
the same Zipf-like popularity, and a 3 s warm-up (for Bugsink also fully digested) first.

How to read it: ``openwer full reports/s`` against ``Bugsink events/s``; the ratio's target is
≥ 10 (PRODUCT.md §7). ``RSS peak`` is the openwer server's highest ``VmRSS`` during the load
(target ≤ 150 MB); Bugsink's is its process tree (gunicorn master and workers, snappea). Any
non-2xx answer or socket error is printed as a loud warning and makes the exit status 1.

Run: ``.venv/bin/python benchmarks/bench_bundle.py`` (``OPENWER_BENCH_SECONDS`` or
``--seconds``, default 30; ``--no-bugsink``; ``--bugsink-digest eager`` digests inside the
request, as Bugsink's ``local`` template does). The first run installs Bugsink (about 10 s);
without network it prints why and still reports openwer's figures.
"""

from __future__ import annotations

import argparse
import base64
import codecs
import json
import random
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bugsink_reference import THREADS, WORKERS, BugsinkServer, ensure_bugsink
from http_benchmark_run import benchmark_parser, run_benchmark
from openwer.formats.cab_bundle import build_bundle
from openwer.server.blobs import LocalBlobStore
from openwer.server.storage import DataPolicy
from process_sampling import ProcessSampler, cpu_seconds
from served_openwer import OpenwerServer, provision, stored_hits
from wrk_load import WrkRun, loud, require_wrk, run_wrk

BUCKETS = 200
WARM_UP_SECONDS = 3
TEXT_BYTES = 12 * 1024
RANDOM_BYTES = 47 * 1024
EVERY_BUNDLE = DataPolicy(first_n=1_000_000_000, one_in_k=0, max_bundles_per_day=1_000_000_000)

REPORT_WER = codecs.BOM_UTF16_LE + "\r\n".join(
    [
        "Version=1",
        "EventType=PythonUnhandledException",
        "ReportType=2",
        "Consent=1",
        "Sig[0].Name=Application Name",
        "Sig[0].Value=bench",
        "Sig[1].Name=Application Version",
        "Sig[1].Value=1.0",
        "Sig[2].Name=Function",
        "Sig[2].Value=function_1",
        "File[0].CabName=payload.bin",
        "File[0].Path=payload.bin",
        "File[0].Flags=65536",
        "File[0].Type=5",
    ]
).encode("utf-16-le")


@dataclass(frozen=True)
class Payload:
    """The same content for both servers."""

    text: str
    binary: bytes

    @property
    def file(self) -> bytes:
        """``payload.bin``: the text, then the random bytes."""
        return self.text.encode() + self.binary

    def cab(self) -> bytes:
        """openwer's bundle: Report.wer and payload.bin, MSZIP-compressed."""
        return build_bundle(REPORT_WER, [("payload.bin", self.file)])

    def event_tail(self) -> str:
        """Bugsink's event after its ``exception`` member (see wrk_sentry_envelope.lua)."""
        rest = {
            "platform": "python",
            "level": "error",
            "release": "bench@1.0",
            "contexts": {
                "os": {"name": "Linux"},
                "runtime": {"name": "CPython", "version": "3.11.7"},
            },
            "extra": {
                "traceback_txt": self.text,
                "payload_bin_base64": base64.b64encode(self.binary).decode(),
            },
        }
        return "," + json.dumps(rest, separators=(",", ":"))[1:]


def make_payload() -> Payload:
    """Deterministic traceback-like text and random bytes."""
    rng = random.Random(20261125)
    lines: list[str] = ["Traceback (most recent call last):\n"]
    while sum(map(len, lines)) < TEXT_BYTES:
        module, line = rng.randrange(400), rng.randrange(1, 3000)
        lines.append(
            f'  File "/srv/app/pkg/module_{module}.py", line {line}, in handle_{line % 97}\n'
        )
        lines.append(
            f"    result = step_{rng.randrange(50)}(request, retries={rng.randrange(9)})\n"
        )
    lines.append("KeyError: 'customer_id'\n")
    text = "".join(lines)[: TEXT_BYTES - 25] + "\nKeyError: 'customer_id'\n"
    return Payload(text, rng.randbytes(RANDOM_BYTES))


@dataclass(frozen=True)
class OpenwerResult:
    """openwer's figures."""

    healthz: WrkRun
    warm: WrkRun
    run: WrkRun
    server_cores: float
    rss_peak_kb: int
    hwm_kb: int
    bundles_stored: int
    bundles_wrong_size: int
    hits: int
    sample: str

    @property
    def full_reports(self) -> int:
        """Full reports whose PUT answered 201 in the measured phase."""
        return self.run.count("full_reports")

    @property
    def rate(self) -> float:
        """Full reports per second."""
        return self.run.rate(self.full_reports)

    @property
    def acknowledged(self) -> int:
        """Bundles acknowledged with 201, warm-up included."""
        return self.warm.count("full_reports") + self.full_reports

    @property
    def stored_ok(self) -> bool:
        """Every acknowledged bundle is in the blob store, intact, and no more than what may
        have been in flight at wrk's deadlines."""
        bound = self.acknowledged + 2 * self.run.connections
        return (
            self.acknowledged <= self.bundles_stored <= bound
            and not self.bundles_wrong_size
            and self.sample == "stored"
        )


@dataclass(frozen=True)
class BugsinkResult:
    """Bugsink's figures."""

    digest: str
    run: WrkRun
    accepted: int
    digested: int
    seconds_to_digest: float
    rss_peak_kb: int
    cores: float

    @property
    def rate(self) -> float:
        """Events accepted and digested per second, from the start of the load until the last
        one was digested."""
        return self.digested / self.seconds_to_digest if self.seconds_to_digest else 0.0


def run_openwer(folder: Path, cab: Path, args: argparse.Namespace) -> OpenwerResult:
    """Full reports against openwer serve (SQLite), then the checks."""
    data_dir = folder / "openwer"
    credentials = provision(None, data_dir, EVERY_BUNDLE)
    parts = ["wrk_stage1_body.lua", "wrk_full_report.lua"]

    def load(label: str, url: str, lua: list[str], script_args: list[str], seconds: int) -> WrkRun:
        return run_wrk(
            label,
            url,
            lua,
            script_args,
            threads=args.connections,
            connections=args.connections,
            seconds=seconds,
            workdir=folder,
        )

    def full_args(tag: str) -> list[str]:
        return [credentials.key, tag, str(BUCKETS), str(cab)]

    with OpenwerServer(data_dir, None) as server:
        healthz = load("healthz", server.url + "/healthz", ["wrk_healthz.lua"], [], 3)
        warm = load("warm-up", server.url, parts, full_args(secrets.token_hex(4)), WARM_UP_SECONDS)
        tag = secrets.token_hex(4)
        cpu_before = cpu_seconds(server.pid)
        with ProcessSampler(server.pid) as sampler:
            run = load("full", server.url, parts, full_args(tag), args.seconds)
        server_cores = (cpu_seconds(server.pid) - cpu_before) / run.duration_s
        time.sleep(0.5)  # let the requests wrk abandoned at its deadline finish
        hits, _ = stored_hits(server.url, credentials.admin)
        # The last thread's first report. (wrk calls thread 0's request() once before the load
        # to check the script, so thread 0's first id is never sent.)
        thread = args.connections - 1
        sample_id = f"{tag}-{thread:04x}-4000-8000-{1 if thread else 2:012x}"
        answer = httpx.get(
            f"{server.url}/api/v1/reports/{sample_id}",
            headers={"Authorization": f"Bearer {credentials.admin}"},
            timeout=30,
        )
        sample = (
            answer.json()["bundle"]["state"] if answer.is_success else f"HTTP {answer.status_code}"
        )
        hwm = sampler.hwm_kb()
    size = cab.stat().st_size
    store = LocalBlobStore(data_dir / "blobs")
    try:
        blobs = list(store.list("bundles/"))
    finally:
        store.close()
    return OpenwerResult(
        healthz=healthz,
        warm=warm,
        run=run,
        server_cores=server_cores,
        rss_peak_kb=sampler.peak_kb,
        hwm_kb=hwm,
        bundles_stored=len(blobs),
        bundles_wrong_size=sum(1 for info in blobs if info.size != size),
        hits=hits,
        sample=sample,
    )


def run_bugsink(folder: Path, tail: Path, args: argparse.Namespace) -> BugsinkResult | str:
    """Sentry envelopes against Bugsink; the reason when it cannot run."""
    bin_dir = ensure_bugsink()
    if isinstance(bin_dir, str):
        return bin_dir
    with BugsinkServer(bin_dir, folder / "bugsink", args.bugsink_digest) as bugsink:

        def load(label: str, seconds: int) -> WrkRun:
            script_args = [
                str(bugsink.project_id),
                bugsink.sentry_key,
                secrets.token_hex(4),
                str(BUCKETS),
                str(tail),
            ]
            return run_wrk(
                label,
                bugsink.url,
                ["wrk_sentry_envelope.lua"],
                script_args,
                threads=args.connections,
                connections=args.connections,
                seconds=seconds,
                workdir=folder,
            )

        limit = max(300.0, 20.0 * args.seconds)
        warm = load("bugsink-warm-up", WARM_UP_SECONDS)
        bugsink.wait_digested(warm.ok(), quiet_seconds=10, limit_seconds=limit)
        time.sleep(1)  # envelopes in flight at wrk's deadline: let them be queued, then digested
        bugsink.wait_digested(0, quiet_seconds=10, limit_seconds=limit)
        before = bugsink.event_count()
        cpu_before = sum(cpu_seconds(pid) for pid in bugsink.pids)
        with ProcessSampler(*bugsink.pids) as memory:
            started = time.monotonic()
            run = load("bugsink", args.seconds)
            last = bugsink.wait_digested(before + run.ok(), quiet_seconds=10, limit_seconds=limit)
        elapsed = max(last - started, run.duration_s)
        cores = (sum(cpu_seconds(pid) for pid in bugsink.pids) - cpu_before) / elapsed
        digested = bugsink.event_count() - before
    return BugsinkResult(
        digest=args.bugsink_digest,
        run=run,
        accepted=run.ok(),
        digested=digested,
        seconds_to_digest=elapsed,
        rss_peak_kb=memory.peak_kb,
        cores=cores,
    )


def report_openwer(result: OpenwerResult, cab_size: int, file_size: int) -> None:
    """Print openwer's figures."""
    run = result.run
    print(
        f"== openwer serve (uvicorn, 1 process, SQLite, local blobs): wrk -t{run.threads} "
        f"-c{run.connections} (one connection per thread), {run.duration_s:.0f} s; bundle "
        f"{cab_size:,} bytes (CAB of Report.wer + payload.bin {file_size:,} bytes)"
    )
    print(
        f"  healthz check     {result.healthz.rate():9,.0f} req/s "
        f"(wrk {result.healthz.wrk_cores:.2f} cores): the stack's ceiling with these connections"
    )
    print(
        f"  full reports      {result.rate:9,.1f} /s  ({run.rate():,.0f} requests/s; per request "
        f"p50 {run.ms('p50'):.2f} ms p99 {run.ms('p99'):.2f} ms, stage 1 and PUT mixed)  "
        f"cores: wrk {run.wrk_cores:.2f}, server {result.server_cores:.2f}"
    )
    print(f"  statuses: {run.status_text()}")
    print(
        f"  server RSS peak under load {result.rss_peak_kb / 1024:.1f} MiB "
        f"(VmHWM {result.hwm_kb / 1024:.1f} MiB; target <= 150 MB)"
    )
    verdict = "OK" if result.stored_ok else "MISMATCH"
    print(
        f"  stored: {result.bundles_stored:,} bundles in the blob store "
        f"({result.bundles_wrong_size} of the wrong size) for {result.acknowledged:,} "
        f"acknowledged (warm-up included), {result.hits:,} hits; sample report's bundle: "
        f"{result.sample}: {verdict}"
    )
    for phase in (result.warm, run):
        if phase.problems():
            loud(f"openwer {phase.label}: ERRORS: {'; '.join(phase.problems())}")
    if not result.stored_ok:
        loud("openwer: the stored bundles do not match the acknowledged ones")


def report_bugsink(result: BugsinkResult) -> None:
    """Print Bugsink's figures."""
    run = result.run
    mode = "snappea task runner" if result.digest == "snappea" else "digest in the request"
    print(
        f"== Bugsink (gunicorn {WORKERS} workers x {THREADS} threads, SQLite, {mode}): "
        f"wrk -t{run.threads} -c{run.connections}, {run.duration_s:.0f} s of load"
    )
    print(
        f"  accepted          {run.rate():9,.1f} envelopes/s (p50 {run.ms('p50'):.2f} ms "
        f"p99 {run.ms('p99'):.2f} ms; wrk {run.wrk_cores:.2f} cores)"
    )
    print(
        f"  digested          {result.rate:9,.1f} events/s ({result.digested:,} digested for "
        f"{result.accepted:,} accepted, plus up to {run.connections} in flight at wrk's "
        f"deadline; the last one {result.seconds_to_digest:.1f} s after the load started); "
        f"Bugsink used {result.cores:.2f} cores"
    )
    print(f"  statuses: {run.status_text()}")
    print(f"  Bugsink RSS peak (all its processes) {result.rss_peak_kb / 1024:.1f} MiB")
    if run.problems():
        loud(f"Bugsink: ERRORS: {'; '.join(run.problems())}")
    if result.digested < result.accepted:
        loud(f"Bugsink digested {result.digested:,} of {result.accepted:,} accepted events")


def main() -> int:
    """Run openwer, then Bugsink; print the figures and a SUMMARY line."""
    parser = benchmark_parser(__doc__)
    parser.add_argument(
        "--connections", type=int, default=8, help="wrk threads = connections (both servers)"
    )
    parser.add_argument("--no-bugsink", action="store_true")
    parser.add_argument("--bugsink-digest", choices=["snappea", "eager"], default="snappea")
    args = parser.parse_args()
    require_wrk()
    payload = make_payload()
    with tempfile.TemporaryDirectory(prefix="openwer-bench-") as name:
        folder = Path(name)
        cab = folder / "bundle.cab"
        cab.write_bytes(payload.cab())
        tail = folder / "event-tail.json"
        tail.write_text(payload.event_tail(), encoding="utf-8")
        openwer = run_openwer(folder, cab, args)
        report_openwer(openwer, cab.stat().st_size, len(payload.file))
        bugsink: BugsinkResult | str = "skipped (--no-bugsink)"
        if not args.no_bugsink:
            bugsink = run_bugsink(folder, tail, args)
        if isinstance(bugsink, str):
            print(f"Bugsink not measured: {bugsink}")
        else:
            report_bugsink(bugsink)
    rss = openwer.rss_peak_kb / 1024
    summary = f"openwer {openwer.rate:,.1f} full reports/s (RSS peak {rss:.0f} MiB)"
    failed = bool(openwer.run.failures or openwer.warm.failures or not openwer.stored_ok)
    if not isinstance(bugsink, str):
        ratio = openwer.rate / bugsink.rate if bugsink.rate else float("inf")
        summary += (
            f", Bugsink {bugsink.rate:,.1f} events/s accepted and digested, "
            f"ratio {ratio:.1f}x (target >= 10x)"
        )
        failed = failed or bool(bugsink.run.failures) or bugsink.digested < bugsink.accepted
    print("SUMMARY " + summary)
    if failed:
        loud("the benchmark saw errors: its figures are not valid")
        return 1
    return 0


if __name__ == "__main__":
    run_benchmark(main)
