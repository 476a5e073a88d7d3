"""The MiscInfo stream (MINIDUMP_MISC_INFO versions 1 to 5): process id, times, build strings.

Each field is read only when the stream is long enough for its version and its Flags1 bit says
it is valid, so a version-1 stream yields the process id and times and nothing invented.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from openwer.formats.minidump.byte_reader import ByteReader, OutOfBounds

__all__ = ["MiscInfo", "parse_misc_info"]

_PROCESS_ID: Final = 0x1
_PROCESS_TIMES: Final = 0x2
_POWER_INFO: Final = 0x4
_INTEGRITY: Final = 0x10
_EXECUTE_FLAGS: Final = 0x20
_TIMEZONE: Final = 0x40
_PROTECTED: Final = 0x80
_BUILDSTRING: Final = 0x100
_COOKIE: Final = 0x200

_V1 = struct.Struct("<IIIIII")
_V2 = struct.Struct("<IIIII")
_V3 = struct.Struct("<IIIIi")
_V1_SIZE, _V2_SIZE, _V3_SIZE, _V4_SIZE, _V5_SIZE = 24, 44, 232, 832, 1364
_TIME_ZONE_NAME = 64  # WCHAR[32]
_BUILD_STRING, _DBG_BUILD_STRING = 520, 80  # WCHAR[260], WCHAR[40]


@dataclass(frozen=True, slots=True)
class MiscInfo:
    """What a MINIDUMP_MISC_INFO_N says; a field is None when the stream does not give it.

    Attributes:
        size: SizeOfInfo (24, 44, 232, 832 or 1364 for versions 1 to 5).
        flags: Flags1 (which fields are valid).
        process_id: the dumped process's id.
        process_create_time: when it started, seconds since 1970 (UTC).
        process_user_time, process_kernel_time: CPU seconds it had used.
        processor_max_mhz, processor_current_mhz: CPU clock (version 2).
        process_integrity_level, process_execute_flags, protected_process: version 3.
        time_zone_id, time_zone_bias, time_zone_name: version 3 (bias in minutes).
        build_string, debug_build_string: the OS build strings (version 4).
        process_cookie: version 5.
    """

    size: int
    flags: int
    process_id: int | None = None
    process_create_time: int | None = None
    process_user_time: int | None = None
    process_kernel_time: int | None = None
    processor_max_mhz: int | None = None
    processor_current_mhz: int | None = None
    process_integrity_level: int | None = None
    process_execute_flags: int | None = None
    protected_process: int | None = None
    time_zone_id: int | None = None
    time_zone_bias: int | None = None
    time_zone_name: str | None = None
    build_string: str | None = None
    debug_build_string: str | None = None
    process_cookie: int | None = None


def _wide(reader: ByteReader, offset: int, size: int) -> str | None:
    raw = reader.bytes_at(offset, size, "MiscInfo string")
    text = raw.decode("utf-16-le", errors="replace").split("\x00", 1)[0]
    return text or None


def parse_misc_info(reader: ByteReader, rva: int, size: int) -> MiscInfo:
    """Read MINIDUMP_MISC_INFO up to the version its size allows."""
    if size < _V1_SIZE:
        raise OutOfBounds(f"the stream is {size} bytes, shorter than MINIDUMP_MISC_INFO")
    declared, flags, pid, created, user, kernel = reader.unpack(_V1, rva, "MiscInfo")
    size = min(size, max(declared, _V1_SIZE))  # trust the smaller of the two sizes
    info: dict[str, int | str | None] = {}
    if flags & _PROCESS_ID:
        info["process_id"] = pid
    if flags & _PROCESS_TIMES:
        info |= {
            "process_create_time": created,
            "process_user_time": user,
            "process_kernel_time": kernel,
        }
    if size >= _V2_SIZE and flags & _POWER_INFO:
        max_mhz, current_mhz, _, _, _ = reader.unpack(_V2, rva + _V1_SIZE, "MiscInfo v2")
        info |= {"processor_max_mhz": max_mhz, "processor_current_mhz": current_mhz}
    if size >= _V3_SIZE:
        integrity, execute, protected, zone_id, bias = reader.unpack(
            _V3, rva + _V2_SIZE, "MiscInfo v3"
        )
        if flags & _INTEGRITY:
            info["process_integrity_level"] = integrity
        if flags & _EXECUTE_FLAGS:
            info["process_execute_flags"] = execute
        if flags & _PROTECTED:
            info["protected_process"] = protected
        if flags & _TIMEZONE:
            info |= {
                "time_zone_id": zone_id,
                "time_zone_bias": bias,
                "time_zone_name": _wide(reader, rva + _V2_SIZE + 20, _TIME_ZONE_NAME),
            }
    if size >= _V4_SIZE and flags & _BUILDSTRING:
        info["build_string"] = _wide(reader, rva + _V3_SIZE, _BUILD_STRING)
        info["debug_build_string"] = _wide(
            reader, rva + _V3_SIZE + _BUILD_STRING, _DBG_BUILD_STRING
        )
    if size >= _V5_SIZE and flags & _COOKIE:
        info["process_cookie"] = reader.u32(rva + _V5_SIZE - 4, "MiscInfo v5")
    return MiscInfo(size, flags, **info)  # type: ignore[arg-type]
