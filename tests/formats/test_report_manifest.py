"""The typed Report.wer view: grouping as WER groups, raw values kept, odd values read as None."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from openwer.formats.report_manifest import (
    FileEntry,
    IndexedPair,
    ReportManifest,
    ResponseInfo,
    parse_int,
    parse_uuid,
)
from openwer.formats.report_wer import WerDocument, WerEntry, parse_report_wer


def _manifest(*lines: str) -> ReportManifest:
    return ReportManifest.from_document(parse_report_wer("\r\n".join(lines).encode("utf-8")))


# --- parse_int / parse_uuid --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("2", 2),
        ("133211708571634483", 133211708571634483),
        ("-2139705494", -2139705494),
        ("+5", 5),
        ("  16777220 ", 16777220),
        ("0x10002", 0x10002),
        ("0X1F", 0x1F),
        ("-0x10", -16),
        ("00000008", 8),
    ],
)
def test_parse_int_reads_decimal_and_0x_hex(raw: str, expected: int) -> None:
    """Decimal (signed, padded, blank-trimmed) and ``0x`` hex read as integers."""
    assert parse_int(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "two",
        "1.0",
        "1e3",
        "12abc",
        "c0000005",
        "0x",
        "0xg1",
        "--1",
        "1_000",
        "0x_ff",
        "١٢",
        "１２",
        "test_report_type",
    ],
)
def test_parse_int_rejects_everything_else(raw: str | None) -> None:
    """Text that is not plain decimal or ``0x`` hex, including ``1_000`` and non-ASCII digits."""
    assert parse_int(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "b0e0a37d-af49-4d6d-a411-f0946870c9dd",
        "{b0e0a37d-af49-4d6d-a411-f0946870c9dd}",
        " B0E0A37D-AF49-4D6D-A411-F0946870C9DD ",
        "b0e0a37daf494d6da411f0946870c9dd",
    ],
)
def test_parse_uuid_reads_guids_with_or_without_braces(raw: str) -> None:
    """A GUID reads with or without braces, in either case, dashed or not."""
    assert parse_uuid(raw) == uuid.UUID("b0e0a37d-af49-4d6d-a411-f0946870c9dd")


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "test_report_identifier",
        "b0e0a37d-af49-4d6d-a411",
        "b0e0a37d-af49-4d6d-a411-f0946870c9dd0",
        "g0e0a37d-af49-4d6d-a411-f0946870c9dd",
        "+" + "1" * 31,
        "a" + "_a" * 15 + "a",
        "urn:uuid:b0e0a37d-af49-4d6d-a411-f0946870c9dd",
    ],
)
def test_parse_uuid_rejects_non_guids(raw: str | None) -> None:
    """Text that is not a GUID (placeholders, truncated, signed or underscored hex) is None."""
    assert parse_uuid(raw) is None


# --- scalars -----------------------------------------------------------------------------------


def test_every_named_scalar_maps_to_its_field() -> None:
    """Each scalar WER writes lands in its named field, raw."""
    manifest = _manifest(
        "Version=1",
        "EventType=APPCRASH",
        "EventTime=133211708571634483",
        "ReportType=2",
        "Consent=1",
        "UploadTime=133211708571634483",
        "ReportStatus=268435456",
        "ReportIdentifier=a0b96850-10a3-4724-a8e8-36d7601aa12d",
        "IntegratorReportIdentifier=c2259f29-8d72-421f-83e5-f4e77e11a303",
        "NsAppName=WinSCP.exe",
        "OriginalFilename=winscp.exe",
        "AppSessionGuid=000036a4-0006-002e-ea5e-b9c0ef4dd501",
        "TargetAppId=W:00!00!WinSCP.exe",
        "TargetAppVer=2023//01//01:00:00:00!0!WinSCP.exe",
        "IsFatal=1",
        "FriendlyEventName=Stopped working",
        "ConsentKey=APPCRASH",
        "AppName=WinSCP: SFTP, FTP, WebDAV, S3 and SCP client",
        r"AppPath=C:\Program Files (x86)\WinSCP\WinSCP.exe",
        "ReportDescription=desc",
        "NsPartner=windows",
        "NsGroup=windows8",
        "ApplicationIdentity=45B3D2BB4FABCE88A748DFBEF7254C79",
        "MetadataHash=-1427362016",
    )
    assert manifest.version == "1"
    assert manifest.event_type == "APPCRASH"
    assert manifest.event_time_raw == "133211708571634483"
    assert manifest.event_time == datetime(2023, 2, 18, 5, 14, 17, 163448, tzinfo=UTC)
    assert manifest.upload_time == manifest.event_time
    assert manifest.report_type_raw == "2"
    assert manifest.report_type == 2
    assert manifest.consent_raw == "1"
    assert manifest.consent == 1
    assert manifest.upload_time_raw == "133211708571634483"
    assert manifest.report_status_raw == "268435456"
    assert manifest.report_status == 0x10000000
    assert manifest.report_id == "a0b96850-10a3-4724-a8e8-36d7601aa12d"
    assert manifest.report_uuid == uuid.UUID("a0b96850-10a3-4724-a8e8-36d7601aa12d")
    assert manifest.integrator_report_id == "c2259f29-8d72-421f-83e5-f4e77e11a303"
    assert manifest.ns_app_name == "WinSCP.exe"
    assert manifest.original_filename == "winscp.exe"
    assert manifest.app_session_guid == "000036a4-0006-002e-ea5e-b9c0ef4dd501"
    assert manifest.target_app_id == "W:00!00!WinSCP.exe"
    assert manifest.target_app_ver == "2023//01//01:00:00:00!0!WinSCP.exe"
    assert manifest.is_fatal_raw == "1"
    assert manifest.is_fatal is True
    assert manifest.friendly_event_name == "Stopped working"
    assert manifest.consent_key == "APPCRASH"
    assert manifest.app_name == "WinSCP: SFTP, FTP, WebDAV, S3 and SCP client"
    assert manifest.app_path == r"C:\Program Files (x86)\WinSCP\WinSCP.exe"
    assert manifest.report_description == "desc"
    assert manifest.ns_partner == "windows"
    assert manifest.ns_group == "windows8"
    assert manifest.application_identity == "45B3D2BB4FABCE88A748DFBEF7254C79"
    assert manifest.metadata_hash == "-1427362016"
    assert manifest.unknown == ()


def test_other_known_scalars_are_not_unknown() -> None:
    """Scalars WER writes that the view has no field for stay in the document, not in unknown."""
    lines = [
        "Wow64Host=34404",
        "Wow64Guest=332",
        "BootId=4294967295",
        "ServiceSplit=3414806152",
        "HeapdumpAttached=1",
        "TargetAsId=1367",
        "UserImpactVector=808452912",
        "EtwNonCollectReason=4",
    ]
    manifest = _manifest("Version=1", *lines)
    assert manifest.unknown == ()
    assert manifest.document.get("Wow64Host") == "34404"


def test_unknown_scalars_and_groups_are_listed_in_order() -> None:
    """Keys the view does not know are listed in unknown, in file order, and stay readable."""
    manifest = _manifest(
        "Version=1",
        "TargetProcessId=1234",
        "Foo[1].Bar=x",
        "DumpFile=C:\\dump.dmp",
        "  ",
        "Bare",
    )
    assert manifest.unknown == (
        WerEntry("TargetProcessId", "1234"),
        WerEntry("Foo[1].Bar", "x"),
        WerEntry("DumpFile", "C:\\dump.dmp"),
        WerEntry("Bare", None),
    )


def test_scalar_duplicates_first_wins_and_bare_scalar_is_skipped() -> None:
    """A repeated scalar reads as its first value (as get() does); a bare scalar is no value."""
    manifest = _manifest("EventType", "eventtype=First", "EVENTTYPE=Second", "Version=1")
    assert manifest.event_type == "First"
    assert manifest.event_type == manifest.document.get("EventType", "First")
    assert manifest.unknown == ()


def test_empty_document_reads_as_nothing() -> None:
    """A document without entries gives an empty manifest (no errors, all None)."""
    manifest = ReportManifest.from_document(WerDocument())
    assert manifest.event_type is None
    assert manifest.event_time is None
    assert manifest.upload_time is None
    assert manifest.report_type is None
    assert manifest.consent is None
    assert manifest.report_status is None
    assert manifest.is_fatal is None
    assert manifest.report_uuid is None
    assert manifest.signature == ()
    assert manifest.signature_values == ()
    assert manifest.state_value("Transport.DoneStage1") is None
    assert manifest.response == ResponseInfo()
    assert manifest.response.is_empty


# --- values that do not parse ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("EventTime", "yesterday"),
        ("EventTime", ""),
        ("EventTime", "-1"),
        ("EventTime", "1.5"),
        ("EventTime", "99999999999999999999"),
        ("EventTime", str(2**63 - 1)),
        ("EventTime", "2650467744000000000"),
        ("EventTime", "0x7FFFFFFFFFFFFFFF"),
        ("UploadTime", "soon"),
        ("UploadTime", "1_0"),
    ],
)
def test_unreadable_times_are_none_and_kept_verbatim(field: str, raw: str) -> None:
    """An EventTime/UploadTime that is no FILETIME in datetime's range reads as None, raw kept."""
    manifest = _manifest("Version=1", f"{field}={raw}")
    assert manifest.event_time is None
    assert manifest.upload_time is None
    assert manifest.document.get(field) == raw
    assert raw in (manifest.event_time_raw, manifest.upload_time_raw)


