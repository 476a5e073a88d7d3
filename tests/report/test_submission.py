"""End-to-end tests of submission: real directory stores, the memory transport, real settings."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from openwer.errors import ParameterGapError
from openwer.formats.protocol import DataRequest, Stage1Request, Stage1Response
from openwer.report import ConsentAnswer, Registry, Report, ReportContext, ReportInformation
from openwer.settings import OpenwerPaths, load_settings
from openwer.store import StoreArea, StoredReport, StoreScope, open_store
from openwer.transport import MemoryTransport, UploadOutcome
from openwer.types import Consent, FileFlags, FileType, ReportType, SubmitFlags, SubmitResult

Factory = Callable[..., ReportContext]


@pytest.fixture
def paths(tmp_path: Path) -> OpenwerPaths:
    """Every openwer path under the test's folder."""
    return OpenwerPaths.under(tmp_path / "home")


@pytest.fixture
def make_context(paths: OpenwerPaths) -> Factory:
    """Build a context with settings given as OPENWER__ variables."""

    def make(
        settings: Mapping[str, str] | None = None,
        transport: MemoryTransport | None = None,
        **kwargs: object,
    ) -> ReportContext:
        environ = {f"OPENWER__{k.replace('.', '__')}": v for k, v in (settings or {}).items()}
        return ReportContext(
            paths=paths,
            settings=load_settings(paths, environ),
            transport=transport,
            registry=kwargs.pop("registry", Registry()),  # type: ignore[arg-type]
            **kwargs,  # type: ignore[arg-type]
        )

    return make


def crash_report(tmp_path: Path, *, value: str = "1.0") -> Report:
    """A small APPCRASH-like report with one anonymous and one personal file."""
    report = Report(
        "APPCRASH", ReportType.APPLICATION_CRASH, ReportInformation(application_name="app.py")
    )
    for index, item in enumerate(["app.py", value, "00000000", "mod.py"]):
        report.set_parameter(index, item)
    safe = tmp_path / "safe.txt"
    safe.write_text("anonymous")
    personal = tmp_path / "personal.txt"
    personal.write_text("user data")
    report.add_file(safe, FileType.OTHER, FileFlags.ANONYMOUS_DATA)
    report.add_file(personal, FileType.USER_DOCUMENT)
    return report


def stored(
    paths: OpenwerPaths, area: StoreArea, scope: StoreScope = StoreScope.USER
) -> list[StoredReport]:
    store = open_store(scope, paths)
    return [store.get(key) for key in store.keys(area)]


