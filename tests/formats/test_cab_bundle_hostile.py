"""Hostile cabinets, written byte by byte: each is refused with a FormatError, within bounds.

The cabinets are built here by hand (CFHEADER, CFFOLDER, CFFILE, CFDATA, as in [MS-CAB]) because
no writer produces them: lying sizes, traversal names, bombs, spanning flags, foreign compression.
"""

from __future__ import annotations

import codecs
import contextlib
import struct
import zlib
from dataclasses import dataclass, field

import pytest

import openwer.formats.cab_bundle as cab_bundle
from openwer.errors import FormatError
from openwer.formats.cab_bundle import BundleLimits, build_bundle, read_bundle, read_cab

REPORT_WER = codecs.BOM_UTF16_LE + "Version=1\r\nEventType=APPCRASH".encode("utf-16-le")


@dataclass
class Member:
    """A CFFILE entry: raw name bytes, size and offset in the folder's data, folder index."""

    name: bytes
    size: int
    offset: int = 0
    folder: int = 0
    attributes: int = 0x20


@dataclass
class Block:
    """A CFDATA block: its bytes as stored, the size it declares and an optional checksum."""

    packed: bytes
    unpacked: int
    checksum: int = 0


@dataclass
class Folder:
    """A CFFOLDER entry: compression type and its data blocks."""

    blocks: list[Block]
    compression: int = 0
    block_count: int | None = None


@dataclass
class Cabinet:
    """Everything a cabinet's header says, with defaults that make a valid cabinet."""

    members: list[Member]
    folders: list[Folder]
    version: tuple[int, int] = (1, 3)
    flags: int = 0
    index: int = 0
    declared_size: int | None = None
    member_count: int | None = None
    folder_count: int | None = None
    reserve: tuple[bytes, int, int] | None = None  # header reserve, folder and block reserve sizes
    extra: bytes = field(default=b"")

    def to_bytes(self) -> bytes:
        """Lay the cabinet out: header, folders, files, then the data blocks."""
        header_size = 36
        folder_reserve = block_reserve = 0
        reserve_bytes = b""
        if self.reserve is not None:
            area, folder_reserve, block_reserve = self.reserve
            reserve_bytes = struct.pack("<HBB", len(area), folder_reserve, block_reserve) + area
        files_at = header_size + len(reserve_bytes) + len(self.folders) * (8 + folder_reserve)
        table = b"".join(
            struct.pack("<IIHHHH", m.size, m.offset, m.folder, 0x5021, 0, m.attributes)
            + m.name
            + b"\0"
            for m in self.members
        )
        data_at = files_at + len(table)
        folders = b""
        data = b""
        for folder in self.folders:
            count = len(folder.blocks) if folder.block_count is None else folder.block_count
            folders += struct.pack("<IHH", data_at + len(data), count, folder.compression)
            folders += b"\0" * folder_reserve
            for block in folder.blocks:
                data += struct.pack("<IHH", block.checksum, len(block.packed), block.unpacked)
                data += b"\0" * block_reserve + block.packed
        total = data_at + len(data) + len(self.extra)
        header = struct.pack(
            "<4sIIIIIBBHHHHH",
            b"MSCF",
            0,
            total if self.declared_size is None else self.declared_size,
            0,
            files_at,
            0,
            self.version[1],
            self.version[0],
            len(self.folders) if self.folder_count is None else self.folder_count,
            len(self.members) if self.member_count is None else self.member_count,
            self.flags | (0x4 if self.reserve is not None else 0),
            0,
            self.index,
        )
        return header + reserve_bytes + folders + table + data + self.extra


def stored(data: bytes) -> Block:
    """An uncompressed block holding ``data``."""
    return Block(data, len(data))


