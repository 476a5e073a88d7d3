"""Crashpad's CrashpadInfo stream: report and client ids, and annotations.

Process-wide simple annotations (string → string) and, per module, list annotations, simple
annotations and string-typed annotation objects are read; other annotation types are skipped.
A damaged annotation table becomes damage; the ids still come through.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from typing import Final

from openwer.formats.minidump.byte_reader import ByteReader, OutOfBounds
from openwer.formats.minidump.damage import Damage

__all__ = ["CrashpadInfo", "ModuleAnnotations", "parse_crashpad_info"]

MAX_ANNOTATIONS: Final = 4096  # per table; Crashpad itself caps a dictionary at 64 entries
_INFO = struct.Struct("<I16s16sIIII")
_LOCATION = struct.Struct("<II")
_MODULE_INFO = struct.Struct("<IIIIIIII")
_MODULE_ENTRY = struct.Struct("<III")
_ANNOTATION = struct.Struct("<IHHI")
_ANNOTATION_STRING: Final = 1


@dataclass(frozen=True, slots=True)
class ModuleAnnotations:
    """One module's Crashpad annotations (``module_index`` into the ModuleList)."""

    module_index: int
    list_annotations: tuple[str, ...]
    simple_annotations: tuple[tuple[str, str], ...]
    annotation_objects: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class CrashpadInfo:
    """MinidumpCrashpadInfo."""

    version: int
    report_id: str
    client_id: str
    simple_annotations: tuple[tuple[str, str], ...]
    module_annotations: tuple[ModuleAnnotations, ...]


def _count(reader: ByteReader, rva: int, entry_size: int, where: str) -> int:
    count = reader.u32(rva, where)
    fits = max(0, (reader.size - rva - 4) // entry_size)
    if count > min(fits, MAX_ANNOTATIONS):
        raise OutOfBounds(f"{where} claims {count} entries")
    return count


def _dictionary(reader: ByteReader, size: int, rva: int, where: str) -> tuple[tuple[str, str], ...]:
    if not size:
        return ()
    entries = []
    for i in range(_count(reader, rva, 8, where)):
        key_rva, value_rva = reader.unpack(_LOCATION, rva + 4 + 8 * i, where)
        entries.append((reader.utf8_string(key_rva, where), reader.utf8_string(value_rva, where)))
    return tuple(entries)


def _string_list(reader: ByteReader, size: int, rva: int, where: str) -> tuple[str, ...]:
    if not size:
        return ()
    return tuple(
        reader.utf8_string(reader.u32(rva + 4 + 4 * i, where), where)
        for i in range(_count(reader, rva, 4, where))
    )


def _objects(reader: ByteReader, size: int, rva: int, where: str) -> tuple[tuple[str, str], ...]:
    if not size:
        return ()
    entries = []
    for i in range(_count(reader, rva, _ANNOTATION.size, where)):
        name_rva, kind, _, value_rva = reader.unpack(_ANNOTATION, rva + 4 + 12 * i, where)
        if kind == _ANNOTATION_STRING:
            name = reader.utf8_string(name_rva, where)
            entries.append((name, reader.utf8_string(value_rva, where)))
    return tuple(entries)


def _module(reader: ByteReader, index: int, size: int, rva: int) -> ModuleAnnotations:
    where = f"CrashpadInfo module {index}"
    if size < _MODULE_INFO.size:
        raise OutOfBounds(f"{where} is {size} bytes")
    _, list_size, list_rva, simple_size, simple_rva, objects_size, objects_rva, _ = reader.unpack(
        _MODULE_INFO, rva, where
    )
    return ModuleAnnotations(
        index,
        _string_list(reader, list_size, list_rva, where),
        _dictionary(reader, simple_size, simple_rva, where),
        _objects(reader, objects_size, objects_rva, where),
    )


def parse_crashpad_info(
    reader: ByteReader, rva: int, size: int, damage: list[Damage]
) -> CrashpadInfo:
    """Read MinidumpCrashpadInfo; damaged annotation tables become damage."""
    if size < _INFO.size:
        raise OutOfBounds(f"the stream is {size} bytes, shorter than MinidumpCrashpadInfo")
    version, report, client, simple_size, simple_rva, modules_size, modules_rva = reader.unpack(
        _INFO, rva, "CrashpadInfo"
    )
    simple: tuple[tuple[str, str], ...] = ()
    try:
        simple = _dictionary(reader, simple_size, simple_rva, "CrashpadInfo annotations")
    except OutOfBounds as exc:
        damage.append(Damage("CrashpadInfo annotations", str(exc)))
    modules = []
    if modules_size:
        try:
            for i in range(_count(reader, modules_rva, _MODULE_ENTRY.size, "CrashpadInfo modules")):
                index, info_size, info_rva = reader.unpack(
                    _MODULE_ENTRY, modules_rva + 4 + 12 * i, "CrashpadInfo modules"
                )
                try:
                    modules.append(_module(reader, index, info_size, info_rva))
                except OutOfBounds as exc:
                    damage.append(Damage(f"CrashpadInfo module {index}", str(exc)))
        except OutOfBounds as exc:
            damage.append(Damage("CrashpadInfo modules", str(exc)))
    return CrashpadInfo(
        version,
        str(uuid.UUID(bytes_le=bytes(report))),
        str(uuid.UUID(bytes_le=bytes(client))),
        simple,
        tuple(modules),
    )