def test_unreadable_values_keep_the_file_readable() -> None:
    """Non-numeric Version/ReportType/Consent/Status/IsFatal and a non-GUID id read as None."""
    manifest = _manifest(
        "Version=one",
        "EventType=APPCRASH",
        "EventTime=a long time ago",
        "ReportType=crash",
        "Consent=maybe",
        "ReportStatus=0xZZ",
        "ReportIdentifier=not-a-guid",
        "IsFatal=yes",
        "File[0].Flags=many",
        "File[0].Type=dump",
    )
    assert manifest.version == "one"
    assert manifest.event_type == "APPCRASH"
    assert manifest.event_time_raw == "a long time ago"
    assert manifest.event_time is None
    assert manifest.report_type_raw == "crash"
    assert manifest.report_type is None
    assert manifest.consent is None
    assert manifest.report_status_raw == "0xZZ"
    assert manifest.report_status is None
    assert manifest.report_id == "not-a-guid"
    assert manifest.report_uuid is None
    assert manifest.is_fatal is None
    assert manifest.files == (FileEntry(0, flags_raw="many", type_raw="dump"),)
    assert manifest.files[0].flags is None
    assert manifest.files[0].file_type is None


def test_filetime_at_the_edges_of_datetime() -> None:
    """FILETIME 0 is 1601-01-01; the last FILETIME of year 9999 still reads."""
    assert _manifest("EventTime=0").event_time == datetime(1601, 1, 1, tzinfo=UTC)
    last = _manifest("EventTime=2650467743999999999").event_time
    assert last == datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_is_fatal_zero_is_false() -> None:
    """IsFatal=0 is a definite False, not None."""
    assert _manifest("IsFatal=0").is_fatal is False


