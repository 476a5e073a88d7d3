"""MS-CER2 level-1 answers: the ABNF's order on the way out, leniency on the way in."""

from __future__ import annotations

import pytest

from openwer.errors import FormatError
from openwer.formats.mscer2_response import (
    MAX_LEVEL1_RESPONSE_BYTES,
    CerResponse,
    level1_response_for,
    parse_level1_response,
    serialize_level1_response,
)
from openwer.formats.protocol import DataRequest, Solution, Stage1Response
from openwer.types import DumpType

# The first two lines are [MS-CER2] §4.1's answer (note the spaces around "="); the rest follow
# §4.3's kernel example as wer-spec.md §6.3 describes it.
SPEC_ANSWER = (
    b"Response=http://oca.microsoft.com/resredir.aspx?SID=32\r\n"
    b"Bucket = 500\r\n"
    b"BucketTable = 1\r\n"
    b"iData = 1\r\n"
    b"DumpFile=\\PersistedCabs\\Blue\\7a0e2f4c-1d2b-4c3d-9e8f-0a1b2c3d4e5f.cab\r\n"
)

FULL = CerResponse(
    response="1",
    bucket=500,
    bucket_table=1,
    additional_data=True,
    memory_dump=True,
    reg_keys=("HKLM\\Software\\A", "HKCU\\Software\\B"),
    user_document=False,
    wql=("SELECT * FROM Win32_OperatingSystem",),
    get_files=("C:\\Windows\\setupact.log", "C:\\a.txt"),
    get_file_versions=("C:\\Windows\\System32\\ntdll.dll",),
    dump_file="\\PersistedCabs\\Generic\\MikeTest\\1000\\2000\\3000\\guid",
    reg_trees=("HKLM\\Software\\C",),
)


def test_spec_answer_is_read_despite_the_spaces() -> None:
    """The specification's own answer, with "Bucket = 500", parses."""
    response = parse_level1_response(SPEC_ANSWER)
    assert response.response == "http://oca.microsoft.com/resredir.aspx?SID=32"
    assert response.bucket == 500
    assert response.bucket_table == 1
    assert response.additional_data is True
    assert response.dump_file == "\\PersistedCabs\\Blue\\7a0e2f4c-1d2b-4c3d-9e8f-0a1b2c3d4e5f.cab"
    assert response.memory_dump is None
    assert response.get_files == ()


def test_serialize_uses_the_abnf_order_and_crlf() -> None:
    """Every key is written once, in the ABNF's order, CRLF-terminated, without spaces."""
    data = serialize_level1_response(FULL)
    lines = data.decode("cp1252").split("\r\n")
    assert lines[-1] == ""
    assert [line.split("=", 1)[0] for line in lines[:-1]] == [
        "Response",
        "Bucket",
        "BucketTable",
        "iData",
        "MemoryDump",
        "RegKey",
        "fDoc",
        "WQL",
        "GetFile",
        "GetFileVersion",
        "DumpFile",
        "RegTree",
    ]
    assert b"RegKey=HKLM\\Software\\A;HKCU\\Software\\B\r\n" in data
    assert b"fDoc=0\r\n" in data
    assert b"iData=1\r\n" in data


def test_round_trip() -> None:
    """Every field survives serialize → parse."""
    assert parse_level1_response(serialize_level1_response(FULL)) == FULL


def test_empty_answer() -> None:
    """An answer with nothing set is zero bytes, and zero bytes parse to it."""
    assert serialize_level1_response(CerResponse()) == b""
    assert parse_level1_response(b"") == CerResponse()


def test_answer_is_cp1252() -> None:
    """Text is written in cp1252 (the euro sign is one byte) and read back the same way."""
    response = CerResponse(dump_file="\\cabs\\été€")
    data = serialize_level1_response(response)
    assert data == b"DumpFile=\\cabs\\\xe9t\xe9\x80\r\n"
    assert parse_level1_response(data) == response


@pytest.mark.parametrize(
    "data",
    [
        b"Bucket=5\nBucketTable=2\n",
        b"Bucket=5\rBucketTable=2",
        b"  Bucket\t=\t5  \r\n\r\n\r\nBucketTable=2\r\n",
        b"\xef\xbb\xbfBucket=5\r\nBucketTable=2\r\n",
        b"Bucket=5\r\nnoise line\r\nUnknown=1\r\nbucket=9\r\nBucketTable=2\r\nBucket=7\r\n",
    ],
    ids=["lf", "cr", "blanks-and-tabs", "utf8-bom", "noise-unknown-case-and-repeat"],
)
def test_lenient_parsing(data: bytes) -> None:
    """Line ends, blanks, a BOM, unknown or lower-case keys and repeats do not confuse it."""
    response = parse_level1_response(data)
    assert (response.bucket, response.bucket_table) == (5, 2)