def test_queued_without_a_server(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """Without a server the report is queued whole, with WER's keys and its files."""
    result = crash_report(tmp_path).submit(context=make_context())
    assert result is SubmitResult.REPORT_QUEUED
    (item,) = stored(paths, StoreArea.QUEUE)
    manifest = item.manifest
    assert manifest.event_type == "APPCRASH"
    assert manifest.report_type == 2
    assert manifest.signature_values == ("app.py", "1.0", "00000000", "mod.py")
    assert [p.name for p in manifest.signature] == ["P0", "P1", "P2", "P3"]
    assert manifest.dynamic_signature[0].name == "OS Version"
    assert manifest.dynamic_signature[1].name == "Locale ID"
    assert [f.cab_name for f in manifest.files] == ["safe.txt", "personal.txt"]
    assert manifest.files[0].flags == FileFlags.ANONYMOUS_DATA
    assert manifest.files[1].file_type == FileType.USER_DOCUMENT
    assert manifest.consent_key == "APPCRASH"
    assert manifest.friendly_event_name == "APPCRASH"
    assert manifest.app_name == "app.py"
    assert manifest.is_fatal is True
    assert (item.folder / "personal.txt").read_text() == "user data"


def test_uploaded_with_bundle_then_archived(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """With consent and a server: stage 1, the bundle on the first hit, then the archive."""
    transport = MemoryTransport()
    context = make_context(transport=transport)
    first = crash_report(tmp_path).submit(Consent.APPROVED, context=context)
    assert first is SubmitResult.REPORT_UPLOADED_CAB
    second = crash_report(tmp_path).submit(Consent.APPROVED, context=context)
    assert second is SubmitResult.REPORT_UPLOADED  # the server wants one bundle per bucket
    assert len(transport.stage1_requests) == 2
    (bundle,) = transport.bundles
    assert set(bundle.files) == {"safe.txt", "personal.txt"}
    assert stored(paths, StoreArea.QUEUE) == []
    archived = stored(paths, StoreArea.ARCHIVE)
    assert len(archived) == 2
    for item in archived:
        response = item.manifest.response
        assert response.bucket_id
        assert len(response.bucket_id) == 32
        assert item.manifest.state_value("Transport.DoneStage1") == "1"
        assert item.file_names == ()  # ConfigureArchive 1: parameters only


def test_archive_keeps_data_with_configure_archive_2(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """ConfigureArchive 2 keeps every file in the archive."""
    context = make_context({"ConfigureArchive": "2"}, MemoryTransport())
    crash_report(tmp_path).submit(Consent.APPROVED, context=context)
    (item,) = stored(paths, StoreArea.ARCHIVE)
    assert set(item.file_names) == {"safe.txt", "personal.txt"}


def always_wants_bundle(explicit: bool) -> Callable[[Stage1Request], Stage1Response]:
    def answer(request: Stage1Request) -> Stage1Response:
        return Stage1Response("b" * 32, 7, data_request=DataRequest(explicit=explicit))

    return answer


def test_data_throttling(tmp_path: Path, make_context: Factory) -> None:
    """One bundle per bucket: a second request is throttled unless bypassed or explicit."""
    context = make_context(transport=MemoryTransport(answer=always_wants_bundle(False)))
    assert crash_report(tmp_path).submit(Consent.APPROVED, context=context) is (
        SubmitResult.REPORT_UPLOADED_CAB
    )
    assert crash_report(tmp_path).submit(Consent.APPROVED, context=context) is (
        SubmitResult.THROTTLED
    )
    bypass = SubmitFlags.BYPASS_DATA_THROTTLING
    assert crash_report(tmp_path).submit(Consent.APPROVED, bypass, context=context) is (
        SubmitResult.REPORT_UPLOADED_CAB
    )
    explicit = make_context(transport=MemoryTransport(answer=always_wants_bundle(True)))
    assert crash_report(tmp_path).submit(Consent.APPROVED, context=explicit) is (
        SubmitResult.REPORT_UPLOADED_CAB
    )
    setting = make_context(
        {"BypassDataThrottling": "1"}, MemoryTransport(answer=always_wants_bundle(False))
    )
    assert crash_report(tmp_path).submit(Consent.APPROVED, context=setting) is (
        SubmitResult.REPORT_UPLOADED_CAB
    )


def test_parameters_only_consent_sends_no_bundle(tmp_path: Path, make_context: Factory) -> None:
    """DefaultConsent 2 sends the signature only, even when the server asks for more."""
    transport = MemoryTransport()
    context = make_context({"Consent.DefaultConsent": "2"}, transport)
    assert crash_report(tmp_path).submit(context=context) is SubmitResult.REPORT_UPLOADED
    assert transport.bundles == []
    assert len(transport.stage1_requests) == 1


def test_safe_data_consent_sends_anonymous_files_only(
    tmp_path: Path, make_context: Factory
) -> None:
    """DefaultConsent 3 sends only files marked as anonymous."""
    transport = MemoryTransport()
    context = make_context({"Consent.DefaultConsent": "3"}, transport)
    assert crash_report(tmp_path).submit(context=context) is SubmitResult.REPORT_UPLOADED_CAB
    assert set(transport.bundles[0].files) == {"safe.txt"}


def test_always_ask_without_prompt_queues(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """DefaultConsent 1 with nobody to ask keeps the report queued and sends nothing."""
    transport = MemoryTransport()
    assert crash_report(tmp_path).submit(context=make_context(transport=transport)) is (
        SubmitResult.REPORT_QUEUED
    )
    assert transport.stage1_requests == []
    assert len(stored(paths, StoreArea.QUEUE)) == 1


@pytest.mark.parametrize(
    ("answer", "expected", "sent"),
    [
        (ConsentAnswer.SEND, SubmitResult.REPORT_UPLOADED_CAB, 1),
        (ConsentAnswer.ALWAYS, SubmitResult.REPORT_UPLOADED_CAB, 1),
        (ConsentAnswer.DONT_SEND, SubmitResult.REPORT_CANCELLED, 0),
        (ConsentAnswer.NEVER, SubmitResult.REPORT_CANCELLED, 0),
    ],
)
def test_prompt_answers(
    tmp_path: Path, make_context: Factory, answer: ConsentAnswer, expected: SubmitResult, sent: int
) -> None:
    """The prompt's answer decides: send now, or archive without sending."""
    asked: list[str] = []

    def prompt(event: str, ui: Mapping[int, str]) -> ConsentAnswer:
        asked.append(event)
        return answer

    transport = MemoryTransport()
    context = make_context(transport=transport, prompt=prompt)
    assert crash_report(tmp_path).submit(context=context) is expected
    assert asked == ["APPCRASH"]
    assert len(transport.stage1_requests) == sent


def test_failing_prompt_queues(tmp_path: Path, make_context: Factory) -> None:
    """A prompt that raises never loses the report: it is queued."""

    def prompt(event: str, ui: Mapping[int, str]) -> ConsentAnswer:
        raise RuntimeError("no terminal")

    context = make_context(transport=MemoryTransport(), prompt=prompt)
    assert crash_report(tmp_path).submit(context=context) is SubmitResult.REPORT_QUEUED


def test_dont_show_ui_never_prompts(tmp_path: Path, make_context: Factory) -> None:
    """DontShowUI 1 queues silently instead of asking."""

    def prompt(event: str, ui: Mapping[int, str]) -> ConsentAnswer:
        raise AssertionError("must not be asked")

    context = make_context({"DontShowUI": "1"}, MemoryTransport(), prompt=prompt)
    assert crash_report(tmp_path).submit(context=context) is SubmitResult.REPORT_QUEUED


def test_denied_is_archived(tmp_path: Path, paths: OpenwerPaths, make_context: Factory) -> None:
    """Denied consent archives the report without sending it; NO_ARCHIVE keeps nothing."""
    transport = MemoryTransport()
    context = make_context(transport=transport)
    assert crash_report(tmp_path).submit(Consent.DENIED, context=context) is (
        SubmitResult.REPORT_CANCELLED
    )
    assert len(stored(paths, StoreArea.ARCHIVE)) == 1
    assert crash_report(tmp_path).submit(
        Consent.DENIED, SubmitFlags.NO_ARCHIVE, context=context
    ) is (SubmitResult.REPORT_CANCELLED)
    assert len(stored(paths, StoreArea.ARCHIVE)) == 1
    assert transport.stage1_requests == []


def test_per_event_zero_is_disabled(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """Consent.<event> = 0 sends nothing for that event type, even when approved."""
    transport = MemoryTransport()
    context = make_context({"Consent.APPCRASH": "0"}, transport)
    assert crash_report(tmp_path).submit(Consent.APPROVED, context=context) is SubmitResult.DISABLED
    assert transport.stage1_requests == []
    assert len(stored(paths, StoreArea.ARCHIVE)) == 1


@pytest.mark.parametrize("settings", [{"Disabled": "1"}, {"ExcludedApplications.app.py": "1"}])
def test_disabled_and_excluded_write_nothing(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory, settings: dict[str, str]
) -> None:
    """A disabled WER or an excluded application gets WerDisabled and no report."""
    context = make_context(settings, MemoryTransport())
    assert crash_report(tmp_path).submit(Consent.APPROVED, context=context) is SubmitResult.DISABLED
    assert stored(paths, StoreArea.QUEUE) == stored(paths, StoreArea.ARCHIVE) == []


def test_disable_queue(tmp_path: Path, paths: OpenwerPaths, make_context: Factory) -> None:
    """DisableQueue refuses a report that would be queued."""
    context = make_context({"DisableQueue": "1"})
    assert crash_report(tmp_path).submit(context=context) is SubmitResult.DISABLED_QUEUE
    assert stored(paths, StoreArea.QUEUE) == []


def test_force_queue_and_queue_flag(tmp_path: Path, make_context: Factory) -> None:
    """ForceQueue and WER_SUBMIT_QUEUE queue even when the report could be sent."""
    transport = MemoryTransport()
    forced = make_context({"ForceQueue": "1"}, transport)
    assert crash_report(tmp_path).submit(Consent.APPROVED, context=forced) is (
        SubmitResult.REPORT_QUEUED
    )
    plain = make_context(transport=transport)
    assert crash_report(tmp_path).submit(Consent.APPROVED, SubmitFlags.QUEUE, context=plain) is (
        SubmitResult.REPORT_QUEUED
    )
    assert transport.stage1_requests == []


def test_no_queue_discards_when_offline(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """WER_SUBMIT_NO_QUEUE never queues: offline it fails and keeps nothing."""
    offline = make_context(transport=MemoryTransport(online=False))
    assert crash_report(tmp_path).submit(
        Consent.APPROVED, SubmitFlags.NO_QUEUE, context=offline
    ) is (SubmitResult.REPORT_FAILED)
    none = make_context()
    assert crash_report(tmp_path).submit(Consent.APPROVED, SubmitFlags.NO_QUEUE, context=none) is (
        SubmitResult.REPORT_FAILED
    )
    assert crash_report(tmp_path).submit(Consent.NOT_ASKED, SubmitFlags.NO_QUEUE, context=none) is (
        SubmitResult.REPORT_CANCELLED
    )
    assert stored(paths, StoreArea.QUEUE) == stored(paths, StoreArea.ARCHIVE) == []


def test_server_unreachable_keeps_report_queued(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """A transport that cannot reach the server leaves the report in the queue."""
    context = make_context(transport=MemoryTransport(online=False))
    assert crash_report(tmp_path).submit(Consent.APPROVED, context=context) is (
        SubmitResult.REPORT_QUEUED
    )
    assert len(stored(paths, StoreArea.QUEUE)) == 1


def test_bundle_retry_keeps_report_queued(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """Stage 1 done but the bundle could not go: queued, with the server's answer written back."""
    context = make_context(transport=MemoryTransport(bundle_outcome=UploadOutcome.RETRY_LATER))
    assert crash_report(tmp_path).submit(Consent.APPROVED, context=context) is (
        SubmitResult.REPORT_QUEUED
    )
    (item,) = stored(paths, StoreArea.QUEUE)
    assert item.manifest.state_value("Transport.DoneStage1") == "1"


def test_permanent_failure_is_archived(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """A report the server refuses for good goes to the archive as failed."""

    class Refusing(MemoryTransport):
        def send_stage1(self, request: Stage1Request):  # type: ignore[no-untyped-def]
            from openwer.transport import Stage1Outcome

            return Stage1Outcome(UploadOutcome.FAILED_PERMANENTLY, detail="bad key")

    context = make_context(transport=Refusing())
    assert crash_report(tmp_path).submit(Consent.APPROVED, context=context) is (
        SubmitResult.REPORT_FAILED
    )
    assert len(stored(paths, StoreArea.ARCHIVE)) == 1


def test_machine_store(tmp_path: Path, paths: OpenwerPaths, make_context: Factory) -> None:
    """machine_store=True and ForceAdminQueue send reports to the machine store."""
    crash_report(tmp_path).submit(context=make_context(), machine_store=True)
    crash_report(tmp_path).submit(context=make_context({"ForceAdminQueue": "1"}))
    assert len(stored(paths, StoreArea.QUEUE, StoreScope.MACHINE)) == 2
    assert stored(paths, StoreArea.QUEUE) == []


def test_registered_data_is_added(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """ADD_REGISTERED_DATA attaches registered files and a RegisteredData.json."""
    registry = Registry()
    extra = tmp_path / "state.db"
    extra.write_bytes(b"state")
    registry.register_file(extra)
    registry.register_file(tmp_path / "gone.log")  # missing files are skipped
    registry.register_metadata("Build", "1234")
    registry.register_additional_process(4242)
    context = make_context(registry=registry)
    Report("X").submit(flags=SubmitFlags.ADD_REGISTERED_DATA, context=context)
    Report("Y").submit(context=context)
    with_data, without = sorted(
        stored(paths, StoreArea.QUEUE), key=lambda r: r.manifest.event_type or ""
    )
    assert set(with_data.file_names) == {"state.db", "RegisteredData.json"}
    assert b'"Build": "1234"' in (with_data.folder / "RegisteredData.json").read_bytes()
    assert without.file_names == ()


def test_delete_when_done(tmp_path: Path, make_context: Factory) -> None:
    """WER_FILE_DELETE_WHEN_DONE removes the original once the report is stored."""
    source = tmp_path / "dump.bin"
    source.write_bytes(b"\x00" * 10)
    report = Report("X")
    report.add_file(source, FileType.OTHER, FileFlags.DELETE_WHEN_DONE)
    report.submit(context=make_context())
    assert not source.exists()


def test_async_submission(tmp_path: Path, paths: OpenwerPaths, make_context: Factory) -> None:
    """OUTOFPROCESS_ASYNC returns WerReportAsync and finishes in the background."""
    result = crash_report(tmp_path).submit(
        flags=SubmitFlags.OUTOFPROCESS_ASYNC, context=make_context()
    )
    assert result is SubmitResult.REPORT_ASYNC
    deadline = time.monotonic() + 10
    while not stored(paths, StoreArea.QUEUE) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(stored(paths, StoreArea.QUEUE)) == 1


def test_parameter_gap_is_refused(make_context: Factory) -> None:
    """Submitting with P0 and P2 but no P1 breaks the contiguity rule."""
    report = Report("X")
    report.set_parameter(0, "a")
    report.set_parameter(2, "c")
    with pytest.raises(ParameterGapError):
        report.submit(context=make_context())


def test_default_context_uses_openwer_home(openwer_home: Path) -> None:
    """Without a context the submission honours OPENWER_HOME."""
    assert Report("X").submit() is SubmitResult.REPORT_QUEUED
    assert list((openwer_home / "user" / "ReportQueue").iterdir())


@pytest.mark.parametrize("consent", [0, 5, 42])
def test_invalid_consent_is_refused(consent: int, make_context: Factory) -> None:
    """A consent outside 1..4 is an invalid argument."""
    from openwer.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError):
        Report("X").submit(consent, context=make_context())


def test_stored_key_is_remembered(
    tmp_path: Path, paths: OpenwerPaths, make_context: Factory
) -> None:
    """After a submission the report knows its store and key."""
    report = crash_report(tmp_path)
    before = report.stored_key
    report.submit(context=make_context())
    assert before is None
    (item,) = stored(paths, StoreArea.QUEUE)
    assert report.stored_key == item.key
    assert report.stored_scope is StoreScope.USER
