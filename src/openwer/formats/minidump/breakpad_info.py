"""Breakpad's own streams: BreakpadInfo (which thread wrote the dump, which asked for it) and
AssertionInfo (an invalid-parameter or pure-virtual-call report on Windows)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from openwer.formats.minidump.byte_reader import ByteReader, OutOfBounds

__all__ = ["AssertionInfo", "BreakpadInfo", "parse_assertion_info", "parse_breakpad_info"]

_DUMP_THREAD_VALID: Final = 0x1
_REQUESTING_THREAD_VALID: Final = 0x2
_BREAKPAD_INFO = struct.Struct("<III")
_ASSERTION_TEXT = 256  # WCHAR[128]
_ASSERTION_TAIL = struct.Struct("<II")
_ASSERTION_TYPES: Final = {1: "invalid parameter", 2: "pure virtual call"}


@dataclass(frozen=True, slots=True)
class BreakpadInfo:
    """MDRawBreakpadInfo: the handler's own thread and the thread that requested the dump."""

    validity: int
    dump_thread_id: int | None
    requesting_thread_id: int | None


@dataclass(frozen=True, slots=True)
class AssertionInfo:
    """MDRawAssertionInfo: where an assertion fired (fields may be empty)."""

    expression: str
    function: str
    file: str
    line: int
    type: int

    @property
    def type_name(self) -> str:
        """``invalid parameter``, ``pure virtual call`` or ``unknown``."""
        return _ASSERTION_TYPES.get(self.type, "unknown")


def parse_breakpad_info(reader: ByteReader, rva: int, size: int) -> BreakpadInfo:
    """Read MDRawBreakpadInfo."""
    if size < _BREAKPAD_INFO.size:
        raise OutOfBounds(f"the stream is {size} bytes, shorter than MDRawBreakpadInfo")
    validity, dump_thread, requesting = reader.unpack(_BREAKPAD_INFO, rva, "BreakpadInfo")
    return BreakpadInfo(
        validity,
        dump_thread if validity & _DUMP_THREAD_VALID else None,
        requesting if validity & _REQUESTING_THREAD_VALID else None,
    )


def parse_assertion_info(reader: ByteReader, rva: int, size: int) -> AssertionInfo:
    """Read MDRawAssertionInfo."""
    if size < 3 * _ASSERTION_TEXT + _ASSERTION_TAIL.size:
        raise OutOfBounds(f"the stream is {size} bytes, shorter than MDRawAssertionInfo")
    texts = [
        reader.bytes_at(rva + i * _ASSERTION_TEXT, _ASSERTION_TEXT, "AssertionInfo")
        .decode("utf-16-le", errors="replace")
        .split("\x00", 1)[0]
        for i in range(3)
    ]
    line, kind = reader.unpack(_ASSERTION_TAIL, rva + 3 * _ASSERTION_TEXT, "AssertionInfo")
    return AssertionInfo(texts[0], texts[1], texts[2], line, kind)
