"""The stage-2 report bundle: a Microsoft cabinet (CAB) holding Report.wer and the report's files.

WER uploads a report's second-level data as one CAB; openwer does the same, so a bundle opens
with ``expand``, ``gcab``, 7-Zip or ``cabextract``. :func:`build_bundle` writes Report.wer first
and then every file under its ``File[n].CabName``, MSZIP-compressed; :func:`read_bundle` and
:func:`read_cab` read one back. The CAB codec itself is the ``cabarchive`` package; this module
decides what a safe cabinet is.

A bundle arrives from the network, so reading it is bounded in memory and time whatever the bytes
(:class:`BundleLimits`). Before anything is decompressed, the cabinet's tables are walked and
checked: one cabinet (no spanning sets), at most ``max_members`` members with safe names (one path
component; no ``/``, ``\\``, ``:``, ``..``, control characters, characters Windows refuses, or
device names such as ``CON``; unique regardless of case), no member reaching past its folder's
data, declared sizes within ``max_total_bytes`` and a declared compression ratio within
``max_ratio``. Each MSZIP block is then inflated with a bound of its declared size, so a block that
lies about its size costs no more than the size it declared. Only then does ``cabarchive`` extract
the members. Every failure is a :class:`~openwer.errors.FormatError`.

Members that Report.wer does not list are kept and reported in :attr:`Bundle.unlisted`; files it
lists that are absent are reported in :attr:`Bundle.missing` (WER skips files it cannot collect
and still sends the report). The receiver decides what to do with either.

Pure: bytes in, frozen values out; no files, no clock (the members' timestamps are fixed unless
given), no globals. Thread-safe.
"""

from __future__ import annotations

import ntpath
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from cabarchive import CabArchive, CabFile, CorruptionError, NotSupportedError

from openwer.errors import FormatError, InvalidArgumentError
from openwer.formats.report_manifest import ReportManifest
from openwer.formats.report_wer import WerDocument, parse_report_wer

__all__ = [
    "REPORT_WER_NAME",
    "Bundle",
    "BundleFile",
    "BundleLimits",
    "build_bundle",
    "check_member_name",
    "read_bundle",
    "read_cab",
]

REPORT_WER_NAME = "Report.wer"
_DOS_EPOCH = datetime(1980, 1, 1)
_MAX_NAME_BYTES = 254  # cabarchive reads names of up to 254 bytes (CAB allows 255 + NUL)
_HEADER = struct.Struct("<4sIIIIIBBHHHHH")
_RESERVE = struct.Struct("<HBB")
_FOLDER = struct.Struct("<IHH")
_FILE = struct.Struct("<IIHHHH")
_DATA = struct.Struct("<IHH")
_NONE, _MSZIP = 0, 1
_COMPRESSION_NAMES = {2: "Quantum", 3: "LZX"}
_FORBIDDEN_CHARACTERS = frozenset('/\\:*?"<>|' + "".join(map(chr, range(32))) + "\x7f")
_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{prefix}{n}" for prefix in ("COM", "LPT") for n in "123456789¹²³"]
)


@dataclass(frozen=True, slots=True)
class BundleLimits:
    """Bounds on a cabinet read from the network (and on one built to be sent).

    Reading holds the input, the inflated folders and the members at once, so its peak memory
    is about ``max_input_bytes + 2 * max_total_bytes``; its time is linear in the input (the
    checksums are computed in Python at some 50 MB/s, so run large bundles off the event loop).

    Attributes:
        max_input_bytes: the largest cabinet accepted, in bytes (under 2 GiB).
        max_total_bytes: the largest total of the members' sizes, as declared and as extracted.
        max_members: the most members (files) in one cabinet.
        max_ratio: the highest ratio of declared uncompressed size to cabinet size, checked
            only when the declared size is above ``ratio_floor``: small files of zeros or
            repeated text legitimately compress better.
        ratio_floor: the declared size, in bytes, from which ``max_ratio`` applies.
        max_data_blocks: the most CFDATA blocks (65,536 blocks of 32 KiB make 2 GiB).
    """

    max_input_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 256 * 1024 * 1024
    max_members: int = 1000
    max_ratio: int = 200
    ratio_floor: int = 1024 * 1024
    max_data_blocks: int = 65_536

    def __post_init__(self) -> None:
        if not 0 < self.max_input_bytes < 0x7FFF_FFFF:
            # cabarchive changes how it reads a cabinet of 2 GiB or more; stay below.
            raise InvalidArgumentError("max_input_bytes must be between 1 and 2 GiB - 1")
        if min(self.max_total_bytes, self.max_members, self.max_ratio, self.max_data_blocks) < 1:
            raise InvalidArgumentError("bundle limits must be positive")


