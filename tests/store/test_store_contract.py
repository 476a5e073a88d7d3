"""The ReportStore contract, run against DirectoryReportStore and MemoryReportStore alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_report_factory import BASE_TIME, make_document, make_report

from openwer.errors import (
    FileNotFoundForReportError,
    FormatError,
    InvalidArgumentError,
    InvalidStateError,
    ReportNotFoundError,
    StoreError,
)
from openwer.formats.bucket_id import compute_bucket_ids
from openwer.formats.report_wer import WerEntry, serialize_report_wer
from openwer.store import (
    DirectoryReportStore,
    MemoryReportStore,
    NewReport,
    PruneReason,
    ReportStore,
    RetentionPolicy,
    StagedFile,
    StoreArea,
    StoreScope,
    ThrottleRecord,
)

QUEUE = StoreArea.QUEUE
ARCHIVE = StoreArea.ARCHIVE


@pytest.fixture(params=["directory", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReportStore]:
    """Both implementations, each on its own fresh root."""
    if request.param == "directory":
        yield DirectoryReportStore(tmp_path / "user", free_space=lambda _: 1 << 40)
    else:
        yield MemoryReportStore(root=tmp_path / "user")


def test_add_then_get_returns_the_same_report(store: ReportStore) -> None:
    """A report added to the queue comes back whole from get()."""
    stored = store.add(make_report(1, files={"dump.mdmp": b"MDMP" * 1000}))
    again = store.get(stored.key)
    assert again.key == stored.key
    assert again.area is QUEUE
    assert again.scope is StoreScope.USER
    assert again.file_names == ("dump.mdmp",)
    assert again.size_bytes == stored.size_bytes
    assert again.size_bytes == len(serialize_report_wer(stored.document)) + 4000
    assert again.created_at == BASE_TIME + timedelta(minutes=1)
    assert again.manifest.event_type == "APPCRASH"
    assert again.report_id == uuid.UUID(int=2)
    assert again.folder.name == stored.key
    with store.open_file(stored.key, "dump.mdmp") as handle:
        assert handle.read() == b"MDMP" * 1000


def test_key_follows_wer_folder_naming(store: ReportStore) -> None:
    """The key is Kind_App_sha1_crc[_cab]_guid."""
    stored = store.add(make_report(3, files={"a.txt": b"a"}))
    kind, app, sha1, crc, cab, guid = stored.key.split("_")
    assert (kind, app, cab) == ("AppCrash", "demo.py", "cab")
    assert len(sha1) == 40
    assert len(crc) == 8
    assert uuid.UUID(guid) == uuid.UUID(int=4)
    plain = store.add(make_report(4))
    assert "_cab_" not in plain.key


def test_document_without_guid_gets_one_written_back(store: ReportStore) -> None:
    """A missing or non-GUID ReportIdentifier is replaced by the GUID the key carries."""
    stored = store.add(NewReport(make_document(report_id="not-a-guid")))
    assert stored.document.get("ReportIdentifier") == str(stored.report_id)
    assert store.get(stored.key).document.get("ReportIdentifier") == str(stored.report_id)
    other = store.add(NewReport(make_document(report_id=None)))
    assert other.key.endswith(str(store.get(other.key).report_id))


def test_duplicate_report_id_is_refused(store: ReportStore) -> None:
    """Adding a report whose id is already stored (queue or archive) fails, storing nothing."""
    stored = store.add(make_report(1))
    with pytest.raises(InvalidArgumentError, match="already in the store"):
        store.add(make_report(1))
    store.archive(stored.key, parameters_only=False)
    with pytest.raises(InvalidArgumentError):
        store.add(make_report(1))
    assert store.count(QUEUE) == 0
    assert store.count(ARCHIVE) == 1


def test_keys_are_oldest_first(store: ReportStore) -> None:
    """keys() orders by EventTime, whatever the order of addition."""
    added = [store.add(make_report(i)) for i in (5, 1, 3, 2, 4)]
    by_index = {int(report.manifest.signature_values[2]): report.key for report in added}
    assert store.keys(QUEUE) == [by_index[i] for i in (1, 2, 3, 4, 5)]
    assert store.keys(ARCHIVE) == []


def test_unknown_and_hostile_keys(store: ReportStore) -> None:
    """Unknown keys are not found; keys that could escape the area are invalid arguments."""
    with pytest.raises(ReportNotFoundError):
        store.get("AppCrash_x_" + "0" * 40 + "_00000000_" + str(uuid.uuid4()))
    for hostile in ("", ".", "..", "../x", "a/b", "a\\b", "a\0b", "/etc", "x\n"):
        with pytest.raises(InvalidArgumentError):
            store.get(hostile)
        with pytest.raises(InvalidArgumentError):
            store.delete(hostile)
        with pytest.raises(InvalidArgumentError):
            store.archive(hostile, parameters_only=True)
        with pytest.raises(InvalidArgumentError):
            store.query_metadata(hostile)


def test_hostile_file_names_are_refused() -> None:
    """A staged file cannot be named with a separator, '..', a control char or Report.wer."""
    for name in ("../evil", "a/b", "..", ".", "", "a\\b", "x\0", "report.WER", "tab\there"):
        with pytest.raises(InvalidArgumentError):
            StagedFile(name, b"")


def test_staged_files_must_be_listed_and_unique() -> None:
    """Every staged file is a File[n].Path of the document, and no name is staged twice."""
    document = make_document(files=("a.txt",))
    with pytest.raises(InvalidArgumentError, match="not listed"):
        NewReport(document, (StagedFile("b.txt", b""),))
    with pytest.raises(InvalidArgumentError, match="twice"):
        NewReport(make_document(files=("a.txt", "A.TXT")), (StagedFile("a.txt", b""),) * 2)


def test_files_can_come_from_paths(store: ReportStore, tmp_path: Path) -> None:
    """A staged file given as a path is copied; the original stays."""
    source = tmp_path / "source.bin"
    source.write_bytes(b"\x00\x01" * 5000)
    document = make_document(files=("copy.bin",), report_id=uuid.uuid4())
    stored = store.add(NewReport(document, (StagedFile("copy.bin", source),)))
    assert source.exists()
    with store.open_file(stored.key, "copy.bin") as handle:
        assert handle.read() == b"\x00\x01" * 5000


def test_missing_source_file_is_reported(store: ReportStore, tmp_path: Path) -> None:
    """A staged path that does not exist fails the add and stores nothing."""
    document = make_document(files=("gone.bin",), report_id=uuid.uuid4())
    report = NewReport(document, (StagedFile("gone.bin", tmp_path / "nope"),))
    with pytest.raises(FileNotFoundForReportError):
        store.add(report)
    assert store.count(QUEUE) == 0


def test_unreadable_source_file_is_a_store_error(store: ReportStore, tmp_path: Path) -> None:
    """A staged path that cannot be read (a folder) fails the add with StoreError."""
    document = make_document(files=("dir.bin",), report_id=uuid.uuid4())
    with pytest.raises(StoreError):
        store.add(NewReport(document, (StagedFile("dir.bin", tmp_path),)))
    assert store.count(QUEUE) == 0


def test_unwritable_document_is_refused(store: ReportStore) -> None:
    """A value with a line break cannot become Report.wer; nothing is stored."""
    document = make_document().with_values({"AppPath": "a\nb"})
    with pytest.raises(FormatError):
        store.add(NewReport(document))
    assert store.count(QUEUE) == 0


def test_open_file_errors(store: ReportStore) -> None:
    """Opening a file the report lacks, or with a bad name, fails clearly."""
    stored = store.add(make_report(1, files={"a.txt": b"a"}))
    with pytest.raises(FileNotFoundForReportError):
        store.open_file(stored.key, "b.txt")
    with pytest.raises(InvalidArgumentError):
        store.open_file(stored.key, "../a.txt")


def test_update_document_replaces_report_wer(store: ReportStore) -> None:
    """update_document writes back the server's answer and keeps the files."""
    stored = store.add(make_report(1, files={"a.txt": b"abc"}))
    answered = stored.document.with_values(
        {"Response.BucketId": "abcdef0123456789abcdef0123456789", "State[0].Key": "Done"}
    )
    updated = store.update_document(stored.key, answered)
    assert updated.manifest.response.bucket_id == "abcdef0123456789abcdef0123456789"
    assert store.get(stored.key).manifest.state_value("Done") is None
    assert store.get(stored.key).document.get("State[0].Key") == "Done"
    assert store.get(stored.key).file_names == ("a.txt",)


