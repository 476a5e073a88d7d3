"""The stage-2 bundle: a real Microsoft cabinet with Report.wer first, read back safely."""

from __future__ import annotations

import codecs
import os
import shutil
import struct
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from openwer.errors import FormatError, InvalidArgumentError
from openwer.formats.cab_bundle import (
    REPORT_WER_NAME,
    Bundle,
    BundleFile,
    BundleLimits,
    build_bundle,
    check_member_name,
    read_bundle,
    read_cab,
)
from openwer.formats.report_wer import parse_report_wer

GCAB = shutil.which("gcab")


def _report_wer(*files: str) -> bytes:
    lines = ["Version=1", "EventType=PythonException", "ReportType=2"]
    for index, name in enumerate(files):
        lines += [f"File[{index}].CabName={name}", f"File[{index}].Path={name}"]
    return codecs.BOM_UTF16_LE + "\r\n".join(lines).encode("utf-16-le")


REPORT_WER = _report_wer("traceback.txt", "stack.json")
FILES = [
    ("traceback.txt", b'Traceback (most recent call last):\n  File "app.py"\nKeyError: 1\n' * 50),
    ("stack.json", b'{"frames": []}'),
]


def test_round_trip() -> None:
    """A built bundle reads back with the same Report.wer and files, in order."""
    bundle = read_bundle(build_bundle(REPORT_WER, FILES))
    assert bundle.report_wer_bytes == REPORT_WER
    assert bundle.report_wer == parse_report_wer(REPORT_WER)
    assert bundle.files == tuple(BundleFile(name, data) for name, data in FILES)
    assert bundle.unlisted == ()
    assert bundle.missing == ()


def test_report_wer_is_the_first_member() -> None:
    """Report.wer comes first in the cabinet, as WER writes it."""
    members = read_cab(build_bundle(REPORT_WER, FILES))
    assert [m.name for m in members] == [REPORT_WER_NAME, "traceback.txt", "stack.json"]


def test_bundle_is_a_compressed_cabinet() -> None:
    """The output is an MSCF cabinet, version 1.3, with one MSZIP folder."""
    data = build_bundle(REPORT_WER, FILES)
    assert data[:4] == b"MSCF"
    assert (data[25], data[24]) == (1, 3)
    _, _, compression = struct.unpack_from("<IHH", data, 36)
    assert compression == 1
    assert len(data) < len(REPORT_WER) + sum(len(d) for _, d in FILES)


def test_uncompressed_bundle_reads_back() -> None:
    """compress=False writes stored blocks, which read back just the same."""
    data = build_bundle(REPORT_WER, FILES, compress=False)
    assert struct.unpack_from("<IHH", data, 36)[2] == 0
    assert read_bundle(data).files == tuple(BundleFile(n, d) for n, d in FILES)


def test_build_is_deterministic() -> None:
    """Equal input gives equal bytes: no clock goes into the cabinet."""
    assert build_bundle(REPORT_WER, FILES) == build_bundle(REPORT_WER, FILES)


def test_mtime_is_written() -> None:
    """A given mtime changes the members' DOS date and time fields."""
    plain = build_bundle(REPORT_WER, FILES)
    dated = build_bundle(REPORT_WER, FILES, mtime=datetime(2024, 1, 13, 19, 28, 34))
    assert plain != dated
    assert read_bundle(dated).files == read_bundle(plain).files


def test_empty_and_large_members() -> None:
    """Empty files and files spanning many 32 KiB blocks survive the round trip."""
    big = os.urandom(100_000) + bytes(200_000)
    files = [("empty.txt", b""), ("memory.hdmp", big)]
    bundle = read_bundle(build_bundle(_report_wer("empty.txt", "memory.hdmp"), files))
    assert bundle.files == (BundleFile("empty.txt", b""), BundleFile("memory.hdmp", big))


def test_non_ascii_member_names() -> None:
    """A non-ASCII name is stored as UTF-8 (the CAB UTF-8 name flag) and read back."""
    bundle = read_bundle(build_bundle(REPORT_WER, [("données-été.txt", b"x")]))
    assert bundle.files[0].name == "données-été.txt"


def test_unlisted_and_missing_files_are_reported() -> None:
    """Members Report.wer does not list are kept and named; listed files absent are named."""
    report = _report_wer("traceback.txt", "gone.txt")
    bundle = read_bundle(build_bundle(report, [("traceback.txt", b"t"), ("extra.log", b"e")]))
    assert [f.name for f in bundle.files] == ["traceback.txt", "extra.log"]
    assert bundle.unlisted == ("extra.log",)
    assert bundle.missing == ("gone.txt",)


def test_listing_is_case_insensitive_and_falls_back_to_the_path() -> None:
    """CabName matches regardless of case; without CabName the path's last part is the name."""
    report = codecs.BOM_UTF16_LE + (
        "EventType=x\r\nFile[0].CabName=TRACEBACK.TXT\r\nFile[1].Path=C:\\dumps\\mini.dmp"
    ).encode("utf-16-le")
    bundle = read_bundle(build_bundle(report, [("traceback.txt", b"t"), ("mini.dmp", b"d")]))
    assert bundle.unlisted == ()
    assert bundle.missing == ()


def test_file_lookup_ignores_case() -> None:
    """Bundle.file finds a member regardless of case and returns None when absent."""
    bundle = read_bundle(build_bundle(REPORT_WER, FILES))
    assert bundle.file("STACK.JSON") == BundleFile("stack.json", b'{"frames": []}')
    assert bundle.file("nothing") is None