@dataclass(frozen=True, slots=True)
class BundleFile:
    """One member of a cabinet: its name and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Bundle:
    """A report bundle read back: the parsed Report.wer, its raw bytes and the other members.

    ``files`` keeps the cabinet's order. ``unlisted`` names members that no ``File[n]`` of the
    Report.wer lists; ``missing`` names files it lists that the cabinet lacks.
    """

    report_wer: WerDocument
    report_wer_bytes: bytes
    files: tuple[BundleFile, ...] = ()
    unlisted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    def file(self, name: str) -> BundleFile | None:
        """Return the member called ``name`` (compared regardless of case), or None."""
        folded = name.casefold()
        return next((f for f in self.files if f.name.casefold() == folded), None)


def check_member_name(name: str) -> None:
    """Check that ``name`` is safe as a cabinet member and as a file name on any system.

    Raises:
        FormatError: the name is empty, longer than 254 UTF-8 bytes, not encodable, ``.`` or
            ``..``, holds a path separator, drive colon, control character or a character
            Windows refuses (``*?"<>|``), ends with a dot or space, starts with a space, or is
            a Windows device name (``CON``, ``NUL.txt``, ``COM1``…).
    """
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise FormatError(f"bundle: member name {name!r} is not valid Unicode") from exc
    if not 0 < size <= _MAX_NAME_BYTES:
        raise FormatError(f"bundle: member name {name!r} must be 1 to {_MAX_NAME_BYTES} bytes")
    if name in (".", "..") or not _FORBIDDEN_CHARACTERS.isdisjoint(name):
        raise FormatError(
            f"bundle: member name {name!r} is not a plain file name "
            "(path separators, ':', control and wildcard characters are refused)"
        )
    if name.endswith((".", " ")) or name.startswith(" "):
        raise FormatError(f"bundle: member name {name!r} starts or ends with a space or a dot")
    if name.split(".", 1)[0].rstrip(" ").upper() in _DEVICE_NAMES:
        raise FormatError(f"bundle: member name {name!r} is a Windows device name")


def build_bundle(
    report_wer: bytes,
    files: Sequence[tuple[str, bytes]],
    *,
    limits: BundleLimits = BundleLimits(),
    compress: bool = True,
    mtime: datetime = _DOS_EPOCH,
) -> bytes:
    """Build a report bundle: Report.wer first, then ``files`` in order, MSZIP-compressed.

    ``files`` pairs each member's name (``File[n].CabName``) with its bytes. The members carry
    ``mtime`` as their timestamp (1980-01-01 by default, so equal input gives equal bytes).

    Raises:
        FormatError: ``report_wer`` is not a Report.wer, a name is unsafe
            (:func:`check_member_name`) or repeated regardless of case (including Report.wer
            itself), or the bundle would exceed ``limits`` (members, total size).
    """
    parse_report_wer(report_wer)
    members = [(REPORT_WER_NAME, bytes(report_wer))]
    members.extend((name, bytes(data)) for name, data in files)
    if len(members) > limits.max_members:
        raise FormatError(f"bundle: {len(members)} members; the limit is {limits.max_members}")
    seen: set[str] = set()
    total = 0
    archive = CabArchive()
    for name, data in members:
        check_member_name(name)
        if name.casefold() in seen:
            raise FormatError(f"bundle: two members are called {name!r} (case is ignored)")
        seen.add(name.casefold())
        total += len(data)
        if total > limits.max_total_bytes:
            raise FormatError(f"bundle: the members exceed {limits.max_total_bytes} bytes")
        archive[name] = CabFile(data, mtime=mtime)
    return archive.save(compress=compress, sort=False)


def read_bundle(data: bytes, *, limits: BundleLimits = BundleLimits()) -> Bundle:
    """Read a report bundle: a safe cabinet (:func:`read_cab`) that holds a valid Report.wer.

    Raises:
        FormatError: as :func:`read_cab`; or there is no ``Report.wer`` member (any case), or it
            is not a valid Report.wer.
    """
    members = read_cab(data, limits=limits)
    report = next((m for m in members if m.name.casefold() == "report.wer"), None)
    if report is None:
        raise FormatError("bundle: no Report.wer member")
    try:
        document = parse_report_wer(report.data)
    except FormatError as exc:
        raise FormatError(f"bundle: {exc}") from exc
    listed: dict[str, str] = {}
    for entry in ReportManifest.from_document(document).files:
        name = entry.cab_name or ntpath.basename(entry.path or "")
        if name:
            listed.setdefault(name.casefold(), name)
    files = tuple(m for m in members if m is not report)
    present = {m.name.casefold() for m in files}
    return Bundle(
        report_wer=document,
        report_wer_bytes=report.data,
        files=files,
        unlisted=tuple(m.name for m in files if m.name.casefold() not in listed),
        missing=tuple(name for key, name in listed.items() if key not in present),
    )


def read_cab(data: bytes, *, limits: BundleLimits = BundleLimits()) -> tuple[BundleFile, ...]:
    """Read every member of a cabinet, in the cabinet's order, within ``limits``.

    Used for bundles and for the MS-CER2 level-2 upload, whose cabinet is Windows' own.

    Raises:
        FormatError: the bytes are not a complete single cabinet of CAB version 1.3; it uses
            Quantum or LZX compression; it is over ``max_input_bytes``, has no member or more than
            ``max_members``, an unsafe or repeated member name, a member outside its folder,
            declared sizes over ``max_total_bytes`` or a declared ratio over ``max_ratio``; a data
            block is corrupt, fails its checksum or inflates to other than its declared size.
    """
    if len(data) > limits.max_input_bytes:
        raise FormatError(
            f"bundle: the cabinet is {len(data)} bytes; the limit is {limits.max_input_bytes}"
        )
    data = bytes(data)
    try:
        names = _check_cabinet(data, limits)
    except struct.error as exc:
        raise FormatError("bundle: the cabinet is truncated (a table runs past its end)") from exc
    try:
        archive = CabArchive(data)
    except (CorruptionError, NotSupportedError) as exc:
        raise FormatError(f"bundle: the cabinet is corrupt ({exc})") from exc
    return tuple(BundleFile(name, archive[name].buf or b"") for name in names)


def _check_cabinet(data: bytes, limits: BundleLimits) -> list[str]:
    """Walk the cabinet's tables and data blocks; return the member names in order."""
    if len(data) < _HEADER.size or not data.startswith(b"MSCF"):
        raise FormatError("bundle: not a Microsoft cabinet (no MSCF signature)")
    (_, _, size, _, files_at, _, minor, major, folders, count, flags, _, index) = (
        _HEADER.unpack_from(data)
    )
    if size > len(data):
        raise FormatError(f"bundle: the cabinet is truncated ({len(data)} of {size} bytes)")
    if (major, minor) != (1, 3):
        raise FormatError(f"bundle: cabinet version {major}.{minor} is not supported (1.3 is)")
    if flags & 0x3 or index:
        raise FormatError("bundle: cabinets spanning several files are not supported")
    if not 0 < count <= limits.max_members:
        raise FormatError(f"bundle: {count} members; it must be 1 to {limits.max_members}")
    if not 0 < folders <= count:
        raise FormatError(f"bundle: {folders} folders for {count} members")
    offset, folder_reserve, block_reserve = _HEADER.size, 0, 0
    if flags & 0x4:
        header_reserve, folder_reserve, block_reserve = _RESERVE.unpack_from(data, offset)
        offset += _RESERVE.size + header_reserve
    folders_found: list[tuple[int, int, int]] = []  # (first block, block count, compression)
    folder_sizes: list[int] = []
    total = blocks = 0
    for number in range(folders):
        first_block, block_count, compression = _FOLDER.unpack_from(data, offset)
        offset += _FOLDER.size + folder_reserve
        compression &= 0xF
        if compression not in (_NONE, _MSZIP):
            kind = _COMPRESSION_NAMES.get(compression, f"type {compression}")
            raise FormatError(f"bundle: folder {number} uses {kind} compression (not supported)")
        blocks += block_count
        if not block_count or blocks > limits.max_data_blocks:
            raise FormatError(f"bundle: folder {number} has {block_count} data blocks")
        folder_size = sum(
            unpacked
            for _, _, unpacked in _blocks(data, first_block, block_count, block_reserve, number)
        )
        folders_found.append((first_block, block_count, compression))
        folder_sizes.append(folder_size)
        total += folder_size
        if total > limits.max_total_bytes:
            raise FormatError(
                f"bundle: the cabinet declares over {limits.max_total_bytes} uncompressed bytes"
            )
    if total > limits.ratio_floor and total > limits.max_ratio * len(data):
        raise FormatError(
            f"bundle: {total} bytes from a {len(data)}-byte cabinet is a compression ratio over "
            f"{limits.max_ratio}:1"
        )
    names = _check_members(data, files_at, count, folder_sizes, limits)
    # Only now is anything inflated, each block within the size it declared.
    for number, (first_block, block_count, compression) in enumerate(folders_found):
        history = b""
        for start, end, unpacked in _blocks(data, first_block, block_count, block_reserve, number):
            if compression == _NONE:
                if end - start != unpacked:
                    raise FormatError(f"bundle: folder {number} has an inconsistent stored block")
            else:
                history = _inflate(data[start:end], unpacked, history, number)
    return names


def _blocks(
    data: bytes, offset: int, count: int, reserve: int, folder: int
) -> Iterator[tuple[int, int, int]]:
    """Yield where each data block of a folder starts and ends, and the size it declares."""
    for _ in range(count):
        _, packed, unpacked = _DATA.unpack_from(data, offset)
        start = offset + _DATA.size + reserve
        offset = start + packed
        if offset > len(data):
            raise FormatError(f"bundle: folder {folder} is truncated (a data block runs past)")
        yield start, offset, unpacked


def _inflate(block: bytes, expected: int, history: bytes, folder: int) -> bytes:
    """Inflate one MSZIP block, producing at most one byte more than declared."""
    if not block.startswith(b"CK"):
        raise FormatError(f"bundle: folder {folder} has an MSZIP block without its CK signature")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS, zdict=history)
    try:
        output = inflater.decompress(block[2:], expected + 1)
    except zlib.error as exc:
        raise FormatError(f"bundle: folder {folder} has a corrupt MSZIP block ({exc})") from exc
    if len(output) != expected or inflater.unconsumed_tail:
        raise FormatError(
            f"bundle: folder {folder} has an MSZIP block that does not inflate to its declared "
            f"{expected} bytes"
        )
    return output


def _check_members(
    data: bytes, offset: int, count: int, folder_sizes: list[int], limits: BundleLimits
) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    total = 0
    for _ in range(count):
        size, start, folder, _, _, _ = _FILE.unpack_from(data, offset)
        offset += _FILE.size
        end = data.find(b"\0", offset, offset + _MAX_NAME_BYTES + 1)
        if end < 0:
            raise FormatError("bundle: a member name is unterminated or over 254 bytes")
        try:
            name = data[offset:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError("bundle: a member name is not UTF-8") from exc
        offset = end + 1
        check_member_name(name)
        if name.casefold() in seen:
            raise FormatError(f"bundle: two members are called {name!r} (case is ignored)")
        seen.add(name.casefold())
        if folder >= len(folder_sizes) or start + size > folder_sizes[folder]:
            raise FormatError(f"bundle: member {name!r} lies outside its folder's data")
        total += size
        if total > limits.max_total_bytes:
            raise FormatError(f"bundle: the members exceed {limits.max_total_bytes} bytes")
        names.append(name)
    return names