def test_update_document_cannot_change_identity(store: ReportStore) -> None:
    """A replacement with another ReportIdentifier is refused; unknown keys are not found."""
    stored = store.add(make_report(1))
    other = stored.document.with_values({"ReportIdentifier": str(uuid.uuid4())})
    with pytest.raises(InvalidArgumentError, match="ReportIdentifier"):
        store.update_document(stored.key, other)
    with pytest.raises(ReportNotFoundError):
        store.update_document(stored.key.replace("AppCrash", "AppHang"), stored.document)


@pytest.mark.parametrize("parameters_only", [True, False])
def test_archive_moves_and_optionally_drops_data(store: ReportStore, parameters_only: bool) -> None:
    """archive() moves the report; parameters-only keeps Report.wer alone."""
    stored = store.add(make_report(1, files={"dump.mdmp": b"x" * 100, "log.txt": b"y"}))
    archived = store.archive(stored.key, parameters_only=parameters_only)
    assert archived.key == stored.key
    assert archived.area is ARCHIVE
    assert store.keys(QUEUE) == []
    assert store.keys(ARCHIVE) == [stored.key]
    expected = () if parameters_only else ("dump.mdmp", "log.txt")
    assert store.get(stored.key).file_names == expected
    assert archived.document == stored.document
    with pytest.raises(InvalidStateError):
        store.archive(stored.key, parameters_only=True)


