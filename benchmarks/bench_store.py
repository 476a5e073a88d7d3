"""Benchmark of DirectoryReportStore: add 1,000 reports, then list them with their metadata.

Each report is a realistic Report.wer (about 2 KB as UTF-16) plus one 4 KB file. As a
reference measured in the same run, interleaved with the adds, the same bytes are written the
plainest durable way: one file, ``fsync``, ``rename``. The ratio shows what the store's extra
guarantees (a whole folder published atomically, directory syncs) cost on this machine.

Run: ``.venv/bin/python benchmarks/bench_store.py [--reports N]``. Everything happens in a
temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from openwer.formats.filetime import datetime_to_filetime
from openwer.formats.report_wer import WerDocument, serialize_report_wer
from openwer.store import DirectoryReportStore, NewReport, StagedFile, StoreArea

DUMP_NAME = "WER4A1B.tmp.mdmp"
DUMP_BYTES = 4096


def realistic_document(index: int) -> WerDocument:
    """Return an APPCRASH Report.wer shaped like the ones Windows writes (about 2 KB)."""
    moment = datetime(2024, 5, 1, tzinfo=UTC) + timedelta(seconds=index)
    signature = (
        ("Application Name", "python3.11"),
        ("Application Version", "3.11.7"),
        ("Application Timestamp", "65f1c2a0"),
        ("Fault Module Name", "libcrypto.so.3"),
        ("Fault Module Version", "3.0.11"),
        ("Fault Module Timestamp", "64e8f1b2"),
        ("Exception Code", "c0000005"),
        ("Exception Offset", f"{0x1A2B3C + index:016x}"),
    )
    pairs = [
        ("Version", "1"),
        ("EventType", "APPCRASH"),
        ("EventTime", str(datetime_to_filetime(moment))),
        ("ReportType", "2"),
        ("Consent", "1"),
        ("ReportIdentifier", str(uuid.uuid4())),
        ("AppSessionGuid", str(uuid.uuid4())),
        ("IsFatal", "1"),
    ]
    for slot, (name, value) in enumerate(signature):
        pairs += [(f"Sig[{slot}].Name", name), (f"Sig[{slot}].Value", value)]
    pairs += [
        ("DynamicSig[1].Name", "OS Version"),
        ("DynamicSig[1].Value", "6.1.0-18-amd64"),
        ("DynamicSig[2].Name", "Locale ID"),
        ("DynamicSig[2].Value", "1033"),
    ]
    modules = (
        "/usr/bin/python3.11",
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
    )
    pairs += [(f"LoadedModule[{i}]", path) for i, path in enumerate(modules)]
    pairs += [
        ("File[0].CabName", DUMP_NAME),
        ("File[0].Path", DUMP_NAME),
        ("File[0].Flags", "196608"),
        ("File[0].Type", "2"),
        ("File[0].Original.Path", f"/tmp/{DUMP_NAME}"),
        ("FriendlyEventName", "Stopped working"),
        ("ConsentKey", "APPCRASH"),
        ("AppName", "Python"),
        ("AppPath", "/usr/bin/python3.11"),
    ]
    return WerDocument.from_pairs(pairs)


def plain_durable_write(folder: Path, index: int, data: bytes) -> None:
    """Write ``data`` to a temp file, fsync it and rename it into place (the reference)."""
    temp = folder / f".{index}.tmp"
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.rename(temp, folder / f"{index}.bin")


def timed(action: Callable[[], object]) -> float:
    """Return the seconds ``action`` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def summary(samples: Sequence[float]) -> tuple[float, float]:
    """Return the median and the 99th percentile of ``samples``, in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1e3, p99 * 1e3


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    count = parser.parse_args(argv).reports
    dump = os.urandom(DUMP_BYTES)
    reports = [
        NewReport(realistic_document(i), (StagedFile(DUMP_NAME, dump),)) for i in range(count)
    ]
    wer_bytes = len(serialize_report_wer(reports[0].document))
    with tempfile.TemporaryDirectory(prefix="openwer-bench-") as scratch:
        root = Path(scratch) / "store"
        reference = Path(scratch) / "reference"
        reference.mkdir()
        store = DirectoryReportStore(root)
        store.add(NewReport(realistic_document(-1)))  # create the layout outside the timing
        adds: list[float] = []
        plain: list[float] = []
        for index, report in enumerate(reports):
            payload = serialize_report_wer(report.document) + dump
            adds.append(timed(partial(store.add, report)))
            plain.append(timed(partial(plain_durable_write, reference, index, payload)))

        fresh = DirectoryReportStore(root)  # a new handle, as a new process would have
        keys: list[str] = []
        listing = timed(lambda: keys.extend(fresh.keys(StoreArea.QUEUE)))
        metadata = [timed(partial(fresh.query_metadata, key)) for key in keys]
        assert len(keys) == count + 1
        file_system = os.statvfs(scratch)

    add_median, add_p99 = summary(adds)
    plain_median, plain_p99 = summary(plain)
    meta_median, meta_p99 = summary(metadata)
    ratio = add_median / plain_median
    list_total = listing + sum(metadata)
    print(f"reports: {count}, Report.wer {wer_bytes} B + one {DUMP_BYTES} B file each")
    print(f"file system block size {file_system.f_bsize} B, temp dir {tempfile.gettempdir()}")
    print(
        f"add        median {add_median:7.3f} ms  p99 {add_p99:7.3f} ms  "
        f"total {sum(adds):7.2f} s  ({count / sum(adds):,.0f} reports/s)"
    )
    print(
        f"reference  median {plain_median:7.3f} ms  p99 {plain_p99:7.3f} ms  "
        f"total {sum(plain):7.2f} s  (write+fsync+rename of the same bytes)"
    )
    print(f"add / reference (medians): {ratio:.2f}x")
    print(
        f"list       keys() {listing * 1e3:7.1f} ms for {len(keys)} reports; "
        f"query_metadata median {meta_median:.3f} ms p99 {meta_p99:.3f} ms; "
        f"keys + metadata of all {list_total * 1e3:.1f} ms"
    )
    print(
        f"SUMMARY store add {add_median:.2f} ms median / {add_p99:.2f} ms p99 per report "
        f"({ratio:.1f}x a plain write+fsync+rename at {plain_median:.2f} ms); "
        f"listing {count} reports with metadata {list_total * 1e3:.0f} ms"
    )


if __name__ == "__main__":
    main()
