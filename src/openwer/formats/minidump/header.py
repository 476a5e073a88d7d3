"""The MINIDUMP_HEADER and the stream directory that follows it.

The header is the one part that must be readable: without the ``MDMP`` signature and a directory
there is no minidump, and :func:`parse_header` raises :class:`~openwer.errors.FormatError`. A
directory that claims more entries than the file holds is cut to what fits (and reported as
damage by the caller); a wrong version is tolerated, as the streams may still be good.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from openwer.errors import FormatError
from openwer.formats.minidump.byte_reader import ByteReader
from openwer.formats.minidump.stream_types import stream_type_name

__all__ = [
    "HEADER_SIZE",
    "MINIDUMP_SIGNATURE",
    "MINIDUMP_VERSION",
    "DirectoryEntry",
    "MinidumpHeader",
    "parse_directory",
    "parse_header",
]

MINIDUMP_SIGNATURE: Final = 0x504D444D  # b"MDMP" read as a little-endian 32-bit integer
MINIDUMP_VERSION: Final = 0xA793  # the low 16 bits of the version; the high 16 are the writer's
HEADER_SIZE: Final = 32
_SWAPPED_SIGNATURE: Final = 0x4D444D50  # b"PMDM": a big-endian minidump
_HEADER = struct.Struct("<IIIIIIQ")
_ENTRY = struct.Struct("<III")


@dataclass(frozen=True, slots=True)
class MinidumpHeader:
    """MINIDUMP_HEADER.

    Attributes:
        version: the whole 32-bit version (low 16 bits 0xA793; high 16 bits the writer's own).
        stream_count: NumberOfStreams as written (may exceed what the file holds).
        directory_rva: where the directory starts.
        checksum: CheckSum (0 from most writers).
        time_date_stamp: when the dump was written, seconds since 1970 (UTC).
        flags: MINIDUMP_TYPE flags the dump was written with.
    """

    version: int
    stream_count: int
    directory_rva: int
    checksum: int
    time_date_stamp: int
    flags: int


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """MINIDUMP_DIRECTORY: one stream's type and location."""

    stream_type: int
    data_size: int
    rva: int

    @property
    def name(self) -> str:
        """The stream type's display name (``ThreadList``, ``LinuxMaps``, ``0x…``)."""
        return stream_type_name(self.stream_type)


def parse_header(reader: ByteReader) -> MinidumpHeader:
    """Read the header; raise FormatError if the bytes are not a little-endian minidump."""
    if reader.size < HEADER_SIZE:
        raise FormatError(
            f"not a minidump: {reader.size} bytes is shorter than a minidump header "
            f"({HEADER_SIZE} bytes)"
        )
    signature, version, count, rva, checksum, stamp, flags = reader.unpack(_HEADER, 0, "header")
    if signature == _SWAPPED_SIGNATURE:
        raise FormatError("not supported: a big-endian minidump (signature PMDM)")
    if signature != MINIDUMP_SIGNATURE:
        raise FormatError(f"not a minidump: the signature is 0x{signature:08x}, not MDMP")
    return MinidumpHeader(version, count, rva, checksum, stamp, flags)


def parse_directory(reader: ByteReader, header: MinidumpHeader) -> tuple[DirectoryEntry, ...]:
    """Read the directory entries that lie inside the file.

    Raises:
        FormatError: the directory starts outside the file, so no stream can be found.
    """
    if header.stream_count and header.directory_rva + _ENTRY.size > reader.size:
        raise FormatError(
            f"damaged minidump: the stream directory at 0x{header.directory_rva:x} lies "
            f"outside the file ({reader.size} bytes)"
        )
    fits = max(0, (reader.size - header.directory_rva) // _ENTRY.size)
    count = min(header.stream_count, fits)
    return tuple(
        DirectoryEntry(*reader.unpack(_ENTRY, header.directory_rva + i * _ENTRY.size, "directory"))
        for i in range(count)
    )
