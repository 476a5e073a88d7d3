"""The Report.wer codec and manifest view against the real files of ``../shared/corpus``.

Every expected value below is a fact ``corpus/MANIFEST.md`` states for the file (the origin's own
test, or the values Windows wrote), so these tests check the code against ground truth nobody on
this project wrote. The files are read in place, never copied.
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openwer.formats.report_manifest import FileEntry, IndexedPair, ReportManifest, parse_int
from openwer.formats.report_wer import (
    SourceEncoding,
    WerDocument,
    WerEntry,
    canonical_rank,
    parse_report_wer,
    serialize_report_wer,
)

README_BEX64 = (
    "wer/DebugPrivilege__InsightEngineering__Windows_Error_Reporting__README.md.Report.wer.txt"
)
TASKMGR_ZH_CN = "wer/DownPower__website__Report.wer"
MOAPPCRASH = "wer/JonJon565__JohnsDDLs__Report.wer"
WIN7_NO_BOM = (
    "wer/fox-it__dissect.target__tests___data__plugins__os__windows__wer__windows7__"
    "wer_test_no_bom.wer"
)
SYNTHETIC = (
    "wer-synthetic/fox-it__dissect.target__tests___data__plugins__os__windows__wer__wer_test.wer"
)

REAL_FILES = (README_BEX64, TASKMGR_ZH_CN, MOAPPCRASH, WIN7_NO_BOM)
ALL_FILES = (*REAL_FILES, SYNTHETIC)
WINDOWS_WRITTEN = (TASKMGR_ZH_CN, MOAPPCRASH)  # UTF-16LE, BOM, CRLF: exactly what serialize writes

SHA256 = {
    README_BEX64: "8a2ab376231cee63e88443fc753d4f8c418931e3192bfaec3a6780767ffbf86a",
    TASKMGR_ZH_CN: "154d83b0a553867ef1246abeb47516ef143c8e027ad71216ba780530071f5896",
    MOAPPCRASH: "19c84e41db3c68ad1428155ce0b62d45bc8e14aa8ec4a1d97d667f2e88d8848a",
    WIN7_NO_BOM: "3d39e8e5586b2f1955de5c002f85029c4e2802be658ed46a20ce9164b50ed990",
    SYNTHETIC: "4f3847f6971f000fe39e7b25f4dd4d901ad6e7af3cc9abd7839808937d6d3c3b",
}

CRASH_SIG_NAMES_EN = (
    "Application Name",
    "Application Version",
    "Application Timestamp",
    "Fault Module Name",
    "Fault Module Version",
    "Fault Module Timestamp",
)


@dataclass(frozen=True)
class Facts:
    """What MANIFEST.md (and the file's own bytes) say one Report.wer must read as."""

    name: str
    encoding: SourceEncoding
    newline: str
    trailing_newline: bool
    entry_count: int
    event_type: str
    event_time_raw: str
    event_time: datetime
    report_type: int | None
    report_id: str
    signature_names: tuple[str, ...]
    signature_values: tuple[str, ...]
    dynamic_signature: tuple[IndexedPair, ...]
    bucket_id: str | None
    bucket_table: str | None
    legacy_bucket_id: str | None
    loaded_module_count: int
    file_count: int
    os_info_count: int
    app_name: str
    consent_key: str
    friendly_event_name: str
    metadata_hash: str | None


FACTS = (
    Facts(
        name=README_BEX64,
        encoding=SourceEncoding.UTF8,
        newline="\n",
        trailing_newline=True,
        entry_count=200,
        event_type="BEX64",
        event_time_raw="133496477153022430",
        event_time=datetime(2024, 1, 13, 19, 28, 35, 302243, tzinfo=UTC),
        report_type=2,
        report_id="af591e90-8a5e-4a3c-a9f1-3ddaa5e0b04b",
        signature_names=(
            *CRASH_SIG_NAMES_EN,
            "Exception Offset",
            "Exception Code",
            "Exception Data",
        ),
        signature_values=(
            "beacon.exe",
            "0.0.0.0",
            "00000000",
            "StackHash_0000",
            "0.0.0.0",
            "00000000",
            "PCH_84",
            "c0000005",
            "0000000000000008",
        ),
        dynamic_signature=(
            IndexedPair(1, "OS Version", "10.0.19043.2.0.0.256.48"),
            IndexedPair(2, "Locale ID", "2057"),
            IndexedPair(22, "Additional Information 1", "0000"),
            IndexedPair(23, "Additional Information 2", "00000000000000000000000000000000"),
            IndexedPair(24, "Additional Information 3", "0000"),
            IndexedPair(25, "Additional Information 4", "00000000000000000000000000000000"),
        ),
        bucket_id=None,
        bucket_table=None,
        legacy_bucket_id=None,
        loaded_module_count=41,
        file_count=6,
        os_info_count=38,
        app_name="beacon.exe",
        consent_key="BEX64",
        friendly_event_name="Stopped working",
        metadata_hash="1107672753",
    ),
    Facts(
        name=TASKMGR_ZH_CN,
        encoding=SourceEncoding.UTF16LE_BOM,
        newline="\r\n",
        trailing_newline=False,
        entry_count=277,
        event_type="APPCRASH",
        event_time_raw="133915908992113755",
        event_time=datetime(2025, 5, 13, 6, 21, 39, 211375, tzinfo=UTC),
        report_type=2,
        report_id="a9886c9a-3f1c-4dae-beb8-48555afc5fc3",
        signature_names=(
            "应用程序名",
            "应用程序版本",
            "应用程序时间戳",
            "故障模块名称",
            "故障模块版本",
            "故障模块时间戳",
            "异常代码",
            "异常偏移",
        ),
        signature_values=(
            "taskmgr.exe",
            "10.0.22000.1761",
            "06221210",
            "taskmgr.exe",
            "10.0.22000.1761",
            "06221210",
            "c0000005",
            "000000000004b519",
        ),
        dynamic_signature=(
            IndexedPair(1, "OS 版本", "10.0.22000.2.0.0.256.48"),
            IndexedPair(2, "区域设置 ID", "2052"),
            IndexedPair(22, "其他信息 1", "2e67"),
            IndexedPair(23, "其他信息 2", "2e674f284479ce63f5e3ad024b57a603"),
            IndexedPair(24, "其他信息 3", "6e7e"),
            IndexedPair(25, "其他信息 4", "6e7e5bf1276965a90e1e017106034a38"),
        ),
        bucket_id="c8afbeebe387a4eff71d246ac10bf97f",
        bucket_table="4",
        legacy_bucket_id="1665527478120872319",
        loaded_module_count=128,
        file_count=0,
        os_info_count=39,
        app_name="Task Manager",
        consent_key="APPCRASH",
        friendly_event_name="已停止工作",
        metadata_hash="294467705",
    ),
    Facts(
        name=MOAPPCRASH,
        encoding=SourceEncoding.UTF16LE_BOM,
        newline="\r\n",
        trailing_newline=False,
        entry_count=229,
        event_type="MoAppCrash",
        event_time_raw="133507243830375858",
        event_time=datetime(2024, 1, 26, 6, 33, 3, 37585, tzinfo=UTC),
        report_type=2,
        report_id="b0e0a37d-af49-4d6d-a411-f0946870c9dd",
        signature_names=(
            "Package Full Name",
            "Application Name",
            "Application Version",
            "Application Timestamp",
            "Fault Module Name",
            "Fault Module Version",
            "Fault Module Timestamp",
            "Exception Code",
            "Exception Offset",
        ),
        signature_values=(
            "VectorUnit.BeachBuggyRacing_1.2.7.0_x64__hvbhrzr8672s2",
            "praid:App",
            "0.0.0.0",
            "55f30334",
            "combase.dll",
            "10.0.19041.3636",
            "613e7d3d",
            "80004002",
            "000000000001ccfa",
        ),
        dynamic_signature=(
            IndexedPair(1, "OS Version", "10.0.19045.2.0.0.768.101"),
            IndexedPair(2, "Locale ID", "1033"),
            IndexedPair(22, "Additional Information 1", "2964"),
            IndexedPair(23, "Additional Information 2", "296411f0c12f33136424f8cb4255d019"),
            IndexedPair(24, "Additional Information 3", "4257"),
            IndexedPair(25, "Additional Information 4", "4257931c3dea2e6fefbaac542090a293"),
        ),
        bucket_id="3ddc1eae9ee877864d36eea97bb20406",
        bucket_table="5",
        legacy_bucket_id="2105132287534433286",
        loaded_module_count=94,
        file_count=0,
        os_info_count=38,
        app_name="PurpleWinStore.exe",
        consent_key="MoAppCrash",
        friendly_event_name="Stopped working",
        metadata_hash="-2139705494",
    ),
    Facts(
        name=WIN7_NO_BOM,
        encoding=SourceEncoding.UTF16LE,
        newline="\r\n",
        trailing_newline=True,
        entry_count=29,
        event_type="MpTelemetry",
        event_time_raw="132820691890207334",
        event_time=datetime(2021, 11, 22, 15, 39, 49, 20733, tzinfo=UTC),
        report_type=None,
        report_id="6c9a23e6-4baa-11ec-b471-f8ffc23b68a3",
        signature_names=tuple(f"Problem Signature {n:02d}" for n in range(1, 8)),
        signature_values=(
            "8024402c",
            "EndSearch",
            "Search",
            "6.1.7601.17514",
            "MpSigDwn.dll",
            "6.1.7600.16385",
            "Windows Defender",
        ),
        dynamic_signature=(
            IndexedPair(1, "OS Version", "6.1.7601.2.1.0.256.48"),
            IndexedPair(2, "Locale ID", "1033"),
        ),
        bucket_id=None,
        bucket_table=None,
        legacy_bucket_id=None,
        loaded_module_count=0,
        file_count=0,
        os_info_count=0,
        app_name="Microsoft Malware Protection Command Line Utility",
        consent_key="MpTelemetry",
        friendly_event_name="MpTelemetry",
        metadata_hash=None,
    ),
    Facts(
        name=SYNTHETIC,
        encoding=SourceEncoding.UTF16LE_BOM,
        newline="\n",
        trailing_newline=False,
        entry_count=27,
        event_type="test_event_type",
        event_time_raw="133093548000000000",
        event_time=datetime(2022, 10, 4, 11, 0, 0, tzinfo=UTC),
        report_type=None,
        report_id="test_report_identifier",
        signature_names=("sig",),
        signature_values=("test_sig",),
        dynamic_signature=(IndexedPair(1, "dynamic_sig", "test_dynamic_sig"),),
        bucket_id=None,
        bucket_table=None,
        legacy_bucket_id=None,
        loaded_module_count=0,
        file_count=1,
        os_info_count=0,
        app_name="test_app_name",
        consent_key="test_consent_key",
        friendly_event_name="test_friendly_event_name",
        metadata_hash="test_metadata_hash",
    ),
)


def _read(corpus_dir: Path, name: str) -> bytes:
    return (corpus_dir / name).read_bytes()


def _document(corpus_dir: Path, name: str) -> WerDocument:
    return parse_report_wer(_read(corpus_dir, name))


def _manifest(corpus_dir: Path, name: str) -> ReportManifest:
    return ReportManifest.from_document(_document(corpus_dir, name))


def _pairs(document: WerDocument) -> list[tuple[str, str]]:
    pairs = []
    for entry in document.entries:
        assert entry.value is not None, entry.key
        pairs.append((entry.key, entry.value))
    return pairs


def _short(name: str) -> str:
    return name.split("__")[1] + "/" + name.rsplit("__", 1)[-1]


# --- the corpus itself -------------------------------------------------------------------------


def test_every_corpus_report_wer_has_facts(corpus_dir: Path) -> None:
    """Every Report.wer in corpus/wer and corpus/wer-synthetic is one this module checks."""
    found = {
        str(path.relative_to(corpus_dir))
        for pattern in ("wer/*.wer", "wer/*.Report.wer.txt", "wer-synthetic/*.wer")
        for path in corpus_dir.glob(pattern)
    }
    assert found == set(ALL_FILES)
    assert {facts.name for facts in FACTS} == set(ALL_FILES)


@pytest.mark.parametrize("name", ALL_FILES, ids=_short)
def test_corpus_file_is_the_one_manifest_describes(corpus_dir: Path, name: str) -> None:
    """The file's bytes hash to the SHA-256 MANIFEST.md records, so the facts apply to them."""
    assert hashlib.sha256(_read(corpus_dir, name)).hexdigest() == SHA256[name]


# --- facts per file ----------------------------------------------------------------------------


@pytest.mark.parametrize("facts", FACTS, ids=lambda facts: _short(facts.name))
def test_document_shape_matches_manifest(corpus_dir: Path, facts: Facts) -> None:
    """Encoding, line ends, final line break and number of entries are those of the file."""
    document = _document(corpus_dir, facts.name)
    assert document.source_encoding is facts.encoding
    assert document.newline == facts.newline
    assert document.trailing_newline is facts.trailing_newline
    assert len(document) == facts.entry_count
    assert all(entry.value is not None for entry in document)


@pytest.mark.parametrize("facts", FACTS, ids=lambda facts: _short(facts.name))
def test_event_facts_match_manifest(corpus_dir: Path, facts: Facts) -> None:
    """Event type, EventTime (raw FILETIME and UTC datetime), ReportType and id read as stated."""
    manifest = _manifest(corpus_dir, facts.name)
    assert manifest.event_type == facts.event_type
    assert manifest.event_time_raw == facts.event_time_raw
    assert manifest.event_time == facts.event_time
    assert manifest.event_time is not None
    assert manifest.event_time.tzinfo is UTC
    assert manifest.report_type == facts.report_type
    assert manifest.report_id == facts.report_id


@pytest.mark.parametrize("facts", FACTS, ids=lambda facts: _short(facts.name))
def test_signature_matches_manifest(corpus_dir: Path, facts: Facts) -> None:
    """Sig[n] names (localized ones included) and values read in slot order, P0 first."""
    manifest = _manifest(corpus_dir, facts.name)
    assert tuple(pair.index for pair in manifest.signature) == tuple(
        range(len(facts.signature_values))
    )
    assert tuple(pair.name for pair in manifest.signature) == facts.signature_names
    assert manifest.signature_values == facts.signature_values
    assert manifest.dynamic_signature == facts.dynamic_signature


@pytest.mark.parametrize("facts", FACTS, ids=lambda facts: _short(facts.name))
def test_response_matches_manifest(corpus_dir: Path, facts: Facts) -> None:
    """Response.BucketId, BucketTable and LegacyBucketId are the server's, or absent."""
    response = _manifest(corpus_dir, facts.name).response
    assert response.bucket_id == facts.bucket_id
    assert response.bucket_table == facts.bucket_table
    assert response.legacy_bucket_id == facts.legacy_bucket_id
    assert response.other == ()
    assert not response.is_empty  # every corpus file has at least Response.type


@pytest.mark.parametrize("facts", FACTS, ids=lambda facts: _short(facts.name))
def test_groups_and_trailer_match_manifest(corpus_dir: Path, facts: Facts) -> None:
    """LoadedModule, File and OsInfo counts and the trailer scalars are those of the file."""
    manifest = _manifest(corpus_dir, facts.name)
    assert len(manifest.loaded_modules) == facts.loaded_module_count
    assert len(manifest.files) == facts.file_count
    assert len(manifest.os_info) == facts.os_info_count
    assert manifest.app_name == facts.app_name
    assert manifest.consent_key == facts.consent_key
    assert manifest.friendly_event_name == facts.friendly_event_name
    assert manifest.metadata_hash == facts.metadata_hash


def test_bex64_readme_header_and_files(corpus_dir: Path) -> None:
    """The BEX64 sample: status, heap dump flag, 41 modules and its six File[] records."""
    manifest = _manifest(corpus_dir, README_BEX64)
    document = manifest.document
    assert manifest.report_status == 16777220
    assert manifest.upload_time == datetime(2024, 1, 13, 20, 18, 15, 601311, tzinfo=UTC)
    assert manifest.report_uuid == uuid.UUID("af591e90-8a5e-4a3c-a9f1-3ddaa5e0b04b")
    assert manifest.integrator_report_id == "db1268ee-55b9-4afb-b9d3-d29525606682"
    assert manifest.consent == 1
    assert manifest.is_fatal is True
    assert document.get("HeapdumpAttached") == "1"
    assert document.get("Response.BucketId") is None
    assert manifest.response.type == "4"
    assert manifest.ui == ((2, r"C:\users\admin\desktop\beacon.exe"),)
    assert manifest.loaded_modules[0] == r"C:\users\admin\desktop\beacon.exe"
    assert manifest.loaded_modules[40] == r"C:\Windows\System32\OLEAUT32.dll"
    assert manifest.os_info[29] == IndexedPair(
        29, "osver", "10.0.19041.1237.amd64fre.vb_release.191206-1406"
    )
    assert manifest.os_info[30] == IndexedPair(30, "buildflightid", None)
    temp = r"\\?\C:\ProgramData\Microsoft\Windows\WER\Temp"
    assert manifest.files == (
        FileEntry(
            0, "minidump.mdmp", "WERE035.tmp.mdmp", "539033600", "2", rf"{temp}\WERE035.tmp.mdmp"
        ),
        FileEntry(
            1,
            "WERInternalMetadata.xml",
            "WERE093.tmp.WERInternalMetadata.xml",
            "327682",
            "5",
            rf"{temp}\WERE093.tmp.WERInternalMetadata.xml",
        ),
        FileEntry(2, "memory.csv", "WERE0A2.tmp.csv", "65538", "5", rf"{temp}\WERE0A2.tmp.csv"),
        FileEntry(3, "sysinfo.txt", "WERE0C2.tmp.txt", "65538", "5", rf"{temp}\WERE0C2.tmp.txt"),
        FileEntry(
            4,
            "AppCompat.txt",
            "WERE0E4.tmp.appcompat.txt",
            "16842754",
            "5",
            r"\\?\C:\Users\Admin\AppData\Local\Temp\WERE0E4.tmp.appcompat.txt",
        ),
        FileEntry(5, "memory.hdmp", "memory.hdmp", "807403520", "3", None),
    )
    assert [entry.file_type for entry in manifest.files] == [2, 5, 5, 5, 5, 3]
    # WER keeps internal bits above the low word; the WER_FILE_* flags are the low 16 bits.
    assert [entry.flags for entry in manifest.files] == [0, 2, 2, 2, 2, 0]
    assert manifest.unknown == ()


def test_taskmgr_zh_cn_state_and_modules(corpus_dir: Path) -> None:
    """The zh-CN APPCRASH: State[] copies of the bucket, 128 modules, status and locale."""
    manifest = _manifest(corpus_dir, TASKMGR_ZH_CN)
    assert manifest.report_status == 2147487744
    assert manifest.response.type == "4"
    assert manifest.state_value("Transport.DoneStage1") == "1"
    assert manifest.state_value("tpwatsonbucketid") == "c8afbeebe387a4eff71d246ac10bf97f"
    assert manifest.state_value("TpWatsonLegacyBucketId") == "1665527478120872319"
    assert manifest.state_value("TpWatsonBucketTable") == "4"
    assert manifest.state_value("NoSuchState") is None
    token = manifest.state_value("TpToken")
    assert token is not None  # a value full of '=' is kept whole
    assert token.startswith("3.78c4e0f3955f215a4ca18594753a5c19.01dbcbaaf3c0966e.meta=")
    assert "meta={ibucket,1665527478120872319};meta={ieventtype,140}" in token
    assert manifest.loaded_modules[0] == r"C:\Windows\system32\taskmgr.exe"
    assert manifest.loaded_modules[127].endswith(r"\gdiplus.dll")
    assert manifest.os_info[6] == IndexedPair(6, "lcid", "2052")
    assert manifest.os_info[38] == IndexedPair(38, "servicinginprogress", "0")
    assert parse_int(manifest.metadata_hash) == 294467705
    assert manifest.unknown == ()


def test_moappcrash_ids_modules_and_os_info(corpus_dir: Path) -> None:
    """The MoAppCrash report: both GUIDs, module 0, 38 OsInfo keys and a negative MetadataHash."""
    manifest = _manifest(corpus_dir, MOAPPCRASH)
    assert manifest.report_uuid == uuid.UUID("b0e0a37d-af49-4d6d-a411-f0946870c9dd")
    assert manifest.integrator_report_id == "1b75a9a8-22b7-4b84-b1a6-4e1d831fcd0e"
    assert manifest.response.type == "4"
    assert manifest.ns_app_name == "praid:App"
    assert manifest.target_app_id == "U:VectorUnit.BeachBuggyRacing_1.2.7.0_x64__hvbhrzr8672s2!App"
    assert manifest.loaded_modules[0] == (
        r"C:\Program Files\WindowsApps\VectorUnit.BeachBuggyRacing_1.2.7.0_x64__hvbhrzr8672s2"
        r"\PurpleWinStore.exe"
    )
    assert [pair.index for pair in manifest.os_info] == list(range(38))
    assert manifest.os_info[3] == IndexedPair(3, "ubr", "3930")
    assert parse_int(manifest.metadata_hash) == -2139705494
    assert manifest.is_fatal is True
    assert manifest.unknown == ()


def test_windows7_no_bom_reads_as_dissect_target_asserts(corpus_dir: Path) -> None:
    """The BOM-less Windows 7 file: dissect.target's ts, os_version and app_name."""
    manifest = _manifest(corpus_dir, WIN7_NO_BOM)
    assert manifest.event_time == datetime(2021, 11, 22, 15, 39, 49, 20733, tzinfo=UTC)
    assert manifest.document.get("DynamicSig[1].Value") == "6.1.7601.2.1.0.256.48"
    assert manifest.dynamic_signature[0].value == "6.1.7601.2.1.0.256.48"
    assert manifest.app_name == "Microsoft Malware Protection Command Line Utility"
    assert manifest.app_path == r"C:\Program Files\Windows Defender\MpCmdRun.exe"
    assert manifest.consent == 2
    assert manifest.upload_time == manifest.event_time
    assert manifest.report_type_raw is None
    assert manifest.unknown == ()


def test_synthetic_file_keeps_odd_keys(corpus_dir: Path) -> None:
    """The synthetic file: lower-case ``ui[1]`` reads as UI, non-ASCII keys stay as unknown."""
    manifest = _manifest(corpus_dir, SYNTHETIC)
    document = manifest.document
    assert document.entries[-3] == WerEntry("ui[1]", "test_ui1")
    assert document.get("UI[1]") == "test_ui1"
    assert "UI[1]" in document
    assert manifest.ui == ((1, "test_ui1"),)
    assert manifest.unknown == (
        WerEntry("SpécialCharactér", "test_spcial_charactr"),
        WerEntry("невидимый", "should_be_skipped"),
    )
    assert document.get("невидимый") == "should_be_skipped"
    assert document.get("SPÉCIALCHARACTÉR") == "test_spcial_charactr"
    # Placeholder values are kept verbatim; the typed views simply have nothing to offer.
    assert manifest.version == "test_version"
    assert manifest.consent_raw == "test_consent"
    assert manifest.consent is None
    assert manifest.report_uuid is None
    assert manifest.app_session_guid == "test_app_session_guid"
    assert manifest.response.type == "test_response_type"
    assert manifest.files == (
        FileEntry(0, "test_cabname", "test_path", None, None, "test_original_path"),
    )
    assert manifest.files[0].flags is None
    assert manifest.files[0].file_type is None


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_FILES, ids=_short)
def test_round_trip_keeps_every_entry(corpus_dir: Path, name: str) -> None:
    """parse → serialize → parse gives the same entries, and serializing again the same bytes."""
    document = _document(corpus_dir, name)
    written = serialize_report_wer(document)
    again = parse_report_wer(written)
    assert again.entries == document.entries
    assert again.trailing_newline is document.trailing_newline
    assert again.source_encoding is SourceEncoding.UTF16LE_BOM
    assert again.newline == "\r\n"
    assert serialize_report_wer(again) == written