def test_report_wer_name_is_matched_regardless_of_case() -> None:
    """A cabinet whose manifest is called report.WER is still a bundle."""
    from cabarchive import CabArchive, CabFile

    archive = CabArchive()
    archive["report.WER"] = CabFile(REPORT_WER, mtime=datetime(2020, 1, 1))
    bundle = read_bundle(archive.save(compress=True))
    assert isinstance(bundle, Bundle)
    assert bundle.files == ()


@pytest.mark.parametrize(
    ("report_wer", "files", "message"),
    [
        (b"", [], r"Report\.wer: the file is empty"),
        (REPORT_WER, [("a/b.txt", b"")], r"not a plain file name"),
        (REPORT_WER, [("a.txt", b""), ("A.TXT", b"")], r"two members are called 'A\.TXT'"),
        (REPORT_WER, [("report.wer", b"")], r"two members are called 'report\.wer'"),
        (REPORT_WER, [("", b"")], r"must be 1 to 254 bytes"),
    ],
    ids=["bad-report-wer", "separator", "duplicate", "second-report-wer", "empty-name"],
)
def test_build_refuses_what_read_would(
    report_wer: bytes, files: list[tuple[str, bytes]], message: str
) -> None:
    """build_bundle applies the reader's rules, so the client never sends a refused bundle."""
    with pytest.raises(FormatError, match=message):
        build_bundle(report_wer, files)


def test_build_applies_the_limits() -> None:
    """Member count and total size limits apply when building too."""
    with pytest.raises(FormatError, match=r"3 members; the limit is 2"):
        build_bundle(REPORT_WER, FILES, limits=BundleLimits(max_members=2))
    with pytest.raises(FormatError, match=r"the members exceed 100 bytes"):
        build_bundle(REPORT_WER, FILES, limits=BundleLimits(max_total_bytes=100))


@pytest.mark.parametrize(
    "name",
    ["Report.wer", "memory.hdmp", "WERInternalMetadata.xml", "a b.txt", "x" * 254, "été.txt"],
)
def test_safe_member_names(name: str) -> None:
    """Ordinary file names, including spaces inside and non-ASCII letters, are accepted."""
    check_member_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "a/b",
        "a\\b",
        "/etc/passwd",
        "\\\\server\\share",
        "C:evil.txt",
        "c:\\windows\\x",
        "file.txt:stream",
        "nul\x00byte",
        "bell\x07",
        "del\x7f",
        "tab\tname",
        "wild*.txt",
        "what?",
        'quote"',
        "<less",
        "more>",
        "pipe|",
        "trailing.",
        "trailing ",
        " leading",
        "CON",
        "con.txt",
        "Nul.tar.gz",
        "COM1",
        "lpt9.log",
        "AUX .txt",
        "é" * 128,
        "lone\ud800",
    ],
)
def test_unsafe_member_names(name: str) -> None:
    """Traversal, absolute paths, drives, streams, controls, wildcards and devices are refused."""
    with pytest.raises(FormatError, match=r"^bundle: member name"):
        check_member_name(name)


def test_limits_are_validated() -> None:
    """Nonsensical limits are a programming error, reported as InvalidArgumentError."""
    with pytest.raises(InvalidArgumentError):
        BundleLimits(max_input_bytes=0)
    with pytest.raises(InvalidArgumentError):
        BundleLimits(max_input_bytes=2**31)
    with pytest.raises(InvalidArgumentError):
        BundleLimits(max_members=0)


@pytest.mark.skipif(GCAB is None, reason="gcab is not installed (apt-get install gcab)")
def test_gcab_extracts_a_built_bundle(tmp_path: Path) -> None:
    """gcab, an independent CAB implementation, extracts what build_bundle writes."""
    assert GCAB is not None
    cab = tmp_path / "bundle.cab"
    cab.write_bytes(build_bundle(REPORT_WER, [*FILES, ("données.txt", b"\xff" * 70_000)]))
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run([GCAB, "-x", "-C", str(out), str(cab)], check=True, capture_output=True)
    assert (out / REPORT_WER_NAME).read_bytes() == REPORT_WER
    for name, data in FILES:
        assert (out / name).read_bytes() == data
    assert (out / "données.txt").read_bytes() == b"\xff" * 70_000


@pytest.mark.skipif(GCAB is None, reason="gcab is not installed (apt-get install gcab)")
@pytest.mark.parametrize("compress", [True, False], ids=["mszip", "stored"])
def test_read_bundle_reads_a_gcab_cabinet(tmp_path: Path, compress: bool) -> None:
    """read_bundle reads a cabinet gcab created, compressed or not."""
    assert GCAB is not None
    (tmp_path / REPORT_WER_NAME).write_bytes(REPORT_WER)
    for name, data in FILES:
        (tmp_path / name).write_bytes(data)
    big = os.urandom(50_000) + bytes(100_000)
    (tmp_path / "memory.hdmp").write_bytes(big)
    names = [REPORT_WER_NAME, *(name for name, _ in FILES), "memory.hdmp"]
    command = [GCAB, "-c", *(["-z"] if compress else []), "made-by-gcab.cab", *names]
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path)
    bundle = read_bundle((tmp_path / "made-by-gcab.cab").read_bytes())
    assert bundle.report_wer_bytes == REPORT_WER
    assert bundle.files == (*(BundleFile(n, d) for n, d in FILES), BundleFile("memory.hdmp", big))
    assert bundle.unlisted == ("memory.hdmp",)
