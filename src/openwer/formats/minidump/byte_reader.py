"""Bounds-checked little-endian reads over a minidump's bytes.

Every read names an absolute offset (an RVA) and a size and is checked against the end of the
file before anything is unpacked, so a lying count or offset raises :class:`OutOfBounds` instead
of reading garbage or allocating what the count claims. The stream parsers catch it and turn it
into a damage entry (see :mod:`openwer.formats.minidump.damage`).

Pure and thread-safe: a :class:`ByteReader` only reads the buffer it was given.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from openwer.errors import FormatError

__all__ = ["MAX_STRING_BYTES", "ByteReader", "OutOfBounds"]

# A MINIDUMP_STRING longer than this is damage, not a path: Windows paths stop at 32 767 UTF-16
# units, and CSD/build strings are far shorter. It bounds what one lying length can cost.
MAX_STRING_BYTES: Final = 65_536

_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class OutOfBounds(FormatError):
    """A read reached past the end of the file (a truncated or lying minidump)."""


class ByteReader:
    """Little-endian reads at absolute offsets of one buffer, each checked against its end.

    The buffer may be ``bytes``, a ``memoryview`` or an ``mmap``: nothing is copied until a
    caller asks for bytes (:meth:`bytes_at`), and memory views stay views (:meth:`view`).
    """

    __slots__ = ("_data", "size")

    def __init__(self, data: memoryview) -> None:
        self._data = data
        self.size = len(data)

    def check(self, offset: int, length: int, what: str) -> None:
        """Raise :class:`OutOfBounds` unless ``[offset, offset + length)`` lies in the file."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise OutOfBounds(
                f"{what} at 0x{offset:x} (+{length} bytes) reaches past the end of the file "
                f"({self.size} bytes)"
            )

    def unpack(self, layout: struct.Struct, offset: int, what: str) -> tuple[Any, ...]:
        """Unpack ``layout`` at ``offset``."""
        self.check(offset, layout.size, what)
        return layout.unpack_from(self._data, offset)

    def u8(self, offset: int, what: str) -> int:
        """One unsigned byte."""
        return int(self.unpack(_U8, offset, what)[0])

    def u16(self, offset: int, what: str) -> int:
        """One unsigned 16-bit integer."""
        return int(self.unpack(_U16, offset, what)[0])

    def u32(self, offset: int, what: str) -> int:
        """One unsigned 32-bit integer."""
        return int(self.unpack(_U32, offset, what)[0])

    def u64(self, offset: int, what: str) -> int:
        """One unsigned 64-bit integer."""
        return int(self.unpack(_U64, offset, what)[0])

    def view(self, offset: int, length: int, what: str) -> memoryview:
        """A view of ``length`` bytes at ``offset`` (no copy)."""
        self.check(offset, length, what)
        return self._data[offset : offset + length]

    def bytes_at(self, offset: int, length: int, what: str) -> bytes:
        """A copy of ``length`` bytes at ``offset``."""
        return bytes(self.view(offset, length, what))

    def utf16_string(self, rva: int, what: str) -> str:
        """A MINIDUMP_STRING: a 32-bit byte length, then that many bytes of UTF-16LE.

        Unpaired surrogates and an odd trailing byte are replaced, not refused: a name with one
        bad unit is still the best name the dump has.
        """
        length = self.u32(rva, what)
        if length > MAX_STRING_BYTES:
            raise OutOfBounds(f"{what} at 0x{rva:x} claims {length} bytes")
        raw = self.bytes_at(rva + 4, length, what)
        return raw.decode("utf-16-le", errors="replace").rstrip("\x00")

    def utf8_string(self, rva: int, what: str) -> str:
        """A Crashpad MinidumpUTF8String: a 32-bit byte length, then that many bytes of UTF-8."""
        length = self.u32(rva, what)
        if length > MAX_STRING_BYTES:
            raise OutOfBounds(f"{what} at 0x{rva:x} claims {length} bytes")
        return self.bytes_at(rva + 4, length, what).decode("utf-8", errors="replace")

    def c_string(self, offset: int, limit: int, what: str) -> str:
        """A NUL-terminated UTF-8 string of at most ``limit`` bytes (the NUL is optional)."""
        length = max(0, min(limit, self.size - offset))
        raw = self.bytes_at(offset, length, what)
        end = raw.find(b"\x00")
        return (raw if end < 0 else raw[:end]).decode("utf-8", errors="replace")