@pytest.mark.parametrize("name", WINDOWS_WRITTEN, ids=_short)
def test_windows_written_file_is_byte_identical_after_round_trip(
    corpus_dir: Path, name: str
) -> None:
    """A UTF-16LE+BOM+CRLF file Windows wrote serializes back to exactly its own bytes."""
    data = _read(corpus_dir, name)
    assert serialize_report_wer(parse_report_wer(data)) == data


@pytest.mark.parametrize(
    ("name", "codec", "bom"),
    [
        (README_BEX64, "utf-8", b""),
        (WIN7_NO_BOM, "utf-16-le", b""),
        (SYNTHETIC, "utf-16-le", codecs.BOM_UTF16_LE),
    ],
    ids=["readme-utf8-lf", "win7-utf16le-no-bom", "synthetic-utf16le-lf"],
)
def test_other_files_serialize_to_windows_form(
    corpus_dir: Path, name: str, codec: str, bom: bytes
) -> None:
    """A file not in Windows' form comes out as the same text in UTF-16LE, BOM and CRLF."""
    data = _read(corpus_dir, name)
    text = data[len(bom) :].decode(codec).replace("\r\n", "\n").replace("\n", "\r\n")
    expected = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    assert serialize_report_wer(parse_report_wer(data)) == expected