# --- groups ------------------------------------------------------------------------------------


def test_signature_pairs_with_gaps_and_missing_halves() -> None:
    """Sig slots group by index (gaps kept); a missing half is None, a missing value reads ''."""
    manifest = _manifest(
        "Sig[2].Value=c",
        "Sig[0].Name=Application Name",
        "Sig[0].Value=a",
        "sig[2].name=Third",
        "Sig[5].Name=Only a name",
    )
    assert manifest.signature == (
        IndexedPair(0, "Application Name", "a"),
        IndexedPair(2, "Third", "c"),
        IndexedPair(5, "Only a name", None),
    )
    assert manifest.signature_values == ("a", "c", "")


def test_pair_groups_accept_key_as_the_name_half() -> None:
    """State and OsInfo use ``.Key``; a ``.Key`` without ``.Value`` is a pair with no value."""
    manifest = _manifest(
        "State[0].Key=Transport.DoneStage1",
        "State[0].Value=1",
        "OsInfo[30].Key=buildflightid",
        "OsInfo[31].Key=edition",
        "OsInfo[31].Value=Professional",
        "DynamicSig[22].Name=Additional Information 1",
        "DynamicSig[22].Value=0000",
    )
    assert manifest.state == (IndexedPair(0, "Transport.DoneStage1", "1"),)
    assert manifest.os_info == (
        IndexedPair(30, "buildflightid", None),
        IndexedPair(31, "edition", "Professional"),
    )
    assert manifest.dynamic_signature == (IndexedPair(22, "Additional Information 1", "0000"),)


