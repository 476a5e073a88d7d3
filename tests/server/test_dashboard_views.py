"""The dashboard's pure parts: charts, headlines, filters, stacks, Report.wer groups, bundles."""

from __future__ import annotations

import codecs
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from dashboard_support import report_bundle
from hypothesis import given, settings
from hypothesis import strategies as st

from openwer.errors import SettingsError
from openwer.formats.cab_bundle import BundleFile, build_bundle
from openwer.formats.protocol import SignatureParameter
from openwer.formats.report_wer import parse_report_wer
from openwer.server.blobs import MemoryBlobStore
from openwer.server.dashboard.bucket_filters import BucketFilters
from openwer.server.dashboard.charts import day_bars, nice_ceiling, sparkline
from openwer.server.dashboard.report_fields import report_field_groups
from openwer.server.dashboard.settings import DashboardSettings
from openwer.server.dashboard.signature_text import headline
from openwer.server.dashboard.stacks import stacks_of
from openwer.server.dashboard.stored_bundles import StoredBundle, StoredBundles
from openwer.server.storage import BucketStatus, DayCount
from openwer.server.storage.dashboard_model import BucketListSort

TODAY = date(2026, 5, 1)


def test_sparklines_scale_to_their_box() -> None:
    """Points span the width; the peak touches the top padding; all-zero is a flat line."""
    line = sparkline([0, 5, 10], width=100, height=20)
    assert line.line == "0.0,18.0 50.0,10.0 100.0,2.0"
    assert (line.peak, line.total, line.last_x, line.last_y) == (10, 15, 100.0, 2.0)
    assert line.area.startswith("M0.0,20 L")
    assert line.area.endswith("Z")
    flat = sparkline([0, 0], width=10, height=10)
    assert flat.line == "0.0,8.0 10.0,8.0"
    assert sparkline([]).peak == 0
    assert sparkline([3]).line.count(",") == 1


def test_daily_bars_fill_every_day_of_the_range() -> None:
    """Missing days are empty slots; the axis tops at a round number."""
    chart = day_bars(
        [DayCount(TODAY, 7), DayCount(TODAY - timedelta(days=2), 3)],
        TODAY - timedelta(days=9),
        TODAY,
    )
    assert len(chart.bars) == 10
    assert chart.total == 10
    assert chart.peak == 7
    assert [t.label for t in chart.y_ticks] == ["0", "5", "10"]
    assert chart.bars[-1].label == "2026-05-01: 7 hits"
    assert chart.bars[0].height == 0
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 11, 240, 999)] == [1, 1, 5, 10, 20, 500, 1000]
    single = day_bars([DayCount(TODAY, 1)], TODAY - timedelta(days=1), TODAY)
    assert [t.label for t in single.y_ticks] == ["0", "1"]  # no second "0" halfway


def _signature(*pairs: tuple[str, str]) -> tuple[SignatureParameter, ...]:
    return tuple(SignatureParameter(n, v) for n, v in pairs)


def test_headlines_name_what_failed_where() -> None:
    """Python, APPCRASH, hangs and generic events each get a readable line."""
    python = headline(
        "PythonUnhandledException",
        _signature(
            ("Application Name", "importer"),
            ("Application Version", "1.4.2"),
            ("Faulting Module", "importer.parser"),
            ("Function", "Parser.read_row"),
            ("Exception Type", "json.decoder.JSONDecodeError"),
        ),
    )
    assert python.title == "json.decoder.JSONDecodeError"
    assert python.detail == "in Parser.read_row (importer.parser)"
    assert python.application == "importer 1.4.2"
    crash = headline(
        "APPCRASH",
        _signature(
            ("Application Name", "app"),
            ("Application Version", "0.0.0.0"),
            ("Fault Module Name", "libfoo.so"),
            ("Exception Code", "c0000005"),
            ("Exception Offset", "1a2b"),
        ),
    )
    assert (crash.title, crash.detail, crash.application) == (
        "c0000005 in libfoo.so",
        "at +0x1a2b",
        "app",
    )
    linux = headline(
        "APPCRASH",
        _signature(
            ("Fault Module Name", "libc.so.6"),
            ("Exception Code", "0000000b"),
            ("Exception Offset", "167ad8"),
        ),
    )
    assert linux.title == "SIGSEGV in libc.so.6"  # a Linux signal number, named
    odd = headline("APPCRASH", _signature(("Fault Module Name", "m"), ("Exception Code", "zz")))
    assert odd.title == "zz in m"
    hang = headline("AppHangB1", _signature(("Hang Signature", "ab12"), ("Hang Type", "0")))
    assert hang.title == "Hang in ab12"
    generic = headline("MyEvent", _signature(("P0", "a"), ("P1", "b"), ("P2", "c" * 300)))
    assert generic.title.startswith("c")
    assert generic.title.endswith("…")
    assert len(generic.title) == 140
    assert headline("Empty", ()).title == "Empty (no informative parameters)"