# --- WER's order -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REAL_FILES, ids=_short)
def test_real_files_are_in_canonical_order(corpus_dir: Path, name: str) -> None:
    """Every key of a real file has a canonical rank, and the ranks rise strictly in file order."""
    ranks = [canonical_rank(entry.key) for entry in _document(corpus_dir, name)]
    assert None not in ranks
    assert all(a is not None and b is not None and a < b for a, b in itertools.pairwise(ranks))


@pytest.mark.parametrize("name", REAL_FILES, ids=_short)
def test_from_pairs_reproduces_wer_order(corpus_dir: Path, name: str) -> None:
    """from_pairs of a real file's entries, in any order, gives back WER's exact order."""
    document = _document(corpus_dir, name)
    pairs = _pairs(document)
    assert WerDocument.from_pairs(pairs).entries == document.entries
    shuffled = list(pairs)
    random.Random(20240113).shuffle(shuffled)
    assert WerDocument.from_pairs(shuffled).entries == document.entries
    assert WerDocument.from_pairs(reversed(pairs)).entries == document.entries


@pytest.mark.parametrize("name", REAL_FILES, ids=_short)
def test_with_values_key_by_key_reproduces_wer_order(corpus_dir: Path, name: str) -> None:
    """Adding a real file's keys one at a time, shuffled, places each where WER writes it."""
    document = _document(corpus_dir, name)
    shuffled = _pairs(document)
    random.Random(133496477).shuffle(shuffled)
    built = WerDocument()
    for key, value in shuffled:
        built = built.with_values({key: value})
    assert built.entries == document.entries


def test_from_pairs_moves_synthetic_ui_key_into_the_ui_group(corpus_dir: Path) -> None:
    """The synthetic file's trailing ``ui[1]`` sorts into the UI group, before File[0]."""
    document = _document(corpus_dir, SYNTHETIC)
    keys = [entry.key for entry in WerDocument.from_pairs(_pairs(document))]
    assert keys.index("ui[1]") == keys.index("DynamicSig[1].Value") + 1
    assert keys.index("File[0].CabName") == keys.index("ui[1]") + 1
    # Keys WER does not order keep their relative order, right after the header scalars.
    assert keys[keys.index("Response.type") + 1 : keys.index("Sig[0].Name")] == [
        "SpécialCharactér",
        "невидимый",
    ]