def test_pair_group_first_copy_wins_even_without_value() -> None:
    """A repeated pair half reads as its first copy, as document.get() does."""
    manifest = _manifest("Sig[0].Name", "Sig[0].Name=Later", "Sig[0].Value=a", "Sig[0].Value=b")
    assert manifest.signature == (IndexedPair(0, None, "a"),)
    assert manifest.document.get("Sig[0].Name") is None


def test_pair_group_odd_sub_keys_are_unknown() -> None:
    """``Sig[0]`` without a sub-key or with one other than Name/Key/Value is unknown."""
    manifest = _manifest("Sig[0]=bare", "Sig[0].Extra=x", "OsInfo[0].Other=y", "Sig[0].Value=v")
    assert manifest.signature == (IndexedPair(0, None, "v"),)
    assert manifest.unknown == (
        WerEntry("Sig[0]", "bare"),
        WerEntry("Sig[0].Extra", "x"),
        WerEntry("OsInfo[0].Other", "y"),
    )


def test_state_value_is_case_insensitive() -> None:
    """state_value finds a State[] entry by its ``.Key``, in any case."""
    manifest = _manifest(
        "State[0].Value=orphan",
        "State[1].Key=TpWatsonBucketId",
        "State[1].Value=c8afbeebe387a4eff71d246ac10bf97f",
    )
    assert manifest.state_value("tpwatsonbucketid") == "c8afbeebe387a4eff71d246ac10bf97f"
    assert manifest.state_value("Missing") is None


def test_ui_and_loaded_modules_sort_by_index() -> None:
    """UI[n] and LoadedModule[n] read in index order, first copy winning, any key case."""
    manifest = _manifest(
        "UI[5]=Close the program",
        "ui[3]=Edge is not responding",
        "UI[3]=second copy",
        "LoadedModule[10]=c.dll",
        "LoadedModule[2]=b.dll",
        "loadedmodule[0]=a.exe",
        "LoadedModule[2]=again.dll",
    )
    assert manifest.ui == ((3, "Edge is not responding"), (5, "Close the program"))
    assert manifest.loaded_modules == ("a.exe", "b.dll", "c.dll")


def test_ui_and_module_oddities_are_unknown() -> None:
    """UI/LoadedModule entries with a sub-key or no value are unknown, not dropped."""
    manifest = _manifest("UI[2].Text=x", "UI[3]", "LoadedModule[0].Path=y", "LoadedModule[1]")
    assert manifest.ui == ()
    assert manifest.loaded_modules == ()
    assert [entry.key for entry in manifest.unknown] == [
        "UI[2].Text",
        "UI[3]",
        "LoadedModule[0].Path",
        "LoadedModule[1]",
    ]


