"""One upload pass over real stores: consent, server trouble, locking, battery, solutions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from openwer.formats.protocol import Solution, Stage1Request, Stage1Response
from openwer.platform.file_lock import FileLock
from openwer.report import Registry, Report, ReportContext
from openwer.settings import OpenwerPaths, load_settings
from openwer.store import StoreArea, StoreScope, open_store
from openwer.transport import MemoryTransport
from openwer.types import Consent, SubmitFlags, SubmitResult
from openwer.uploader.queue_upload import PassOutcome, upload_queue

Factory = Callable[..., ReportContext]


@pytest.fixture
def paths(tmp_path: Path) -> OpenwerPaths:
    """Every openwer path under the test's folder."""
    return OpenwerPaths.under(tmp_path / "home")


@pytest.fixture
def make_context(paths: OpenwerPaths) -> Factory:
    """A context with settings given as OPENWER__ variables and an optional transport."""

    def make(
        settings: Mapping[str, str] | None = None, transport: MemoryTransport | None = None
    ) -> ReportContext:
        environ = {f"OPENWER__{k.replace('.', '__')}": v for k, v in (settings or {}).items()}
        return ReportContext(
            paths=paths, settings=load_settings(paths, environ), transport=transport,
            registry=Registry(),
        )  # fmt: skip

    return make


def queue(context: ReportContext, value: str, consent: Consent = Consent.NOT_ASKED) -> str:
    report = Report("MyEvent")
    report.set_parameter(0, value, "Component")
    report.add_file_bytes("log.txt", b"log")
    report.submit(consent, SubmitFlags.QUEUE, context=context)
    assert report.stored_key is not None
    return report.stored_key


def area_count(paths: OpenwerPaths, area: StoreArea) -> int:
    return open_store(StoreScope.USER, paths).count(area)


def test_no_server(make_context: Factory) -> None:
    """Without a transport the pass does nothing."""
    assert upload_queue(make_context()).outcome is PassOutcome.NO_SERVER


def test_sends_with_consent_and_archives(make_context: Factory, paths: OpenwerPaths) -> None:
    """With consent every queued report is sent, oldest first, then archived."""
    queue(make_context(), "a")
    queue(make_context(), "b")
    transport = MemoryTransport()
    summary = upload_queue(
        make_context({"Consent.DefaultConsent": "4"}, transport), battery=lambda: False
    )
    assert summary.outcome is PassOutcome.COMPLETED
    assert summary.sent == 2
    assert [r.signature[0].value for r in transport.stage1_requests] == ["a", "b"]
    assert area_count(paths, StoreArea.QUEUE) == 0
    assert area_count(paths, StoreArea.ARCHIVE) == 2


def test_always_ask_waits(make_context: Factory, paths: OpenwerPaths) -> None:
    """With 'always ask' and no answer nothing is sent; the report waits in the queue."""
    queue(make_context(), "a")
    transport = MemoryTransport()
    summary = upload_queue(make_context(transport=transport), battery=lambda: False)
    assert summary.waiting_for_consent == 1
    assert transport.stage1_requests == []
    assert area_count(paths, StoreArea.QUEUE) == 1


def test_recorded_answers_win(make_context: Factory, paths: OpenwerPaths) -> None:
    """A report the user approved goes even under 'always ask'; a refused one is archived."""
    approved = queue(make_context(), "yes")
    refused = queue(make_context(), "no")
    store = open_store(StoreScope.USER, paths)
    for key, verdict in ((approved, "2"), (refused, "3")):
        store.update_document(key, store.get(key).document.with_values({"Consent": verdict}))
    transport = MemoryTransport()
    summary = upload_queue(make_context(transport=transport), battery=lambda: False)
    results = {u.key: u.result for u in summary.uploads}
    assert results[approved] is SubmitResult.REPORT_UPLOADED_CAB
    assert results[refused] is SubmitResult.REPORT_CANCELLED
    assert [r.signature[0].value for r in transport.stage1_requests] == ["yes"]


def test_unreachable_server_stops_the_pass(make_context: Factory, paths: OpenwerPaths) -> None:
    """The first unreachable answer ends the pass; everything stays queued."""
    queue(make_context(), "a")
    queue(make_context(), "b")
    transport = MemoryTransport(online=False)
    context = make_context({"Consent.DefaultConsent": "4"}, transport)
    summary = upload_queue(context, battery=lambda: False)
    assert summary.outcome is PassOutcome.SERVER_UNREACHABLE
    assert len(summary.uploads) == 1
    assert area_count(paths, StoreArea.QUEUE) == 2


def test_solutions_are_reported(make_context: Factory, paths: OpenwerPaths) -> None:
    """The server's solution is written into the report and returned."""
    queue(make_context(), "a")

    def answer(request: Stage1Request) -> Stage1Response:
        return Stage1Response(
            "0" * 32, 1, solution=Solution("Update to 1.5", "https://example.com/kb/1")
        )

    context = make_context({"Consent.DefaultConsent": "2"}, MemoryTransport(answer=answer))
    (upload,) = upload_queue(context, battery=lambda: False).uploads
    assert upload.solution == "Update to 1.5"
    assert upload.solution_url == "https://example.com/kb/1"
    (archived,) = [open_store(StoreScope.USER, paths).get(upload.key)]
    assert archived.area is StoreArea.ARCHIVE


def test_busy_when_another_pass_runs(make_context: Factory, paths: OpenwerPaths) -> None:
    """Only one pass per store at a time."""
    queue(make_context(), "a")
    lock = FileLock(paths.user_store_root / "uploader.lock")
    lock.acquire()
    try:
        context = make_context({"Consent.DefaultConsent": "4"}, MemoryTransport())
        assert upload_queue(context, battery=lambda: False).outcome is PassOutcome.BUSY
    finally:
        lock.release()


def test_battery(make_context: Factory) -> None:
    """On battery the pass is skipped unless power throttling is bypassed."""
    context = make_context({"Consent.DefaultConsent": "4"}, MemoryTransport())
    assert upload_queue(context, battery=lambda: True).outcome is PassOutcome.ON_BATTERY
    flags = SubmitFlags.BYPASS_POWER_THROTTLING
    assert upload_queue(context, battery=lambda: True, flags=flags).outcome is PassOutcome.COMPLETED


def test_deadline(make_context: Factory, paths: OpenwerPaths) -> None:
    """A pass out of time leaves the rest queued."""
    queue(make_context(), "a")
    context = make_context({"Consent.DefaultConsent": "4"}, MemoryTransport())
    summary = upload_queue(context, battery=lambda: False, deadline_s=0)
    assert summary.outcome is PassOutcome.DEADLINE
    assert area_count(paths, StoreArea.QUEUE) == 1