def test_filters_read_leniently_and_make_links() -> None:
    """Unknown values fall back to defaults; links keep the filters and reset the page."""
    filters = BucketFilters.from_params(
        {
            "product": "3",
            "version": " 1.0 ",
            "status": "nope",
            "range": "7d",
            "page": "4",
            "sort": "first_seen",
        }
    )
    assert (filters.product, filters.version, filters.status, filters.range, filters.page) == (
        3,
        "1.0",
        "open",
        "7d",
        4,
    )
    query = filters.query(TODAY)
    assert query.since == TODAY - timedelta(days=6)
    assert query.until == TODAY
    assert query.offset == 150
    assert query.sort is BucketListSort.FIRST_SEEN
    assert query.statuses == frozenset({BucketStatus.NEW, BucketStatus.REGRESSED})
    assert filters.link(range="30d") == "/?product=3&version=1.0&sort=first_seen"
    assert filters.link(page=5).endswith("&page=5")
    assert BucketFilters().link() == "/"
    all_time = BucketFilters(range="all", status="all").query(TODAY)
    assert all_time.since is None
    assert all_time.statuses is None
    assert all_time.trend_since == TODAY - timedelta(days=29)
    assert BucketFilters(range="1d").query(TODAY).trend_since == TODAY - timedelta(days=6)
    assert BucketFilters.from_params({"page": "9" * 20, "product": "-1"}).page == 1
    assert not BucketFilters().narrowed
    assert BucketFilters(status="ignored").narrowed


def _stored(members: dict[str, bytes]) -> StoredBundle:
    return StoredBundle(None, tuple(BundleFile(n, d) for n, d in members.items()), 0)


def test_stacks_are_read_from_the_bundle() -> None:
    """Exceptions with the faulting frame marked, threads (crashed first), the traceback."""
    stored = StoredBundles(MemoryBlobStore())
    store = stored._blobs
    store.put("k", report_bundle("00000000-0000-0000-0000-000000000001"))
    bundle = stored.read("k")
    assert bundle is not None
    assert bundle.report_wer is not None
    assert stored.read("k") is bundle  # cached
    stacks = stacks_of(bundle)
    assert [e.type for e in stacks.exceptions] == ["KeyError"]
    frames = stacks.exceptions[0].frames
    assert [f.faulting for f in frames] == [True, False]
    assert frames[1].origin == "stdlib"
    assert [t.name for t in stacks.threads] == ["MainThread", "worker-1"]
    assert stacks.traceback is not None
    assert "KeyError" in stacks.traceback
    assert stacks.native_threads == ()
    assert stacks.dump_files == ()
    assert stored.read("missing") is None


def test_native_frames_and_dumps_are_shown_when_present() -> None:
    """A native-stacks.json document is read; dump files are listed."""
    native = {
        "threads": [
            {
                "name": "main",
                "crashed": True,
                "frames": [
                    {"module": "libc.so.6", "function": "", "offset": 4096},
                    {"module": "app", "function": "main"},
                ],
            }
        ]
    }
    stacks = stacks_of(
        _stored({"native-stacks.json": json.dumps(native).encode(), "memory.mdmp": b"MDMP"})
    )
    assert [f.function for f in stacks.native_threads[0].frames] == ["+0x1000", "main"]
    assert stacks.dump_files == ("memory.mdmp",)
    assert not stacks.empty


def test_a_bundles_minidump_is_walked_into_native_frames(corpus_dir: Path) -> None:
    """Without native-stacks.json, the bundle's minidump is walked (no symbols): the crashed
    thread comes first, innermost frame last, each frame saying how it was found."""
    dump = corpus_dir / "mdmp-linux" / "getsentry__symbolicator__tests__fixtures__linux.dmp"
    stacks = stacks_of(_stored({"minidump.mdmp": dump.read_bytes()}))
    crashed = stacks.native_threads[0]
    assert crashed.crashed
    assert crashed.frames[-1].module == "crash"
    assert crashed.frames[-1].found_by == "context"
    assert {f.found_by for f in crashed.frames[:-1]} <= {"cfi", "frame_pointer", "scan"}
    assert all(f.origin == "native" for f in crashed.frames)
    assert stacks.dump_files == ("minidump.mdmp",)