def test_files_group_by_index_with_every_field() -> None:
    """File[n].* fields group per index in any key case; flags are the low 16 bits."""
    manifest = _manifest(
        "File[1].CabName=WERInternalMetadata.xml",
        "file[1].path=WERE093.tmp.WERInternalMetadata.xml",
        "File[1].Flags=327682",
        "File[1].Type=5",
        r"File[1].ORIGINAL.PATH=\\?\C:\ProgramData\WERE093.tmp.WERInternalMetadata.xml",
        "File[0].CabName=minidump.mdmp",
        "File[0].Flags=0x20210000",
        "File[0].Type=2",
        "File[0].Type=3",
    )
    assert manifest.files == (
        FileEntry(0, cab_name="minidump.mdmp", flags_raw="0x20210000", type_raw="2"),
        FileEntry(
            1,
            "WERInternalMetadata.xml",
            "WERE093.tmp.WERInternalMetadata.xml",
            "327682",
            "5",
            r"\\?\C:\ProgramData\WERE093.tmp.WERInternalMetadata.xml",
        ),
    )
    assert manifest.files[0].flags == 0
    assert manifest.files[1].flags == 2
    assert manifest.files[1].file_type == 5


def test_file_oddities_are_unknown() -> None:
    """A File[] entry with no sub-key, no value or a sub-key WER does not write is unknown."""
    manifest = _manifest("File[0]=x", "File[0].Path", "File[0].Extra=y", "File[0].CabName=a.txt")
    assert manifest.files == (FileEntry(0, cab_name="a.txt"),)
    assert manifest.unknown == (
        WerEntry("File[0]", "x"),
        WerEntry("File[0].Path", None),
        WerEntry("File[0].Extra", "y"),
    )


# --- response ----------------------------------------------------------------------------------


def test_response_keys_map_to_fields_and_others_are_kept() -> None:
    """Response.* keys fill ResponseInfo in any case; unfamiliar ones go to ``other``."""
    manifest = _manifest(
        "RESPONSE.BUCKETID=5cb53a2b0bdef924e20a74a0f9ff0353",
        "Response.BucketTable=5",
        "response.legacybucketid=1299979677187638099",
        "Response.type=4",
        "Response.CabId=2154498584323680636",
        "Response.CabGuid=1701c157-8fe6-4c22-9de6-510c23b1e97c",
        "Response.Novel=x=y",
    )
    assert manifest.response == ResponseInfo(
        bucket_id="5cb53a2b0bdef924e20a74a0f9ff0353",
        bucket_table="5",
        legacy_bucket_id="1299979677187638099",
        type="4",
        cab_id="2154498584323680636",
        cab_guid="1701c157-8fe6-4c22-9de6-510c23b1e97c",
        other=(("Novel", "x=y"),),
    )
    assert not manifest.response.is_empty
    assert manifest.unknown == ()


def test_response_duplicates_first_wins_like_get() -> None:
    """A Response key written twice (in any case) reads as its first copy, as get() does."""
    manifest = _manifest(
        "Response.BucketId=first",
        "response.bucketid=second",
        "Response.Novel=1",
        "RESPONSE.NOVEL=2",
    )
    assert manifest.response.bucket_id == "first"
    assert manifest.response.bucket_id == manifest.document.get("response.BucketId")
    assert manifest.response.other == (("Novel", "1"),)


def test_response_key_without_value_is_unknown() -> None:
    """A bare ``Response.BucketId`` line (no ``=``) is no answer; it is listed as unknown."""
    manifest = _manifest("Version=1", "Response.BucketId")
    assert manifest.response.is_empty
    assert manifest.unknown == (WerEntry("Response.BucketId", None),)


@pytest.mark.parametrize(
    "response",
    [
        ResponseInfo(bucket_id="b"),
        ResponseInfo(bucket_table="5"),
        ResponseInfo(legacy_bucket_id="1"),
        ResponseInfo(type="4"),
        ResponseInfo(cab_id="1"),
        ResponseInfo(cab_guid="g"),
        ResponseInfo(other=(("X", "y"),)),
    ],
)
def test_response_with_any_field_is_not_empty(response: ResponseInfo) -> None:
    """Any one Response field makes the answer non-empty."""
    assert not response.is_empty
    assert ResponseInfo().is_empty


def test_manifest_keeps_the_document() -> None:
    """The view holds the exact document it was built from."""
    document = parse_report_wer(b"Version=1\r\nEventType=APPCRASH")
    assert ReportManifest.from_document(document).document is document