def test_delete_and_purge(store: ReportStore) -> None:
    """delete() removes one report; purge() an area or everything, returning the count."""
    keys = [store.add(make_report(i)).key for i in range(4)]
    store.archive(keys[0], parameters_only=True)
    store.delete(keys[1])
    with pytest.raises(ReportNotFoundError):
        store.get(keys[1])
    with pytest.raises(ReportNotFoundError):
        store.delete(keys[1])
    assert store.purge(QUEUE) == 2
    assert store.count(ARCHIVE) == 1
    assert store.purge() == 1
    assert store.stats().queue.count == store.stats().archive.count == 0


def test_count_size_and_stats(store: ReportStore) -> None:
    """count, size_on_disk and stats agree with the reports stored."""
    first = store.add(make_report(1, files={"a": b"a" * 10}))
    second = store.add(make_report(2))
    store.archive(second.key, parameters_only=True)
    assert store.count(QUEUE) == 1
    assert store.size_on_disk(QUEUE) == first.size_bytes
    assert store.size_on_disk(ARCHIVE) == store.get(second.key).size_bytes
    stats = store.stats()
    assert stats.scope is StoreScope.USER
    assert stats.queue.count == 1
    assert stats.archive.count == 1
    assert stats.queue.oldest == stats.queue.newest == first.created_at
    assert stats.area(ARCHIVE).oldest == second.created_at
    assert stats.damaged == 0
    assert store.damaged() == []


def test_created_at_falls_back_to_store_time(store: ReportStore) -> None:
    """Without EventTime a report's age is when it was stored."""
    before = datetime.now(UTC) - timedelta(seconds=5)
    stored = store.add(NewReport(make_document(event_time=None, report_id=uuid.uuid4())))
    assert before <= store.get(stored.key).created_at <= datetime.now(UTC) + timedelta(seconds=5)


def test_query_metadata_maps_every_field(store: ReportStore) -> None:
    """query_metadata fills V1, V2 and V3 from Report.wer."""
    integrator = uuid.uuid4()
    document = make_document(
        report_id=uuid.UUID(int=77),
        files=("dump.mdmp", "log.txt"),
        extra=(
            ("ReportStatus", "268435456"),
            ("IntegratorReportIdentifier", str(integrator)),
            ("Response.BucketId", "0123456789abcdef0123456789abcdef"),
            ("Response.LegacyBucketId", "1234567890123"),
            ("Response.CabId", "cab-42"),
            ("ReportDescription", "It fell over"),
        ),
    )
    stored = store.add(NewReport(document, (StagedFile("dump.mdmp", b"12345"),)))
    metadata = store.query_metadata(stored.key)
    values = ("python3.11", "3.11.7", "0", "libc.so.6", "2.36", "0", "c0000005")
    assert metadata.signature.event_name == "APPCRASH"
    assert [p.value for p in metadata.signature.parameters] == list(values)
    assert metadata.signature.parameters[0].name == "Application Name"
    assert metadata.bucket_id == compute_bucket_ids("APPCRASH", values).bucket_id
    assert metadata.report_id == uuid.UUID(int=77)
    assert metadata.creation_time == BASE_TIME
    assert metadata.size_in_bytes == stored.size_bytes
    assert metadata.cab_id == "cab-42"
    assert metadata.report_status == 268435456
    assert metadata.report_integrator_id == integrator
    assert metadata.number_of_files == 2
    assert metadata.file_names == ("dump.mdmp", "log.txt")
    assert metadata.friendly_event_name == "Stopped working"
    assert metadata.application_name == "demo.py"
    assert metadata.application_path == "/usr/bin/python3.11"
    assert metadata.description == "It fell over"
    assert metadata.bucket_id_string == "0123456789abcdef0123456789abcdef"
    assert metadata.legacy_bucket_id == 1234567890123


