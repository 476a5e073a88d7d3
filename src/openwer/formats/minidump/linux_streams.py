"""Breakpad's Linux streams: copies of /proc files and the dynamic linker's module list.

The text streams (cpuinfo, status, lsb-release, cmdline, environ, maps) are the raw file
contents; they are decoded leniently (UTF-8 with replacement) and parsed line by line, and a line
that does not parse is skipped and counted as damage. ``maps`` ranges whose end is below their
start are refused that way too (rust-minidump's ``invalid-range`` fuzz case).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from openwer.formats.minidump.byte_reader import ByteReader, OutOfBounds
from openwer.formats.minidump.damage import Damage

__all__ = [
    "MAX_TEXT_STREAM_BYTES",
    "DsoDebug",
    "LinkMapEntry",
    "LinuxProcessInfo",
    "MapsEntry",
    "parse_auxv",
    "parse_dso_debug",
    "parse_key_values",
    "parse_maps",
    "parse_nul_separated",
    "read_text",
]

MAX_TEXT_STREAM_BYTES: Final = 16 * 1024 * 1024
_MAX_LINK_MAP_ENTRIES: Final = 65_536
_DEBUG64 = struct.Struct("<IIIIQQQ")  # natural alignment: 4 bytes of padding before brk
_LINK_MAP64 = struct.Struct("<QIIQ")  # addr, name RVA, padding, ld
_DEBUG32 = struct.Struct("<IIIIII")
_LINK_MAP32 = struct.Struct("<III")


@dataclass(frozen=True, slots=True)
class MapsEntry:
    """One line of /proc/PID/maps."""

    start: int
    end: int
    permissions: str
    offset: int
    device: str
    inode: int
    path: str

    @property
    def executable(self) -> bool:
        """Whether the mapping is executable (``x`` in its permissions)."""
        return "x" in self.permissions


@dataclass(frozen=True, slots=True)
class LinkMapEntry:
    """One ``struct link_map`` of the dynamic linker: a loaded object's bias and name."""

    address: int
    name: str
    dynamic: int


@dataclass(frozen=True, slots=True)
class DsoDebug:
    """MDRawDebug: ``r_debug`` of the process and its link map."""

    version: int
    dso_count: int
    brk: int
    ldbase: int
    dynamic: int
    link_map: tuple[LinkMapEntry, ...]


def read_text(reader: ByteReader, rva: int, size: int, where: str, damage: list[Damage]) -> str:
    """A text stream, decoded leniently and cut at :data:`MAX_TEXT_STREAM_BYTES`."""
    if size > MAX_TEXT_STREAM_BYTES:
        damage.append(Damage(where, f"{size} bytes; the first {MAX_TEXT_STREAM_BYTES} are read"))
        size = MAX_TEXT_STREAM_BYTES
    available = max(0, min(size, reader.size - rva))
    if available < size:
        damage.append(Damage(where, f"{size} bytes claimed, {available} in the file"))
    return reader.bytes_at(rva, available, where).decode("utf-8", errors="replace")


def parse_key_values(text: str, separator: str) -> tuple[tuple[str, str], ...]:
    """``key<separator>value`` lines (``/proc/PID/status``, ``lsb-release``); quotes dropped."""
    pairs = []
    for line in text.splitlines():
        key, found, value = line.partition(separator)
        if found and key.strip():
            pairs.append((key.strip(), value.strip().strip('"')))
    return tuple(pairs)


def parse_nul_separated(text: str) -> tuple[str, ...]:
    """NUL-separated strings (``cmdline``, ``environ``), without the trailing empty one."""
    parts = text.split("\x00")
    while parts and not parts[-1]:
        parts.pop()
    return tuple(parts)


def parse_maps(text: str, damage: list[Damage]) -> tuple[MapsEntry, ...]:
    """Parse /proc/PID/maps; lines that do not parse (or run backwards) become damage."""
    entries = []
    bad = 0
    first_bad = ""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split(maxsplit=5)
        try:
            low, high = (int(part, 16) for part in fields[0].split("-", 1))
            if high < low:
                raise ValueError("the range ends before it starts")
            entries.append(
                MapsEntry(
                    low,
                    high,
                    fields[1],
                    int(fields[2], 16),
                    fields[3],
                    int(fields[4]),
                    fields[5].strip() if len(fields) > 5 else "",
                )
            )
        except (ValueError, IndexError) as exc:
            bad += 1
            first_bad = first_bad or f"line {number}: {exc or 'malformed'}"
    if bad:
        damage.append(Damage("LinuxMaps", f"{bad} line(s) could not be read; first: {first_bad}"))
    return tuple(entries)


def parse_auxv(reader: ByteReader, rva: int, size: int, word: int) -> tuple[tuple[int, int], ...]:
    """The auxiliary vector: (type, value) pairs of ``word``-byte integers, up to AT_NULL."""
    pairs = []
    end = min(rva + size, reader.size)
    for offset in range(rva, end - 2 * word + 1, 2 * word):
        kind = int.from_bytes(reader.bytes_at(offset, word, "LinuxAuxv"), "little")
        value = int.from_bytes(reader.bytes_at(offset + word, word, "LinuxAuxv"), "little")
        if kind == 0:
            break
        pairs.append((kind, value))
    return tuple(pairs)


def parse_dso_debug(
    reader: ByteReader, rva: int, size: int, word: int, damage: list[Damage]
) -> DsoDebug:
    """Read MDRawDebug (32- or 64-bit, by the dump's CPU) and the link map it points at."""
    header, entry = (_DEBUG64, _LINK_MAP64) if word == 8 else (_DEBUG32, _LINK_MAP32)
    if size < header.size:
        raise OutOfBounds(f"the stream is {size} bytes, shorter than MDRawDebug")
    fields = reader.unpack(header, rva, "LinuxDsoDebug")
    version, map_rva, count = fields[:3]
    brk, ldbase, dynamic = fields[-3:]
    if count > _MAX_LINK_MAP_ENTRIES:
        damage.append(Damage("LinuxDsoDebug", f"claims {count} link map entries"))
        count = 0
    link_map = []
    try:
        for i in range(count):
            values = reader.unpack(entry, map_rva + i * entry.size, "LinuxDsoDebug link map")
            name = reader.utf16_string(values[1], "link map name") if values[1] else ""
            link_map.append(LinkMapEntry(values[0], name, values[-1]))
    except OutOfBounds as exc:
        damage.append(Damage("LinuxDsoDebug link map", str(exc)))
    return DsoDebug(version, count, brk, ldbase, dynamic, tuple(link_map))


@dataclass(frozen=True, slots=True)
class LinuxProcessInfo:
    """What Breakpad's Linux streams say about the process (empty where a stream is absent).

    Attributes:
        cpu_info: /proc/cpuinfo as text.
        proc_status: /proc/PID/status as (key, value) pairs.
        lsb_release: /etc/lsb-release (or os-release) as (key, value) pairs.
        cmdline: /proc/PID/cmdline as arguments.
        environ: /proc/PID/environ as ``NAME=value`` strings.
        auxv: the auxiliary vector as (type, value) pairs.
        maps: /proc/PID/maps.
        dso_debug: the dynamic linker's ``r_debug`` and link map, if written.
    """

    cpu_info: str | None = None
    proc_status: tuple[tuple[str, str], ...] = ()
    lsb_release: tuple[tuple[str, str], ...] = ()
    cmdline: tuple[str, ...] = ()
    environ: tuple[str, ...] = ()
    auxv: tuple[tuple[int, int], ...] = ()
    maps: tuple[MapsEntry, ...] = ()
    dso_debug: DsoDebug | None = None
