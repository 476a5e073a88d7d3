"""Pure parts of hang reporting: blocked vs busy, the hang signature, waitchains.json, the
heartbeat registry and how ``reports show --json`` shows wait chains."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from types import FrameType

import pytest
from click.testing import CliRunner

from openwer.capture.config import CaptureConfig
from openwer.capture.frames import FrameEntry, stack_entries
from openwer.capture.hang import heartbeat as beats
from openwer.capture.hang.hang_signature import hang_signature
from openwer.capture.hang.thread_sampling import Activity, ThreadSample, classify, stack_position
from openwer.capture.source_layout import current_layout
from openwer.cli.main import cli
from openwer.cli.report_view import report_json
from openwer.errors import FormatError
from openwer.formats.report_manifest import ReportManifest
from openwer.formats.report_wer import parse_report_wer
from openwer.formats.wait_chain import WaitChain, WaitChainNode
from openwer.formats.wait_chain_document import parse_wait_chains, serialize_wait_chains
from openwer.report import Report
from openwer.types import ReportType, SubmitFlags, WctObjectStatus, WctObjectType

CONFIG = CaptureConfig(app_name="app", app_version="1.0", app_timestamp=None, app_packages=())


def _sample(time: float, cpu: float | None, frame: FrameType) -> ThreadSample:
    stack, lasti = stack_position(frame)
    return ThreadSample(time, cpu, stack, lasti)


def test_classify_blocked_and_busy() -> None:
    """No CPU: blocked; CPU at one call instruction: native; CPU and moving: Python."""
    frame = sys._getframe()
    # This frame is inside a call (to _sample) when it is sampled.
    blocked = [_sample(0.0, 0.0, frame), _sample(0.5, 0.0, frame), _sample(1.0, 0.0, frame)]
    assert classify(blocked) == (Activity.BLOCKED, 0.0)
    spinning = [
        ThreadSample(t, t, blocked[0].stack, lasti)
        for t, lasti in ((0.0, 10), (0.5, 20), (1.0, 10))
    ]
    assert classify(spinning)[0] is Activity.BUSY_PYTHON
    in_call = [ThreadSample(t, t, blocked[0].stack, blocked[0].lasti) for t in (0.0, 0.5, 1.0)]
    assert classify(in_call)[0] is Activity.BUSY_NATIVE
    unknown = [ThreadSample(t, None, blocked[0].stack, blocked[0].lasti) for t in (0.0, 1.0)]
    assert classify(unknown) == (Activity.BLOCKED, None)
    assert classify([]) == (Activity.BLOCKED, None)


def _stack_here() -> tuple[FrameEntry, ...]:
    frame = sys._getframe(1)
    return tuple(stack_entries(frame))


def _blocked_in_a() -> tuple[FrameEntry, ...]:
    return _stack_here()


def _blocked_in_b() -> tuple[FrameEntry, ...]:
    return _stack_here()


def test_hang_signature_is_stable_and_tells_hangs_apart() -> None:
    """Same place, same signature; another place, another; deadlock stacks in any order."""
    layout = current_layout()
    a1, a2, b = _blocked_in_a(), _blocked_in_a(), _blocked_in_b()
    sig_a = hang_signature([a1], CONFIG, layout)
    assert sig_a == hang_signature([a2], CONFIG, layout)
    assert sig_a.short != hang_signature([b], CONFIG, layout).short
    assert len(sig_a.short) == 4
    assert len(sig_a.long) == 32
    assert sig_a.long.startswith(sig_a.short)
    assert (
        hang_signature([a1, b], CONFIG, layout).long == hang_signature([b, a1], CONFIG, layout).long
    )
    assert sig_a.frame is not None
    assert sig_a.frame.function == "_blocked_in_a"
    assert hang_signature([], CONFIG, layout).short == hang_signature([()], CONFIG, layout).short


def _chain() -> WaitChain:
    thread = WaitChainNode(WctObjectType.THREAD, WctObjectStatus.BLOCKED, "main", 5, 6)
    lock = WaitChainNode(WctObjectType.CRITICAL_SECTION, WctObjectStatus.OWNED, "L", 5)
    return WaitChain.of([thread, lock, thread])


def test_wait_chains_document_round_trip_and_hostile_input() -> None:
    """waitchains.json reads back to the same chains; anything else is a FormatError."""
    data = serialize_wait_chains([_chain()])
    assert parse_wait_chains(data) == (_chain(),)
    assert json.loads(data)["chains"][0]["is_cycle"] is True
    for bad in (
        b"\xff",
        b"[]",
        b'{"chains": 3}',
        b'{"chains": [{"nodes": [7]}]}',
        b"x" * 9_000_000,
    ):
        with pytest.raises(FormatError):
            parse_wait_chains(bad)


def test_report_json_includes_wait_chains(openwer_home: Path) -> None:
    """reports show --json carries a hang report's chains; a damaged file gives []."""
    with Report("AppHangB1", ReportType.APPLICATION_HANG) as report:
        report.set_parameter(0, "app", "Application Name")
        report.add_file_bytes("waitchains.json", serialize_wait_chains([_chain()]))
        report.submit(flags=SubmitFlags.QUEUE)
        key = report.stored_key
    folder = next((openwer_home / "user" / "ReportQueue").glob(f"{key}*"))
    manifest = ReportManifest.from_document(parse_report_wer((folder / "Report.wer").read_bytes()))
    shown = report_json(manifest, key=str(key), folder=folder, store=None, area=None)
    assert [chain["is_cycle"] for chain in shown["wait_chains"]] == [True]
    text = CliRunner().invoke(cli, ["reports", "show", str(key)])
    assert text.exit_code == 0, text.output
    assert "Wait chain of the hung thread" in text.stdout
    assert "DEADLOCK" in text.stdout
    (folder / "waitchains.json").write_text("{broken")
    assert report_json(manifest, key="k", folder=folder, store=None, area=None)["wait_chains"] == []
    assert report_json(manifest, key="k", folder=None, store=None, area=None)["wait_chains"] == []


def test_heartbeat_registry() -> None:
    """A heartbeat registers the thread with its name; pause and thread exit forget it."""
    ident = threading.get_ident()
    beats.heartbeat("render")
    assert ident in beats.last_heartbeats()
    assert beats.heartbeat_threads()[ident].name == "render"
    beats.heartbeat()  # keeps the name given once
    assert beats.heartbeat_threads()[ident].name == "render"
    beats.forget_dead_heartbeats({ident: threading.get_native_id()})
    assert ident in beats.last_heartbeats()
    beats.forget_dead_heartbeats({ident: -5})  # the ident now belongs to another thread
    assert ident not in beats.last_heartbeats()
    beats.heartbeat()
    beats.heartbeat_pause()
    assert ident not in beats.last_heartbeats()
