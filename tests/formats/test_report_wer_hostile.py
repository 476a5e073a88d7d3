"""Hostile input: anything that is not a Report.wer raises FormatError with a clear message."""

from __future__ import annotations

import codecs
import random
import struct
import zlib

import pytest

from openwer.errors import FormatError, OpenwerError
from openwer.formats.report_wer import MAX_REPORT_WER_BYTES, parse_report_wer


def _png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def _zip() -> bytes:
    name = b"Report.wer"
    header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0)
    return header + name


def test_format_error_is_an_openwer_value_error() -> None:
    """FormatError belongs to openwer's tree and is a ValueError, so callers can catch either."""
    assert issubclass(FormatError, OpenwerError)
    assert issubclass(FormatError, ValueError)


def test_empty_bytes() -> None:
    """Zero bytes is not a Report.wer."""
    with pytest.raises(FormatError, match=r"^Report\.wer: the file is empty$"):
        parse_report_wer(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"\r\n\r\n\n\r",
        b"   \r\n\t\r\n",
        codecs.BOM_UTF16_LE + "\r\n\r\n  \r\n".encode("utf-16-le"),
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE,
        codecs.BOM_UTF8,
    ],
    ids=[
        "crlf-only",
        "blanks",
        "utf16-blank-lines",
        "utf16le-bom-only",
        "utf16be-bom-only",
        "utf8-bom",
    ],
)
def test_only_blank_lines(data: bytes) -> None:
    """A file of blank lines (or only a BOM) has no Key=Value line."""
    with pytest.raises(FormatError, match=r"no Key=Value line found"):
        parse_report_wer(data)


@pytest.mark.parametrize(
    "data",
    [b"Version\r\nEventType", b"=1\r\n=APPCRASH", b"  =1\r\nAppName"],
    ids=["keys-without-values", "values-without-keys", "blank-key-and-bare-key"],
)
def test_no_usable_key_value_line(data: bytes) -> None:
    """Lines without ``=``, or with nothing before it, do not make a Report.wer."""
    with pytest.raises(FormatError, match=r"no Key=Value line found"):
        parse_report_wer(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\x00",
        b"\x00" * 64,
        b"\x00" * 63,
        b"Version=1\x00\r\n",
        _png(),
        _zip(),
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56,
        b"MDMP\x93\xa7\x00\x00" + b"\x00" * 24,
        b"MSCF\x00\x00\x00\x00" + b"\x00" * 28,
        zlib.compress(b"Version=1\r\nEventType=APPCRASH\r\n" * 20),
        b"\x1f\x8b\x08\x00" + b"\x00" * 16,
    ],
    ids=[
        "one-nul",
        "nuls-even",
        "nuls-odd",
        "nul-in-line",
        "png",
        "zip",
        "elf",
        "minidump",
        "cab",
        "zlib",
        "gzip",
    ],
)
def test_binary_files_are_rejected(data: bytes) -> None:
    """NULs, images, archives, executables and dumps are rejected as not a Report.wer."""
    with pytest.raises(FormatError, match=r"^Report\.wer: "):
        parse_report_wer(data)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("size", [1, 2, 3, 17, 512, 4096])
def test_random_bytes_are_rejected(seed: int, size: int) -> None:
    """Random bytes (fixed seeds) are rejected with FormatError, never another exception."""
    data = random.Random(seed * 7919 + size).randbytes(size)
    with pytest.raises(FormatError, match=r"^Report\.wer: "):
        parse_report_wer(data)


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + "Version=1".encode("utf-16-le") + b"\x00",
        codecs.BOM_UTF16_BE + "Version=1".encode("utf-16-be") + b"V",
        "Version=1\r\nEventType=APPCRASH".encode("utf-16-le")[:-1],
        "Version=1\r\nEventType=APPCRASH".encode("utf-16-be")[1:],
    ],
    ids=["le-bom", "be-bom", "le-no-bom", "be-no-bom"],
)
def test_odd_length_utf16(data: bytes) -> None:
    """UTF-16 text with an odd number of bytes is a truncated file."""
    with pytest.raises(FormatError, match=r"odd number of bytes"):
        parse_report_wer(data)


@pytest.mark.parametrize(
    ("data", "codec"),
    [
        (codecs.BOM_UTF16_LE + "Version=1\r\nAppName=".encode("utf-16-le") + b"\x00\xd8", "le"),
        (
            codecs.BOM_UTF16_LE + "Version=1\r\nAppName=".encode("utf-16-le") + b"\x00\xdcA\x00",
            "le",
        ),
        (
            codecs.BOM_UTF16_BE + "Version=1\r\nAppName=".encode("utf-16-be") + b"\xd8\x00\x00A",
            "be",
        ),
        ("Version=1\r\nAppName=".encode("utf-16-le") + b"\x00\xd8A\x00", "le"),
    ],
    ids=["le-lone-high", "le-lone-low", "be-high-then-letter", "le-no-bom-lone-high"],
)
def test_invalid_utf16_surrogates(data: bytes, codec: str) -> None:
    """Unpaired UTF-16 surrogates are not valid text; the message names the codec and offset."""
    with pytest.raises(FormatError, match=rf"not valid utf-16-{codec} text at byte \d+"):
        parse_report_wer(data)


@pytest.mark.parametrize(
    "control", ["\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1a", "\x1b", "\x1f"]
)
def test_line_with_control_character_names_the_line(control: str) -> None:
    """A control character inside a line marks binary data; the message names the line."""
    data = f"Version=1\r\nEventType=APP{control}CRASH\r\nAppName=x".encode()
    with pytest.raises(FormatError, match=r"^Report\.wer: line 2 contains binary data"):
        parse_report_wer(data)


def test_control_character_line_in_utf16() -> None:
    """The same check applies after UTF-16 decoding."""
    data = codecs.BOM_UTF16_LE + "Version=1\r\n\r\nKey=\x00".encode("utf-16-le")
    with pytest.raises(FormatError, match=r"line 3 contains binary data"):
        parse_report_wer(data)


def test_file_over_the_size_limit() -> None:
    """More than MAX_REPORT_WER_BYTES is refused before decoding, naming size and limit."""
    data = b"Version=1\r\n" + b"x" * (MAX_REPORT_WER_BYTES - 10)
    assert len(data) == MAX_REPORT_WER_BYTES + 1
    with pytest.raises(FormatError, match=rf"{MAX_REPORT_WER_BYTES + 1} bytes is larger than the "):
        parse_report_wer(data)


def test_file_at_the_size_limit_is_read() -> None:
    """Exactly MAX_REPORT_WER_BYTES is still accepted."""
    data = b"Version=1\r\nAppPath=" + b"x" * (MAX_REPORT_WER_BYTES - 19)
    assert len(data) == MAX_REPORT_WER_BYTES
    document = parse_report_wer(data)
    assert len(document) == 2
    assert len(document.get("AppPath") or "") == MAX_REPORT_WER_BYTES - 19