def test_prune_by_count_age_and_disk_share(store: ReportStore) -> None:
    """prune() removes the oldest beyond the count, the too old, and reports what went."""
    now = BASE_TIME + timedelta(days=1)
    old = store.add(make_report(0, age=timedelta(days=40)))
    keys = [store.add(make_report(i)).key for i in range(1, 6)]
    archived = [store.add(make_report(i), area=ARCHIVE).key for i in range(10, 13)]
    result = store.prune(RetentionPolicy(max_queue_count=3, max_archive_count=2), now=now)
    assert result.keys(PruneReason.AGE) == (old.key,)
    assert result.keys(PruneReason.COUNT) == (keys[0], keys[1], archived[0])
    assert store.keys(QUEUE) == keys[2:]
    assert store.keys(ARCHIVE) == archived[1:]
    assert result.removed_count == 4
    assert result.removed_bytes > 0
    assert store.prune(RetentionPolicy(), now=now).removed == ()


def test_prune_by_disk_share(store: ReportStore) -> None:
    """A zero disk share empties the queue, oldest first; the archive is untouched."""
    keys = [store.add(make_report(i)).key for i in range(3)]
    store.add(make_report(9), area=ARCHIVE)
    result = store.prune(RetentionPolicy(max_queue_disk_share=0.0, max_age=None))
    assert result.keys(PruneReason.DISK_SHARE) == tuple(keys)
    assert store.count(ARCHIVE) == 1


def test_throttle_records_one_cab_per_bucket(store: ReportStore) -> None:
    """The store's throttle says whether a bucket already had a CAB uploaded."""
    throttle = store.throttle
    assert not throttle.has_uploaded_cab("{ABCDEF}")
    assert throttle.record_cab_uploaded("{ABCDEF}") is ThrottleRecord.RECORDED
    assert throttle.has_uploaded_cab(" abcdef ")
    assert throttle.record_cab_uploaded("abcdef") is ThrottleRecord.ALREADY_RECORDED
    assert throttle.reset() == 1
    assert not throttle.has_uploaded_cab("abcdef")
    with pytest.raises(InvalidArgumentError):
        throttle.has_uploaded_cab(" {} ")


def test_recover_on_a_clean_store_does_nothing(store: ReportStore) -> None:
    """recover() on a store without leftovers reports no action."""
    store.add(make_report(1))
    assert store.recover().actions == ()


def test_unknown_entries_in_document_survive(store: ReportStore) -> None:
    """Keys the store does not know are kept verbatim through add and get."""
    document = make_document(report_id=uuid.uuid4(), extra=(("X-Custom.Thing", "a=b=c"),))
    stored = store.add(NewReport(document))
    assert WerEntry("X-Custom.Thing", "a=b=c") in store.get(stored.key).document.entries


def test_attach_files_adds_files_and_document(store: ReportStore) -> None:
    """attach_files publishes new files and the Report.wer that lists them."""
    stored = store.add(make_report(7, files={"dump.mdmp": b"MDMP"}))
    document = stored.document.with_values(
        {
            "File[1].CabName": "modules.json",
            "File[1].Path": "modules.json",
            "File[1].Flags": "0",
            "File[1].Type": "5",
            "LoadedModule[2]": "/usr/lib/python3.11/json/__init__.py",
        }
    )
    after = store.attach_files(stored.key, document, (StagedFile("modules.json", b"{}"),))
    assert sorted(after.file_names) == ["dump.mdmp", "modules.json"]
    assert len(after.manifest.loaded_modules) == 3
    with store.open_file(stored.key, "modules.json") as handle:
        assert handle.read() == b"{}"


def test_attach_files_refuses_unlisted_and_existing_names(store: ReportStore) -> None:
    """Files the document does not list, or that exist already, are refused and nothing changes."""
    stored = store.add(make_report(8, files={"dump.mdmp": b"MDMP"}))
    with pytest.raises(InvalidArgumentError, match="not listed"):
        store.attach_files(stored.key, stored.document, (StagedFile("extra.txt", b"x"),))
    with pytest.raises(InvalidArgumentError, match="already has"):
        store.attach_files(stored.key, stored.document, (StagedFile("dump.mdmp", b"x"),))
    other = make_document(report_id=uuid.uuid4())
    with pytest.raises(InvalidArgumentError):
        store.attach_files(stored.key, other, ())
    assert store.get(stored.key).file_names == ("dump.mdmp",)


def test_attach_files_from_a_path(store: ReportStore, tmp_path: Path) -> None:
    """A staged file may come from a path."""
    stored = store.add(make_report(9))
    source = tmp_path / "notes.txt"
    source.write_bytes(b"notes")
    document = stored.document.with_values(
        {"File[0].CabName": "notes.txt", "File[0].Path": "notes.txt"}
    )
    after = store.attach_files(stored.key, document, (StagedFile("notes.txt", source),))
    assert after.file_names == ("notes.txt",)