def mszip(data: bytes, declared: int | None = None) -> Block:
    """An MSZIP block: "CK" and a raw deflate stream of ``data``."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = b"CK" + deflater.compress(data) + deflater.flush()
    return Block(packed, len(data) if declared is None else declared)


def simple(*members: tuple[bytes, bytes], compression: int = 0) -> Cabinet:
    """A one-folder cabinet holding ``members`` (name, data) back to back."""
    blob = b"".join(data for _, data in members)
    entries, offset = [], 0
    for name, data in members:
        entries.append(Member(name, len(data), offset))
        offset += len(data)
    block = mszip(blob) if compression == 1 else stored(blob)
    return Cabinet(entries, [Folder([block], compression)])


def test_the_hand_written_cabinet_is_valid() -> None:
    """The byte-level writer makes cabinets the reader accepts, stored or MSZIP."""
    for compression in (0, 1):
        cabinet = simple((b"Report.wer", REPORT_WER), (b"a.txt", b"abc"), compression=compression)
        bundle = read_bundle(cabinet.to_bytes())
        assert [(f.name, f.data) for f in bundle.files] == [("a.txt", b"abc")]


def test_reserved_areas_are_skipped() -> None:
    """A cabinet with header, folder and block reserve areas (signing tools add them) reads."""
    cabinet = simple((b"Report.wer", REPORT_WER), (b"a.txt", b"abc"))
    cabinet.reserve = (b"R" * 20, 4, 2)
    assert read_cab(cabinet.to_bytes())[1].data == b"abc"


def test_two_folders_are_read() -> None:
    """Members may live in different folders, each with its own compression."""
    members = [Member(b"Report.wer", len(REPORT_WER)), Member(b"b.bin", 5, 0, 1)]
    folders = [Folder([stored(REPORT_WER)]), Folder([mszip(b"hello")], 1)]
    assert read_cab(Cabinet(members, folders).to_bytes())[1].data == b"hello"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"not a Microsoft cabinet"),
        (b"MSCF", r"not a Microsoft cabinet"),
        (b"PK\x03\x04" + b"\0" * 60, r"not a Microsoft cabinet"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, r"not a Microsoft cabinet"),
        (REPORT_WER, r"not a Microsoft cabinet"),
    ],
    ids=["empty", "magic-only", "zip", "png", "report-wer"],
)
def test_not_a_cabinet(data: bytes, message: str) -> None:
    """Bytes without the MSCF header are refused at once."""
    with pytest.raises(FormatError, match=r"^bundle: " + message):
        read_cab(data)


def test_every_truncation_is_refused() -> None:
    """Cutting a valid bundle anywhere gives a FormatError, never another exception."""
    data = build_bundle(REPORT_WER, [("a.txt", b"hello world " * 20)])
    for size in range(len(data)):
        with pytest.raises(FormatError):
            read_bundle(data[:size])


def test_every_single_byte_corruption_gives_a_result_or_format_error() -> None:
    """Flipping any one byte of a bundle never raises anything but FormatError."""
    data = build_bundle(REPORT_WER, [("a.txt", b"hello world " * 20)])
    for position in range(len(data)):
        for flip in (0x01, 0x80, 0xFF):
            corrupt = bytearray(data)
            corrupt[position] ^= flip
            with contextlib.suppress(FormatError):
                read_bundle(bytes(corrupt))


def test_declared_size_beyond_the_data_is_truncation() -> None:
    """A header that claims more bytes than arrived is a truncated cabinet."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    cabinet.declared_size = 10_000
    with pytest.raises(FormatError, match=r"truncated \(\d+ of 10000 bytes\)"):
        read_cab(cabinet.to_bytes())


def test_mszip_bomb_is_refused_by_its_ratio_before_inflating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """64 blocks of 32 KiB of zeros (2 MiB from ~3 KiB) exceed 200:1 and are never inflated."""
    block = mszip(bytes(32768))
    members = [Member(b"Report.wer", 10), Member(b"zeros.bin", 64 * 32768 - 10, 10)]
    data = Cabinet(members, [Folder([block] * 64, 1)]).to_bytes()
    assert len(data) < 4096

    def forbidden(*args: object, **kwargs: object) -> object:
        raise AssertionError("decompression was attempted")

    monkeypatch.setattr(zlib, "decompressobj", forbidden)
    monkeypatch.setattr(cab_bundle, "CabArchive", forbidden)
    with pytest.raises(FormatError, match=r"compression ratio over 200:1"):
        read_cab(data)