@settings(max_examples=60)
@given(st.binary(max_size=400).map(lambda tail: b"MDMP\x93\xa7\x00\x00" + tail))
def test_a_damaged_minidump_gives_no_native_frames_and_no_error(data: bytes) -> None:
    """Bytes from the network: whatever the dump holds, the page gets an answer."""
    stacks = stacks_of(_stored({"minidump.mdmp": data}))
    assert stacks.dump_files == ("minidump.mdmp",)


@settings(max_examples=60)
@given(
    st.dictionaries(
        st.sampled_from(["stack.json", "threads.json", "native-stacks.json"]),
        st.binary(max_size=300),
    )
)
def test_damaged_stack_documents_never_fail(members: dict[str, bytes]) -> None:
    """Whatever the files hold, reading stacks answers (maybe with nothing)."""
    stacks_of(_stored(members))


@pytest.mark.parametrize(
    "document",
    [
        {
            "exceptions": [{"frames": [{"line": "x", "module": 3}, "junk"], "index": "0"}],
            "faulting_frame": 5,
        },
        {"threads": "no", "exceptions": {"a": 1}},
        {"threads": [{"frames": [{}] * 600}]},
    ],
)
def test_odd_shapes_are_skipped(document: object) -> None:
    """Wrong types are skipped; frame lists are bounded."""
    data = json.dumps(document).encode()
    stacks = stacks_of(_stored({"stack.json": data, "threads.json": data}))
    for thread in stacks.threads:
        assert len(thread.frames) <= 500


def test_unreadable_bundles_degrade() -> None:
    """A cabinet without Report.wer still shows its files; garbage reads as nothing."""
    blobs = MemoryBlobStore()
    stored = StoredBundles(blobs)
    wer = codecs.BOM_UTF16_LE + "Version=1".encode("utf-16-le")
    cab = build_bundle(wer, [("memory.hdmp", b"x")]).replace(b"Report.wer", b"Report.xyz")
    blobs.put("cer", cab)
    blobs.put("junk", b"not a cab")
    cer = stored.read("cer")
    assert cer is not None
    assert cer.report_wer is None
    assert cer.file("memory.hdmp") is not None
    assert stored.read("junk") is None


def test_report_wer_fields_are_grouped_as_wer_groups_them() -> None:
    """Every entry lands in one group, in WER's order; values get readable notes."""
    text = "\r\n".join(
        [
            "Version=1",
            "EventType=APPCRASH",
            "EventTime=133211708571634483",
            "ReportType=2",
            "Consent=1",
            "Response.BucketId=abc",
            "Sig[0].Name=Application Name",
            "Sig[0].Value=app.exe",
            "DynamicSig[1].Name=OS Version",
            "DynamicSig[1].Value=10.0.19045",
            "UI[2]=C:\\app.exe",
            "LoadedModule[0]=C:\\app.exe",
            "State[0].Key=Transport.DoneStage1",
            "State[0].Value=1",
            "OsInfo[0].Key=vermaj",
            "OsInfo[0].Value=10",
            "File[0].CabName=memory.hdmp",
            "File[0].Path=memory.hdmp",
            "File[0].Type=3",
            "File[0].Flags=2",
            "FriendlyEventName=Stopped working",
            "AppName=App",
            "CustomThing=42",
        ]
    )
    groups = report_field_groups(parse_report_wer(text.encode()))
    assert [g.title for g in groups] == [
        "Event",
        "Signature",
        "Dynamic signature",
        "UI strings",
        "Loaded modules",
        "State",
        "OS information",
        "Files",
        "Application",
        "Response",
        "Other values",
    ]
    event = {r.key: r for r in groups[0].rows}
    assert event["EventTime"].note == "2023-02-18 05:14:17 UTC"
    assert event["ReportType"].note == "application crash"
    assert event["Consent"].note == "not asked"
    files = groups[7].rows[0]
    assert (files.value, files.note) == ("memory.hdmp", "heapdump, anonymous data")
    assert groups[-1].rows[0].key == "CustomThing"
    total = sum(len(g.rows) for g in groups)
    assert total == 16  # every line, pairs and file fields counted once


def test_secure_cookies_come_from_the_environment() -> None:
    """OPENWER_SERVER_SECURE_COOKIES forces the Secure flag; other values are refused."""
    assert not DashboardSettings.from_environ({}).secure_cookies
    assert DashboardSettings.from_environ({"OPENWER_SERVER_SECURE_COOKIES": "yes"}).secure_cookies
    with pytest.raises(SettingsError):
        DashboardSettings.from_environ({"OPENWER_SERVER_SECURE_COOKIES": "maybe"})