@pytest.mark.parametrize(
    ("value", "flag"),
    [("1", True), ("0", False), ("YES", True), ("no", False), ("True", True), ("FALSE", False)],
)
def test_flags(value: str, flag: bool) -> None:
    """Flags read as 0/1 and, leniently, yes/no and true/false in any case."""
    assert parse_level1_response(f"MemoryDump={value}".encode()).memory_dump is flag


def test_lists_drop_empty_items() -> None:
    """List items are split on ';', trimmed, and empty ones dropped."""
    response = parse_level1_response(b"GetFile= a.txt ;;b.txt; \r\nWQL=\r\n")
    assert response.get_files == ("a.txt", "b.txt")
    assert response.wql == ()


def test_empty_text_values_are_absent() -> None:
    """``Response=`` with nothing after it reads as no response."""
    assert parse_level1_response(b"Response=\r\nDumpFile= \r\n") == CerResponse()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Bucket=-1", r"Bucket='-1' is not a decimal number"),
        (b"Bucket=0x10", r"Bucket='0x10' is not a decimal number"),
        (b"BucketTable=" + b"9" * 21, r"BucketTable='9+' is not a decimal number"),
        (b"iData=maybe", r"iData='maybe' is not 0 or 1"),
        (b"x" * (MAX_LEVEL1_RESPONSE_BYTES + 1), r"65537 bytes is over the 65536-byte limit"),
    ],
)
def test_parse_errors(data: bytes, message: str) -> None:
    """Numbers and flags that cannot be read, and oversized answers, are FormatErrors."""
    with pytest.raises(FormatError, match=r"^MS-CER2 level 1 response: " + message):
        parse_level1_response(data)


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (CerResponse(bucket=-1), r"Bucket must be 0 to 2147483647"),
        (CerResponse(bucket=2**31), r"Bucket must be 0 to 2147483647"),
        (CerResponse(bucket_table=True), r"BucketTable must be 0 to 2147483647"),
        (CerResponse(response="see the intranet"), r"Response must be 1 or an http\(s\) URL"),
        (CerResponse(dump_file="cabs/x.cab"), r"DumpFile must be a server path"),
        (CerResponse(dump_file="\\a\r\nBucket=1"), r"DumpFile must be non-empty text"),
        (CerResponse(dump_file=" \\a"), r"DumpFile must be non-empty text"),
        (CerResponse(response=""), r"Response must be non-empty text"),
        (CerResponse(get_files=("a;b",)), r"GetFile items must be non-empty, without ';'"),
        (CerResponse(get_files=("",)), r"GetFile items must be non-empty"),
        (CerResponse(reg_keys=(" HKLM",)), r"RegKey items must be .* without surrounding"),
        (CerResponse(dump_file="\\漢字"), r"a value cannot be written in cp1252"),
    ],
)
def test_serialize_errors(response: CerResponse, message: str) -> None:
    """Answers a Windows client could misread (or that would inject lines) are refused."""
    with pytest.raises(FormatError, match=r"^MS-CER2 level 1 response: " + message):
        serialize_level1_response(response)


def test_stage1_answer_asking_for_a_bundle() -> None:
    """A v1 answer that wants data becomes iData=1 with MemoryDump, GetFile and DumpFile."""
    stage1 = Stage1Response(
        bucket_id="6f9619ff-8b86-d011-b42d-00c04fc964ff",
        legacy_bucket_id=(1 << 40) + 500,
        bucket_table=3,
        data_request=DataRequest(DumpType.MINI_DUMP, ("setupact.log",)),
        solution=Solution("Update", "https://example.invalid/kb"),
    )
    answer = level1_response_for(stage1, dump_file="\\PersistedCabs\\x.cab")
    assert answer == CerResponse(
        response="https://example.invalid/kb",
        bucket=500,
        bucket_table=3,
        additional_data=True,
        memory_dump=True,
        get_files=("setupact.log",),
        dump_file="\\PersistedCabs\\x.cab",
    )
    assert parse_level1_response(serialize_level1_response(answer)) == answer


def test_stage1_answer_without_data_request() -> None:
    """Without a data request (or without a place to put the cabinet) no level 2 is asked."""
    stage1 = Stage1Response("6f9619ff-8b86-d011-b42d-00c04fc964ff", 7, solution=Solution("m"))
    answer = level1_response_for(stage1, dump_file="\\x.cab")
    assert answer == CerResponse(response="1", bucket=7, bucket_table=1, additional_data=False)
    wanted = Stage1Response("b", 7, data_request=DataRequest(DumpType.NONE))
    assert level1_response_for(wanted, dump_file=None).additional_data is False
    assert level1_response_for(wanted, dump_file="\\c").memory_dump is False