def test_declared_total_over_the_limit_is_refused_before_inflating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Blocks whose declared sizes add up past max_total_bytes stop the reader early."""
    blocks = [Block(b"CK" + b"\0" * 10, 65535)] * 20
    data = Cabinet([Member(b"Report.wer", 10)], [Folder(blocks, 1)]).to_bytes()
    monkeypatch.setattr(cab_bundle, "CabArchive", None)
    with pytest.raises(FormatError, match=r"declares over 1000000 uncompressed bytes"):
        read_cab(data, limits=BundleLimits(max_total_bytes=1_000_000))


def test_a_block_that_inflates_beyond_its_declared_size_is_cut_short() -> None:
    """A block declaring 100 bytes but inflating to 32 KiB is refused after 101 bytes."""
    block = mszip(bytes(32768), declared=100)
    data = Cabinet([Member(b"Report.wer", 100)], [Folder([block], 1)]).to_bytes()
    with pytest.raises(FormatError, match=r"does not inflate to its declared 100 bytes"):
        read_cab(data)


def test_a_block_that_inflates_short_of_its_declared_size() -> None:
    """A block declaring more than it holds is refused too."""
    block = mszip(b"abc", declared=4)
    data = Cabinet([Member(b"Report.wer", 4)], [Folder([block], 1)]).to_bytes()
    with pytest.raises(FormatError, match=r"does not inflate to its declared 4 bytes"):
        read_cab(data)


def test_overlapping_members_cannot_multiply_the_output() -> None:
    """Many members pointing at the same data count in full against max_total_bytes."""
    blob = b"x" * 400
    members = [Member(f"m{i}".encode(), 400) for i in range(10)]
    data = Cabinet(members, [Folder([stored(blob)])]).to_bytes()
    with pytest.raises(FormatError, match=r"the members exceed 1000 bytes"):
        read_cab(data, limits=BundleLimits(max_total_bytes=1000))


def test_too_many_members() -> None:
    """More members than max_members is refused from the header alone."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    cabinet.member_count = 1001
    with pytest.raises(FormatError, match=r"1001 members; it must be 1 to 1000"):
        read_cab(cabinet.to_bytes())
    members = [(f"f{i}".encode(), b"x") for i in range(5)]
    with pytest.raises(FormatError, match=r"5 members; it must be 1 to 4"):
        read_cab(simple(*members).to_bytes(), limits=BundleLimits(max_members=4))


def test_too_many_data_blocks() -> None:
    """More data blocks than max_data_blocks is refused before they are walked."""
    cabinet = Cabinet([Member(b"a", 3)], [Folder([stored(b"a")] * 3)])
    with pytest.raises(FormatError, match=r"folder 0 has 3 data blocks"):
        read_cab(cabinet.to_bytes(), limits=BundleLimits(max_data_blocks=2))


def test_input_over_the_limit() -> None:
    """A cabinet larger than max_input_bytes is refused before it is parsed."""
    data = build_bundle(REPORT_WER, [])
    with pytest.raises(FormatError, match=r"the cabinet is \d+ bytes; the limit is 10"):
        read_cab(data, limits=BundleLimits(max_input_bytes=10))


@pytest.mark.parametrize(
    "name",
    [
        b"../../etc/passwd",
        b"..",
        b"a/b.txt",
        b"a\\b.txt",
        b"/abs",
        b"\\abs",
        b"C:\\Windows\\x.dll",
        b"D:rel",
        b"ctl\x01",
        b"esc\x1b[2J",
        b"CON",
        b"aux.txt",
        b"dot.",
        b"\xff\xfe",
        b"",
    ],
)
def test_unsafe_member_names_are_refused(name: bytes) -> None:
    """Traversal, absolute, drive, control, device, non-UTF-8 and empty names are refused."""
    cabinet = simple((b"Report.wer", REPORT_WER), (name, b"x"))
    with pytest.raises(FormatError, match=r"^bundle: (member name|a member name)"):
        read_cab(cabinet.to_bytes())


def test_unterminated_or_long_member_name() -> None:
    """A name without its NUL within 255 bytes is refused."""
    cabinet = simple((b"Report.wer", REPORT_WER), (b"n" * 300, b"x"))
    with pytest.raises(FormatError, match=r"unterminated or over 254 bytes"):
        read_cab(cabinet.to_bytes())


def test_duplicate_names_regardless_of_case() -> None:
    """Two members whose names differ only in case are refused (one would overwrite the other)."""
    cabinet = simple((b"Report.wer", REPORT_WER), (b"a.txt", b"1"), (b"A.TXT", b"2"))
    with pytest.raises(FormatError, match=r"two members are called 'A\.TXT'"):
        read_cab(cabinet.to_bytes())


def test_member_beyond_its_folder() -> None:
    """A member whose range ends past its folder's data is refused."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    cabinet.members[0].size += 1
    with pytest.raises(FormatError, match=r"member 'Report\.wer' lies outside its folder"):
        read_cab(cabinet.to_bytes())


@pytest.mark.parametrize("folder", [1, 0xFFFD, 0xFFFE, 0xFFFF])
def test_member_in_a_missing_or_continued_folder(folder: int) -> None:
    """Folder indexes past the table, including the "continued" markers, are refused."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    cabinet.members[0].folder = folder
    with pytest.raises(FormatError, match=r"lies outside its folder"):
        read_cab(cabinet.to_bytes())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"flags": 0x1}, r"spanning several files"),
        ({"flags": 0x2}, r"spanning several files"),
        ({"index": 1}, r"spanning several files"),
        ({"version": (1, 2)}, r"cabinet version 1\.2 is not supported"),
        ({"version": (2, 3)}, r"cabinet version 2\.3 is not supported"),
        ({"member_count": 0}, r"0 members"),
        ({"folder_count": 0}, r"0 folders for 1 members"),
        ({"folder_count": 2}, r"2 folders for 1 members"),
    ],
)
def test_header_fields(change: dict[str, object], message: str) -> None:
    """Spanning sets, other versions and empty or inconsistent tables are refused."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    for key, value in change.items():
        setattr(cabinet, key, value)
    with pytest.raises(FormatError, match=message):
        read_cab(cabinet.to_bytes())


@pytest.mark.parametrize(
    ("compression", "name"), [(2, "Quantum"), (3, "LZX"), (0x1503, "LZX"), (7, "type 7")]
)
def test_unsupported_compression(compression: int, name: str) -> None:
    """Quantum, LZX and unknown compression types are refused by name."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    cabinet.folders[0].compression = compression
    with pytest.raises(FormatError, match=rf"uses {name} compression \(not supported\)"):
        read_cab(cabinet.to_bytes())


def test_folder_without_blocks() -> None:
    """A folder that declares no data blocks is refused."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    cabinet.folders[0].block_count = 0
    with pytest.raises(FormatError, match=r"folder 0 has 0 data blocks"):
        read_cab(cabinet.to_bytes())


def test_block_count_beyond_the_data() -> None:
    """A folder that declares more blocks than the cabinet holds is truncated."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    cabinet.folders[0].block_count = 5
    with pytest.raises(FormatError, match=r"truncated"):
        read_cab(cabinet.to_bytes())


def test_stored_block_with_two_sizes() -> None:
    """An uncompressed block whose two sizes differ is refused."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    cabinet.folders[0].blocks[0].unpacked += 1
    with pytest.raises(FormatError, match=r"inconsistent stored block"):
        read_cab(cabinet.to_bytes())


def test_mszip_block_without_signature() -> None:
    """An MSZIP block must start with "CK"."""
    block = mszip(REPORT_WER)
    block.packed = b"XY" + block.packed[2:]
    cabinet = Cabinet([Member(b"Report.wer", len(REPORT_WER))], [Folder([block], 1)])
    with pytest.raises(FormatError, match=r"without its CK signature"):
        read_cab(cabinet.to_bytes())


def test_corrupt_deflate_stream() -> None:
    """A deflate stream that is not valid is refused with zlib's reason."""
    block = Block(b"CK\xff\xff\xff\xff", 10)
    cabinet = Cabinet([Member(b"Report.wer", 10)], [Folder([block], 1)])
    with pytest.raises(FormatError, match=r"corrupt MSZIP block"):
        read_cab(cabinet.to_bytes())


def test_bad_checksum() -> None:
    """A data block whose checksum does not match is reported as corrupt."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    cabinet.folders[0].blocks[0].checksum = 0xDEADBEEF
    with pytest.raises(FormatError, match=r"the cabinet is corrupt \(Invalid checksum"):
        read_cab(cabinet.to_bytes())


def test_bundle_without_report_wer() -> None:
    """A safe cabinet without Report.wer is not a bundle (but read_cab reads it)."""
    data = simple((b"a.txt", b"x")).to_bytes()
    assert read_cab(data)[0].name == "a.txt"
    with pytest.raises(FormatError, match=r"^bundle: no Report\.wer member$"):
        read_bundle(data)


def test_bundle_with_an_invalid_report_wer() -> None:
    """A Report.wer member that is not a Report.wer is refused with the parser's reason."""
    data = simple((b"Report.wer", b"\x00\x01\x02binary")).to_bytes()
    with pytest.raises(FormatError, match=r"^bundle: Report\.wer: "):
        read_bundle(data)


def test_trailing_bytes_after_the_cabinet_are_ignored() -> None:
    """Bytes after the cabinet's declared end do not change what is read."""
    cabinet = simple((b"Report.wer", REPORT_WER))
    cabinet.extra = b"trailing garbage"
    assert read_bundle(cabinet.to_bytes()).report_wer_bytes == REPORT_WER
